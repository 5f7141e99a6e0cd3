/**
 * events/list: one window (offset, limit) of a queue with filters, in
 * deadline order by default (序时消单), and the total the filter matches so a
 * virtualized table knows its scroll height. The window and the total are two
 * statements; the total is memoised per replica state when the filter does not
 * depend on the time (see QueryContext.memoise).
 */
import type { EventListResult } from '../../../../core/rpc/queries';
import type { ParsedArgs } from '../../../../core/index';
import type { QueryContext } from '../context';
import { clockStatusWindow, filterSql, orderSql, statusWindow } from './event-sql';
import { ROW_COLUMNS, toEventRow, type RawRow } from './event-rows';

export function listEvents(ctx: QueryContext, args: ParsedArgs<'events/list'>): EventListResult {
  const now = ctx.now();
  const checkpoint = ctx.checkpoint();
  const user = ctx.deps.user();
  const f = filterSql(args.filter, now, user?.id ?? null, ctx.ftsThrough());
  if (f.empty) return { total: 0, offset: args.offset, rows: [], checkpoint };
  const bind = { ...f.bind, limit: args.limit, offset: args.offset, lim: args.offset + args.limit };
  if (f.clockOnly && args.sort === 'deadline') {
    // the 超期/预警 tab, perhaps within areas: running clocks walked off their index in deadline order,
    // paused ones (which all come after) only when the window reaches past the running ones
    const w = clockStatusWindow(f.clockOnly);
    const { now: _now, ...frozenBind } = f.bind;
    const pausedTotal = () => ctx.memoise(`count:${w.pausedCount}:${JSON.stringify(frozenBind)}`, () => ctx.get<{ n: number }>(w.pausedCount, f.bind)!.n);
    const rids = ctx.all<{ rid: number }>(w.running, bind).map((r) => r.rid);
    let runningTotal: number | null = null;
    if (rids.length < args.limit) {
      runningTotal = rids.length > 0 || args.offset === 0 ? args.offset + rids.length : ctx.get<{ n: number }>(w.runningCount, f.bind)!.n;
      const paused = ctx.all<{ rid: number }>(w.paused, { ...bind, limit: args.limit - rids.length, offset: Math.max(0, args.offset - runningTotal) });
      rids.push(...paused.map((r) => r.rid));
    }
    const rows = ctx.all<RawRow>(`SELECT ${ROW_COLUMNS} FROM json_each(@rids) j CROSS JOIN events e ON e.rid = j.value ORDER BY j.key`, { now: f.bind.now, rids: JSON.stringify(rids) });
    const total =
      args.offset === 0 && rows.length < args.limit
        ? rows.length
        : (runningTotal ?? ctx.get<{ n: number }>(w.runningCount, f.bind)!.n) + pausedTotal();
    return { total, offset: args.offset, rows: rows.map(toEventRow), checkpoint };
  }
  let rows: RawRow[];
  if (f.statusOnly && args.sort === 'deadline') {
    // a state queue: each status's first rows off events_status_rank, merged
    rows = ctx.all<RawRow>(`SELECT ${ROW_COLUMNS} FROM (${statusWindow(f.statusOnly, bind)}) w CROSS JOIN events e ON e.rid = w.rid ORDER BY w.rk, w.dl, w.rid`, bind);
  } else {
    // two steps: find the window's rids by the sort keys alone, then build the row columns
    // (clock status, pending command) for those rows only, not for every row the sort looked at;
    // CROSS JOIN keeps the window as the outer loop (SQLite would otherwise walk the whole index
    // that matches the ORDER BY and probe the window)
    const order = orderSql(args.sort, f.where !== '' && f.orderFromIndex !== args.sort);
    rows = ctx.all<RawRow>(`SELECT ${ROW_COLUMNS} FROM (SELECT e.rid FROM ${f.from} ${f.where} ${order} LIMIT @limit OFFSET @offset) w CROSS JOIN events e ON e.rid = w.rid ${order}`, bind);
  }
  const countSql = `SELECT count(*) AS n FROM ${f.from} ${f.where}`;
  const count = () => ctx.get<{ n: number }>(countSql, f.bind)!.n;
  // a short window at the start holds the whole result: no count needed
  const total =
    args.offset === 0 && rows.length < args.limit
      ? rows.length
      : f.timeDependent
        ? count()
        : ctx.memoise(`count:${countSql}:${JSON.stringify({ ...f.bind, now: null })}`, count);
  return { total, offset: args.offset, rows: rows.map(toEventRow), checkpoint };
}
