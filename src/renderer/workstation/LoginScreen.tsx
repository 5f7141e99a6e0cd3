/**
 * Sign-in for the workstation (`auth/login` through the data service, which
 * keeps the tokens). Errors are translated by code — a wrong password and a
 * throttled account read differently — and the focus stays in the form.
 */
import { useRef, useState, type FormEvent } from 'react';
import type { RpcError } from '../../core/errors';
import { useI18n } from '../i18n';
import { useSession } from './session';

export function LoginScreen() {
  const { t, errorText } = useI18n();
  const w = t.workstation.login;
  const session = useSession();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<RpcError | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!login.trim() || !password || busy) return;
    setBusy(true);
    setError(null);
    const err = await session.login(login.trim(), password);
    setBusy(false);
    if (err) {
      setError(err);
      setPassword('');
      passwordRef.current?.focus();
    }
  };

  const message = (err: RpcError) => {
    if (err.code === 'unauthenticated' || err.code === 'forbidden') return w.failed;
    if (err.code === 'rate_limited') {
      const s = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      return w.rateLimited(s ?? 60);
    }
    return `${errorText(err.code)} — ${err.message}`;
  };

  return (
    <div className="login" data-testid="login-screen">
      <form className="login__card" onSubmit={(e) => void submit(e)} data-testid="login-form">
        <span className="brand__mark login__mark" aria-hidden="true" />
        <h1 className="login__title">{w.title}</h1>
        <p className="muted">{w.subtitle}</p>
        <label className="field">
          <span className="field__label">{w.login}</span>
          <input className="input" autoFocus autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} data-testid="login-name" />
        </label>
        <label className="field">
          <span className="field__label">{w.password}</span>
          <input ref={passwordRef} className="input" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} data-testid="login-password" />
        </label>
        {error && (
          <p className="field__error login__error" role="alert" data-testid="login-error" data-code={error.code}>
            {message(error)}
          </p>
        )}
        <button type="submit" className="button button--primary login__submit" disabled={busy || !login.trim() || !password} data-testid="login-submit">
          {busy ? w.signingIn : w.submit}
        </button>
      </form>
    </div>
  );
}
