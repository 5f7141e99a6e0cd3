/**
 * How a replicated row becomes a replica row: per table, the columns queries
 * need are extracted from the document the data center sent, and the
 * statements that write live and staging tables (and keep the FTS index of
 * events in step) are prepared once.
 *
 * Extraction is a pure function of the document, so a replica is the same
 * whatever split of the feed built it (the resume-anywhere property). It
 * checks only what the replica needs to index a row (the event id equals
 * the key, times parse, a status is there…); a row that fails is refused as
 * malformed and the whole batch or snapshot with it. Full domain validation
 * is the data center's job; zod-parsing 10^6 event documents here would cost
 * more than the rest of a snapshot.
 *
 * `deadline_at` is the effective deadline of the most urgent clock computed
 * without the working calendar: base deadline + granted extensions + closed
 * pauses. That is exact for calendar-time clocks and an ordering key for
 * working-time clocks with pauses or extensions; the detail view computes
 * exact clock states with the calendar (core/sla clockState). An open pause
 * freezes the value (clock_state = 'paused').
 */
import type Database from 'better-sqlite3';
import { OPEN_STATES, type ReplicatedTable } from '../../../core/index';

export class MalformedRowError extends Error {
  constructor(
    readonly table: ReplicatedTable,
    readonly key: string,
    reason: string,
  ) {
    super(`${table} row ${JSON.stringify(key)}: ${reason}`);
    this.name = 'MalformedRowError';
  }
}

type Doc = Record<string, unknown>;
/** an extracted column's value */
export type ExtractedValue = string | number | null;
type Value = ExtractedValue;

/**
 * A `rows` frame ready to stage: row i is keys[i], vs[i], its document and values[i*width … (i+1)*width).
 * The documents are one UTF-8 buffer (row i's text is docBytes[docEnds[i-1] … docEnds[i]), docEnds[-1] = 0):
 * it moves from the parser worker to the service's thread without a copy, and SQLite takes each
 * document's bytes as they are (`CAST(? AS TEXT)`) instead of better-sqlite3 re-encoding a JS string.
 */
export interface StagedRows {
  table: ReplicatedTable;
  keys: string[];
  vs: number[];
  docBytes: Uint8Array;
  docEnds: number[];
  /** the extracted columns of every row, row after row */
  values: ExtractedValue[];
  /** extracted columns per row */
  width: number;
  /** the highest v of the frame and its row's key (checked against the checkpoint by the client) */
  maxV: number;
  maxVKey: string;
}

/** The text of row i's document in a StagedRows. */
export function stagedDoc(rows: StagedRows, i: number): string {
  return Buffer.from(rows.docBytes.buffer, rows.docBytes.byteOffset + (i === 0 ? 0 : rows.docEnds[i - 1]!), rows.docEnds[i]! - (i === 0 ? 0 : rows.docEnds[i - 1]!)).toString('utf8');
}

interface TableSpec {
  /** extracted columns after key, v (and doc, unless docApart) */
  columns: readonly string[];
  extract(key: string, doc: Doc, fail: (reason: string) => never, time: TimeOf): Value[];
  /** the document lives apart (events: `events_doc (rid, doc)`, migration 0008; RowWriter writes it) */
  docApart?: true;
}

const OPEN = new Set<string>(OPEN_STATES);

const str = (d: Doc, f: string): string | null => (typeof d[f] === 'string' ? (d[f] as string) : null);
const obj = (v: unknown): Doc | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Doc) : null);

function reqStr(d: Doc, f: string, fail: (r: string) => never): string {
  const v = d[f];
  if (typeof v !== 'string' || v.length === 0) fail(`${f} must be a non-empty string`);
  return v as string;
}
/** A time field's value as Date.parse reads it (NaN when not a string). */
type TimeOf = (v: unknown) => number;
const timeOf: TimeOf = (v) => (typeof v === 'string' ? Date.parse(v) : NaN);
/**
 * The same for a document parsed from its bytes read as latin1 (sync/snapshot-frames.ts): a string with
 * characters above U+007F holds UTF-8 bytes, read as UTF-8 before Date.parse (which takes, say, a trailing
 * NBSP but not its two latin1 characters), so that both readings give the same columns and refusals.
 */
const timeOfLatin1: TimeOf = (v) => (typeof v !== 'string' ? NaN : Date.parse(/[\u0080-\u00ff]/.test(v) ? Buffer.from(v, 'latin1').toString('utf8') : v));

