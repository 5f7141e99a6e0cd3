/**
 * A Bridge over in-process handlers for renderer tests, using the contract's
 * own `answer` so arguments are validated and failures arrive as error data,
 * exactly as over IPC or the WebSocket. Events are pushed with `emit`.
 */
import type { EventName, EventPayload, Handlers } from '../../core/rpc/contract';
import { answer, type Bridge } from '../../core/rpc/wire';

export interface FakeBridge extends Bridge {
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
  /** names of the requests invoked so far */
  calls: string[];
}

export function createFakeBridge(handlers: Partial<Handlers>): FakeBridge {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const calls: string[] = [];
  const missing = (name: string) => () => {
    throw new Error(`fake bridge: no handler for ${name}`);
  };
  const all = new Proxy(handlers, {
    get: (target, name: string) => (target as Record<string, unknown>)[name] ?? missing(name),
  }) as Handlers;
  return {
    calls,
    invoke(name, args) {
      calls.push(name);
      return answer(all, name, args);
    },
    subscribe(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    emit(name, payload) {
      for (const l of listeners.get(name) ?? []) l(payload);
    },
  };
}
