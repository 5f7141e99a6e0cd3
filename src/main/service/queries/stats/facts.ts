/**
 * The facts KPIs count, one row per event in the local table `kpi_facts`
 * (migration 0003), computed in JavaScript with the declared formulas' own
 * function — core/indicators `eventFacts`, with the replicated working
 * calendar — so a rate on the dashboard is exactly the rate the indicator
 * declares, while the aggregate over 10^5 events is plain SQL over a narrow
 * table (no document parsed per query).
 *
 * Most facts of an event do not depend on the instant they are read at
 * (handled, closed, on time once the clock stopped, evaluated…). The ones that
 * do — `due` and `overdueUnhandled`, through "is the judging clock overdue" —
 * are stored as `overdue_from`: the instant after which the judging clock is
 * overdue if nothing else happens (its deadline while it runs; 0 when it is
 * overdue for good; NULL when it cannot become overdue: met, paused in time,
 * or no clock). Any change to the event writes a new version and recomputes.
 *
 * Freshness, cheaply:
 * - rows written since the last refresh are found by `events.v > high-water`
 *   (index events_v) and recomputed — a live batch costs its own rows only;
 * - history is computed on demand for the reported-at range a query needs,
 *   once: `coveredFrom` remembers how far back every event has facts;
 * - a new snapshot or a new calendar changes the basis: the table is emptied
 *   and refilled on demand (rids change with a snapshot);
 * - an event deleted from the replica takes its facts with it (trigger
 *   events_kpi_facts_delete, migration 0003).
 */
import { eventFacts, judgingClock, clockState, type EventRecord, type WorkingCalendar } from '../../../../core/index';
import { readPreference, writePreference } from '../../store/preferences';
import { readSyncState } from '../../store/sync-state';
import type { QueryContext } from '../context';

/** Bits of `kpi_facts.flags`. */
export const FACT = {
  dispatched: 1,
  withdrawn: 2,
  handled: 4,
  handledOnTime: 8,
  closed: 16,
  closedOnTime: 32,
  reworked: 64,
  extended: 128,
  evaluated: 256,
  satisfied: 512,
} as const;

interface FactsState {
  basis: string;
  /** every event with v ≤ highWater has facts (or none when it is older than coveredFrom) */
  highWater: number;
  /** every event reported at or after this instant has facts */
  coveredFrom: number | null;
}

const STATE_KEY = 'kpiFacts';

const FACT_COLUMNS = [
  'rid',
  'v',
  'key',
  'lon',
  'lat',
  'urgency',
  'dispatched_at',
  'handled_at',
  'closed_at',
  'reported_at',
  'town_code',
  'village_code',
  'category_code',
  'source',
  'lead_unit_id',
  'flags',
  'overdue_from',
] as const;
/** events read per statement while refreshing */
const CHUNK = 2000;

export interface FactRow {
  rid: number;
  v: number;
  key: string;
  lon: number | null;
  lat: number | null;
  urgency: string;
  dispatched_at: number | null;
  handled_at: number | null;
  closed_at: number | null;
  reported_at: number;
  town_code: string | null;
  village_code: string | null;
  category_code: string | null;
  source: string;
  lead_unit_id: string | null;
  flags: number;
  overdue_from: number | null;
}

/** The facts of one event, computed at `at` with `calendar`. */
export function factsOf(record: EventRecord, at: Date, calendar: WorkingCalendar): Pick<FactRow, 'flags' | 'overdue_from' | 'dispatched_at' | 'handled_at'> {
  const wf = record.workflow;
  const f = eventFacts(wf, at, calendar);
  let flags = 0;
  if (wf.firstDispatchedAt !== null) flags |= FACT.dispatched;
  if (wf.status === 'cancelled' || wf.status === 'merged') flags |= FACT.withdrawn;
  if (f.handled) flags |= FACT.handled;
  if (f.handledOnTime) flags |= FACT.handledOnTime;
  if (f.closed) flags |= FACT.closed;
  if (f.closedOnTime) flags |= FACT.closedOnTime;
  if (f.reworked) flags |= FACT.reworked;
  if (f.extended) flags |= FACT.extended;
  if (f.evaluated) flags |= FACT.evaluated;
  if (f.satisfied) flags |= FACT.satisfied;
  const clock = judgingClock(wf);
  let overdueFrom: number | null = null;
  if (clock) {
    const s = clockState(clock, at, calendar);
    if (s.stopped || s.paused) overdueFrom = s.status === 'overdue' ? 0 : null;
    else overdueFrom = s.deadline.getTime();
  }
  const dispatchedAt = wf.firstDispatchedAt ? Date.parse(wf.firstDispatchedAt) : null;
  const handledAt = f.handled && wf.feedback ? Date.parse(wf.feedback.at) : null;
  return { flags, overdue_from: overdueFrom, dispatched_at: dispatchedAt, handled_at: handledAt };
}