function reqTime(d: Doc, f: string, fail: (r: string) => never, time: TimeOf): number {
  const t = time(d[f]);
  if (!Number.isFinite(t)) fail(`${f} must be an ISO time`);
  return t;
}
function optTime(d: Doc, f: string, fail: (r: string) => never, time: TimeOf): number | null {
  if (d[f] === null || d[f] === undefined) return null;
  return reqTime(d, f, fail, time);
}

interface ClockSummary {
  deadlineAt: number;
  warnAt: number;
  state: 'running' | 'paused' | 'stopped';
}

/** The most urgent clock of an event (counting clocks first, then the earliest deadline), calendar-free. */
export function summariseClocks(clocks: unknown, time: TimeOf = timeOf): ClockSummary | null {
  if (!Array.isArray(clocks)) return null;
  let best: (ClockSummary & { counting: boolean }) | null = null;
  for (const raw of clocks) {
    const c = obj(raw);
    if (!c) continue;
    const base = time(c.baseDeadline);
    const started = time(c.startedAt);
    if (!Number.isFinite(base) || !Number.isFinite(started)) continue;
    let shift = 0;
    let paused = false;
    for (const e of Array.isArray(c.extensions) ? c.extensions : []) {
      const added = obj(e)?.addedMs;
      if (typeof added === 'number' && Number.isFinite(added)) shift += added;
    }
    for (const p of Array.isArray(c.pauses) ? c.pauses : []) {
      const pause = obj(p);
      if (!pause) continue;
      const from = time(pause.from);
      const to = time(pause.to);
      if (pause.to === null) paused = true;
      else if (Number.isFinite(from) && Number.isFinite(to) && to > from) shift += to - from;
    }
    const deadlineAt = base + shift;
    const warnFraction = typeof c.warnAt === 'number' && c.warnAt > 0 && c.warnAt < 1 ? c.warnAt : 0.8;
    const stopped = typeof c.stoppedAt === 'string';
    const candidate = {
      deadlineAt,
      warnAt: Math.round(started + (deadlineAt - started) * warnFraction),
      state: stopped ? ('stopped' as const) : paused ? ('paused' as const) : ('running' as const),
      counting: !stopped,
    };
    if (!best || (candidate.counting && !best.counting) || (candidate.counting === best.counting && candidate.deadlineAt < best.deadlineAt)) {
      best = candidate;
    }
  }
  return best ? { deadlineAt: best.deadlineAt, warnAt: best.warnAt, state: best.state } : null;
}

/**
 * The open pause's start as index events_paused holds it: the first clock's
 * last pause's `from` — json_extract(doc, '$.workflow.clocks[0].pauses[#-1].from')
 * before migration 0008 — when it is a string (the queries select it with `> ''`).
 */
function pauseFrom(clocks: unknown): string | null {
  const first = Array.isArray(clocks) ? obj(clocks[0]) : null;
  const pauses = first && Array.isArray(first.pauses) ? first.pauses : null;
  const last = pauses && pauses.length > 0 ? obj(pauses[pauses.length - 1]) : null;
  return last && typeof last.from === 'string' ? last.from : null;
}

/**
 * The assisting units (协办) as a JSON array of their ids, null when there are
 * none: the string values json_each(doc, '$.workflow.assistingUnitIds') gave
 * the unit filter before migration 0008 (a lone string counted as one id).
 */
function assistingUnits(ids: unknown): string | null {
  const list = Array.isArray(ids) ? ids : typeof ids === 'string' ? [ids] : [];
  const units = list.filter((u): u is string => typeof u === 'string');
  return units.length > 0 ? JSON.stringify(units) : null;
}

