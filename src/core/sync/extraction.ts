/**
 * The replica's extracted columns: per replicated table, the values the desktop's replica indexes
 * beside each row's document (src/main/service/store: its tables' columns after key, v and doc), as a
 * pure function of the row's key and document. The desktop runs it on every row it stores; the data
 * center runs it when it writes a row (src/datacenter/sync/write.ts) and sends the values with the
 * snapshot's rows, so that a client of the same EXTRACTION_VERSION stores them without parsing the
 * document (docs/sync-protocol.md "Extracted columns").
 *
 * Extraction checks only what the replica needs to index a row (the event id equals the key, times
 * parse, a status is there…); a row that fails is refused (MalformedRowError). Full domain validation
 * is the data center's job.
 *
 * `deadline_at` is the effective deadline of the most urgent clock computed without the working
 * calendar: base deadline + granted extensions + closed pauses. That is exact for calendar-time clocks
 * and an ordering key for working-time clocks with pauses or extensions; the detail view computes exact
 * clock states with the calendar (core/sla clockState). An open pause freezes the value
 * (clock_state = 'paused').
 */
import { OPEN_STATES } from '../workflow/states';
import type { ReplicatedTable } from './protocol';

/**
 * The version of the extraction: which columns each table has and how each is computed. Bump it with ANY
 * change of a column list or of a value's computation (extraction.test.ts pins the column lists and a
 * digest of sample rows' values, so a change without a bump fails there): the data center sends stored
 * columns only to a client asking with the version they were computed by, other clients extract them.
 */
export const EXTRACTION_VERSION = 1;

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
export type TimeOf = (v: unknown) => number;
export const timeOf: TimeOf = (v) => (typeof v === 'string' ? Date.parse(v) : NaN);
function reqTime(d: Doc, f: string, fail: (r: string) => never, time: TimeOf): number {
  const t = time(d[f]);
  if (!Number.isFinite(t)) fail(`${f} must be an ISO time`);
  return t;
}
function optTime(d: Doc, f: string, fail: (r: string) => never, time: TimeOf): number | null {
  if (d[f] === null || d[f] === undefined) return null;
  return reqTime(d, f, fail, time);
}

export interface ClockSummary {
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

/** Every replicated table, in the order of the replica's writers (SPECS' order). */
export const EXTRACTION_TABLES = Object.keys(SPECS) as ReplicatedTable[];

/** Whether a table's document lives apart from its row in the replica (events: `events_doc`). */
export function documentApart(table: ReplicatedTable): boolean {
  return SPECS[table].docApart === true;
}

/** The extracted columns of a table, in the order of `extractRow`'s values. */
export function extractedColumns(table: ReplicatedTable): readonly string[] {
  return SPECS[table].columns;
}

/** The values of a row for its table's INSERT, after key, v and doc. `time` reads its time fields (`timeOf`). */
export function extractRow(table: ReplicatedTable, key: string, row: unknown, time: TimeOf = timeOf): { doc: string; values: Value[] } {
  const values = extractValues(table, key, row, time);
  return { doc: JSON.stringify(row), values };
}

/**
 * `extractRow` without the document's text: for a snapshot row whose text is taken as the data center sent it,
 * which saves a JSON.stringify per row, and for the data center computing the columns it sends with a row.
 */
export function extractValues(table: ReplicatedTable, key: string, row: unknown, time: TimeOf = timeOf): Value[] {
  try {
    const d = obj(row) ?? failRow('the row must be a JSON object');
    return SPECS[table].extract(key, d, failRow, time);
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

