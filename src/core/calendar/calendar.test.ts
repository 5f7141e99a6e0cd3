import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import calendarJson from '../../../resources/config/calendar-cn.json';
import {
  addCalendarDays,
  addWorkingDays,
  addWorkingHours,
  addWorkingTime,
  describeDay,
  instantAt,
  isWorkingDay,
  isWorkingTime,
  localDateOf,
  nthWorkingDayAfter,
  parseCalendar,
  workingIntervals,
  workingTimeBetween,
  type WorkingCalendar,
} from './index';

function loadCn(): WorkingCalendar {
  const r = parseCalendar(calendarJson);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}
const cal = loadCn();
/** local CST date-time → ISO instant, to state expectations the way an officer reads them */
const at = (date: string, time = '00:00') => instantAt(cal, date, time);
const iso = (d: Date) => d.toISOString();

describe('the PRC calendar data', () => {
  it('lists the official 2025 and 2026 days off', () => {
    const offIn = (year: number) => [...cal.holidays.keys()].filter((d) => new Date(d * 86_400_000).getUTCFullYear() === year).length;
    expect(offIn(2025)).toBe(1 + 8 + 3 + 5 + 3 + 8);
    expect(offIn(2026)).toBe(3 + 9 + 3 + 5 + 3 + 3 + 7);
    expect(cal.makeUpWorkdays.size).toBe(11);
  });

  it('classifies days: make-up Sunday works, a holiday Wednesday rests, ordinary weekends rest', () => {
    expect(describeDay(cal, '2025-09-28')).toMatchObject({ kind: 'make_up_workday', working: true, isoWeekday: 7, holidayName: '国庆节、中秋节' });
    expect(describeDay(cal, '2025-10-08')).toMatchObject({ kind: 'holiday', working: false, isoWeekday: 3 });
    expect(describeDay(cal, '2025-10-11')).toMatchObject({ kind: 'make_up_workday', working: true, isoWeekday: 6 });
    expect(describeDay(cal, '2025-09-27')).toMatchObject({ kind: 'weekend', working: false });
    expect(describeDay(cal, '2026-02-23')).toMatchObject({ kind: 'holiday', holidayName: '春节' });
    expect(describeDay(cal, '2026-02-24')).toMatchObject({ kind: 'workday', working: true, isoWeekday: 2 });
    expect(isWorkingDay(cal, '2026-01-04')).toBe(true);
    expect(isWorkingDay(cal, '2026-01-03')).toBe(false);
    expect(describeDay(cal, '2027-02-08').covered).toBe(false);
  });

  it('reads the local day of an instant in UTC+8, whatever the process zone', () => {
    // 2025-09-28 16:30Z is 2025-09-29 00:30 in Guangzhou
    expect(localDateOf(cal, new Date('2025-09-28T16:30:00Z'))).toBe('2025-09-29');
    expect(localDateOf(cal, new Date('2025-09-28T15:59:59Z'))).toBe('2025-09-28');
    expect(iso(at('2025-09-26', '19:30'))).toBe('2025-09-26T11:30:00.000Z');
    expect(isWorkingDay(cal, new Date('2025-09-27T16:00:00Z'))).toBe(true); // Sun 9/28 00:00 CST
  });
});

describe('office hours', () => {
  it('gives a working day two periods and a rest day none', () => {
    expect(workingIntervals(cal, '2025-09-29').map((i) => [iso(i.start), iso(i.end)])).toEqual([
      ['2025-09-29T01:00:00.000Z', '2025-09-29T04:00:00.000Z'],
      ['2025-09-29T06:00:00.000Z', '2025-09-29T10:00:00.000Z'],
    ]);
    expect(workingIntervals(cal, '2025-10-03')).toEqual([]);
    expect(isWorkingTime(cal, at('2025-09-29', '12:30'))).toBe(false);
    expect(isWorkingTime(cal, at('2025-09-29', '14:00'))).toBe(true);
    expect(isWorkingTime(cal, at('2025-09-29', '18:00'))).toBe(false);
  });
});