const SPECS: Record<ReplicatedTable, TableSpec> = {
  areas: {
    columns: ['level', 'parent_code'],
    extract: (_k, d) => [str(d, 'level'), str(d, 'parentCode')],
  },
  grids: {
    columns: ['code', 'village_code', 'town_code', 'valid_to'],
    extract: (k, d) => [str(d, 'code') ?? k, str(d, 'villageCode'), str(d, 'townCode'), str(d, 'validTo')],
  },
  units: {
    columns: ['kind', 'area_code'],
    extract: (_k, d) => [str(d, 'kind'), str(d, 'areaCode')],
  },
  workers: { columns: [], extract: () => [] },
  config: { columns: [], extract: () => [] },
  events: {
    columns: [
      'case_no',
      'status',
      'is_open',
      'category_code',
      'town_code',
      'village_code',
      'grid_code',
      'source',
      'urgency',
      'lon',
      'lat',
      'reported_at',
      'created_at',
      'updated_at',
      'closed_at',
      'deadline_at',
      'warn_at',
      'clock_state',
      'lead_unit_id',
      'supervision_level',
      'escalation_rung',
      'title',
      'address',
      'pause_from',
      'pending_extension',
      'supervised_by',
      'assisting_units',
    ],
    docApart: true,
    extract(key, d, fail, time) {
      if (d.id !== key) fail(`id ${JSON.stringify(d.id)} differs from the key`);
      const wf = obj(d.workflow) ?? fail('workflow must be an object');
      const status = reqStr(wf, 'status', fail);
      const area = obj(wf.area);
      const loc = Array.isArray(d.location) && d.location.length === 2 && d.location.every((n) => typeof n === 'number') ? (d.location as number[]) : null;
      const clock = summariseClocks(wf.clocks, time);
      const supervision = obj(wf.supervision);
      const level = supervision && typeof supervision.level === 'number' ? supervision.level : null;
      return [
        str(d, 'caseNo'),
        status,
        OPEN.has(status) ? 1 : 0,
        str(wf, 'categoryCode'),
        area ? str(area, 'townCode') : null,
        area ? str(area, 'villageCode') : null,
        area ? str(area, 'gridCode') : null,
        reqStr(d, 'source', fail),
        reqStr(d, 'urgency', fail),
        loc ? loc[0]! : null,
        loc ? loc[1]! : null,
        reqTime(wf, 'reportedAt', fail, time),
        reqTime(d, 'createdAt', fail, time),
        reqTime(wf, 'updatedAt', fail, time),
        optTime(wf, 'closedAt', fail, time),
        clock?.deadlineAt ?? null,
        clock?.warnAt ?? null,
        clock?.state ?? null,
        str(wf, 'leadUnitId'),
        level,
        obj(wf.escalation) ? str(obj(wf.escalation)!, 'rung') : null,
        reqStr(d, 'title', fail),
        str(d, 'address'),
        pauseFrom(wf.clocks),
        obj(wf.pendingExtension) ? 1 : 0,
        supervision ? str(supervision, 'byActorId') : null,
        assistingUnits(wf.assistingUnitIds),
      ];
    },
  },
  audit: {
    columns: ['event_id', 'seq', 'at'],
    extract(_k, d, fail, time) {
      const seq = d.seq;
      if (typeof seq !== 'number' || !Number.isInteger(seq)) fail('seq must be an integer');
      return [reqStr(d, 'eventId', fail), seq as number, reqTime(d, 'at', fail, time)];
    },
  },
  wall: {
    columns: ['kind'],
    extract: (_k, d) => [str(d, 'kind')],
  },
};

export const REPLICATED_TABLES = Object.keys(SPECS) as ReplicatedTable[];

/** The extracted columns of a table, in the order of `extractRow`'s values. */
export function extractedColumns(table: ReplicatedTable): readonly string[] {
  return SPECS[table].columns;
}

/**
 * The values of a row for its table's INSERT, after key, v and doc. `latin1`: the row was parsed from its
 * bytes read as latin1 (sync/snapshot-frames.ts); its times are read as UTF-8 text.
 */
export function extractRow(table: ReplicatedTable, key: string, row: unknown, latin1 = false): { doc: string; values: Value[] } {
  const values = extractValues(table, key, row, latin1);
  return { doc: JSON.stringify(row), values };
}

/**
 * `extractRow` without the document's text: for a snapshot row whose text is taken as the data center sent it
 * (sync/snapshot-frames.ts), which saves a JSON.stringify per row.
 */
export function extractValues(table: ReplicatedTable, key: string, row: unknown, latin1 = false): Value[] {
  try {
    const d = obj(row) ?? failRow('the row must be a JSON object');
    return SPECS[table].extract(key, d, failRow, latin1 ? timeOfLatin1 : timeOf);
  } catch (err) {
    if (err instanceof RowFailure) throw new MalformedRowError(table, key, err.message);
    throw err;
  }
}

/** Why a row cannot be indexed, before extractValues names its table and key (one function for every row, no closure per row). */
class RowFailure extends Error {}
function failRow(reason: string): never {
  throw new RowFailure(reason);
}

/** Prepared writes of one replica connection. */
export class RowWriter {
  private readonly live = new Map<ReplicatedTable, Database.Statement>();
  private readonly stage = new Map<ReplicatedTable, Database.Statement>();
  private readonly remove = new Map<ReplicatedTable, Database.Statement>();
  private readonly eventDocUpsert: Database.Statement;
  private readonly eventDocStage: Database.Statement;
  private readonly eventDocDelete: Database.Statement;
  private readonly ftsInsert: Database.Statement;
  private readonly ftsDelete: Database.Statement;
  private readonly eventRid: Database.Statement;

