/**
 * The events store: the real `EventSink` and `EventReader` of the intake port
 * (src/datacenter/intake/event-sink.ts), and the queries behind the admin read endpoints.
 *
 * `createEvent` is one replicated transaction: case number, event row, its first audit entry
 * (and the `file` entry for sources that need no verification, see intake-policy.ts), and their
 * change-log version. The near-duplicate search reads open events by report time and the 0.01°
 * cells covering the search box (index `events_geo_cell_reported_at_idx`), then the exact box.
 */
import { and, between, desc, eq, gte, inArray, like, lte, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { HuyingError } from '../../core/errors';
import type { EventRecord, EventSource, ExternalRef } from '../../core/events/types';
import type { AuditEntry } from '../../core/workflow/event';
import { EventStatus, OPEN_STATES } from '../../core/workflow/states';
import type { DomainConfigService } from '../config/service';
import type { DuplicateCandidate } from '../intake/duplicates';
import type { CreatedEvent, EventQuery, EventReader, EventSink, EventToCreate, NearQuery } from '../intake/event-sink';
import type { Db, DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import { audit, events, type EventIntakeFacts } from '../store/events-schema';
import { createEventInTx, encodeNewEvents, PENDING_CASE_NO, prepareEvent, writeEncodedEvents, type EncodedNewEvents } from './create';
import { bboxAround, cellsCovering } from './geo-cell';
import { filesOnIntake, sourceActor } from './intake-policy';
import type { WriteReplicated } from './replication';
import { pgInstant } from './rows';

export interface EventsStoreDeps {
  db: Db;
  writeReplicated: WriteReplicated;
  config: DomainConfigService;
  clock?: () => Date;
}

/** Filters of `GET /api/v1/events`. */
export interface EventFilter {
  status?: readonly EventStatus[];
  source?: readonly EventSource[];
  /** 12-digit town codes */
  town?: readonly string[];
  /** taxonomy codes; a code matches its whole branch (04 matches 0401 and 040101) */
  category?: readonly string[];
  /** reported at or after */
  since?: Date;
  /** reported before */
  until?: Date;
  externalSystem?: string;
  externalId?: string;
  /** only events whose replication scope is one of these towns (a town-scoped reader) */
  scopeTowns?: readonly string[];
  /** only events in this village (a village-scoped reader) */
  village?: string;
  /** only events this unit leads or assists (a unit operator) */
  unit?: string;
}

export interface EventPage {
  items: EventRecord[];
  /** pass as `cursor` for the next page; null on the last */
  nextCursor: string | null;
}

export interface EventWithTimeline {
  event: EventRecord;
  audit: AuditEntry[];
  /** what the source told intake beyond the record (appeal type, source clocks, source fields) */
  intake: EventIntakeFacts;
  /** when the SLA scheduler looks at it next; null for finished events */
  nextCheckAt: string | null;
  /** change-log version of the event row */
  v: number;
}

export interface EventsStore extends EventSink, EventReader {
  /** An event with its audit timeline (oldest first), by id or by case number. */
  getEventWithTimeline(idOrCaseNo: string, db?: DbOrTx): Promise<EventWithTimeline | null>;
  /** Newest first (report time, then id), keyset-paged. */
  queryEvents(filter: EventFilter, page: { limit: number; cursor?: string | null }): Promise<EventPage>;
}

const OPEN = [...OPEN_STATES] as string[];
/**
 * The statuses that are not open: the near-duplicate search filters with `status NOT IN (these)`
 * — the same rows as `status IN (open)` (the column's CHECK allows only EventStatus), but a
 * condition no index serves, so the planner cannot read `events_status_reported_at_idx` (every
 * open event of the day) instead of the geo cells. See `openEventsNearMany`.
 */
const NOT_OPEN = EventStatus.options.filter((s) => !OPEN.includes(s));

const encodeCursor = (reportedAt: string, id: string) => Buffer.from(JSON.stringify([reportedAt, id])).toString('base64url');
function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && !Number.isNaN(Date.parse(v[0]))) return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new HuyingError('invalid_args', 'unknown cursor', [{ field: 'cursor', message: 'not a cursor this server gave out' }]);
}

/** `category` matches a code's whole branch: the code itself and every code extending it. */
function categoryBranch(codes: readonly string[]): SQL | undefined {
  return or(...codes.map((c) => like(events.category, `${c.replace(/[\\%_]/g, (m) => `\\${m}`)}%`)));
}