describe('adding working time', () => {
  it('ends a limit at the end of a period rather than the start of the next', () => {
    expect(addWorkingHours(cal, at('2025-09-29', '11:00'), 1)).toEqual(at('2025-09-29', '12:00'));
    expect(addWorkingHours(cal, at('2025-09-29', '11:00'), 1.5)).toEqual(at('2025-09-29', '14:30'));
    expect(addWorkingHours(cal, at('2025-09-29', '12:30'), 1)).toEqual(at('2025-09-29', '15:00'));
  });

  it('skips the night, the weekend and a holiday, and uses a make-up Saturday', () => {
    // Fri 17:00 + 2 h: one hour Friday, one hour Sunday 9/28 (make-up day)
    expect(addWorkingHours(cal, at('2025-09-26', '17:00'), 2)).toEqual(at('2025-09-28', '10:00'));
    // Tue 9/30 17:00 + 5 h (urban "dirty road" limit): 1 h Tuesday, then 10/1–10/8 off → Thu 10/9 12:00 + 1 h → 15:00
    expect(addWorkingHours(cal, at('2025-09-30', '17:00'), 5)).toEqual(at('2025-10-09', '15:00'));
    // 春节 2026: Fri 2/13 16:00 + 4 h: 2 h Fri, 2 h Sat 2/14 (make-up) → Sat 11:00
    expect(addWorkingHours(cal, at('2026-02-13', '16:00'), 4)).toEqual(at('2026-02-14', '11:00'));
    // an 8-hour limit from Sat 2/14 17:00 crosses the whole holiday: 1 h Sat, 7 h Tue 2/24 → 2/24 18:00
    expect(addWorkingHours(cal, at('2026-02-14', '17:00'), 8)).toEqual(at('2026-02-24', '18:00'));
  });

  it('counts the Nth working day after the start day', () => {
    expect(nthWorkingDayAfter(cal, '2025-09-26', 1)).toBe('2025-09-28');
    expect(nthWorkingDayAfter(cal, '2025-09-30', 1)).toBe('2025-10-09');
    expect(nthWorkingDayAfter(cal, '2025-09-30', 3)).toBe('2025-10-11');
    expect(nthWorkingDayAfter(cal, '2026-02-13', 2)).toBe('2026-02-24');
    expect(nthWorkingDayAfter(cal, '2026-02-13', 0)).toBe('2026-02-13');
  });

  it('adds working days: close of business of the Nth working day, or elapsed office hours', () => {
    const friEvening = at('2025-09-26', '19:30');
    expect(addWorkingDays(cal, friEvening, 2)).toEqual(at('2025-09-29', '18:00'));
    expect(addWorkingDays(cal, friEvening, 2, 'elapsed')).toEqual(at('2025-09-29', '18:00'));
    // during office hours the two conventions differ
    const wedMorning = at('2025-09-17', '10:00');
    expect(addWorkingDays(cal, wedMorning, 2)).toEqual(at('2025-09-19', '18:00'));
    expect(addWorkingDays(cal, wedMorning, 2, 'elapsed')).toEqual(at('2025-09-19', '10:00'));
    // before opening on a working day the day of the start still does not count
    expect(addWorkingDays(cal, at('2025-09-17', '08:00'), 2)).toEqual(at('2025-09-19', '18:00'));
    expect(addWorkingDays(cal, at('2025-09-17', '08:00'), 2, 'elapsed')).toEqual(at('2025-09-18', '18:00'));
  });

  it('adds calendar days ending at local midnight, or exactly N × 24 h', () => {
    expect(addCalendarDays(cal, at('2025-09-26', '19:30'), 2)).toEqual(at('2025-09-29', '00:00'));
    expect(addCalendarDays(cal, at('2025-09-26', '19:30'), 2, 'elapsed')).toEqual(at('2025-09-28', '19:30'));
  });

  it('measures working time between instants', () => {
    expect(workingTimeBetween(cal, at('2025-09-26', '17:00'), at('2025-09-28', '10:00'))).toBe(2 * 3_600_000);
    expect(workingTimeBetween(cal, at('2025-09-30', '00:00'), at('2025-10-09', '00:00'))).toBe(7 * 3_600_000);
    expect(workingTimeBetween(cal, at('2025-09-28', '10:00'), at('2025-09-26', '17:00'))).toBe(-2 * 3_600_000);
  });

  it('makes adding and measuring inverse (property)', () => {
    const start = Date.UTC(2024, 11, 20);
    const end = Date.UTC(2026, 11, 1);
    fc.assert(
      fc.property(fc.integer({ min: start, max: end }), fc.integer({ min: 0, max: 40 * 7 * 60 }), (t, minutes) => {
        const from = new Date(t);
        const ms = minutes * 60_000;
        const to = addWorkingTime(cal, from, ms);
        expect(to.getTime()).toBeGreaterThanOrEqual(t);
        expect(workingTimeBetween(cal, from, to)).toBe(ms);
        // earliest: one millisecond earlier has not used the whole amount yet
        if (ms > 0) expect(workingTimeBetween(cal, from, new Date(to.getTime() - 1))).toBe(ms - 1);
      }),
      { numRuns: 300 },
    );
  });

  it('never lands a working-day limit on a rest day (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 10, 1) }), fc.integer({ min: 1, max: 15 }), (t, n) => {
        const due = addWorkingDays(cal, new Date(t), n);
        expect(isWorkingDay(cal, due)).toBe(true);
        expect(localDateOf(cal, due) > localDateOf(cal, new Date(t))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
