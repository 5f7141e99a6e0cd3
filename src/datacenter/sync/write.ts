/**
 * The one write primitive for replicated data (ARCHITECTURE.md, "Sync
 * protocol"): `writeReplicated(db, fn)` runs `fn` in a transaction that
 *
 *  1. takes the next version FIRST (`sync_version.v + 1`, the row stays locked
 *     until commit, so transactions queue there: version order = commit order,
 *     and a reader that sees version V knows every version ≤ V has committed —
 *     there are no gaps that could be filled later);
 *  2. runs `fn(tx, out)`, which writes its domain rows (stamping them with
 *     `out.v` where they carry a version) and reports every replicated change
 *     with `out.upsert(table, key, scope, row)` / `out.delete(table, key)`;
 *  3. applies the reported changes to `sync_rows` (the replicated state) and
 *     appends them to `change_log`, finding each row's previous scope itself
 *     (so a row moving between towns is logged as such), in one statement;
 *  4. commits, and only then publishes the version in-process for the live feed.
 *
 * GROUP COMMIT. Holding the version row from the first statement to commit
 * serialises every replicated transaction of the database, so throughput was
 * one transaction per (round trips × latency): ~160 intakes/s on PostgreSQL.
 * So concurrent callers in one process share a transaction: they queue, and a
 * single writer loop per database takes up to MAX_BATCH of them, runs each
 * `fn` in its own SAVEPOINT with its own buffer, then flushes, commits and
 * publishes ONCE; every caller of the batch gets the same version. A caller
 * sees its own writes and those of the callers before it in the batch (a
 * duplicate external reference is still a unique violation). A caller that
 * throws rolls back to its savepoint and gets its error; the others commit.
 * If every caller of a batch throws, the transaction rolls back and the
 * version is given back (versions stay dense). A lone caller runs without a
 * savepoint, and an idle writer starts within the same event-loop turn: no
 * timer, no added latency when quiet.
 * Other processes on the same database still queue on the version row.
 *
 * ROUND TRIPS. The batch's transaction holds the version row, so every round trip in it is
 * time no other batch can write. On PostgreSQL the writer therefore runs the transaction on a
 * pool client of its own and sends `BEGIN` with taking the version, and the flush statements
 * with `COMMIT`, as one simple (multi-statement, parameterless) query each: a batch of one
 * caller is three round trips (begin+version, the caller's statement, flush+commit) instead of
 * five. On PGlite (in-process, one connection) it runs through drizzle's transaction.
 *
 * `sync_rows` and `change_log` are written once, at the batch's flush: inside
 * `fn`, read the domain tables (events, audit, …), which hold the earlier
 * callers' writes, never `sync_rows`, which does not yet.
 *
 * Rules for `fn`: it runs on the batch's transaction only (never the pool
 * `db`, which on PGlite's single connection would wait for this very
 * transaction) and must not call writeReplicated itself (refused: it would
 * wait for its own batch). Big writes pass `{ alone: true }` to get a
 * transaction of their own.
 *
 * Versions whose `fn` reports nothing still commit (a rejected command takes a
 * version so its ack arrives in order). Several reports for one (table, key)
 * within a version collapse into the last one. Changes are buffered in memory
 * until the batch flushes — write huge imports as several versions.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { HuyingError, ReplicatedTable, type CommandAck } from '../../core';
import { EXTRACTION_VERSION, extractedColumns, extractValues, MalformedRowError, type ExtractedValue } from '../../core/sync/extraction';
import type { Db, DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import { schema } from '../store/schema';
import { syncNotifier, type CommittedVersion, type LoggedOp } from './notifier';

/** Where `fn` reports the replicated changes of its transaction. */
export interface ChangeSink {
  /** the version this transaction writes (rows that carry a `v` column store this) */
  readonly v: number;
  /**
   * The row `key` of `table` now is `row` (a JSON document) and belongs to
   * `scope`: a town code, the district code (district clients only) or null
   * (district-wide, every client). `rowJson`, when the caller already has the row's text (the events store
   * serialises an intake's documents once, for its own statement), must be exactly `JSON.stringify(row)`: it
   * is stored and sent as the row, and the extracted columns read `row` when it is plain JSON data.
   */
  upsert(table: ReplicatedTable, key: string, scope: string | null, row: unknown, rowJson?: string): void;
  /**
   * The row is gone. Its scope is the one `sync_rows` holds; `scope` is only
   * accepted for symmetry with upsert. Deleting a row that was never
   * replicated is a no-op.
   */
  delete(table: ReplicatedTable, key: string, scope?: string | null): void;
}

