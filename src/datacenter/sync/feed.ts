/**
 * Builds the live feed's `batch` frames for one client: the ops after its
 * cursor that its scope sees, the acks of its commands in that range, and the
 * checkpoint the batch brings it to.
 *
 * - A batch always ends on a version boundary: its checkpoint is a cursor, and
 *   a version is applied whole or not at all. Versions in the range with no op
 *   in the scope still advance the checkpoint.
 * - A batch holds about `maxOps` ops (whole versions; one huge version is sent
 *   whole), so a client far behind catches up page by page and the server
 *   never holds more than one page per client.
 * - Recent versions come from the hub's memory; older ones from change_log.
 * - Scope: a town client gets ops on its town's rows and on district-wide
 *   rows; an upsert that moved a row out of its town (or out of district-wide)
 *   becomes a delete for it.
 *
 * Frames are built as JSON text directly: documents are spliced in as the
 * text PostgreSQL or the writer produced, never parsed and re-serialised.
 */
import { sql } from 'drizzle-orm';
import type { CommandAck, LiveFrame, ScopeChecksum, SyncScope } from '../../core';
import type { Db, DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import type { SyncHub } from './hub';
import type { CommittedVersion, LoggedOp } from './notifier';

export const DEFAULT_BATCH_OPS = 1000;

/**
 * Lets timers and sockets run. PGlite answers synchronously under its promises,
 * so a loop of queries (a client catching up, a long snapshot) would otherwise
 * keep the event loop to itself.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How a client of `scope` sees an op: as logged, as a delete (the row left its view), or not at all. */
export function opVisibility(op: Pick<LoggedOp, 'scope' | 'prevScope' | 'moved'>, scope: SyncScope): 'as-is' | 'delete' | null {
  if (scope === 'district') return 'as-is';
  if (op.scope === scope || op.scope === null) return 'as-is';
  if (op.moved && (op.prevScope === scope || op.prevScope === null)) return 'delete';
  return null;
}

const upsertJson = new WeakMap<LoggedOp, string>();
const deleteJson = new WeakMap<LoggedOp, string>();

/** The op as a SyncOp in JSON text (cached per op: every subscriber of a version sends the same text). */
export function opJson(op: LoggedOp, as: 'as-is' | 'delete'): string {
  const asDelete = as === 'delete' || op.op === 'delete';
  const cache = asDelete ? deleteJson : upsertJson;
  let text = cache.get(op);
  if (text === undefined) {
    const head = `{"table":${JSON.stringify(op.table)},"op":"${asDelete ? 'delete' : 'upsert'}","key":${JSON.stringify(op.key)},"v":${op.v}`;
    text = asDelete ? `${head}}` : `${head},"row":${op.rowJson}}`;
    cache.set(op, text);
  }
  return text;
}

export function cursorJson(epoch: string, v: number): string {
  return `{"epoch":${JSON.stringify(epoch)},"v":${v}}`;
}

export interface BatchQuery {
  scope: SyncScope;
  /** acks are included for this client */
  clientId: string | null;
  epoch: string;
  /** the client's cursor */
  from: number;
  /** the last version the batch may include (a committed one) */
  upto: number;
  maxOps?: number;
}

export type BatchResult = { kind: 'batch'; json: string; checkpoint: number; ops: number } | { kind: 'must_refetch'; reason: 'expired' };

/** One batch after `from`, ending at a version ≤ `upto`. */
export async function readBatch(db: Db, hub: SyncHub | null, q: BatchQuery): Promise<BatchResult> {
  const maxOps = q.maxOps ?? DEFAULT_BATCH_OPS;
  const memory = hub?.versions(q.from, q.upto) ?? null;
  if (memory) return batchFromMemory(memory, q, maxOps);
  return batchFromLog(db, q, maxOps);
}

function batchFromMemory(versions: CommittedVersion[], q: BatchQuery, maxOps: number): BatchResult {
  const ops: string[] = [];
  const acks: string[] = [];
  let checkpoint = q.from;
  for (const version of versions) {
    // stop before a version that would overflow the page, but always take at least one
    if (ops.length > 0 && ops.length + version.ops.length > maxOps) break;
    for (const op of version.ops) {
      const as = opVisibility(op, q.scope);
      if (as) ops.push(opJson(op, as));
    }
    if (q.clientId) for (const ack of version.acks) if (ack.clientId === q.clientId) acks.push(JSON.stringify(ack));
    checkpoint = version.v;
    if (ops.length >= maxOps) break;
  }
  return { kind: 'batch', json: batchJson(q.epoch, q.from, checkpoint, ops, acks), checkpoint, ops: ops.length };
}

interface LogRow {
  v: string | number;
  table_name: string;
  key: string;
  op: 'upsert' | 'delete';
  scope: string | null;
  prev_scope: string | null;
  moved: boolean;
  row: string | null;
}

/**
 * Keyset pages must walk an index in order. Without statistics (PGlite never
 * analyzes on its own; PostgreSQL not until autovacuum has run) the planner
 * guesses a few hundred rows and picks bitmap scan + sort, which reads every
 * remaining row for each page: quadratic. Within the transaction, sorting is
 * made the last resort.
 */
export async function preferIndexOrder(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`SET LOCAL enable_sort = off`);
}

