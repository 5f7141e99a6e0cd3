/**
 * Processing pushed commands exactly once (ARCHITECTURE.md, "Commands").
 *
 * For each mutation of a push, in order:
 * - already stored for (clientId, mutationId) → the stored result again, `duplicate: true`
 *   (a retried or replayed push), nothing runs, no version is taken;
 * - at or below the client's last processed id but unknown → refused with
 *   `conflict` / details.reason `stale_mutation_id` and v 0 (it would run out of
 *   order; nothing is stored, nothing comes through the feed);
 * - otherwise ONE replicated write: the handler runs in a savepoint, and its
 *   effects, the stored result and the client's new last id commit together
 *   with one version. A rejected command (the handler threw a HuyingError, the
 *   mutation failed its schema, no handler has that name) rolls back its
 *   effects but still takes its version and stores its rejection, so the
 *   client's queue moves on and the ack arrives in the feed in order.
 *
 * A transient database failure (serialization, deadlock, lock timeout, lost
 * connection) stores nothing and fails the whole push with 503: the client
 * retries, and what was processed before comes back as duplicates.
 */
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { HuyingError, Mutation, toRpcError, type Actor, type CommandAck, type CommandsResponse, type RpcError } from '../../core';
import type { Db, DbOrTx } from '../store/database';
import { clientMutations, syncClients } from '../store/sync-schema';
import { nextTurn, storedAck } from '../sync/feed';
import { ChangeBuffer, runReplicated } from '../sync/write';
import type { MutationRegistry } from './registry';

/**
 * The push as the server reads it: each mutation is checked on its own while
 * processing (a mutation this server does not understand is a stored
 * rejection, not a refused push that would block the client's queue).
 */
export const PushedCommands = z.object({
  clientId: z.string().min(1).max(100),
  mutations: z
    .array(
      z.object({
        mutationId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
        createdAt: z.string().max(40).optional(),
        mutation: z.unknown(),
      }),
    )
    .min(1)
    .max(500),
});
export type PushedCommands = z.infer<typeof PushedCommands>;

export interface ProcessOptions {
  registry: MutationRegistry;
  /** the server's clock for handlers (default: new Date()) */
  now?: () => Date;
  /** where a handler's unexpected failure is reported (it is stored as `internal`) */
  onHandlerError?: (err: unknown, mutation: { clientId: string; mutationId: number; name: string }) => void;
}

class Settled extends Error {
  constructor(readonly outcome: CommandAck & { duplicate: boolean }) {
    super('settled without a write');
  }
}

export async function processCommands(db: Db, push: PushedCommands, actor: Actor, opts: ProcessOptions): Promise<CommandsResponse> {
  const results: CommandsResponse['results'] = [];
  const { clientId } = push;
  for (const m of push.mutations) {
    await nextTurn();
    const stored = await findStored(db, clientId, m.mutationId);
    if (stored) {
      results.push({ ...stored, duplicate: true });
      continue;
    }
    try {
      const { result } = await runReplicated(db, async (tx, out) => {
        await tx.insert(syncClients).values({ clientId }).onConflictDoNothing();
        const [client] = await tx.select({ last: syncClients.lastMutationId }).from(syncClients).where(eq(syncClients.clientId, clientId)).for('update');
        // a concurrent push of the same mutation may have landed while this one queued for the version
        const again = await findStored(tx, clientId, m.mutationId);
        if (again) throw new Settled({ ...again, duplicate: true });
        const last = client?.last ?? 0;
        if (m.mutationId <= last) {
          throw new Settled({
            clientId,
            mutationId: m.mutationId,
            status: 'rejected',
            error: {
              code: 'conflict',
              message: `mutation ${m.mutationId} arrived after mutation ${last} of this client was processed: it would run out of order`,
              details: { reason: 'stale_mutation_id', lastMutationId: last },
            },
            v: 0,
            duplicate: false,
          });
        }

        const name = mutationName(m.mutation);
        let error: RpcError | null = null;
        let value: unknown = undefined;
        const parsed = Mutation.safeParse(m.mutation);
        const handler = parsed.success ? opts.registry.get(parsed.data.name) : undefined;
        if (!parsed.success) {
          error = toRpcError(parsed.error);
        } else if (!handler) {
          error = { code: 'unknown_method', message: `this data center does not handle ${parsed.data.name}` };
        } else {
          const effects = new ChangeBuffer(out.v);
          try {
            value = await tx.transaction((sp) =>
              handler(sp, effects, parsed.data, actor, (opts.now ?? (() => new Date()))(), {
                clientId,
                mutationId: m.mutationId,
                createdAt: m.createdAt ?? null,
              }),
            );
            out.absorb(effects);
          } catch (err) {
            if (isTransient(err)) throw err;
            if (!(err instanceof HuyingError) && !(err instanceof z.ZodError)) {
              opts.onHandlerError?.(err, { clientId, mutationId: m.mutationId, name });
              error = { code: 'internal', message: `the data center failed to process ${name}` };
            } else {
              error = toRpcError(err);
            }
          }
        }

        const ack: CommandAck = {
          clientId,
          mutationId: m.mutationId,
          status: error ? 'rejected' : 'applied',
          error,
          v: out.v,
        };
        const result = error || value === undefined ? null : toJson(value);
        if (result !== null) ack.result = result;
        await tx.insert(clientMutations).values({
          clientId,
          mutationId: m.mutationId,
          name,
          status: ack.status,
          error: ack.error,
          result,
          v: out.v,
          actorId: actor.id,
          createdAt: validInstant(m.createdAt),
        });
        await tx.update(syncClients).set({ lastMutationId: m.mutationId, updatedAt: sql`now()` }).where(eq(syncClients.clientId, clientId));
        out.acks.push(ack);
        return ack;
      });
      results.push({ ...result, duplicate: false });
    } catch (err) {
      if (err instanceof Settled) {
        results.push(err.outcome);
        continue;
      }
      if (isTransient(err)) throw new HuyingError('unavailable', 'the data center is busy or lost its database connection: push again', { retry: true });
      throw err;
    }
  }
  const [client] = await db.select({ last: syncClients.lastMutationId }).from(syncClients).where(eq(syncClients.clientId, clientId));
  return { results, lastMutationId: client?.last ?? 0 };
}

async function findStored(db: DbOrTx, clientId: string, mutationId: number): Promise<CommandAck | null> {
  const [row] = await db
    .select({ status: clientMutations.status, error: clientMutations.error, result: clientMutations.result, v: clientMutations.v })
    .from(clientMutations)
    .where(and(eq(clientMutations.clientId, clientId), eq(clientMutations.mutationId, mutationId)));
  if (!row) return null;
  return storedAck(clientId, { mutation_id: mutationId, status: row.status, error: row.error, result: row.result, v: row.v });
}

function mutationName(mutation: unknown): string {
  const name = (mutation as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.length > 0 ? name.slice(0, 100) : '(unnamed)';
}

/** A handler's return value as JSON (what jsonb will hold), or null. */
function toJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

function validInstant(s: string | undefined): string | null {
  if (!s) return null;
  return Number.isNaN(Date.parse(s)) ? null : new Date(s).toISOString();
}

/** SQLSTATE classes worth a retry: connection (08), transaction rollback (40), resources (53), operator (57), lock not available (55P03). */
export function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (/^(08|40|53|57)/.test(code) || code === '55P03') return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)) return true;
  }
  return false;
}
