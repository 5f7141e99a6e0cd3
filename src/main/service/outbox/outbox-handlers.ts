/** Requests about commands and the outbox: submit, list, dismiss. */
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
}

export function createOutboxHandlers(d: OutboxHandlerDeps): Pick<Handlers, 'commands/submit' | 'outbox/list' | 'outbox/dismiss'> {
  const now = () => new Date(d.clock.now()).toISOString();
  return {
    'commands/submit': ({ mutation }) => {
      const { entry, overlay } = d.outbox.submit(mutation, now());
      d.changed([entry], overlay ? [overlay.eventId] : []);
      d.kick();
      return { mutationId: entry.mutationId, clientId: entry.clientId, entry };
    },
    'outbox/list': ({ states, limit }) => ({ entries: d.outbox.list(states, limit), offline: d.offline() }),
    'outbox/dismiss': ({ mutationId }) => {
      const entry = d.outbox.dismiss(mutationId, now());
      d.changed([entry], []);
      return entry;
    },
  };
}
