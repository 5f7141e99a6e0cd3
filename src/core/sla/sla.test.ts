import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import calendarJson from '../../../resources/config/calendar-cn.json';
import { instantAt, parseCalendar, type WorkingCalendar } from '../calendar';
import {
  SlaPolicy,
  clockState,
  clockStates,
  computeDeadline,
  extendClock,
  mostUrgentClock,
  nextClockChangeAt,
  pauseClock,
  restartClock,
  resumeClock,
  startClock,
  startClockWithDeadline,
  stopClock,
  type SlaPolicyInput,
} from './index';

const parsed = parseCalendar(calendarJson);
if (!parsed.ok) throw new Error(parsed.error.message);
const cal: WorkingCalendar = parsed.value;
const at = (date: string, time = '00:00') => instantAt(cal, date, time);
const HOUR = 3_600_000;

const days = (amount: number, extra: Partial<SlaPolicyInput> = {}) =>
  SlaPolicy.parse({ clock: 'internal', unit: 'working_days', amount, ...extra });

describe('computeDeadline with the real 2025/2026 calendars', () => {
  // [what an officer would say, dispatched (CST), policy, deadline (CST)]
  const cases: [string, [string, string], SlaPolicyInput, [string, string]][] = [
    [
      'Fri evening before 国庆 2025: Sat 9/27 is a weekend, Sun 9/28 is a make-up working day (day 1), Mon 9/29 is day 2',
      ['2025-09-26', '19:30'],
      { clock: 'hotline', unit: 'working_days', amount: 2 },
      ['2025-09-29', '18:00'],
    ],
    [
      'Tue 9/30 morning (the brief said Thursday; 2025-09-30 is a Tuesday): 10/1–10/8 off, Thu 10/9 day 1, Fri 10/10 day 2',
      ['2025-09-30', '10:00'],
      { clock: 'hotline', unit: 'working_days', amount: 2 },
      ['2025-10-10', '18:00'],
    ],
    [
      'Thu 10/9 afternoon: Fri 10/10 day 1, make-up Sat 10/11 day 2',
      ['2025-10-09', '15:00'],
      { clock: 'internal', unit: 'working_days', amount: 2 },
      ['2025-10-11', '18:00'],
    ],
    [
      '春节 2026, Fri 2/13 evening: make-up Sat 2/14 day 1, 2/15–2/23 off, Tue 2/24 day 2',
      ['2026-02-13', '19:30'],
      { clock: 'hotline', unit: 'working_days', amount: 2 },
      ['2026-02-24', '18:00'],
    ],
    [
      '元旦 2026, Wed 12/31 afternoon: 1/1–1/3 off, make-up Sun 1/4 day 1, Mon 1/5 day 2',
      ['2025-12-31', '17:00'],
      { clock: 'hotline', unit: 'working_days', amount: 2 },
      ['2026-01-05', '18:00'],
    ],
    [
      '劳动节 2025, Fri 4/25 evening: make-up Sun 4/27 day 1, Mon 4/28 day 2',
      ['2025-04-25', '20:00'],
      { clock: 'hotline', unit: 'working_days', amount: 2 },
      ['2025-04-28', '18:00'],
    ],
    [
      'complaint, 15 working days from Fri 2026-09-18 evening across 中秋 and 国庆 with make-ups 9/20 and 10/10',
      ['2026-09-18', '19:30'],
      { clock: 'hotline', unit: 'working_days', amount: 15 },
      ['2026-10-15', '18:00'],
    ],
    [
      'dirty road, 5 working hours from Fri 9/26 16:00: 2 h Friday, 3 h on make-up Sunday morning',
      ['2025-09-26', '16:00'],
      { clock: 'urban', unit: 'working_hours', amount: 5 },
      ['2025-09-28', '12:00'],
    ],
    [
      'urgent, 2 calendar hours during the holiday night',
      ['2025-10-04', '23:30'],
      { clock: 'internal', unit: 'calendar_hours', amount: 2 },
      ['2025-10-05', '01:30'],
    ],
    [
      'same working-time offset convention: Wed 10:00 + 2 working days → Fri 10:00',
      ['2025-09-17', '10:00'],
      { clock: 'internal', unit: 'working_days', amount: 2, dayConvention: 'elapsed' },
      ['2025-09-19', '10:00'],
    ],
    [
      'close-of-business convention for the same dispatch → Fri 18:00',
      ['2025-09-17', '10:00'],
      { clock: 'internal', unit: 'working_days', amount: 2 },
      ['2025-09-19', '18:00'],
    ],
  ];
  it.each(cases)('%s', (_what, [d, t], policy, [dd, dt]) => {
    expect(computeDeadline(SlaPolicy.parse(policy), at(d, t), cal)).toEqual(at(dd, dt));
  });

  it('rejects fractional day limits counted to close of business, and bad warn fractions', () => {
    expect(SlaPolicy.safeParse({ clock: 'hotline', unit: 'working_days', amount: 1.5 }).success).toBe(false);
    expect(SlaPolicy.safeParse({ clock: 'hotline', unit: 'working_days', amount: 1.5, dayConvention: 'elapsed' }).success).toBe(true);
    expect(SlaPolicy.safeParse({ clock: 'hotline', unit: 'working_days', amount: 2, warnAt: 1 }).success).toBe(false);
    expect(SlaPolicy.parse({ clock: 'hotline', unit: 'working_days', amount: 2 })).toMatchObject({ warnAt: 0.8, countFrom: 'dispatch' });
  });
});