export class FactsStore {
  private state: FactsState | null = null;

  constructor(private readonly ctx: QueryContext) {}

  /** Makes sure every event reported at or after `from` has current facts. */
  ensure(from: number): void {
    const { sqlite } = this.ctx;
    const { calendar, calendarVersion } = this.ctx.domain();
    const sync = readSyncState(sqlite);
    const basis = `${sync?.cursor.epoch ?? '-'}|${sync?.snapshotAt ?? '-'}|cal@${calendarVersion}`;
    let state = this.state ?? readPreference<FactsState>(sqlite, STATE_KEY) ?? null;
    if (!state || state.basis !== basis) {
      sqlite.prepare('DELETE FROM kpi_facts').run();
      state = { basis, highWater: 0, coveredFrom: null };
    }
    const now = new Date(this.ctx.now());
    const upsert = this.ctx.stmt(
      `INSERT INTO kpi_facts (${FACT_COLUMNS.join(', ')}) VALUES (${FACT_COLUMNS.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (rid) DO UPDATE SET ${FACT_COLUMNS.filter((c) => c !== 'rid')
         .map((c) => `${c} = excluded.${c}`)
         .join(', ')}`,
    );
    type Src = Omit<FactRow, 'flags' | 'overdue_from' | 'dispatched_at' | 'handled_at'> & { doc: string };
    const cols = ['rid', 'v', 'key', 'lon', 'lat', 'urgency', 'closed_at', 'reported_at', 'town_code', 'village_code', 'category_code', 'source', 'lead_unit_id']
      .map((c) => `e.${c}`)
      .join(', ');
    /** reads `where` in chunks ordered by (`order`, rid) — better-sqlite3 cannot write while a statement iterates */
    const refresh = (where: string, order: 'v' | 'reported_at', bind: Record<string, unknown>) => {
      // the page of events by its own index, each document (events_doc) by rowid
      const page = this.ctx.stmt(
        `SELECT ${cols}, d.doc FROM events e JOIN events_doc d ON d.rid = e.rid WHERE ${where} AND (e.${order}, e.rid) > (@k, @rid) ORDER BY e.${order}, e.rid LIMIT ${CHUNK}`,
      );
      let k = -Infinity;
      let rid = -1;
      for (;;) {
        const rows = page.all({ ...bind, k, rid }) as Src[];
        for (const r of rows) {
          const record = JSON.parse(r.doc) as EventRecord;
          const { doc: _doc, ...values } = r;
          upsert.run({ ...values, ...factsOf(record, now, calendar) });
        }
        if (rows.length < CHUNK) return;
        const last = rows[rows.length - 1]!;
        k = last[order];
        rid = last.rid;
      }
    };
    const highWater = this.ctx.get<{ v: number | null }>('SELECT max(v) AS v FROM events')!.v ?? 0;
    const start = state.coveredFrom;
    // nothing new: no write (a write would also drop every memoised answer)
    if (this.state === state && highWater === state.highWater && start !== null && from >= start) return;
    const next = { ...state };
    sqlite.transaction(() => {
      // rows written since the last refresh (live batches), whatever their reported time
      if (highWater > next.highWater && start !== null) refresh('v > @hw', 'v', { hw: next.highWater });
      // history not covered yet
      if (start === null || from < start) {
        refresh('reported_at >= @from AND reported_at < @until', 'reported_at', { from, until: start ?? Number.MAX_SAFE_INTEGER });
        next.coveredFrom = from;
      }
      next.highWater = highWater;
      writePreference(sqlite, STATE_KEY, next);
    })();
    this.state = next;
  }
}
