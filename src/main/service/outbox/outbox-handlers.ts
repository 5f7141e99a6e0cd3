/**
 * Requests about commands and the outbox: submit, list, dismiss.
 *
 * While a replica image is being switched in (sync/sync-client.ts), the replica's write lock belongs to the
 * switch's copy and a write on the service's connection fails at once with SQLITE_BUSY. The writing requests
 * (submit, dismiss) are held meanwhile, in memory and in the order they came, and run when the switch ends —
 * seconds — so a command submitted during a switch lands in the outbox after it, once, instead of failing.
 */
import type { Handlers, OutboxEntry } from '../../../core/index';
import type { Clock } from '../clock';
import type { OutboxStore } from './outbox-store';

export interface OutboxHandlerDeps {
  outbox: OutboxStore;
  clock: Clock;
  /** true while the data center cannot be reached */
  offline(): boolean;
  /** entries changed (push `outbox/changed`); events whose overlay changed (push `events/changed`) */
  changed(entries: OutboxEntry[], eventIds: string[]): void;
  /** a new entry is waiting */
  kick(): void;
  /** while the replica cannot be written (a replica image being switched in): resolves when it can again; otherwise null */
  writesHeld?(): Promise<void> | null;
}

export function createOutboxHandlers(d: OutboxHandlerDeps): Pick<Handlers, 'commands/submit' | 'outbox/list' | 'outbox/dismiss'> {
  const now = () => new Date(d.clock.now()).toISOString();
  const hold = holdWhile(() => d.writesHeld?.() ?? null);
  return {
    'commands/submit': ({ mutation }) =>
      hold(() => {
        const { entry, overlay } = d.outbox.submit(mutation, now());
        d.changed([entry], overlay ? [overlay.eventId] : []);
        d.kick();
        return { mutationId: entry.mutationId, clientId: entry.clientId, entry };
      }),
    'outbox/list': ({ states, limit }) => ({ entries: d.outbox.list(states, limit), offline: d.offline() }),
    'outbox/dismiss': ({ mutationId }) =>
      hold(() => {
        const entry = d.outbox.dismiss(mutationId, now());
        d.changed([entry], []);
        return entry;
      }),
  };
}

/**
 * Runs a write at once when nothing holds writes and nothing is waiting, else queues it behind the ones
 * waiting; the queue runs in order once `held()` is null (a second hold that begins meanwhile is waited out
 * too). Each write's result or error goes to its own caller.
 */
function holdWhile(held: () => Promise<void> | null) {
  const queue: (() => void)[] = [];
  const drain = () => {
    while (queue.length > 0) {
      const wait = held();
      if (wait) {
        void wait.then(drain, drain);
        return;
      }
      queue.shift()!();
    }
  };
  return <T>(write: () => T): T | Promise<T> => {
    const wait = held();
    if (!wait && queue.length === 0) return write();
    return new Promise<T>((resolve, reject) => {
      queue.push(() => {
        try {
          resolve(write());
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      // the first one waiting schedules the drain; the others are behind it
      if (queue.length === 1) void wait!.then(drain, drain);
    });
  };
}