export type ReplicatedWrite<T> = (tx: DbOrTx, out: ChangeSink) => Promise<T>;

const SCOPE_PATTERN = /^\d{6}(\d{6})?$/;

interface BufferedOp {
  table: ReplicatedTable;
  key: string;
  op: 'upsert' | 'delete';
  scope: string | null;
  rowJson: string | null;
  /** the replica's extracted columns of the row as JSON array text (storedColumns), or null */
  colsJson: string | null;
}

/**
 * The replica's extracted columns of a row about to be written, as the JSON array text `sync_rows.cols` stores
 * (versioned by EXTRACTION_VERSION, sent with snapshot rows to clients of that version). They are what the
 * extraction reads from the row's JSON text parsed back — what a client parses from `row::text` (jsonb keeps
 * every string and number's value; only the members' order and whitespace differ, which extraction does not
 * read) — not from an object whose Dates or toJSON members would read otherwise. Null for a table without
 * columns, and for a row the extraction refuses (the data center's own validation governs what is written: a
 * client extracting it refuses it as it always did) or whose values JSON would not carry exactly (a number
 * that is not finite).
 *
 * `row`, when given, is the object `rowJson` was made from: when it is plain JSON data (isPlainJson) its
 * parse-back would read the same in every member, so the extraction reads it directly and the parse (most of
 * the cost: ~5 of ~7 us for an intake event's 1.4 KB document) is skipped. Any other object is parsed back.
 */
export function storedColumns(table: ReplicatedTable, key: string, rowJson: string, row?: unknown): string | null {
  if (extractedColumns(table).length === 0) return null;
  let values: ExtractedValue[];
  try {
    values = extractValues(table, key, row !== undefined && isPlainJson(row, 0) ? row : JSON.parse(rowJson));
  } catch (err) {
    if (err instanceof MalformedRowError) return null;
    throw err;
  }
  for (const value of values) if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return JSON.stringify(values);
}

/** nesting beyond this is parsed back rather than walked (no document of ours comes near it) */
const PLAIN_JSON_DEPTH = 64;

/**
 * Whether `value` is plain JSON data, that is equal in every member to `JSON.parse(JSON.stringify(value))`:
 * strings, booleans, null, finite numbers other than -0 (JSON writes -0 as 0), arrays of the array prototype
 * without holes, and objects of the object prototype whose enumerable members are all their own and all plain
 * JSON data themselves (no undefined, function, symbol or bigint member, which JSON drops or refuses; no
 * toJSON, which is a function member; no Date, Map or class instance, whose prototype differs). Members are
 * read as JSON.stringify reads them (enumerable own properties, through any getter); a row is a JSON document
 * (ChangeSink.upsert), so a member hidden from JSON (non-enumerable) or a getter answering differently on
 * each read is outside that contract.
 */
