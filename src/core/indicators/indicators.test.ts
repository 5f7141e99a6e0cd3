import { describe, expect, it } from 'vitest';
import calendarJson from '../../../resources/config/calendar-cn.json';
import workflowJson from '../../../resources/config/workflow-demo.json';
import { instantAt, parseCalendar } from '../calendar';
import { decide, newEvent, parseWorkflowConfig, type Actor, type CommandInput, type DecideContext, type WorkflowEvent } from '../workflow';
import { INDICATORS, IndicatorId, computeIndicators, computeIndicatorsBy, eventFacts, rankBy, type EventFacts } from './index';

const calR = parseCalendar(calendarJson);
const cfgR = parseWorkflowConfig(workflowJson);
if (!calR.ok || !cfgR.ok) throw new Error('config');
const ctx: DecideContext = { calendar: calR.value, config: cfgR.value };
const at = (d: string, t: string) => instantAt(ctx.calendar, d, t);
const admin: Actor = { id: 'a', name: 'a', role: 'admin', organisationId: 'district-440114', scope: { level: 'district', code: '440114' } };
const area = { districtCode: '440114', townCode: '440114001000', villageCode: '440114001001', gridCode: null };

/** Runs [command, local time] steps from a report on Mon 2025-09-15 09:00. */
function run(steps: [CommandInput, string][]): WorkflowEvent {
  let e = newEvent({ id: 'E', area, reportedAt: at('2025-09-15', '09:00'), requiresCheck: false });
  for (const [cmd, when] of steps) {
    const [d, t] = when.split(' ') as [string, string];
    const r = decide(e, cmd, admin, at(d, t), ctx);
    if (!r.ok) throw new Error(`${cmd.type}: ${r.error.code}`);
    e = r.next;
  }
  return e;
}
const DISPATCH: CommandInput = { type: 'dispatch', leadUnitId: 'dept-cg', clocks: [{ policy: { clock: 'internal', unit: 'working_days', amount: 2 } }] };
const base: [CommandInput, string][] = [
  [{ type: 'file' }, '2025-09-15 09:10'],
  [DISPATCH, '2025-09-15 09:30'], // due Wed 9/17 18:00
  [{ type: 'sign' }, '2025-09-15 10:30'],
];
const asOf = at('2025-09-30', '12:00');

describe('eventFacts', () => {
  it('counts an event handled and closed on time', () => {
    const e = run([...base, [{ type: 'handle', feedback: 'ok' }, '2025-09-16 15:00'], [{ type: 'close' }, '2025-09-17 09:00'], [{ type: 'evaluate', satisfaction: 'basically_satisfied' }, '2025-09-18 10:00']]);
    expect(eventFacts(e, asOf, ctx.calendar)).toEqual<EventFacts>({
      due: true,
      handled: true,
      handledOnTime: true,
      closed: true,
      closedOnTime: true,
      reworked: false,
      overdueUnhandled: false,
      extended: false,
      evaluated: true,
      satisfied: true,
      timeToSignMs: 3_600_000,
      timeToHandleMs: at('2025-09-16', '15:00').getTime() - at('2025-09-15', '09:30').getTime(),
      timeToCloseMs: at('2025-09-17', '09:00').getTime() - at('2025-09-15', '09:00').getTime(),
    });
  });

  it('counts a late feedback as handled but not on time, and an open overdue event as overdue unhandled', () => {
    const late = run([...base, [{ type: 'handle', feedback: 'late' }, '2025-09-18 10:00']]);
    expect(eventFacts(late, asOf, ctx.calendar)).toMatchObject({ due: true, handled: true, handledOnTime: false, closed: false });
    const open = run(base);
    expect(eventFacts(open, asOf, ctx.calendar)).toMatchObject({ due: true, handled: false, overdueUnhandled: true });
    // not yet due before its deadline
    expect(eventFacts(open, at('2025-09-16', '12:00'), ctx.calendar)).toMatchObject({ due: false, overdueUnhandled: false });
    const cancelled = run([...base, [{ type: 'cancel', reason: 'x' }, '2025-09-19 10:00']]);
    expect(eventFacts(cancelled, asOf, ctx.calendar).due).toBe(false);
  });
});

describe('computeIndicators', () => {
  const f = (p: Partial<EventFacts>): EventFacts => ({
    due: true,
    handled: false,
    handledOnTime: false,
    closed: false,
    closedOnTime: false,
    reworked: false,
    overdueUnhandled: false,
    extended: false,
    evaluated: false,
    satisfied: false,
    timeToSignMs: null,
    timeToHandleMs: null,
    timeToCloseMs: null,
    ...p,
  });

  it('applies the declared formulas', () => {
    const facts = [
      ...Array.from({ length: 6 }, () => f({ handled: true, handledOnTime: true, closed: true, closedOnTime: true, evaluated: true, satisfied: true, timeToSignMs: 1000 })),
      ...Array.from({ length: 2 }, () => f({ handled: true, reworked: true, extended: true, evaluated: true, timeToSignMs: 3000 })),
      ...Array.from({ length: 2 }, () => f({ overdueUnhandled: true })),
      f({ due: false }),
    ];
    const v = Object.fromEntries(computeIndicators(facts).map((x) => [x.id, x]));
    expect(v.handling_rate).toMatchObject({ value: 0.8, numerator: 8, sample: 10, sufficient: true });
    expect(v.on_time_handling_rate!.value).toBeCloseTo(0.6);
    expect(v.closure_rate!.value).toBeCloseTo(0.6);
    expect(v.rework_rate!.value).toBeCloseTo(0.2);
    expect(v.overdue_unhandled_rate!.value).toBeCloseTo(0.2);
    expect(v.extension_rate!.value).toBeCloseTo(0.2);
    expect(v.satisfaction_rate).toMatchObject({ value: null, numerator: 6, sample: 8, sufficient: false }); // 8 < 10
    expect(v.avg_time_to_sign).toMatchObject({ value: 1500, sample: 8 });
    expect(computeIndicators(facts, { minSample: { satisfaction_rate: 5 } }).find((x) => x.id === 'satisfaction_rate')!.value).toBe(0.75);
    expect(IndicatorId.options.every((id) => INDICATORS[id].formula.length > 0)).toBe(true);
  });

  it('withholds values below the minimum sample and ranks only groups with enough cases', () => {
    const items = [
      ...Array.from({ length: 10 }, (_, i) => ({ key: 'dept-cg', facts: f({ handled: i < 9 }) })),
      ...Array.from({ length: 12 }, (_, i) => ({ key: 'dept-sw', facts: f({ handled: i < 12 }) })),
      ...Array.from({ length: 10 }, (_, i) => ({ key: 'dept-zj', facts: f({ handled: i < 9, reworked: i < 3 }) })),
      ...Array.from({ length: 3 }, () => ({ key: 'dept-xf', facts: f({ handled: true }) })),
    ];
    const by = computeIndicatorsBy(items);
    expect(by.get('dept-xf')!.find((x) => x.id === 'handling_rate')).toMatchObject({ value: null, sufficient: false, sample: 3 });
    expect(rankBy(by, 'handling_rate')).toEqual([
      { key: 'dept-sw', rank: 1, value: 1, sample: 12 },
      { key: 'dept-cg', rank: 2, value: 0.9, sample: 10 },
      { key: 'dept-zj', rank: 2, value: 0.9, sample: 10 },
    ]);
    // lower is better for rework
    expect(rankBy(by, 'rework_rate').map((r) => r.key)).toEqual(['dept-cg', 'dept-sw', 'dept-zj']);
  });
});