/** Open events within the query's box reported in its window (see openEventsNearMany). */
export async function openEventsNear(db: DbOrTx, q: NearQuery): Promise<DuplicateCandidate[]> {
  return (await openEventsNearMany(db, [q]))[0]!;
}

/** A box too big for the cells (more than cellsCovering's 64): by the box and the report time alone, at most 500. */
async function openEventsInBox(db: DbOrTx, q: NearQuery): Promise<DuplicateCandidate[]> {
  const box = bboxAround(q.lon, q.lat, q.radiusMetres);
  const rows = await db
    .select({ id: events.id, category: events.category, lon: events.lon, lat: events.lat, reportedAt: events.reportedAt, status: events.status })
    .from(events)
    .where(
      and(
        between(events.reportedAt, q.from.toISOString(), q.to.toISOString()),
        between(events.lon, box.minLon, box.maxLon),
        between(events.lat, box.minLat, box.maxLat),
        notInArray(events.status, NOT_OPEN),
      ),
    )
    .limit(500);
  return rows.map((r) => ({
    eventId: r.id,
    categoryCode: r.category,
    location: [r.lon!, r.lat!] as const,
    reportedAt: pgInstant(r.reportedAt),
    status: r.status as EventStatus,
  }));
}

/**
 * Open events near each of several points, in ONE statement: per query, per 0.01° cell its box
 * touches, an equality probe of `events_geo_cell_reported_at_idx` (cell, then the report-time
 * window), then the exact box; at most 500 rows per cell. Answers in the order of the queries;
 * a query whose box needs more than 64 cells is asked by its box alone.
 *
 * The shape is what keeps the plan right whatever the table's statistics: a lateral subquery per
 * cell with its own LIMIT is planned with the cell as one value, where the index on (cell, time)
 * is the obvious choice. `geo_cell = ANY(cells)` over the whole set (the earlier form) let the
 * planner pick the report-time or the status index on a table grown since its last ANALYZE — as
 * during the intake benchmark: 3,000–4,000 rows read per probe, 50–290 ms per statement and
 * growing with the day's events, instead of 3–10 ms.
 */
export async function openEventsNearMany(db: DbOrTx, queries: readonly NearQuery[]): Promise<DuplicateCandidate[][]> {
  const answers: DuplicateCandidate[][] = queries.map(() => []);
  const batch: Record<string, unknown>[] = [];
  const alone: number[] = [];
  queries.forEach((q, n) => {
    const box = bboxAround(q.lon, q.lat, q.radiusMetres);
    const cells = cellsCovering(box);
    if (!cells) alone.push(n);
    else batch.push({ n, cells, min_lon: box.minLon, max_lon: box.maxLon, min_lat: box.minLat, max_lat: box.maxLat, t0: q.from.toISOString(), t1: q.to.toISOString() });
  });
  if (batch.length > 0) {
    const result = await db.execute(sql`
      SELECT q.n, e.id, e.category, e.lon, e.lat, floor(extract(epoch FROM e.reported_at) * 1000)::float8 AS reported_ms, e.status
      FROM jsonb_to_recordset(${JSON.stringify(batch)}::jsonb)
             AS q(n integer, cells integer[], min_lon double precision, max_lon double precision, min_lat double precision, max_lat double precision, t0 timestamptz, t1 timestamptz)
      CROSS JOIN LATERAL unnest(q.cells) AS c(cell)
      CROSS JOIN LATERAL (
        SELECT id, category, lon, lat, reported_at, status FROM ${events}
        WHERE geo_cell = c.cell AND reported_at BETWEEN q.t0 AND q.t1
          AND lon BETWEEN q.min_lon AND q.max_lon AND lat BETWEEN q.min_lat AND q.max_lat
          AND status NOT IN (${sql.join(NOT_OPEN.map((s) => sql`${s}`), sql`, `)})
        LIMIT 500
      ) e`);
    // the report time as epoch milliseconds (floored, as Date.parse cuts the text's microseconds), not as
    // text through pgInstant: its normalising and parse were 8 % of the data center's CPU in a bulk
    // intake profile, where each order's search answers dozens of rows
    for (const r of rowsOf<{ n: number; id: string; category: string | null; lon: number; lat: number; reported_ms: number; status: string }>(result)) {
      answers[r.n]!.push({ eventId: r.id, categoryCode: r.category, location: [Number(r.lon), Number(r.lat)] as const, reportedAt: new Date(Number(r.reported_ms)).toISOString(), status: r.status as EventStatus });
    }
  }
  for (const n of alone) answers[n] = await openEventsInBox(db, queries[n]!);
  return answers;
}

