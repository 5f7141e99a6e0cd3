/**
 * The sync wire protocol between the data center and every desktop replica
 * (server-authoritative log shipping; see docs/sync-protocol.md).
 *
 * - Cursor `{ epoch, v }`: every write transaction on replicated tables takes the
 *   next `v` from one version row, so `v` order is commit order. `epoch` is a random
 *   id of the database; restoring a backup or resetting the log changes it.
 * - Snapshot: one streamed response of NDJSON frames from ONE consistent read —
 *   `begin`, then `rows` pages, then `end` with the checkpoint and checksums.
 * - Live: `batch` frames `{ ops, checkpoint, acks }` over WebSocket (or SSE), each
 *   applied with its cursor in ONE client transaction.
 * - `must_refetch` (HTTP 409 or a frame) when the epoch changed or the cursor is
 *   older than the retained log: the client re-snapshots the scope.
 * - Commands: `POST /api/v1/commands` with `(clientId, mutationId)` idempotency.
 *
 * Scopes of rows: every replicated row belongs to a town (its 12-digit code), to
 * the district only (the 6-digit district code: outside every town, seen by
 * district clients only) or to everyone (district-wide rows such as units and
 * config). A town client receives its town's rows and the district-wide ones; a
 * row that leaves the town arrives as a delete.
 */
import { z } from 'zod';
import { ErrorCode } from '../errors';
import { IsoInstant } from '../calendar/schema';
import { Command } from '../workflow/commands';

export const Cursor = z.object({ epoch: z.string().min(1), v: z.number().int().nonnegative() });
export type Cursor = z.infer<typeof Cursor>;

/** What a client replicates: the whole district, or one town (12-digit code). */
export const SyncScope = z.union([z.literal('district'), z.string().regex(/^\d{12}$/)]);
export type SyncScope = z.infer<typeof SyncScope>;

/**
 * Query of the live feed (`GET /api/v1/sync/live` WebSocket, `GET /api/v1/sync/changes`
 * SSE or long-poll): the scope and the cursor the client's replica is at, and its
 * clientId so the acks of its commands come with the batches. `wait` (long-poll
 * only): seconds to wait for a change before answering with a heartbeat (default 25, max 60).
 */
export const LiveQuery = z.object({
  scope: SyncScope,
  epoch: z.string().min(1),
  v: z.coerce.number().int().nonnegative(),
  clientId: z.string().min(1).max(100).optional(),
  wait: z.coerce.number().min(0).max(60).optional(),
});
export type LiveQuery = z.infer<typeof LiveQuery>;

/**
 * Why a cursor cannot continue (the `reason` of a `must_refetch` frame, and
 * `error.details.reason` of a 409): `epoch` — the database was replaced or restored;
 * `expired` — the cursor is older than the retained change log; `ahead` — the
 * cursor is beyond the server's last version (a restored database without a new epoch).
 */
export const MUST_REFETCH_REASONS = ['epoch', 'expired', 'ahead'] as const;
export type MustRefetchReason = (typeof MUST_REFETCH_REASONS)[number];

/**
 * Replicated tables. Rows are JSON documents keyed by `key`; the schemas of
 * each table's row live with their domain (Area, Grid, Unit, EventRecord, AuditEntry…).
 */
export const ReplicatedTable = z.enum([
  'areas',
  'grids',
  'units',
  'workers',
  /** taxonomy, calendar, responsibility matrix, workflow config: one row per document */
  'config',
  'events',
  /** the append-only audit trail (event timeline), key `${eventId}:${seq}` */
  'audit',
  /** directives pushed to walls ("上大屏") and alerts with their acknowledgements */
  'wall',
]);
export type ReplicatedTable = z.infer<typeof ReplicatedTable>;

export const SyncOp = z.object({
  table: ReplicatedTable,
  op: z.enum(['upsert', 'delete']),
  key: z.string().min(1),
  /** the version that wrote this row */
  v: z.number().int().positive(),
  /** the row document for upserts */
  row: z.unknown().optional(),
});
export type SyncOp = z.infer<typeof SyncOp>;

/** Drift check: per table, row count and the sum of the rows' versions, at a checkpoint. */
export const ScopeChecksum = z.object({
  /** the scope summed (the server always sends it) */
  scope: SyncScope.optional(),
  checkpoint: Cursor,
  tables: z.record(z.string(), z.object({ count: z.number().int().nonnegative(), sumV: z.number().int().nonnegative() })),
});
export type ScopeChecksum = z.infer<typeof ScopeChecksum>;

