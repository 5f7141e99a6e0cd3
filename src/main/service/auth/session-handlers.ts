/**
 * Sign-in on behalf of the renderer (the data service keeps the tokens;
 * ./session.ts): auth/session answers who is signed in — and `offline: true`
 * while the data center cannot be reached but a session is remembered —,
 * auth/login signs in at the data center, auth/logout signs out here and
 * revokes the session there when it can.
 */
import type { Handlers } from '../../../core/index';
import type { sessionRequests } from '../../../core/rpc/session';
import type { SessionManager } from './session';

type SessionHandlers = Pick<Handlers, keyof typeof sessionRequests>;

export function createSessionHandlers(session: SessionManager): SessionHandlers {
  return {
    'auth/session': () => session.session(),
    'auth/login': ({ login, password }) => session.login(login, password),
    'auth/logout': () => session.logout(),
  };
}
