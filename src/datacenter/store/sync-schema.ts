/**
 * The replication log's tables (drizzle pg-core), see src/datacenter/sync and
 * docs/sync-protocol.md:
 *
 * - `sync_version`: ONE row holding the last version taken. Every write
 *   transaction on replicated data increments it first (`writeReplicated`),
 *   so the row lock orders the writers: v order = commit order, no gaps.
 * - `sync_rows`: the replicated state — one JSON document per (table, key) with
 *   the version that wrote it and its scope (and the replica's extracted
 *   columns of it, computed once at the write, migration 0007). Snapshots and checksums read it;
 *   it holds exactly what writers reported, so a snapshot and the live log can
 *   never describe the same row differently.
 * - `change_log`: every replicated op in version order, with the row's scope
 *   before and after (rows moving between towns), kept for a retention period.
 * - `client_mutations` / `sync_clients`: the stored result of every pushed
 *   command per (client, mutation id) and each client's last processed id.
 *
 * Scopes are text: a 12-digit town code (seen by that town's clients and by
 * district clients), the 6-digit district code (district clients only), or
 * null (district-wide: every client sees it).
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core';

export const syncVersion = pgTable(
  'sync_version',
  {
    id: smallint('id').primaryKey().default(1),
    /** the last version taken (its transaction has committed once the row is visible) */
    v: bigint('v', { mode: 'number' }).notNull().default(0),
    /** change_log holds every op of every version above this one; older cursors must re-snapshot */
    prunedThrough: bigint('pruned_through', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('sync_version_single_row', sql`${t.id} = 1`)],
);

export const syncRows = pgTable(
  'sync_rows',
  {
    /** a ReplicatedTable of src/core/sync/protocol.ts */
    tableName: text('table_name').notNull(),
    key: text('key').notNull(),
    /** town code, district code, or null for district-wide rows */
    scope: text('scope'),
    v: bigint('v', { mode: 'number' }).notNull(),
    /**
     * the document as PostgreSQL's `jsonb::text` renders it (migration 0008): writers store `<jsonb>::text`, never a
     * client's or JSON.stringify's text, because snapshots send these bytes as they are and the desktop splits
     * rows lines on jsonb::text's spacing (docs/sync-protocol.md "Snapshot"). Kept as text so that an export
     * copies it instead of rendering every row's jsonb again (most of PostgreSQL's CPU in a snapshot).
     */
    row: text('row').notNull(),
    /**
     * the desktop replica's extracted columns of `row` (src/core/sync/extraction.ts) as a JSON array text,
     * computed when the row was written; null for a table without columns, a row the extraction refuses,
     * and rows written before migration 0007 or by SQL that did not compute them. Sent with the snapshot's
     * rows to clients of the same extraction version (docs/sync-protocol.md "Extracted columns").
     */
    cols: text('cols'),
    /** the EXTRACTION_VERSION that computed `cols` (null exactly when cols is) */
    colsVersion: integer('cols_version'),
  },
  (t) => [
    check('sync_rows_cols_versioned', sql`(${t.cols} is null) = (${t.colsVersion} is null)`),
    primaryKey({ name: 'sync_rows_pkey', columns: [t.tableName, t.key] }),
    // town snapshots read (table, scope) ranges in key order
    index('sync_rows_table_scope_key_idx').on(t.tableName, t.scope, t.key),
  ],
);

export const changeLog = pgTable(
  'change_log',
  {
    v: bigint('v', { mode: 'number' }).notNull(),
    /** position of the op within its version, from 0 */
    seq: integer('seq').notNull(),
    tableName: text('table_name').notNull(),
    key: text('key').notNull(),
    op: text('op', { enum: ['upsert', 'delete'] }).notNull(),
    /** the row's scope after an upsert; for a delete, the scope the row had */
    scope: text('scope'),
    /** the row's scope before this op (null when it is new, or was district-wide) */
    prevScope: text('prev_scope'),
    /** the row existed and this upsert changed its scope (it moved out of prev_scope) */
    moved: boolean('moved').notNull().default(false),
    /** the document, for upserts */
    row: jsonb('row'),
    committedAt: timestamp('committed_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'change_log_pkey', columns: [t.v, t.seq] }),
    check('change_log_op_values', sql`${t.op} in ('upsert', 'delete')`),
    check('change_log_row_on_upsert', sql`(${t.op} = 'upsert') = (${t.row} is not null)`),
  ],
);

export const MUTATION_STATUSES = ['applied', 'rejected'] as const;

export const clientMutations = pgTable(
  'client_mutations',
  {
    clientId: text('client_id').notNull(),
    mutationId: bigint('mutation_id', { mode: 'number' }).notNull(),
    /** the mutation's name, e.g. `event/command` */
    name: text('name').notNull(),
    status: text('status', { enum: MUTATION_STATUSES }).notNull(),
    /** `{ code, message, details? }` of a rejection */
    error: jsonb('error'),
    /** what the handler returned (JSON), for applied mutations */
    result: jsonb('result'),
    /** the version that carries the mutation's effects and its ack */
    v: bigint('v', { mode: 'number' }).notNull(),
    /** the account that pushed it */
    actorId: text('actor_id'),
    /** the client's own time of the command */
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'client_mutations_pkey', columns: [t.clientId, t.mutationId] }),
    // acks of a version range for one client
    index('client_mutations_client_v_idx').on(t.clientId, t.v),
    // retention
    index('client_mutations_v_idx').on(t.v),
    check('client_mutations_status_values', sql`${t.status} in ('applied', 'rejected')`),
    check('client_mutations_error_on_reject', sql`(${t.status} = 'rejected') = (${t.error} is not null)`),
  ],
);

export const syncClients = pgTable('sync_clients', {
  clientId: text('client_id').primaryKey(),
  /** the highest mutation id processed (applied or rejected) for this client */
  lastMutationId: bigint('last_mutation_id', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
});

export const syncSchema = { syncVersion, syncRows, changeLog, clientMutations, syncClients };
