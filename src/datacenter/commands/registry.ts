/**
 * Mutation handlers: what the data center does for each kind of pushed
 * command (`event/command`, `event/intake`, `wall/directive`, …). The domain
 * modules register theirs (the events store registers `event/command` and
 * `event/intake`); the command endpoint looks them up by name.
 *
 * A handler runs inside the command's replicated write transaction (a
 * savepoint of it): it writes its domain rows with `tx`, reports replicated
 * changes on `out` (whose `v` is the command's version) and either returns —
 * the command is applied, and what it returns (JSON) is stored and sent back
 * as the ack's `result` — or throws a HuyingError (or a ZodError), which
 * rejects the command with that code: its writes are rolled back, its
 * rejection is stored and acknowledged in the feed in order.
 */
import type { Actor, Mutation } from '../../core';
import type { DbOrTx } from '../store/database';
import type { ChangeSink } from '../sync/write';

export type MutationName = Mutation['name'];
export type MutationOf<N extends MutationName> = Extract<Mutation, { name: N }>;

export interface MutationContext {
  clientId: string;
  mutationId: number;
  /** the client's time of the command (when it was queued, perhaps offline) */
  createdAt: string | null;
}

export type MutationHandler<M extends Mutation = Mutation> = (
  tx: DbOrTx,
  out: ChangeSink,
  mutation: M,
  actor: Actor,
  now: Date,
  ctx: MutationContext,
) => Promise<unknown>;

export class MutationRegistry {
  private readonly handlers = new Map<string, MutationHandler>();

  /** Registers the handler of `name`; returns its unregistration. A name has one handler. */
  register<N extends MutationName>(name: N, handler: MutationHandler<MutationOf<N>>): () => void {
    if (this.handlers.has(name)) throw new Error(`a handler for mutation ${name} is already registered`);
    const h = handler as MutationHandler;
    this.handlers.set(name, h);
    return () => {
      if (this.handlers.get(name) === h) this.handlers.delete(name);
    };
  }

  get(name: string): MutationHandler | undefined {
    return this.handlers.get(name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }
}

/** The process-wide registry the data center's command endpoint uses by default. */
export const mutationHandlers = new MutationRegistry();

/** Registers a handler in the process-wide registry; returns its unregistration. */
export function registerMutationHandler<N extends MutationName>(name: N, handler: MutationHandler<MutationOf<N>>): () => void {
  return mutationHandlers.register(name, handler);
}
