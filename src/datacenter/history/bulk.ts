/**
 * The bulk path of the replication log, for the history generator: one transaction per batch of
 * events, which writes exactly the rows `writeReplicated` would have written for them — so
 * snapshots, checksums and the live feed cannot tell them apart — but in a handful of statements:
 *
 *  1. take the next version from `sync_version` first (the same upsert as writeReplicated, so
 *     versions stay dense and in commit order even with live writers around);
 *  2. reserve the batch's case numbers per local day on `case_no_counters` (atomic increments:
 *     a live intake on the same day never gets a number the history uses);
 *  3. insert `events`, `audit` and the completed intake claims (`external_refs`), each as ONE
 *     statement over one JSON parameter (`jsonb_to_recordset`): no parameter limits, and the same
 *     SQL on PGlite and PostgreSQL;
 *  4. copy the documents into `sync_rows` and `change_log` with INSERT … SELECT from the rows just
 *     written (`WHERE v = <version>`), so they travel once from Node: the event row first, then its
 *     audit entries by seq, as writeNewEvent reports them; every op an upsert of a new row (no
 *     previous scope, not moved).
 *
 * With `changeLog: false` step 4 skips `change_log`, and the retention floor
 * (`sync_version.pruned_through`) is raised to the batch's version in the same transaction: a
 * client whose cursor is older re-snapshots, exactly as after retention pruned the log.
 *
 * Nothing is published to the in-process notifier: a hub in the same process finds the new
 * versions by its poll of `sync_version` and reads them from the database (src/datacenter/sync/hub.ts).
 */
