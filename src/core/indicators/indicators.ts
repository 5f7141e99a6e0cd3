/**
 * Performance indicators in the style of GB/T 30428 (数字化城市管理 evaluation),
 * each with a declared formula and a minimum sample below which it is shown as
 * "not enough cases" rather than as a misleading percentage.
 *
 * Two steps: `eventFacts` turns one workflow event into the yes/no facts and
 * durations the formulas count (at an instant, against one of its clocks), and
 * `computeIndicators` counts a set of facts. Grouping by district, town,
 * village, grid, unit, category, source or period is the caller's: group the
 * facts, then compute per group (`computeIndicatorsBy`, `rankBy`).
 */
import { z } from 'zod';
import { type WorkingCalendar } from '../calendar/calendar';
import { clockState, type SlaClock } from '../sla/clock';
import { type WorkflowEvent } from '../workflow/event';

export const IndicatorId = z.enum([
  'handling_rate',
  'on_time_handling_rate',
  'closure_rate',
  'on_time_closure_rate',
  'rework_rate',
  'overdue_unhandled_rate',
  'extension_rate',
  'satisfaction_rate',
  'avg_time_to_sign',
  'avg_time_to_handle',
  'avg_time_to_close',
]);
export type IndicatorId = z.infer<typeof IndicatorId>;

export interface IndicatorDefinition {
  id: IndicatorId;
  name: string;
  nameEn: string;
  /** the formula as officers read it */
  formula: string;
  kind: 'ratio' | 'mean_ms';
  /** below this many cases in the denominator the value is withheld */
  minSample: number;
}

const def = (id: IndicatorId, name: string, nameEn: string, formula: string, kind: 'ratio' | 'mean_ms', minSample: number): IndicatorDefinition => ({
  id,
  name,
  nameEn,
  formula,
  kind,
  minSample,
});

/** The declared indicators (demo minimum samples; a site may pass its own). */
export const INDICATORS: Readonly<Record<IndicatorId, IndicatorDefinition>> = {
  handling_rate: def('handling_rate', '处置率', 'handling rate', '已处置数 ÷ 应处置数', 'ratio', 10),
  on_time_handling_rate: def('on_time_handling_rate', '按期处置率', 'on-time handling rate', '按期处置数 ÷ 应处置数', 'ratio', 10),
  closure_rate: def('closure_rate', '结案率', 'closure rate', '结案数 ÷ 应结案数', 'ratio', 10),
  on_time_closure_rate: def('on_time_closure_rate', '按期结案率', 'on-time closure rate', '按期结案数 ÷ 应结案数', 'ratio', 10),
  rework_rate: def('rework_rate', '返工率', 'rework rate', '返工案件数 ÷ 应结案数', 'ratio', 10),
  overdue_unhandled_rate: def('overdue_unhandled_rate', '超期未处置率', 'overdue unhandled rate', '超期未处置数 ÷ 应处置数', 'ratio', 10),
  extension_rate: def('extension_rate', '延期率', 'extension rate', '延期案件数 ÷ 应处置数', 'ratio', 10),
  satisfaction_rate: def('satisfaction_rate', '满意率', 'satisfaction rate', '（满意 + 基本满意）÷ 已评价数', 'ratio', 10),
  avg_time_to_sign: def('avg_time_to_sign', '平均签收时长', 'average time to sign', 'Σ(签收 − 派遣) ÷ 已签收数', 'mean_ms', 5),
  avg_time_to_handle: def('avg_time_to_handle', '平均处置时长', 'average time to handle', 'Σ(处置反馈 − 派遣) ÷ 已处置数', 'mean_ms', 5),
  avg_time_to_close: def('avg_time_to_close', '平均结案时长', 'average time to close', 'Σ(结案 − 上报) ÷ 结案数', 'mean_ms', 5),
};

/** The facts of one event the formulas count. */
export interface EventFacts {
  /** 应处置/应结案: dispatched, not withdrawn (cancelled/merged), and either handled or past its deadline */
  due: boolean;
  handled: boolean;
  handledOnTime: boolean;
  closed: boolean;
  closedOnTime: boolean;
  reworked: boolean;
  overdueUnhandled: boolean;
  extended: boolean;
  evaluated: boolean;
  satisfied: boolean;
  /** wall-clock durations, null when the step has not happened */
  timeToSignMs: number | null;
  timeToHandleMs: number | null;
  timeToCloseMs: number | null;
}

const HANDLED: readonly string[] = ['handled', 'checking', 'checked', 'closed', 'evaluated'];

/**
 * The clock an event is judged by: the one named, else the internal 有呼必应
 * clock, else the first.
 */
export function judgingClock(event: WorkflowEvent, clockId?: string): SlaClock | null {
  const byId = clockId ? event.clocks.find((c) => c.id === clockId) : undefined;
  return byId ?? event.clocks.find((c) => c.kind === 'internal') ?? event.clocks[0] ?? null;
}

