/**
 * stats/kpis: the dashboard figures of a period and an area (the district, a
 * town or a village).
 *
 * - The period's figures count its cohort — the events reported in it:
 *   `intake`, `dispatched` (of those, dispatched), the rates and the
 *   breakdowns. The rates are the declared indicators of core/indicators,
 *   counted in SQL from per-event facts that `eventFacts` computed
 *   (./facts.ts): 结案率 closure_rate, 按期结案率 on_time_closure_rate, 满意率
 *   satisfaction_rate, each with its formula and minimum sample.
 * - `inProgress` and `overdue` are the state now (open events in working
 *   states; open events whose clock is overdue now), in the area.
 * - `hourly`: events reported per local hour of today, and the mean per hour
 *   over the 7 days before today.
 */
import { INDICATORS, type IndicatorId, type ParsedArgs } from '../../../../core/index';
import type { Kpis, Rate } from '../../../../core/rpc/queries';
import type { QueryContext } from '../context';
import { PAUSE_FROM_MS, PAUSED_ROWS } from '../events/event-sql';
import { FACT, type FactsStore } from './facts';
import { isoRange, localMidnight, resolvePeriod } from './period';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Chinese names of the sources, for breakdown labels (the renderer may translate by key). */
const SOURCE_LABELS: Record<string, string> = {
  hotline_12345: '12345热线',
  grid_patrol: '网格巡查',
  urban_management: '数字城管',
  one_key: '一键呼叫',
  enterprise: '企业有呼',
  open311: '群众上报',
  migrant: '来穗系统',
  gov_service: '政务服务',
  api: '数据接口',
  manual: '人工受理',
};

/** `overdue at @asOf` of the judging clock, from the stored instant */
const OVERDUE = '(f.overdue_from IS NOT NULL AND @asOf > f.overdue_from)';
const DUE = `((f.flags & ${FACT.dispatched}) <> 0 AND (f.flags & ${FACT.withdrawn}) = 0 AND ((f.flags & ${FACT.handled}) <> 0 OR ${OVERDUE}))`;
const has = (bit: number) => `((f.flags & ${bit}) <> 0)`;

type Counted = 'intake' | 'dispatched' | 'due' | 'closed' | 'closed_on_time' | 'evaluated' | 'satisfied';

export class KpiQueries {
  constructor(
    private readonly ctx: QueryContext,
    private readonly facts: FactsStore,
  ) {}

  async kpis(args: ParsedArgs<'stats/kpis'>): Promise<Kpis> {
    const ctx = this.ctx;
    const now = ctx.now();
    const checkpoint = ctx.checkpoint();
    const { calendar, taxonomy } = ctx.domain();
    const range = resolvePeriod(args.period, now, calendar.offsetMs);
    const midnight = localMidnight(now, calendar.offsetMs);
    const weekAgo = midnight - 7 * DAY;
    this.facts.ensure(Math.min(range.from, weekAgo));

    const bind: Record<string, unknown> = { from: range.from, to: range.to, asOf: now, now };
    let areaF = '';
    let areaE = '';
    if (args.areaCode) {
      bind.area = args.areaCode;
      const column = args.areaCode.length === 12 && args.areaCode.endsWith('000') ? 'town_code' : args.areaCode.length === 12 ? 'village_code' : null;
      if (column) {
        areaF = ` AND f.${column} = @area`;
        areaE = ` AND e.${column} = @area`;
      }
    }
    // the cohort: the formulas' counts per source in one range scan of kpi_facts (clustered by
    // reported time), summed here into the totals; one more scan per other breakdown (a single
    // GROUP BY over four keys sorts far more than three small ones)
    const cohort = `FROM kpi_facts f WHERE f.reported_at >= @from AND f.reported_at < @to${areaF}`;
    const bySource = ctx.all<{ k: string } & Record<Counted, number>>(
      `SELECT f.source AS k, count(*) AS intake, sum(${has(FACT.dispatched)}) AS dispatched,
         sum(${DUE}) AS due, sum(${DUE} AND ${has(FACT.closed)}) AS closed, sum(${DUE} AND ${has(FACT.closedOnTime)}) AS closed_on_time,
         sum(${has(FACT.evaluated)}) AS evaluated, sum(${has(FACT.evaluated)} AND ${has(FACT.satisfied)}) AS satisfied
       ${cohort} GROUP BY k`,
      bind,
    );
    const totals: Record<Counted, number> = { intake: 0, dispatched: 0, due: 0, closed: 0, closed_on_time: 0, evaluated: 0, satisfied: 0 };
    for (const g of bySource) for (const k of Object.keys(totals) as Counted[]) totals[k] += g[k] ?? 0;
    const num = (k: Counted) => totals[k];
    const group = (column: string) =>
      new Map(
        ctx
          .all<{ k: string | null; n: number }>(`SELECT ${column} AS k, count(*) AS n ${cohort} GROUP BY k`, bind)
          .filter((r): r is { k: string; n: number } => r.k !== null)
          .map((r) => [r.k, r.n]),
      );
    const by = { c: group('substr(f.category_code, 1, 2)'), t: group('f.town_code'), s: new Map(bySource.map((g) => [g.k, g.intake])), u: group('f.lead_unit_id') };

    const open = ctx.get<{ in_progress: number | null; overdue: number | null }>(
      `SELECT sum(e.status IN ('dispatched', 'signed', 'in_progress', 'rework')) AS in_progress,
         sum(e.clock_state = 'running' AND @now > e.deadline_at) AS overdue
       FROM events e INDEXED BY events_open WHERE e.is_open = 1${areaE}`,
      bind,
    )!;
    const pausedOverdue = ctx.get<{ n: number }>(`SELECT count(*) AS n FROM events e INDEXED BY events_paused WHERE ${PAUSED_ROWS} AND ${PAUSE_FROM_MS} > e.deadline_at${areaE}`, bind)!.n;

    const breakdown = (m: Map<string, number>, label: (k: string) => string) =>
      [...m]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([key, count]) => ({ key, label: label(key), count }));
    const areas = new Map((await this.areaNames()).map((a) => [a.code, a.name]));
    const units = this.unitNames();
    const categoryName = (code: string) => taxonomy?.byCode.get(code)?.node.name ?? code;