import { sql } from 'drizzle-orm';
import { HuyingError } from '../../core/errors';
import { eventColumns, eventScope, auditColumns } from '../events/rows';
import type { Db, DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import type { EvolvedEvent } from './evolve';

export interface BulkWriteOptions {
  changeLog: boolean;
  caseNoPrefix: string;
}

export interface BulkWriteResult {
  v: number;
  events: number;
  auditRows: number;
  /** rows written in all tables (events, audit, external_refs, sync_rows, change_log) */
  rows: number;
  /** where the transaction's time went, ms per step (serialise is Node's JSON work) */
  stepMs: Record<BulkStep, number>;
}

export type BulkStep = 'version' | 'serialise' | 'events' | 'audit' | 'refs' | 'syncRows' | 'changeLog' | 'commit';

async function takeVersion(tx: DbOrTx): Promise<number> {
  const r = rowsOf<{ v: string | number }>(
    await tx.execute(sql`INSERT INTO sync_version (id, v) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET v = sync_version.v + 1 RETURNING v`),
  );
  const v = Number(r[0]?.v);
  if (!Number.isSafeInteger(v) || v <= 0) throw new HuyingError('internal', 'could not take a sync version');
  return v;
}

/** Reserves `n` case numbers on each day; returns the first sequence number per day. */
async function reserveCaseNumbers(tx: DbOrTx, perDay: Map<string, number>): Promise<Map<string, number>> {
  const input = JSON.stringify([...perDay].map(([day, n]) => ({ day, n })));
  const rows = rowsOf<{ day: string; last: number }>(
    await tx.execute(sql`
      INSERT INTO case_no_counters (day, last)
      SELECT day, n FROM jsonb_to_recordset(${input}::jsonb) AS i(day text, n integer)
      ON CONFLICT (day) DO UPDATE SET last = case_no_counters.last + excluded.last
      RETURNING day, last`),
  );
  const first = new Map<string, number>();
  for (const r of rows) first.set(r.day, Number(r.last) - perDay.get(r.day)! + 1);
  return first;
}

/** Writes one batch as one version. */
export async function writeHistoryBatch(db: Db, batch: readonly EvolvedEvent[], opts: BulkWriteOptions): Promise<BulkWriteResult> {
  const stepMs: Record<BulkStep, number> = { version: 0, serialise: 0, events: 0, audit: 0, refs: 0, syncRows: 0, changeLog: 0, commit: 0 };
  let mark = performance.now();
  const lap = (step: BulkStep) => {
    const t = performance.now();
    stepMs[step] += t - mark;
    mark = t;
  };
  const result = await db.transaction(async (tx) => {
    const v = await takeVersion(tx);
    const perDay = new Map<string, number>();
    for (const e of batch) perDay.set(e.day, (perDay.get(e.day) ?? 0) + 1);
    const next = await reserveCaseNumbers(tx, perDay);
    lap('version');

    const eventRows: unknown[] = [];
    const auditRows: unknown[] = [];
    const refRows: unknown[] = [];
    for (const e of batch) {
      const seq = next.get(e.day)!;
      next.set(e.day, seq + 1);
      const caseNo = `${opts.caseNoPrefix}${e.day}${String(seq).padStart(4, '0')}`;
      const record = { ...e.record, caseNo };
      const scope = eventScope(record);
      const cols = eventColumns(record, v, e.nextCheckAt);
      eventRows.push({
        id: record.id,
        case_no: cols.caseNo,
        scope: cols.scope,
        doc: record,
        status: cols.status,
        source: cols.source,
        category: cols.category,
        town: cols.town,
        village: cols.village,
        grid: cols.grid,
        urgency: cols.urgency,
        supervision_level: cols.supervisionLevel,
        lead_unit: cols.leadUnit,
        reported_at: cols.reportedAt,
        created_at: cols.createdAt,
        updated_at: cols.updatedAt,
        next_check_at: cols.nextCheckAt,
        lon: cols.lon,
        lat: cols.lat,
        geo_cell: cols.geoCell,
        external_system: cols.externalSystem,
        external_id: cols.externalId,
        intake: e.facts,
      });
      for (const entry of e.entries) {
        const a = auditColumns(entry, v, scope);
        auditRows.push({ event_id: a.eventId, seq: a.seq, scope: a.scope, doc: a.doc, at: a.at, command: a.command, actor_id: a.actorId });
      }
      if (e.ref) refRows.push({ system: e.ref.system, ref_id: e.ref.refId, source: e.ref.source, event_id: record.id, case_no: caseNo, payload_hash: e.ref.payloadHash, at: record.createdAt });
    }

    const eventsJson = JSON.stringify(eventRows);
    const auditJson = JSON.stringify(auditRows);
    lap('serialise');
    await tx.execute(sql`
      INSERT INTO events (id, case_no, v, scope, doc, status, source, category, town, village, grid, urgency, supervision_level, lead_unit,
                          reported_at, created_at, updated_at, next_check_at, lon, lat, geo_cell, external_system, external_id, intake)
      SELECT id, case_no, ${v}, scope, doc, status, source, category, town, village, grid, urgency, supervision_level, lead_unit,
             reported_at, created_at, updated_at, next_check_at, lon, lat, geo_cell, external_system, external_id, intake
      FROM jsonb_to_recordset(${eventsJson}::jsonb) AS r(
        id text, case_no text, scope text, doc jsonb, status text, source text, category text, town text, village text, grid text,
        urgency text, supervision_level smallint, lead_unit text, reported_at timestamptz, created_at timestamptz, updated_at timestamptz,
        next_check_at timestamptz, lon double precision, lat double precision, geo_cell integer, external_system text, external_id text, intake jsonb)`);
    lap('events');
    await tx.execute(sql`
      INSERT INTO audit (event_id, seq, v, scope, doc, at, command, actor_id)
      SELECT event_id, seq, ${v}, scope, doc, at, command, actor_id
      FROM jsonb_to_recordset(${auditJson}::jsonb) AS r(event_id text, seq integer, scope text, doc jsonb, at timestamptz, command text, actor_id text)`);
    lap('audit');
    if (refRows.length > 0) {
      await tx.execute(sql`
        INSERT INTO external_refs (system, ref_id, source, event_id, case_no, payload_hash, claimed_at, created_at)
        SELECT system, ref_id, source, event_id, case_no, payload_hash, at, at
        FROM jsonb_to_recordset(${JSON.stringify(refRows)}::jsonb) AS r(system text, ref_id text, source text, event_id text, case_no text, payload_hash text, at timestamptz)`);
    }
    lap('refs');
    await tx.execute(sql`
      INSERT INTO sync_rows (table_name, key, scope, v, row)
      SELECT 'events', id, scope, v, doc::text FROM events WHERE v = ${v}
      UNION ALL
      SELECT 'audit', event_id || ':' || seq, scope, v, doc::text FROM audit WHERE v = ${v}`);
    lap('syncRows');
    if (opts.changeLog) {
      await tx.execute(sql`
        INSERT INTO change_log (v, seq, table_name, key, op, scope, prev_scope, moved, row)
        SELECT ${v}, (row_number() OVER (ORDER BY ord, k, s))::integer - 1, t, key, 'upsert', scope, NULL, false, row
        FROM (
          SELECT e.created_at AS ord, e.id AS k, 0 AS s, 'events' AS t, e.id AS key, e.scope, e.doc AS row FROM events e WHERE e.v = ${v}
          UNION ALL
          SELECT e.created_at, a.event_id, a.seq, 'audit', a.event_id || ':' || a.seq, a.scope, a.doc FROM audit a JOIN events e ON e.id = a.event_id WHERE a.v = ${v}
        ) x`);
    } else {
      await tx.execute(sql`UPDATE sync_version SET pruned_through = greatest(pruned_through, ${v}) WHERE id = 1`);
    }
    lap('changeLog');
    const n = eventRows.length;
    const m = auditRows.length;
    return { v, events: n, auditRows: m, rows: n + m + refRows.length + (n + m) * (opts.changeLog ? 2 : 1) };
  });
  lap('commit');
  return { ...result, stepMs };
}