/** The most events one combined set insert carries (see createEventsStore's `writeSets`). */
export const COMBINED_INSERT_MAX = 512;

type CreatedEventOut = CreatedEvent & { claimCompleted?: boolean };

export function createEventsStore(deps: EventsStoreDeps): EventsStore {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function getEventWithTimeline(idOrCaseNo: string, on: DbOrTx = db): Promise<EventWithTimeline | null> {
    const [row] = await on
      .select({ doc: events.doc, intake: events.intake, nextCheckAt: events.nextCheckAt, v: events.v })
      .from(events)
      .where(or(eq(events.id, idOrCaseNo), eq(events.caseNo, idOrCaseNo)))
      .limit(1);
    if (!row) return null;
    const entries = await on.select({ doc: audit.doc }).from(audit).where(eq(audit.eventId, row.doc.id)).orderBy(audit.seq);
    return { event: row.doc, audit: entries.map((e) => e.doc), intake: row.intake, nextCheckAt: pgInstant(row.nextCheckAt), v: row.v };
  }

  /** A set of intake's events prepared and encoded now, outside the write (see writeEncodedEvents). */
  async function encodeSet(items: readonly EventToCreate[]): Promise<EncodedNewEvents> {
    const ctx = await deps.config.current();
    const now = clock();
    return encodeNewEvents(
      items.map(({ draft, placement, duplicates, claim, id }) => {
        const prepared = prepareEvent(
          { draft, placement, duplicates, reporter: sourceActor(draft.source, placement.area.districtCode), file: filesOnIntake(draft), now, ctx, ...(id ? { id } : {}) },
          PENDING_CASE_NO,
        );
        if (!prepared.ok) throw new HuyingError('internal', `intake could not file the event: ${prepared.error.code} ${prepared.error.message}`);
        return { prepared: prepared.value, ...(claim ? { claim } : {}) };
      }),
    );
  }

  /** Encoded sets in one replicated write and one statement (all or nothing), in order. */
  async function writeEncoded(encoded: readonly EncodedNewEvents[]): Promise<CreatedEventOut[]> {
    const { result: written } = await deps.writeReplicated(db, (tx, out) => writeEncodedEvents(tx, out, encoded));
    const items = encoded.flatMap((x) => x.items);
    return written.map((w, i) => ({ eventId: w.record.id, caseNo: w.record.caseNo, claimCompleted: items[i]!.claim !== undefined }));
  }

  // Intake's sets (createEvents) waiting for the write in flight. One set insert is written at a
  // time; the sets that arrive meanwhile — other requests' passes — go together in the next: one
  // caller of the group-commit writer, one statement, instead of a savepoint and a statement per
  // pass (round trips on the writer's critical path, which every replicated write queues on).
  // Each set is prepared and encoded when it arrives, while the previous write runs.
  const sets: { encoded: EncodedNewEvents; resolve: (created: CreatedEventOut[]) => void; reject: (error: unknown) => void }[] = [];
  let writingSets = false;
  /** the sets join `sets` in the order createEvents was called */
  let queued: Promise<void> = Promise.resolve();

  function writeSets(): void {
    if (writingSets || sets.length === 0) return;
    writingSets = true;
    const taken = [sets.shift()!];
    let n = taken[0]!.encoded.items.length;
    while (sets.length > 0 && n + sets[0]!.encoded.items.length <= COMBINED_INSERT_MAX) {
      n += sets[0]!.encoded.items.length;
      taken.push(sets.shift()!);
    }
    void writeTaken(taken).finally(() => {
      writingSets = false;
      writeSets();
    });
  }

  async function writeTaken(taken: typeof sets): Promise<void> {
    if (taken.length > 1) {
      try {
        const created = await writeEncoded(taken.map((t) => t.encoded));
        let k = 0;
        for (const t of taken) t.resolve(created.slice(k, (k += t.encoded.items.length)));
        return;
      } catch {
        // nothing was written: each set on its own below, so one set's culprit fails only its set
      }
    }
    await Promise.all(taken.map((t) => writeEncoded([t.encoded]).then(t.resolve, t.reject)));
  }

  return {
    async createEvent(draft, placement, duplicates, claim, id): Promise<CreatedEvent & { claimCompleted?: boolean }> {
      const ctx = await deps.config.current();
      const now = clock();
      const { result: created } = await deps.writeReplicated(db, (tx, out) =>
        createEventInTx(tx, out, {
          draft,
          placement,
          duplicates,
          reporter: sourceActor(draft.source, placement.area.districtCode),
          file: filesOnIntake(draft),
          now,
          ctx,
          ...(id ? { id } : {}),
        }, claim),
      );
      return { eventId: created.record.id, caseNo: created.record.caseNo, claimCompleted: claim !== undefined };
    },

    async createEvents(items) {
      if (items.length === 0) return [];
      const encoding = encodeSet(items);
      return new Promise<CreatedEventOut[]>((resolve, reject) => {
        // queued in call order, whichever encoding finishes first
        queued = queued.then(() =>
          encoding.then((encoded) => {
            sets.push({ encoded, resolve, reject });
            writeSets();
          }, reject),
        );
      });
    },

    openEventsNearMany: (queries) => openEventsNearMany(db, queries),

    async findByExternalRef(ref: ExternalRef): Promise<CreatedEvent | null> {
      const [row] = await db
        .select({ id: events.id, caseNo: events.caseNo })
        .from(events)
        .where(and(eq(events.externalSystem, ref.system), eq(events.externalId, ref.id)));
      return row ? { eventId: row.id, caseNo: row.caseNo } : null;
    },

    openEventsNear: (q) => openEventsNear(db, q),

    async getEvent(eventId) {
      const [row] = await db.select({ doc: events.doc }).from(events).where(eq(events.id, eventId));
      return row?.doc ?? null;
    },

    async listEvents(q: EventQuery) {
      const conds: (SQL | undefined)[] = [];
      if (q.ids) conds.push(q.ids.length > 0 ? inArray(events.id, [...q.ids]) : sql`false`);
      if (q.sources) conds.push(q.sources.length > 0 ? inArray(events.source, [...q.sources]) : sql`false`);
      if (q.categoryCodes) conds.push(q.categoryCodes.length > 0 ? inArray(events.category, [...q.categoryCodes]) : sql`false`);
      if (q.reportedFrom) conds.push(gte(events.reportedAt, q.reportedFrom.toISOString()));
      if (q.reportedTo) conds.push(lte(events.reportedAt, q.reportedTo.toISOString()));
      if (q.open === true) conds.push(inArray(events.status, OPEN));
      if (q.open === false) conds.push(sql`${events.status} not in (${sql.join(OPEN.map((s) => sql`${s}`), sql`, `)})`);
      const rows = await db
        .select({ doc: events.doc })
        .from(events)
        .where(and(...conds))
        .orderBy(desc(events.reportedAt), desc(events.id))
        .limit(q.limit);
      return rows.map((r) => r.doc);
    },

    getEventWithTimeline,

    async queryEvents(f, page) {
      const limit = Math.min(Math.max(page.limit, 1), 500);
      const conds: (SQL | undefined)[] = [];
      if (f.status?.length) conds.push(inArray(events.status, [...f.status]));
      if (f.source?.length) conds.push(inArray(events.source, [...f.source]));
      if (f.town?.length) conds.push(inArray(events.town, [...f.town]));
      if (f.category?.length) conds.push(categoryBranch(f.category));
      if (f.since) conds.push(gte(events.reportedAt, f.since.toISOString()));
      if (f.until) conds.push(sql`${events.reportedAt} < ${f.until.toISOString()}`);
      if (f.externalSystem) conds.push(eq(events.externalSystem, f.externalSystem));
      if (f.externalId) conds.push(eq(events.externalId, f.externalId));
      if (f.scopeTowns) conds.push(f.scopeTowns.length > 0 ? inArray(events.scope, [...f.scopeTowns]) : sql`false`);
      if (f.village) conds.push(eq(events.village, f.village));
      if (f.unit) {
        conds.push(or(eq(events.leadUnit, f.unit), sql`${events.doc} -> 'workflow' -> 'assistingUnitIds' ? ${f.unit}`));
      }
      if (page.cursor) {
        const [at, id] = decodeCursor(page.cursor);
        conds.push(sql`(${events.reportedAt}, ${events.id}) < (${at}::timestamptz, ${id})`);
      }
      const rows = await db
        .select({ doc: events.doc, reportedAt: events.reportedAt, id: events.id })
        .from(events)
        .where(and(...conds))
        .orderBy(desc(events.reportedAt), desc(events.id))
        .limit(limit + 1);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items: items.map((r) => r.doc), nextCursor: rows.length > limit && last ? encodeCursor(pgInstant(last.reportedAt), last.id) : null };
    },
  };
}
