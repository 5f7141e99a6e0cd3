/**
 * Fan-out of the events the data service pushes (`sync/status`, …) to every
 * subscribed transport. A failing listener is logged and does not stop the
 * others.
 */
import type { EventName, EventPayload, EventSink } from '../../core/index';
import type { Logger } from './log';

type Listener = (payload: never) => void;

export class EventHub implements EventSink {
  private readonly listeners = new Map<EventName, Set<Listener>>();

  constructor(private readonly log: Logger) {}

  subscribe<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const entry = listener as Listener;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as (p: EventPayload<E>) => void)(payload);
      } catch (err) {
        this.log.error({ err, event: name }, 'event listener failed');
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