export function isPlainJson(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (depth >= PLAIN_JSON_DEPTH) return false;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false;
        for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const k in value) if (!Object.hasOwn(value, k) || !isPlainJson((value as Record<string, unknown>)[k], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/** The in-memory ChangeSink of one transaction (internal: the command endpoint adds acks). */
export class ChangeBuffer implements ChangeSink {
  readonly ops = new Map<string, BufferedOp>();
  readonly acks: CommandAck[] = [];
  constructor(readonly v: number) {}

  upsert(table: ReplicatedTable, key: string, scope: string | null, row: unknown, text?: string): void {
    checkTarget(table, key);
    if (scope !== null && !SCOPE_PATTERN.test(scope)) {
      throw new HuyingError('internal', `replicated ${table}/${key}: scope must be a 6- or 12-digit area code or null, got ${JSON.stringify(scope)}`);
    }
    const rowJson = text ?? JSON.stringify(row);
    if (rowJson === undefined || !rowJson.startsWith('{')) {
      throw new HuyingError('internal', `replicated ${table}/${key}: the row must be a JSON object`);
    }
    this.set({ table, key, op: 'upsert', scope, rowJson, colsJson: storedColumns(table, key, rowJson, row) });
  }

  delete(table: ReplicatedTable, key: string): void {
    checkTarget(table, key);
    this.set({ table, key, op: 'delete', scope: null, rowJson: null, colsJson: null });
  }

  /** Takes over the ops of `other` (a savepoint's buffer that committed), in order. */
  absorb(other: ChangeBuffer): void {
    for (const op of other.ops.values()) this.set(op);
    this.acks.push(...other.acks);
  }

  private set(op: BufferedOp): void {
    const id = `${op.table}\u0000${op.key}`;
    // the last report wins, in the position of the last report
    this.ops.delete(id);
    this.ops.set(id, op);
  }
}

const REPLICATED_TABLES: ReadonlySet<string> = new Set(ReplicatedTable.options);

function checkTarget(table: ReplicatedTable, key: string): void {
  // a set of the enum's names, not ReplicatedTable.safeParse: a zod parse per replicated row was ~1 us of the writer's path
  if (typeof table !== 'string' || !REPLICATED_TABLES.has(table)) throw new HuyingError('internal', `unknown replicated table ${JSON.stringify(table)}`);
  if (typeof key !== 'string' || key.length === 0) throw new HuyingError('internal', `replicated ${table}: empty key`);
}

/**
 * Takes the next version; the row lock is held until the transaction ends. An upsert rather than
 * a bare UPDATE, so the row need not be seeded by a migration. No parameters: on PostgreSQL it
 * goes in one simple query with the BEGIN (see runOnPool).
 */
const TAKE_VERSION = 'INSERT INTO sync_version (id, v) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET v = sync_version.v + 1 RETURNING v';

function versionOf(rows: readonly { v?: unknown }[]): number {
  const v = Number(rows[0]?.v);
  if (!Number.isSafeInteger(v) || v <= 0) throw new HuyingError('internal', 'could not take a sync version');
  return v;
}

/** ops per statement: bounded statement size for geometry-heavy documents */
export const FLUSH_CHUNK = 500;

/**
 * A text as a dollar-quoted SQL literal: no escape processing at all, so the text goes in as it
 * is, whatever it holds — only the closing tag must not occur in it (another tag is chosen then).
 */
export function dollarQuoted(text: string): string {
  // the literal ends at the first tag after the opening one, also one that starts inside the text
  // (a text ending in `$huying`): a text without `$huying` is safe with the first tag
  if (!text.includes('$huying')) return `$huying$${text}$huying$`;
  // else a tag `$huying<n>$` with an <n> that follows no `$huying` in the text, found in one pass
  // (trying tag after tag, each a search of the text, is quadratic in a text of many tags: a
  // bulk set whose documents hold `$huying$$huying0$$huying1$…` held the writer for seconds)
  const used = new Set<string>();
  for (const m of text.matchAll(/\$huying(\d*)/g)) used.add(m[1]!);
  let n = 0;
  while (used.has(String(n))) n++;
  const tag = used.has('') ? `$huying${n}$` : '$huying$';
  if ((text + tag).indexOf(tag) !== text.length) throw new HuyingError('internal', 'no dollar-quote tag for a flush statement');
  return tag + text + tag;
}

interface FlushPlan {
  /** one statement per chunk of ops, values inlined (no parameters: they may share a simple query with COMMIT) */
  statements: string[];
  chunks: BufferedOp[][];
}

/**
 * The statements that apply the buffered ops to sync_rows and append them to change_log (see
 * loggedOps for what they return). Each chunk is one statement; its documents are spliced in as
 * already-serialised text, in one dollar-quoted JSON literal. seq continues after the ops the
 * earlier chunks of this version logged (read from change_log itself, so that every chunk can be
 * sent at once); deletes of rows never replicated are dropped.
 */
function flushPlan(buffer: ChangeBuffer): FlushPlan {
  const all = [...buffer.ops.values()];
  const v = String(buffer.v);
  const plan: FlushPlan = { statements: [], chunks: [] };
  for (let start = 0; start < all.length; start += FLUSH_CHUNK) {
    const chunk = all.slice(start, start + FLUSH_CHUNK);
    const input =
      '[' +
      chunk
        .map(
          (o, i) =>
            `{"n":${i},"tbl":${JSON.stringify(o.table)},"key":${JSON.stringify(o.key)},"op":"${o.op}","scope":${JSON.stringify(o.scope)},"row":${o.rowJson ?? 'null'},"cols":${o.colsJson === null ? 'null' : JSON.stringify(o.colsJson)}}`,
        )
        .join(',') +
      ']';
    const seq0 = start === 0 ? '0' : `(SELECT coalesce(max(seq) + 1, 0) FROM change_log WHERE v = ${v})`;
    plan.chunks.push(chunk);
    plan.statements.push(`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${dollarQuoted(input)}::jsonb) AS i(n integer, tbl text, key text, op text, scope text, row jsonb, cols text)
      ), prev AS (
        SELECT s.table_name, s.key, s.scope FROM sync_rows s JOIN input i ON s.table_name = i.tbl AND s.key = i.key
      ), removed AS (
        DELETE FROM sync_rows s USING input i WHERE i.op = 'delete' AND s.table_name = i.tbl AND s.key = i.key
        RETURNING s.key
      ), written AS (
        INSERT INTO sync_rows (table_name, key, scope, v, row, cols, cols_version)
        SELECT tbl, key, scope, ${v}, row::text, cols, CASE WHEN cols IS NULL THEN NULL ELSE ${EXTRACTION_VERSION} END FROM input WHERE op = 'upsert'
        ON CONFLICT (table_name, key) DO UPDATE SET scope = excluded.scope, v = excluded.v, row = excluded.row, cols = excluded.cols, cols_version = excluded.cols_version
        RETURNING key
      )
      INSERT INTO change_log (v, seq, table_name, key, op, scope, prev_scope, moved, row)
      SELECT ${v}, ${seq0} + (row_number() OVER (ORDER BY i.n))::integer - 1, i.tbl, i.key, i.op,
             CASE WHEN i.op = 'delete' THEN p.scope ELSE i.scope END,
             p.scope,
             (i.op = 'upsert' AND p.key IS NOT NULL AND p.scope IS DISTINCT FROM i.scope),
             i.row
      FROM input i LEFT JOIN prev p ON p.table_name = i.tbl AND p.key = i.key
      WHERE i.op = 'upsert' OR p.key IS NOT NULL
      RETURNING seq, table_name, key, scope, prev_scope, moved`);
  }
  return plan;
}

type LoggedRow = { seq: number; table_name: string; key: string; scope: string | null; prev_scope: string | null; moved: boolean };

/** What the flush statements logged (one row list per chunk), in seq order. */
function loggedOps(plan: FlushPlan, results: readonly LoggedRow[][], v: number): LoggedOp[] {
  const logged: LoggedOp[] = [];
  plan.chunks.forEach((chunk, c) => {
    const byId = new Map(chunk.map((o) => [`${o.table}\u0000${o.key}`, o]));
    const rows = [...results[c]!].sort((a, b) => a.seq - b.seq);
    for (const r of rows) {
      const o = byId.get(`${r.table_name}\u0000${r.key}`)!;
      logged.push({ table: o.table, key: o.key, op: o.op, v, scope: r.scope, prevScope: r.prev_scope, moved: r.moved, rowJson: o.rowJson });
    }
  });
  return logged;
}

/** Options of one replicated write. */
export interface WriteOptions {
  /**
   * Run in a transaction of its own instead of sharing one with concurrent writers: for big
   * writes (the reference seed, grid imports) that would hold a whole batch back, and for writes
   * whose version must not carry anything else.
   */
  alone?: boolean;
}

/** `fn` runs on the batch's transaction: a drizzle handle of that one connection */
type RunFn<T> = (tx: DbOrTx, out: ChangeBuffer) => Promise<T>;

export interface ReplicatedOutcome<T> {
  result: T;
  v: number;
  /** the whole version as published (every caller of a batch gets the same object) */
  version: CommittedVersion;
}

interface Pending {
  fn: RunFn<unknown>;
  alone: boolean;
  resolve(outcome: ReplicatedOutcome<unknown>): void;
  reject(err: unknown): void;
}

/**
 * The most callers one version carries: bounds the buffer and the time a batch holds the version
 * row, and keeps a batch's subtransactions (one per writing caller, two for a command whose
 * handler writes) near PostgreSQL's cache of 64 per backend, past which every other backend's
 * snapshot checks get slower until the batch commits.
 */
export const MAX_BATCH = 64;

interface GroupWriter {
  queue: Pending[];
  running: boolean;
}

const writers = new WeakMap<Db, GroupWriter>();
/** which database's batch the current async context is running a caller of (nesting would deadlock) */
const insideBatch = new AsyncLocalStorage<{ db: Db; running: boolean }>();

/** Runs a caller's fn marked as inside its batch (a task it leaves behind may write once it is done). */
async function asCaller<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const mark = { db, running: true };
  try {
    return await insideBatch.run(mark, fn);
  } finally {
    mark.running = false;
  }
}

/** every caller of the batch failed: roll the transaction back, the version with it */
class NothingToCommit extends Error {}
/** a caller failed and its savepoint could not be rolled back: the whole batch fails */
class BatchAborted extends Error {
  constructor(readonly error: unknown) {
    super('the batch transaction could not recover from a failed write');
  }
}

/**
 * Internal form of writeReplicated: `fn` gets the ChangeBuffer itself (the command endpoint
 * records acks on it) and the real transaction (for savepoints).
 *
 * Group commit: callers queue per database; one writer loop takes up to MAX_BATCH of them (or one
 * `alone` caller) and runs them in ONE transaction with ONE version, each `fn` in its own
 * savepoint with its own buffer — a caller that throws rolls back to its savepoint and gets its
 * error, the others are unaffected. Then one flush, one commit, one publication, and every caller
 * of the batch resolves with the shared version. The first caller after a quiet spell starts at
 * once; callers that arrive while a batch runs gather for the next one.
 */
export function runReplicated<T>(db: Db, fn: RunFn<T>, opts: WriteOptions = {}): Promise<ReplicatedOutcome<T>> {
  const inside = insideBatch.getStore();
  if (inside?.db === db && inside.running) {
    return Promise.reject(
      new HuyingError('internal', 'writeReplicated called inside a replicated write on the same database: it would wait for its own batch forever'),
    );
  }
  let w = writers.get(db);
  if (!w) {
    w = { queue: [], running: false };
    writers.set(db, w);
  }
  const writer = w;
  return new Promise<ReplicatedOutcome<T>>((resolve, reject) => {
    writer.queue.push({ fn: fn as RunFn<unknown>, alone: opts.alone === true, resolve: resolve as Pending['resolve'], reject });
    if (!writer.running) {
      writer.running = true;
      // setImmediate, not a microtask: PGlite runs queries on this thread and resolves them in
      // microtasks, so a batch started in a microtask would run to its commit before any other
      // request (I/O callback) of this turn got to queue; setImmediate lets this turn's callers join
      setImmediate(() => void drain(db, writer));
    }
  });
}

async function drain(db: Db, writer: GroupWriter): Promise<void> {
  while (writer.queue.length > 0) {
    const batch = takeBatch(writer.queue);
    try {
      await runBatch(db, batch);
    } catch (err) {
      // runBatch settles its callers itself; this is a last guard so none is left waiting
      for (const p of batch) p.reject(err);
    }
    // one turn of the event loop, so that requests that arrived meanwhile queue for the next batch
    // (on PGlite a batch never yields to I/O by itself)
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  writer.running = false;
}

/** The head of the queue: one `alone` caller, or up to MAX_BATCH others in arrival order. */
function takeBatch(queue: Pending[]): Pending[] {
  if (queue[0]!.alone) return queue.splice(0, 1);
  let n = 1;
  while (n < queue.length && n < MAX_BATCH && !queue[n]!.alone) n++;
  return queue.splice(0, n);
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/**
 * A batch's transaction around `body` (its callers): the version taken first, the flush last,
 * then the commit. On PostgreSQL (a node-postgres pool) the transaction runs on a client of its
 * own with BEGIN and the version in one round trip and the flush with COMMIT in another
 * (runOnPool); elsewhere (PGlite) through drizzle's transaction, a statement at a time.
 */
type BatchBody = (tx: DbOrTx, buffer: ChangeBuffer) => Promise<void>;

async function runBatch(db: Db, batch: Pending[]): Promise<void> {
  const outcomes: Outcome[] = [];
  const body: BatchBody = async (tx, buffer) => {
    if (batch.length === 1) {
      // a lone caller needs no savepoint: its failure rolls everything back, as it always did
      outcomes.push({ ok: true, result: await asCaller(db, () => batch[0]!.fn(tx, buffer)) });
    } else {
      for (const p of batch) outcomes.push(await runInSavepoint(db, tx, p, buffer));
      if (!outcomes.some((o) => o.ok)) throw new NothingToCommit();
    }
  };
  let version: CommittedVersion;
  try {
    const pool = poolOf(db);
    version = pool ? await runOnPool(pool, body) : await runOnDrizzle(db, body);
  } catch (err) {
    if (err instanceof NothingToCommit) {
      batch.forEach((p, i) => p.reject((outcomes[i] as { error: unknown }).error));
      return;
    }
    // nothing committed: a caller whose own fn failed gets its error, the others the batch's
    const batchError = err instanceof BatchAborted ? err.error : err;
    batch.forEach((p, i) => {
      const o = outcomes[i];
      p.reject(o && !o.ok ? o.error : batchError);
    });
    return;
  }
  try {
    syncNotifier(db).publish(version);
  } catch {
    // a listener's failure must not turn a committed write into an error; the hub's poll recovers
  }
  batch.forEach((p, i) => {
    const o = outcomes[i]!;
    if (o.ok) p.resolve({ result: o.result, v: version.v, version });
    else p.reject(o.error);
  });
}

/** The node-postgres pool behind a drizzle database, if that is what it runs on. */
function poolOf(db: Db): pg.Pool | null {
  const client = (db as { $client?: unknown }).$client;
  return client instanceof pg.Pool ? client : null;
}

/** a drizzle database over one pool client (the batch's transaction), made once per client */
const clientDbs = new WeakMap<pg.PoolClient, DbOrTx>();

/** A simple query's results, one per statement. */
const resultsOf = (r: pg.QueryResult | pg.QueryResult[]): pg.QueryResult[] => (Array.isArray(r) ? r : [r]);

/**
 * The batch's transaction on a pool client of its own, in as few round trips as the protocol
 * allows: `BEGIN; <take the version>` as one simple query, the callers' statements, then
 * `<flush statements>; COMMIT` as one simple query (a simple query may carry several statements
 * when they have no parameters; a statement that fails stops it, so COMMIT runs only after the
 * whole flush succeeded). Any failure sends ROLLBACK: the version is given back. Durability is
 * the server's as configured (COMMIT waits for its WAL flush as before).
 */
async function runOnPool(pool: pg.Pool, body: BatchBody): Promise<CommittedVersion> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    let tx = clientDbs.get(client);
    if (!tx) {
      tx = drizzleNodePg({ client, schema });
      clientDbs.set(client, tx);
    }
    try {
      const begun = resultsOf(await client.query(`BEGIN; ${TAKE_VERSION}`));
      const v = versionOf(begun[1]?.rows ?? []);
      const buffer = new ChangeBuffer(v);
      await body(tx, buffer);
      const plan = flushPlan(buffer);
      const done: pg.QueryResult[] = [];
      for (const query of flushQueries(plan.statements)) done.push(...resultsOf(await client.query(query)));
      return { v, ops: loggedOps(plan, done.slice(0, plan.statements.length).map((r) => r.rows as LoggedRow[]), v), acks: buffer.acks };
    } catch (err) {
      // also after a failed BEGIN or COMMIT (then a no-op with a warning): the client goes back clean
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      }
      throw err;
    }
  } finally {
    // a client whose rollback failed is closed, not reused
    client.release(broken);
  }
}

