/**
 * Sign-in on behalf of the renderer (the data service keeps the tokens). Until
 * the data service logs in to the data center, nobody is signed in and a login
 * answers `unavailable` with the reason.
 */
import { HuyingError, type Handlers } from '../../../core/index';
import type { sessionRequests } from '../../../core/rpc/session';

type SessionHandlers = Pick<Handlers, keyof typeof sessionRequests>;

export function createSessionHandlers(): SessionHandlers {
  return {
    'auth/session': () => ({ user: null, offline: false }),
    'auth/login': () => {
      throw new HuyingError('unavailable', 'signing in to the data center is not built yet');
    },
    'auth/logout': () => ({ user: null, offline: false }),
  };
}
