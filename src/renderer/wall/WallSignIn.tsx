/**
 * Sign-in of a wall kiosk, right on the "not signed in" notice: the wall
 * account's login (prefilled `wall`) and password go to `auth/login`, so the
 * data service of the web host (or of the desktop app) signs in to the data
 * center and keeps the tokens — the page never sees them. The service
 * remembers the session across restarts and refreshes it, so an operator signs
 * a kiosk in once; only when the data center ends the session (7 days at
 * most, a password reset, a disabled account) does the notice come back.
 */
import { useState, type FormEvent } from 'react';
import { HuyingError, toRpcError, type RpcError } from '../../core/errors';
import type { RpcClient } from '../../core/rpc/wire';
import { useI18n } from '../i18n';

export function WallSignIn({ client, onSignedIn }: { client: RpcClient; onSignedIn?: () => void }) {
  const { t, errorText } = useI18n();
  const w = t.wall.signIn;
  const [login, setLogin] = useState('wall');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<RpcError | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!login.trim() || !password || busy) return;
    setBusy(true);
    setError(null);
    try {
      const session = await client.invoke('auth/login', { login: login.trim(), password });
      if (!session.user) throw new HuyingError('unauthenticated', 'no user in the session');
      onSignedIn?.();
    } catch (err) {
      setError(toRpcError(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  const message = (err: RpcError) => {
    if (err.code === 'unauthenticated' || err.code === 'forbidden') return w.failed;
    if (err.code === 'rate_limited') return w.rateLimited((err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds ?? 60);
    return `${errorText(err.code)} — ${err.message}`;
  };

  return (
    <form className="wall-sign-in" onSubmit={(e) => void submit(e)} data-testid="wall-sign-in" onPointerDown={(e) => e.stopPropagation()}>
      <input className="wall-sign-in__input" aria-label={w.login} autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} data-testid="wall-sign-in-login" />
      <input
        className="wall-sign-in__input"
        aria-label={w.password}
        placeholder={w.password}
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        data-testid="wall-sign-in-password"
      />
      <button type="submit" className="wall-sign-in__submit" disabled={busy || !login.trim() || !password} data-testid="wall-sign-in-submit">
        {busy ? w.signingIn : w.submit}
      </button>
      {error && (
        <span className="wall-sign-in__error" role="alert" data-testid="wall-sign-in-error" data-code={error.code}>
          {message(error)}
        </span>
      )}
    </form>
  );
}
