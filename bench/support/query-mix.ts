/**
 * The query benchmark of issue 4 point 7: what a workstation and a wall ask of
 * the data service on a replica of 10^6 events — queue windows with filters,
 * text and case-number search, a window deep in the history (the "list"
 * mix), and queue counts, KPIs, the map's columns, density, grid figures and
 * playback (the "aggregate" mix) — each answered by the real handlers
 * (src/main/service/queries) and timed.
 *
 * Baseline, measured in the same run: the very SQL statements those handlers
 * ran (recorded while they answered), replayed with better-sqlite3 prepared
 * statements straight on the same database — the cost of the SQL itself
 * without the service around it (argument parsing, row mapping, JSON, typed
 * arrays, memos). The ratio is the service's overhead.
 */
import Database from 'better-sqlite3';
import { EventListArgs, KpiArgs, MapEventsArgs } from '../../src/core/rpc/queries';
import type { SessionUser } from '../../src/core/rpc/session';
import { createQueryHandlers, QueryContext } from '../../src/main/service/queries/index';
import { ReferenceView } from '../../src/main/service/reference/reference-view';
import type { Replica } from '../../src/main/service/store/open';
import { quantile } from './results';

export interface QueryCase {
  name: string;
  kind: 'list' | 'aggregate';
  run(h: ReturnType<typeof createQueryHandlers>): unknown;
}

const TOWN = '440114001000';
const DAY = 86_400_000;

/** The mix, for a replica whose history ends at `now`. `probe` gives a case number and an address fragment that exist. */
export function queryMix(now: number, probe: { caseNoPrefix: string; phrase: string; grid: string; unit: string }): QueryCase[] {
  const list = (name: string, args: unknown): QueryCase => ({ name, kind: 'list', run: (h) => h['events/list'](EventListArgs.parse(args)) });
  const agg = (name: string, run: QueryCase['run']): QueryCase => ({ name, kind: 'aggregate', run });
  const since = (days: number) => new Date(now - days * DAY).toISOString();
  return [
    list('all, deadline order, first window', {}),
    list('all, deadline order, window at 9,800', { offset: 9_800, limit: 200 }),
    list('all, newest first', { sort: 'reported_desc' }),
    list('to_verify', { filter: { queue: 'to_verify' } }),
    list('to_dispatch', { filter: { queue: 'to_dispatch' } }),
    list('awaiting_signature', { filter: { queue: 'awaiting_signature' } }),
    list('in_progress in a town', { filter: { queue: 'in_progress', townCodes: [TOWN] } }),
    list('overdue_warning', { filter: { queue: 'overdue_warning' } }),
    list('extension_requests', { filter: { queue: 'extension_requests' } }),
    list('to_check', { filter: { queue: 'to_check' } }),
    list('to_evaluate', { filter: { queue: 'to_evaluate' } }),
    list('supervised_by_me', { filter: { queue: 'supervised_by_me' } }),
    list('a town and a category, last 30 days', { filter: { townCodes: [TOWN], categoryCodes: ['04'], from: since(30) }, sort: 'reported_desc' }),
    list('overdue in a town', { filter: { clockStatuses: ['overdue'], townCodes: [TOWN] } }),
    list('open events of a unit', { filter: { unitIds: [probe.unit], openOnly: true } }),
    list('a grid’s history', { filter: { gridCodes: [probe.grid] }, sort: 'reported_desc' }),
    list('text, open events', { filter: { text: probe.phrase, openOnly: true } }),
    list('case number prefix', { filter: { text: probe.caseNoPrefix } }),
    agg('events/counts', (h) => h['events/counts']({})),
    agg('stats/kpis today', (h) => h['stats/kpis'](KpiArgs.parse({ period: 'today' }))),
    agg('stats/kpis 7 days, a town', (h) => h['stats/kpis'](KpiArgs.parse({ period: '7d', areaCode: TOWN }))),
    agg('stats/kpis 30 days', (h) => h['stats/kpis'](KpiArgs.parse({ period: '30d' }))),
    agg('map/events, open', (h) => h['map/events'](MapEventsArgs.parse({}))),
    agg('map/density 30 days', (h) => h['map/density']({ period: '30d', cellMetres: 250 })),
    agg('map/grid-stats 30 days', (h) => h['map/grid-stats']({ period: '30d' })),
    agg('map/playback, one day', (h) => h['map/playback']({ from: new Date(now - 2 * DAY).toISOString(), to: new Date(now - DAY).toISOString() })),
  ];
}