    const hourlyToday = new Array<number>(24).fill(0);
    const hourlyWeek = new Array<number>(24).fill(0);
    for (const r of ctx.all<{ day: number; h: number; n: number }>(
      `SELECT (f.reported_at >= @midnight) AS day, ((f.reported_at - @midnight) % ${DAY} + ${DAY}) % ${DAY} / ${HOUR} AS h, count(*) AS n
       FROM kpi_facts f WHERE f.reported_at >= @weekAgo AND f.reported_at <= @now${areaF} GROUP BY day, h`,
      { ...bind, midnight, weekAgo },
    )) {
      const h = Math.floor(r.h);
      if (h < 0 || h > 23) continue;
      if (r.day) hourlyToday[h] += r.n;
      else hourlyWeek[h] += r.n;
    }

    return {
      period: isoRange(range),
      intake: num('intake'),
      dispatched: num('dispatched'),
      inProgress: open.in_progress ?? 0,
      overdue: (open.overdue ?? 0) + pausedOverdue,
      closureRate: rate('closure_rate', num('closed'), num('due')),
      onTimeRate: rate('on_time_closure_rate', num('closed_on_time'), num('due')),
      satisfaction: rate('satisfaction_rate', num('satisfied'), num('evaluated')),
      byCategory: breakdown(by.c, categoryName),
      byTown: breakdown(by.t, (k) => areas.get(k) ?? k),
      bySource: breakdown(by.s, (k) => SOURCE_LABELS[k] ?? k),
      byUnit: breakdown(by.u, (k) => units.get(k) ?? k),
      hourly: { today: hourlyToday, last7Days: hourlyWeek.map((n) => n / 7) },
      checkpoint,
    };
  }

  private async areaNames(): Promise<{ code: string; name: string }[]> {
    try {
      return (await this.ctx.deps.reference.get()).areas;
    } catch {
      return [];
    }
  }

  private unitNames(): Map<string, string> {
    return this.ctx.memoise('kpi:unit-names', () => {
      const rows = this.ctx.all<{ key: string; name: string | null }>("SELECT key, json_extract(doc, '$.shortName') AS name FROM units");
      return new Map(rows.map((r) => [r.key, r.name ?? r.key]));
    });
  }
}

/** A rate with its declared formula and minimum sample (core/indicators). */
export function rate(id: IndicatorId, numerator: number, denominator: number): Rate {
  const d = INDICATORS[id];
  const sufficient = denominator >= d.minSample && denominator > 0;
  return { value: sufficient ? numerator / denominator : null, numerator, denominator, formula: `${d.name} = ${d.formula}`, sufficient };
}
