/** Requests about the link to the data center and the scope of the replica. */
import type { Handlers, SyncScope, SyncStatus } from '../../../core/index';

export interface SyncControl {
  status(): SyncStatus;
  setScope(scope: SyncScope): void;
}

export function createSyncHandlers(sync: SyncControl): Pick<Handlers, 'sync/status' | 'sync/set-scope'> {
  return {
    'sync/status': () => sync.status(),
    'sync/set-scope': ({ scope }) => {
      sync.setScope(scope);
      return sync.status();
    },
  };
}
