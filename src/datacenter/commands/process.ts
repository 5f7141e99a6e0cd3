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
import { rowsOf } from '../store/migration';
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

const HANDLER_SAVEPOINT = sql.raw('SAVEPOINT huying_command');
const HANDLER_ROLLBACK = sql.raw('ROLLBACK TO SAVEPOINT huying_command');

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
        // One statement: the client's last processed id and this mutation's stored result, if a
        // concurrent push of it landed while this one queued. No row lock is needed: every writer
        // of sync_clients and client_mutations is a replicated write, and those are serialised
        // (one batch at a time per process, and across processes by the version row taken first),
        // so this read sees every earlier write and nothing can change it before commit.
        const [state] = rowsOf<{ last: string | number | null; status: 'applied' | 'rejected' | null; error: unknown; result: unknown; v: string | number | null }>(
          await tx.execute(sql`
            SELECT (SELECT last_mutation_id FROM sync_clients WHERE client_id = ${clientId}) AS last, m.status, m.error, m.result, m.v
            FROM (SELECT 1) AS one LEFT JOIN client_mutations m ON m.client_id = ${clientId} AND m.mutation_id = ${m.mutationId}
          `),
        );
        if (state?.status) {
          throw new Settled({ ...storedAck(clientId, { mutation_id: m.mutationId, status: state.status, error: state.error, result: state.result, v: state.v! }), duplicate: true });
        }
        const last = Number(state?.last ?? 0);
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
          // the handler's effects in a savepoint of their own: a rejection rolls them back and is
          // still stored; not released (a round trip that frees nothing before the commit)
          await tx.execute(HANDLER_SAVEPOINT);
          try {
            value = await handler(tx, effects, parsed.data, actor, (opts.now ?? (() => new Date()))(), {
              clientId,
              mutationId: m.mutationId,
              createdAt: m.createdAt ?? null,
            });
            out.absorb(effects);
          } catch (err) {
            if (isTransient(err)) throw err;
            await tx.execute(HANDLER_ROLLBACK);
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
        // the stored result and the client's new last id, in one statement
        await tx.execute(sql`
          WITH stored AS (
            INSERT INTO client_mutations (client_id, mutation_id, name, status, error, result, v, actor_id, created_at)
            VALUES (${clientId}, ${m.mutationId}, ${name}, ${ack.status}, ${ack.error === null ? null : JSON.stringify(ack.error)}::jsonb,
                    ${result === null ? null : JSON.stringify(result)}::jsonb, ${out.v}, ${actor.id}, ${validInstant(m.createdAt)}::timestamptz)
            RETURNING 1
          )
          INSERT INTO sync_clients (client_id, last_mutation_id, updated_at) VALUES (${clientId}, ${m.mutationId}, now())
          ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id, updated_at = excluded.updated_at
        `);
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
