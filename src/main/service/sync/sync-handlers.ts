/** Requests about the link to the data center. */
import type { Handlers } from '../../../core/index';
import type { ReferenceSync } from './reference-sync';

export function createSyncHandlers(sync: Pick<ReferenceSync, 'status'>): Pick<Handlers, 'sync/status'> {
  return {
    'sync/status': () => sync.status(),
  };
}
