/**
 * map/grid-stats: per base grid, events reported in the period (the load),
 * open events and open events with an overdue clock now, and the residents —
 * row i is `gridCodes[i]`, every grid in force today, in code order, so the
 * wall can join the columns to its grid polygons by index. Counted with
 * GROUP BY grid_code over covering indexes (named with INDEXED BY: without
 * statistics SQLite would walk events_grid_reported's 10^6 entries to save a
 * sort of a few thousand); nothing per event in JavaScript.
 */
import type { ParsedArgs } from '../../../../core/index';
import type { GridStats } from '../../../../core/rpc/wall';
import type { QueryContext } from '../context';
import { PAUSE_FROM_MS, PAUSED_ROWS } from '../events/event-sql';
import { resolvePeriod, isoRange } from '../stats/period';

export async function gridStats(ctx: QueryContext, args: ParsedArgs<'map/grid-stats'>): Promise<GridStats> {
  const now = ctx.now();
  const checkpoint = ctx.checkpoint();
  const { calendar } = ctx.domain();
  const range = resolvePeriod(args.period, now, calendar.offsetMs);
  const grids = [...(await ctx.deps.reference.get()).grids].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const index = new Map(grids.map((g, i) => [g.code, i]));
  const reported = new Uint32Array(grids.length);
  const open = new Uint32Array(grids.length);
  const overdue = new Uint32Array(grids.length);
  const population = Uint32Array.from(grids, (g) => {
    const p = (g as { population?: unknown }).population;
    return typeof p === 'number' && p > 0 ? p : 0;
  });
  for (const r of ctx.all<{ g: string; n: number }>(
    'SELECT e.grid_code AS g, count(*) AS n FROM events e INDEXED BY events_reported_geo WHERE e.reported_at >= @from AND e.reported_at < @to GROUP BY e.grid_code',
    { from: range.from, to: range.to },
  )) {
    const i = index.get(r.g);
    if (i !== undefined) reported[i] = r.n;
  }
  for (const r of ctx.all<{ g: string; n: number; late: number }>(
    `SELECT e.grid_code AS g, count(*) AS n, sum(e.clock_state = 'running' AND @now > e.deadline_at) AS late
     FROM events e INDEXED BY events_open WHERE e.is_open = 1 GROUP BY e.grid_code`,
    { now },
  )) {
    const i = index.get(r.g);
    if (i === undefined) continue;
    open[i] = r.n;
    overdue[i] = r.late;
  }
  // paused clocks that were overdue when the pause began stay overdue (from events_paused)
  for (const r of ctx.all<{ g: string; n: number }>(
    `SELECT e.grid_code AS g, count(*) AS n FROM events e INDEXED BY events_paused WHERE ${PAUSED_ROWS} AND ${PAUSE_FROM_MS} > e.deadline_at GROUP BY e.grid_code`,
  )) {
    const i = index.get(r.g);
    if (i !== undefined) overdue[i] += r.n;
  }
  return { period: isoRange(range), gridCodes: grids.map((g) => g.code), reported, open, overdue, population, checkpoint };
}