/**
 * Characters per simple query of a flush (a setting, so that a test can make it small). A version of ordinary batches is one query with its
 * COMMIT; a huge one (a reference import with every grid's polygon) goes as several, each below
 * this, so that no query text nears V8's string limit or PostgreSQL's 1 GB message limit. A
 * statement longer than this still goes alone (a chunk is at most FLUSH_CHUNK ops).
 */
export const flushLimits = { queryChars: 32 * 1024 * 1024 };

/** The flush statements then COMMIT, joined into as few simple queries as `maxChars` allows, in order. */
export function flushQueries(statements: readonly string[], maxChars = flushLimits.queryChars): string[] {
  const queries: string[] = [];
  let group: string[] = [];
  let chars = 0;
  for (const statement of [...statements, 'COMMIT']) {
    if (group.length > 0 && chars + statement.length + 2 > maxChars) {
      queries.push(group.join(';\n'));
      group = [];
      chars = 0;
    }
    group.push(statement);
    chars += statement.length + 2;
  }
  queries.push(group.join(';\n'));
  return queries;
}

/** The batch's transaction through drizzle (PGlite: one connection, its transaction holds it). */
function runOnDrizzle(db: Db, body: BatchBody): Promise<CommittedVersion> {
  return db.transaction(async (tx) => {
    const v = versionOf(rowsOf<{ v: string | number }>(await tx.execute(sql.raw(TAKE_VERSION))));
    const buffer = new ChangeBuffer(v);
    await body(tx, buffer);
    const plan = flushPlan(buffer);
    const results: LoggedRow[][] = [];
    for (const statement of plan.statements) results.push(rowsOf<LoggedRow>(await tx.execute(sql.raw(statement))));
    return { v, ops: loggedOps(plan, results, v), acks: buffer.acks };
  });
}