export interface CaseTiming {
  name: string;
  kind: 'list' | 'aggregate';
  serviceMs: number[];
  sqlMs: number[];
}

/**
 * Runs every case `rounds` times (round-robin, after one warm-up round that
 * also fills the KPI facts), timing the handler and then the replay of the
 * SQL it ran.
 */
export async function runQueryMix(replica: Replica, now: number, cases: QueryCase[], rounds: number, user: SessionUser | null, onRound?: (round: number) => void): Promise<CaseTiming[]> {
  const clock = { now: () => now, setTimeout: () => () => {} };
  const reference = new ReferenceView(replica, { whenReady: async () => true }, clock, 1_000);
  const handlers = createQueryHandlers({ replica, clock, reference, user: () => user });
  // record the statements the handlers run (QueryContext.all/get are where every read goes)
  let recording: { sql: string; bind: Record<string, unknown>; get: boolean }[] | null = null;
  const proto = QueryContext.prototype as unknown as Record<'all' | 'get', (this: QueryContext, sql: string, bind?: Record<string, unknown>) => unknown>;
  const original = { all: proto.all, get: proto.get };
  for (const m of ['all', 'get'] as const) {
    proto[m] = function (sql, bind = {}) {
      recording?.push({ sql, bind, get: m === 'get' });
      return original[m].call(this, sql, bind);
    };
  }
  // the baseline's own connection: plain better-sqlite3, its own prepared statements
  const raw = new Database(replica.sqlite.name, { readonly: true });
  const prepared = new Map<string, Database.Statement>();
  const replay = (stmts: { sql: string; bind: Record<string, unknown>; get: boolean }[]) => {
    const t = performance.now();
    for (const s of stmts) {
      let p = prepared.get(s.sql);
      if (!p) prepared.set(s.sql, (p = raw.prepare(s.sql)));
      if (s.get) p.get(s.bind);
      else p.all(s.bind);
    }
    return performance.now() - t;
  };
  const timings = cases.map((c) => ({ name: c.name, kind: c.kind, serviceMs: [] as number[], sqlMs: [] as number[] }));
  try {
    for (const c of cases) await c.run(handlers); // warm-up: statements prepared, facts computed, caches filled
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < cases.length; i++) {
        recording = [];
        const t = performance.now();
        await cases[i]!.run(handlers);
        timings[i]!.serviceMs.push(performance.now() - t);
        const stmts = recording;
        recording = null;
        timings[i]!.sqlMs.push(replay(stmts));
      }
      onRound?.(r);
    }
  } finally {
    proto.all = original.all;
    proto.get = original.get;
    raw.close();
  }
  return timings;
}

/** p95 over every sample of the cases of a kind. */
export function p95Of(timings: CaseTiming[], kind: 'list' | 'aggregate', which: 'serviceMs' | 'sqlMs'): number {
  return quantile(timings.filter((t) => t.kind === kind).flatMap((t) => t[which]), 0.95);
}

/** A probe for the mix: a case-number prefix, an address fragment, a grid and a unit that exist in the replica. */
export function probeOf(sqlite: Database.Database): { caseNoPrefix: string; phrase: string; grid: string; unit: string } {
  const r = sqlite
    .prepare("SELECT case_no, address, grid_code, lead_unit_id FROM events WHERE is_open = 1 AND lead_unit_id IS NOT NULL AND address IS NOT NULL AND grid_code IS NOT NULL ORDER BY rid DESC LIMIT 1")
    .get() as { case_no: string; address: string; grid_code: string; lead_unit_id: string } | undefined;
  if (!r) throw new Error('the replica has no open, dispatched event to probe with');
  return { caseNoPrefix: r.case_no.slice(0, 12), phrase: r.address.slice(3), grid: r.grid_code, unit: r.lead_unit_id };
}