  constructor(sqlite: Database.Database) {
    for (const table of REPLICATED_TABLES) {
      const apart = SPECS[table].docApart === true;
      const cols = ['key', 'v', ...(apart ? [] : ['doc']), ...SPECS[table].columns];
      const marks = cols.map(() => '?').join(', ');
      const updates = cols
        .slice(1)
        .map((c) => `${c} = excluded.${c}`)
        .join(', ');
      // a table whose document is apart returns the row's rid, new or kept, to key the document by
      this.live.set(table, sqlite.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${marks}) ON CONFLICT (key) DO UPDATE SET ${updates}${apart ? ' RETURNING rid' : ''}`));
      // the document as text whether it is bound as a string or as its UTF-8 bytes (stageFrame)
      const stageMarks = cols.map((c) => (c === 'doc' ? 'CAST(? AS TEXT)' : '?')).join(', ');
      this.stage.set(table, sqlite.prepare(`INSERT INTO stage_${table} (${cols.join(', ')}) VALUES (${stageMarks})`));
      this.remove.set(table, sqlite.prepare(`DELETE FROM ${table} WHERE key = ?`));
    }
    this.eventDocUpsert = sqlite.prepare('INSERT INTO events_doc (rid, doc) VALUES (?, ?) ON CONFLICT (rid) DO UPDATE SET doc = excluded.doc');
    this.eventDocStage = sqlite.prepare('INSERT INTO stage_events_doc (rid, doc) VALUES (?, CAST(? AS TEXT))');
    this.eventDocDelete = sqlite.prepare('DELETE FROM events_doc WHERE rid = ?');
    this.ftsInsert = sqlite.prepare('INSERT INTO events_fts (rowid, title, description, address) VALUES (?, ?, ?, ?)');
    this.ftsDelete = sqlite.prepare('DELETE FROM events_fts WHERE rowid = ?');
    this.eventRid = sqlite.prepare('SELECT rid FROM events WHERE key = ?').pluck();
  }

  /** Upserts a live row (inside the caller's transaction); an event's document and FTS row with it. */
  upsert(table: ReplicatedTable, key: string, v: number, row: unknown): void {
    const { doc, values } = extractRow(table, key, row);
    if (table !== 'events') {
      this.live.get(table)!.run(key, v, doc, ...values);
      return;
    }
    const rid = (this.live.get(table)!.get(key, v, ...values) as { rid: number }).rid;
    this.eventDocUpsert.run(rid, doc);
    this.ftsDelete.run(rid);
    const d = row as Doc;
    this.ftsInsert.run(rid, d.title, typeof d.description === 'string' ? d.description : null, typeof d.address === 'string' ? d.address : null);
  }

  /** Deletes a live row (an event's document and FTS row with it); a key the replica does not hold is no error (deletes are idempotent). */
  delete(table: ReplicatedTable, key: string): void {
    if (table === 'events') {
      const rid = this.eventRid.get(key) as number | undefined;
      if (rid !== undefined) {
        this.ftsDelete.run(rid);
        this.eventDocDelete.run(rid);
      }
    }
    this.remove.get(table)!.run(key);
  }

  /** Inserts a snapshot row into the table's staging twin (an event's document into stage_events_doc, under the rid it got). */
  stageRow(table: ReplicatedTable, key: string, v: number, row: unknown): void {
    const { doc, values } = extractRow(table, key, row);
    this.stageExtracted(table, key, v, doc, values);
  }

  /** Stages every row of an extracted `rows` frame (inside the caller's transaction). */
  stageFrame(rows: StagedRows): void {
    const { table, keys, vs, docEnds, values, width } = rows;
    const bytes = Buffer.from(rows.docBytes.buffer, rows.docBytes.byteOffset, rows.docBytes.byteLength);
    let start = 0;
    for (let i = 0; i < keys.length; i++) {
      const end = docEnds[i]!;
      this.stageExtracted(table, keys[i]!, vs[i]!, bytes.subarray(start, end), values.slice(i * width, (i + 1) * width));
      start = end;
    }
  }

  /** `stageRow` of a row already extracted (`extractRow`: its document text and column values). */
  stageExtracted(table: ReplicatedTable, key: string, v: number, doc: string | Uint8Array, values: readonly Value[]): void {
    if (table !== 'events') {
      this.stage.get(table)!.run(key, v, doc, ...values);
      return;
    }
    const rid = this.stage.get(table)!.run(key, v, ...values).lastInsertRowid;
    this.eventDocStage.run(rid, doc);
  }
}