/** Result of one pushed command, stored by the server and repeated on a duplicate push. */
export const CommandAck = z.object({
  clientId: z.string().min(1),
  mutationId: z.number().int().positive(),
  status: z.enum(['applied', 'rejected']),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).nullable(),
  /**
   * the version whose batch carries the command's effects (rejections too, so they are confirmed in
   * order); 0 for a push refused without being processed (a mutationId at or below the client's last
   * processed id that the server never saw: code `conflict`, details.reason `stale_mutation_id`) —
   * nothing for it will come through the feed
   */
  v: z.number().int().nonnegative(),
  /** what an applied command returned (e.g. the id and case number of an intake), when anything */
  result: z.unknown().optional(),
});
export type CommandAck = z.infer<typeof CommandAck>;

/** Frames of a snapshot stream (NDJSON, one frame per line). */
export const SnapshotFrame = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('begin'),
    scope: SyncScope,
    checkpoint: Cursor,
    /** rows that will follow, for progress */
    totalRows: z.number().int().nonnegative(),
    tables: z.array(ReplicatedTable),
    /**
     * present when the client asked with its extraction version (`?columns=`, core/sync/extraction.ts): that
     * version, and a row may carry `c`, its extracted columns computed by it, between `v` and `row`
     * (docs/sync-protocol.md "Extracted columns"); absent, no row carries any
     */
    columns: z.number().int().positive().optional(),
  }),
  z.object({ t: z.literal('rows'), table: ReplicatedTable, rows: z.array(z.object({ key: z.string(), v: z.number().int().positive(), row: z.unknown() })) }),
  z.object({ t: z.literal('end'), checkpoint: Cursor, checksum: ScopeChecksum }),
  /** the server failed after the stream started: discard the staging tables and retry */
  z.object({ t: z.literal('error'), code: ErrorCode, message: z.string() }),
]);
export type SnapshotFrame = z.infer<typeof SnapshotFrame>;

/** Frames of the live feed (WebSocket messages or SSE `data:` lines). */
export const LiveFrame = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('batch'),
    /** the cursor the batch starts after; a client whose cursor differs must not apply it */
    from: Cursor,
    ops: z.array(SyncOp),
    checkpoint: Cursor,
    acks: z.array(CommandAck),
  }),
  /** sent when idle and periodically: the server is alive and the client is current up to `checkpoint` */
  z.object({ t: z.literal('heartbeat'), checkpoint: Cursor, at: IsoInstant }),
  /** checksum of the scope at a checkpoint the client has reached or will reach */
  z.object({ t: z.literal('checksum'), checksum: ScopeChecksum }),
  /** `reason`: one of MUST_REFETCH_REASONS (a string, so a newer server's reason still parses) */
  z.object({ t: z.literal('must_refetch'), reason: z.string() }),
  z.object({ t: z.literal('error'), code: ErrorCode, message: z.string() }),
]);
export type LiveFrame = z.infer<typeof LiveFrame>;

/** What a desktop may ask the data center to do. */
export const Mutation = z.discriminatedUnion('name', [
  /** a workflow command on one event (file, dispatch, close, …) */
  z.object({ name: z.literal('event/command'), eventId: z.string().min(1), command: Command }),
  /** manual intake of a phone call at the command center */
  z.object({ name: z.literal('event/intake'), event: z.record(z.string(), z.unknown()) }),
  /** push a view to the walls (上大屏) */
  z.object({ name: z.literal('wall/directive'), directive: z.record(z.string(), z.unknown()) }),
  /** acknowledge a wall alert */
  z.object({ name: z.literal('wall/ack'), alertId: z.string().min(1) }),
]);
export type Mutation = z.infer<typeof Mutation>;

export const PushedMutation = z.object({
  /** strictly increasing per client, starting at 1 */
  mutationId: z.number().int().positive(),
  createdAt: IsoInstant,
  mutation: Mutation,
});
export type PushedMutation = z.infer<typeof PushedMutation>;

export const CommandsRequest = z.object({
  clientId: z.string().min(1).max(100),
  mutations: z.array(PushedMutation).min(1).max(500),
});
export type CommandsRequest = z.infer<typeof CommandsRequest>;

export const CommandsResponse = z.object({
  /** one result per pushed mutation, in order; duplicates repeat the stored result */
  results: z.array(CommandAck.extend({ duplicate: z.boolean() })),
  /** the highest mutationId the server has processed for this client */
  lastMutationId: z.number().int().nonnegative(),
});
export type CommandsResponse = z.infer<typeof CommandsResponse>;