describe('a clock read over time', () => {
  const dispatched = at('2025-09-26', '19:30');
  const clock = startClock('hotline', { clock: 'hotline', unit: 'working_days', amount: 2 }, dispatched, cal);

  it('stores its budget in working time and its base deadline', () => {
    expect(clock.budgetMs).toBe(14 * HOUR);
    expect(clock.baseDeadline).toBe(at('2025-09-29', '18:00').toISOString());
  });

  it('runs, warns at 80 % and is overdue only after the deadline', () => {
    // 80 % of 14 h = 11.2 h: 7 h Sunday, 3 h Monday morning, 1.2 h after 14:00 → 15:12
    expect(clockState(clock, at('2025-09-29', '15:00'), cal)).toMatchObject({ status: 'running', usedMs: 11 * HOUR, paused: false, stopped: false, met: null });
    const warn = clockState(clock, at('2025-09-29', '15:12'), cal);
    expect(warn.status).toBe('warning');
    expect(warn.warnFrom).toEqual(at('2025-09-29', '15:12'));
    expect(warn.usedFraction).toBeCloseTo(0.8, 6);
    expect(clockState(clock, at('2025-09-29', '18:00'), cal).status).toBe('warning');
    const late = clockState(clock, at('2025-09-29', '18:01'), cal);
    expect(late).toMatchObject({ status: 'overdue', remainingMs: 0 });
    expect(clockState(clock, at('2025-09-30', '10:00'), cal)).toMatchObject({ status: 'overdue', remainingMs: -1 * HOUR });
  });

  it('tells the scheduler when to look again', () => {
    expect(nextClockChangeAt(clock, at('2025-09-27', '12:00'), cal)).toEqual(at('2025-09-29', '15:12'));
    expect(nextClockChangeAt(clock, at('2025-09-29', '16:00'), cal)).toEqual(new Date(at('2025-09-29', '18:00').getTime() + 1));
    expect(nextClockChangeAt(clock, at('2025-09-30', '16:00'), cal)).toBeNull();
  });

  it('does not count a parked interval and projects the deadline while paused', () => {
    const parked = pauseClock(clock, at('2025-09-28', '10:00'), 'parked');
    const whileParked = clockState(parked, at('2025-09-29', '10:00'), cal);
    expect(whileParked.paused).toBe(true);
    expect(whileParked.usedMs).toBe(1 * HOUR); // Sunday 09:00–10:00 only
    const unparked = resumeClock(parked, at('2025-09-29', '10:00'));
    // paused 7 working hours (Sun 10–12, 14–18, Mon 9–10) → the deadline moves from Mon 18:00 to Tue 18:00
    expect(clockState(unparked, at('2025-09-29', '10:00'), cal).deadline).toEqual(at('2025-09-30', '18:00'));
    expect(clockState(unparked, at('2025-09-29', '10:00'), cal).paused).toBe(false);
    expect(nextClockChangeAt(parked, at('2025-09-29', '10:00'), cal)).toBeNull();
  });

  it('adds a granted extension from the current deadline', () => {
    const extended = extendClock(clock, { unit: 'working_days', amount: 3 }, at('2025-09-29', '10:00'), cal, '需协调多部门');
    // Mon 9/29 18:00 + 3 working days: Tue 9/30, Thu 10/9, Fri 10/10 → Fri 10/10 18:00
    expect(clockState(extended, at('2025-09-29', '10:00'), cal).deadline).toEqual(at('2025-10-10', '18:00'));
    expect(extended.extensions[0]).toMatchObject({ addedMs: 21 * HOUR, reason: '需协调多部门' });
  });

  it('stops on feedback, remembers whether it met the deadline, and restarts for rework without charging the check', () => {
    const stopped = stopClock(clock, at('2025-09-29', '11:00'));
    expect(clockState(stopped, at('2025-10-20', '11:00'), cal)).toMatchObject({ stopped: true, met: true, status: 'running', usedMs: 9 * HOUR });
    expect(nextClockChangeAt(stopped, at('2025-09-29', '12:00'), cal)).toBeNull();
    const rework = restartClock(stopped, at('2025-09-30', '10:00'));
    // 5 h left from Tue 10:00: 10–12, 14–17
    expect(clockState(rework, at('2025-09-30', '10:00'), cal).deadline).toEqual(at('2025-09-30', '17:00'));
    expect(clockState(stopClock(clock, at('2025-09-29', '18:30')), at('2025-10-01', '00:00'), cal)).toMatchObject({ met: false, status: 'overdue' });
  });

  it('honours a deadline fixed by the hotline to the minute, shifting it by paused wall-clock time', () => {
    const fixed = startClockWithDeadline('hotline', 'hotline', dispatched, at('2025-09-29', '23:59'));
    expect(clockState(fixed, at('2025-09-29', '23:00'), cal).deadline).toEqual(at('2025-09-29', '23:59'));
    const paused = resumeClock(pauseClock(fixed, at('2025-09-27', '10:00'), 'parked'), at('2025-09-27', '11:00'));
    expect(clockState(paused, at('2025-09-29', '23:00'), cal).deadline).toEqual(at('2025-09-30', '00:59'));
  });

  it('reads several clocks and picks the most urgent counting one', () => {
    const urban = startClock('urban', { clock: 'urban', unit: 'working_hours', amount: 5 }, dispatched, cal);
    const internal = stopClock(startClock('internal', days(1), dispatched, cal), at('2025-09-28', '09:30'));
    const states = clockStates([clock, urban, internal], at('2025-09-28', '15:30'), cal);
    expect(states.map((s) => s.status)).toEqual(['running', 'warning', 'running']);
    expect(mostUrgentClock(states)?.id).toBe('urban');
    expect(mostUrgentClock(clockStates([clock, urban], at('2025-09-29', '10:00'), cal))?.id).toBe('urban');
    expect(mostUrgentClock([])).toBeNull();
  });
});