const SAVEPOINT = sql.raw('SAVEPOINT huying_write');
const ROLLBACK = sql.raw('ROLLBACK TO SAVEPOINT huying_write');

/**
 * One caller of a batch in its own savepoint and buffer; its buffer joins the batch's when it
 * succeeds. The savepoint is not released: a release is a round trip on the batch's critical
 * path and frees nothing (a subtransaction's XID stays with the transaction either way). The
 * next caller's SAVEPOINT of the same name shadows it, and ROLLBACK TO names the newest one.
 */
async function runInSavepoint(db: Db, tx: DbOrTx, p: Pending, batchBuffer: ChangeBuffer): Promise<Outcome> {
  await tx.execute(SAVEPOINT);
  const own = new ChangeBuffer(batchBuffer.v);
  try {
    const result = await asCaller(db, () => p.fn(tx, own));
    batchBuffer.absorb(own);
    return { ok: true, result };
  } catch (error) {
    try {
      await tx.execute(ROLLBACK);
    } catch {
      throw new BatchAborted(error);
    }
    return { ok: false, error };
  }
}

/**
 * Runs `fn` in a transaction with the next sync version, logs what it reports, commits, then
 * tells live subscribers. Resolves with fn's result and the version it committed as — which
 * concurrent writers may share (group commit, see runReplicated).
 */
export async function writeReplicated<T>(db: Db, fn: ReplicatedWrite<T>, opts: WriteOptions = {}): Promise<{ result: T; v: number }> {
  const { result, v } = await runReplicated(db, (tx, out) => fn(tx, out), opts);
  return { result, v };
}