export function eventFacts(event: WorkflowEvent, asOf: Date, cal: WorkingCalendar, clockId?: string): EventFacts {
  const clock = judgingClock(event, clockId);
  const state = clock ? clockState(clock, asOf, cal) : null;
  const withdrawn = event.status === 'cancelled' || event.status === 'merged';
  const dispatched = event.firstDispatchedAt !== null;
  const handled = HANDLED.includes(event.status);
  const closed = event.status === 'closed' || event.status === 'evaluated';
  const overdue = state?.status === 'overdue';
  // "on time": the judging clock stopped by its deadline (a later rework restarts it, so this is the final feedback)
  const onTime = state !== null && state.stopped && state.met === true;
  const dispatchedAt = event.firstDispatchedAt ? Date.parse(event.firstDispatchedAt) : null;
  const leadSigned = event.unitProgress.find((p) => p.role === 'lead')?.signedAt ?? null;
  const ms = (a: number | null, b: string | null) => (a !== null && b !== null ? Math.max(0, Date.parse(b) - a) : null);
  return {
    due: dispatched && !withdrawn && (handled || overdue),
    handled: dispatched && handled,
    handledOnTime: dispatched && handled && onTime,
    closed: dispatched && closed,
    closedOnTime: dispatched && closed && onTime,
    reworked: event.reworkCount > 0,
    overdueUnhandled: dispatched && !withdrawn && !handled && overdue,
    extended: event.extensionsGranted > 0,
    evaluated: event.evaluation !== null,
    satisfied: event.evaluation !== null && event.evaluation.level !== 'dissatisfied',
    timeToSignMs: ms(dispatchedAt, leadSigned),
    timeToHandleMs: handled ? ms(dispatchedAt, event.feedback?.at ?? null) : null,
    timeToCloseMs: closed ? ms(Date.parse(event.reportedAt), event.closedAt) : null,
  };
}

export interface IndicatorValue {
  id: IndicatorId;
  /** the ratio (0–1) or mean duration in ms; null when the sample is below the minimum */
  value: number | null;
  numerator: number;
  /** the denominator of a ratio, or the number of durations averaged */
  sample: number;
  sufficient: boolean;
}

type Counter = (f: EventFacts) => [count: boolean, ofBase: boolean];

const RATIOS: Record<Exclude<IndicatorId, 'avg_time_to_sign' | 'avg_time_to_handle' | 'avg_time_to_close'>, Counter> = {
  handling_rate: (f) => [f.due && f.handled, f.due],
  on_time_handling_rate: (f) => [f.due && f.handledOnTime, f.due],
  closure_rate: (f) => [f.due && f.closed, f.due],
  on_time_closure_rate: (f) => [f.due && f.closedOnTime, f.due],
  rework_rate: (f) => [f.due && f.reworked, f.due],
  overdue_unhandled_rate: (f) => [f.due && f.overdueUnhandled, f.due],
  extension_rate: (f) => [f.due && f.extended, f.due],
  satisfaction_rate: (f) => [f.evaluated && f.satisfied, f.evaluated],
};

const MEANS: Record<'avg_time_to_sign' | 'avg_time_to_handle' | 'avg_time_to_close', (f: EventFacts) => number | null> = {
  avg_time_to_sign: (f) => f.timeToSignMs,
  avg_time_to_handle: (f) => f.timeToHandleMs,
  avg_time_to_close: (f) => f.timeToCloseMs,
};

export interface ComputeOptions {
  /** override minimum samples per indicator */
  minSample?: Partial<Record<IndicatorId, number>>;
}

export function computeIndicators(facts: readonly EventFacts[], opts: ComputeOptions = {}): IndicatorValue[] {
  return IndicatorId.options.map((id) => {
    const min = opts.minSample?.[id] ?? INDICATORS[id].minSample;
    if (id in RATIOS) {
      const count = RATIOS[id as keyof typeof RATIOS];
      let num = 0;
      let base = 0;
      for (const f of facts) {
        const [c, b] = count(f);
        if (b) base += 1;
        if (c) num += 1;
      }
      const sufficient = base >= min && base > 0;
      return { id, value: sufficient ? num / base : null, numerator: num, sample: base, sufficient };
    }
    const pick = MEANS[id as keyof typeof MEANS];
    let sum = 0;
    let n = 0;
    for (const f of facts) {
      const v = pick(f);
      if (v !== null) {
        sum += v;
        n += 1;
      }
    }
    const sufficient = n >= min && n > 0;
    return { id, value: sufficient ? sum / n : null, numerator: sum, sample: n, sufficient };
  });
}

/** Indicators per group (town, unit, category, period…), groups in first-seen order. */
export function computeIndicatorsBy<K>(items: readonly { key: K; facts: EventFacts }[], opts: ComputeOptions = {}): Map<K, IndicatorValue[]> {
  const groups = new Map<K, EventFacts[]>();
  for (const { key, facts } of items) {
    const g = groups.get(key);
    if (g) g.push(facts);
    else groups.set(key, [facts]);
  }
  return new Map([...groups].map(([k, fs]) => [k, computeIndicators(fs, opts)]));
}

export interface Ranked<K> {
  key: K;
  rank: number;
  value: number;
  sample: number;
}

/**
 * Ranks groups (e.g. units) by one indicator, best first. Groups below the
 * minimum sample are left out rather than ranked on a handful of cases. Rates
 * where lower is better (rework, overdue, extension, mean times) rank ascending.
 */
export function rankBy<K>(byGroup: ReadonlyMap<K, IndicatorValue[]>, id: IndicatorId): Ranked<K>[] {
  const lowerIsBetter = id === 'rework_rate' || id === 'overdue_unhandled_rate' || id === 'extension_rate' || INDICATORS[id].kind === 'mean_ms';
  const rows = [...byGroup]
    .map(([key, values]) => ({ key, v: values.find((x) => x.id === id)! }))
    .filter((r) => r.v.sufficient && r.v.value !== null)
    .map((r) => ({ key: r.key, value: r.v.value!, sample: r.v.sample }))
    .sort((a, b) => (lowerIsBetter ? a.value - b.value : b.value - a.value));
  // equal values share a rank (1, 2, 2, 4)
  let rank = 0;
  return rows.map((r, i) => {
    if (i === 0 || rows[i - 1]!.value !== r.value) rank = i + 1;
    return { ...r, rank };
  });
}