describe('clock invariants (property)', () => {
  it('is overdue exactly after its deadline, and pauses only ever move the deadline later', () => {
    const base = Date.UTC(2025, 8, 20);
    const span = 40 * 86_400_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: span }),
        fc.constantFrom<SlaPolicyInput>(
          { clock: 'hotline', unit: 'working_days', amount: 2 },
          { clock: 'urban', unit: 'working_hours', amount: 5 },
          { clock: 'internal', unit: 'calendar_days', amount: 3 },
          { clock: 'internal', unit: 'calendar_hours', amount: 2 },
        ),
        fc.array(fc.tuple(fc.integer({ min: 0, max: span }), fc.integer({ min: 1, max: 3 * 86_400_000 })), { maxLength: 3 }),
        fc.integer({ min: 0, max: span }),
        (startOff, policy, pauses, readOff) => {
          const start = new Date(base + startOff);
          let c = startClock('c', policy, start, cal);
          const plain = clockState(c, start, cal).deadline;
          // pauses after the start, applied in order
          const sorted = pauses.map(([o, len]) => [start.getTime() + o, len] as const).sort((a, b) => a[0] - b[0]);
          let cursor = start.getTime();
          for (const [from, len] of sorted) {
            const f = Math.max(from, cursor);
            c = resumeClock(pauseClock(c, new Date(f), 'parked'), new Date(f + len));
            cursor = f + len;
          }
          const read = new Date(Math.max(cursor, base + readOff));
          const s = clockState(c, read, cal);
          expect(s.deadline.getTime()).toBeGreaterThanOrEqual(plain.getTime());
          expect(s.status === 'overdue').toBe(read.getTime() > s.deadline.getTime());
          if (s.status !== 'overdue') {
            expect(s.usedMs).toBeLessThanOrEqual(s.budgetMs);
            expect(s.remainingMs).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
