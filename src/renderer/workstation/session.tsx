/**
 * Who is signed in on this desktop. The data service logs in to the data
 * center for the renderer and keeps the tokens; the renderer asks
 * `auth/session` once, follows `auth/changed`, and signs in and out through
 * `auth/login` / `auth/logout`. The signed-in account becomes the `Actor` the
 * workflow rules judge the offered actions for.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { toRpcError, type RpcError } from '../../core/errors';
import type { Session, SessionUser } from '../../core/rpc/session';
import type { Actor } from '../../core/workflow/roles';
import { useRpc } from '../rpc/rpc-context';

export type SessionState = { status: 'loading' } | { status: 'ready'; session: Session } | { status: 'error'; error: RpcError };

export interface SessionApi {
  state: SessionState;
  user: SessionUser | null;
  actor: Actor | null;
  /** null on success, else the error (translated by the caller) */
  login(login: string, password: string): Promise<RpcError | null>;
  logout(): Promise<void>;
  reload(): void;
}

export function actorOf(user: SessionUser): Actor {
  return { id: user.id, name: user.name, role: user.role, organisationId: user.organisationId, scope: user.scope };
}

const SessionContext = createContext<SessionApi | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const rpc = useRpc();
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    let pushed = false;
    const off = rpc.subscribe('auth/changed', (session) => {
      pushed = true;
      if (live) setState({ status: 'ready', session });
    });
    rpc.invoke('auth/session').then(
      (session) => live && !pushed && setState({ status: 'ready', session }),
      (err: unknown) => live && !pushed && setState({ status: 'error', error: toRpcError(err) }),
    );
    return () => {
      live = false;
      off();
    };
  }, [rpc, attempt]);

  const login = useCallback(
    async (login: string, password: string) => {
      try {
        const session = await rpc.invoke('auth/login', { login, password });
        setState({ status: 'ready', session });
        return session.user ? null : { code: 'unauthenticated' as const, message: 'no user in the session' };
      } catch (err) {
        return toRpcError(err);
      }
    },
    [rpc],
  );

  const logout = useCallback(async () => {
    try {
      const session = await rpc.invoke('auth/logout');
      setState({ status: 'ready', session });
    } catch (err) {
      setState({ status: 'error', error: toRpcError(err) });
    }
  }, [rpc]);

  const api = useMemo<SessionApi>(() => {
    const user = state.status === 'ready' ? state.session.user : null;
    return { state, user, actor: user ? actorOf(user) : null, login, logout, reload: () => setAttempt((a) => a + 1) };
  }, [state, login, logout]);

  return <SessionContext.Provider value={api}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const api = useContext(SessionContext);
  if (!api) throw new Error('useSession() outside <SessionProvider>');
  return api;
}