async function batchFromLog(db: Db, q: BatchQuery, maxOps: number): Promise<BatchResult> {
  return db.transaction(async (tx) => {
    await preferIndexOrder(tx);
    return batchFromLogIn(tx, q, maxOps);
  });
}

async function batchFromLogIn(db: DbOrTx, q: BatchQuery, maxOps: number): Promise<BatchResult> {
  const visible =
    q.scope === 'district'
      ? sql`true`
      : sql`(scope = ${q.scope} OR scope IS NULL OR (moved AND (prev_scope = ${q.scope} OR prev_scope IS NULL)))`;
  const select = (where: ReturnType<typeof sql>, limit: ReturnType<typeof sql>) =>
    db.execute(sql`SELECT v, table_name, key, op, scope, prev_scope, moved, row::text AS row
      FROM change_log WHERE ${where} AND ${visible} ORDER BY v, seq ${limit}`);
  let rows = rowsOf<LogRow>(await select(sql`v > ${q.from} AND v <= ${q.upto}`, sql`LIMIT ${maxOps}`));
  let checkpoint = q.upto;
  if (rows.length >= maxOps) {
    const firstV = Number(rows[0]!.v);
    const lastV = Number(rows.at(-1)!.v);
    if (firstV === lastV) {
      // one version larger than a page: send it whole
      rows = rowsOf<LogRow>(await select(sql`v = ${lastV}`, sql``));
      checkpoint = lastV;
    } else {
      rows = rows.filter((r) => Number(r.v) !== lastV);
      checkpoint = lastV - 1;
    }
  }
  const ops = rows.map((r) => {
    const v = Number(r.v);
    const as = opVisibility({ scope: r.scope, prevScope: r.prev_scope, moved: r.moved }, q.scope);
    const asDelete = as === 'delete' || r.op === 'delete';
    const head = `{"table":${JSON.stringify(r.table_name)},"op":"${asDelete ? 'delete' : 'upsert'}","key":${JSON.stringify(r.key)},"v":${v}`;
    return asDelete ? `${head}}` : `${head},"row":${r.row}}`;
  });
  const acks = q.clientId ? await readAcks(db, q.clientId, q.from, checkpoint) : [];
  // the floor is read AFTER the log: a prune that raced the read shows here
  const [floor] = rowsOf<{ pruned: string | number | null }>(await db.execute(sql`SELECT pruned_through AS pruned FROM sync_version WHERE id = 1`));
  if (q.from < Number(floor?.pruned ?? 0)) return { kind: 'must_refetch', reason: 'expired' };
  return { kind: 'batch', json: batchJson(q.epoch, q.from, checkpoint, ops, acks.map((a) => JSON.stringify(a))), checkpoint, ops: ops.length };
}

/** The stored results of `clientId`'s commands whose versions fall in (from, to]. */
export async function readAcks(db: DbOrTx, clientId: string, from: number, to: number): Promise<CommandAck[]> {
  const rows = rowsOf<{ mutation_id: string | number; status: 'applied' | 'rejected'; error: unknown; result: unknown; v: string | number }>(
    await db.execute(sql`SELECT mutation_id, status, error, result, v FROM client_mutations
      WHERE client_id = ${clientId} AND v > ${from} AND v <= ${to} ORDER BY v`),
  );
  return rows.map((r) => storedAck(clientId, r));
}

/** A client_mutations row as a CommandAck. */
export function storedAck(
  clientId: string,
  r: { mutation_id: string | number; status: 'applied' | 'rejected'; error: unknown; result: unknown; v: string | number },
): CommandAck {
  const error = typeof r.error === 'string' ? (JSON.parse(r.error) as CommandAck['error']) : ((r.error ?? null) as CommandAck['error']);
  const result = typeof r.result === 'string' ? (JSON.parse(r.result) as unknown) : r.result;
  const ack: CommandAck = { clientId, mutationId: Number(r.mutation_id), status: r.status, error, v: Number(r.v) };
  if (result !== null && result !== undefined) ack.result = result;
  return ack;
}

function batchJson(epoch: string, from: number, checkpoint: number, ops: string[], acks: string[]): string {
  return `{"t":"batch","from":${cursorJson(epoch, from)},"ops":[${ops.join(',')}],"checkpoint":${cursorJson(epoch, checkpoint)},"acks":[${acks.join(',')}]}`;
}

export function heartbeatFrame(epoch: string, v: number, at: Date): LiveFrame {
  return { t: 'heartbeat', checkpoint: { epoch, v }, at: at.toISOString() };
}

export function checksumFrame(checksum: ScopeChecksum): LiveFrame {
  return { t: 'checksum', checksum };
}

