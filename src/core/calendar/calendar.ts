/**
 * Working-time arithmetic over a validated calendar: which days are working
 * days, the office hours of a day, adding working hours / working days /
 * calendar time to an instant, and working time elapsed between two instants.
 *
 * Rules, in order, for one local day: a make-up working day (调休上班) works; a
 * listed holiday rests; a weekend day rests; any other day works. Years the file
 * does not list fall back to plain weekends (see `coversDate`).
 *
 * Instants are `Date`s; the calendar's fixed UTC offset decides local days, so
 * the process time zone never matters.
 */
import { type Result } from '../errors';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  dayNumberOf,
  formatDayNumber,
  isoWeekdayOf,
  localDayOf,
  parseTimeOfDay,
  startOfLocalDay,
  type LocalDate,
} from './local-time';
import { parseCalendarData, type CalendarData } from './schema';

/** A calendar compiled for fast lookups. Build it with `compileCalendar` or `parseCalendar`. */
export interface WorkingCalendar {
  readonly data: CalendarData;
  readonly offsetMs: number;
  /** day number → holiday name */
  readonly holidays: ReadonlyMap<number, string>;
  /** day number → name of the holiday it makes up for */
  readonly makeUpWorkdays: ReadonlyMap<number, string>;
  /** ISO weekdays that rest */
  readonly weekendDays: ReadonlySet<number>;
  /** office hours as [startMinute, endMinute) after local midnight, in order */
  readonly periods: readonly (readonly [number, number])[];
  /** working time in one ordinary working day, ms */
  readonly dailyWorkingMs: number;
  readonly years: ReadonlySet<number>;
}

/** How a working-day or calendar-day limit ends. */
export type DayConvention =
  /**
   * 按日计算、次日起算: the day of the start does not count; the limit ends at
   * close of business (end of the last office period) of the Nth working day after
   * it — or at 24:00 of the Nth calendar day for calendar days. 民法典 art. 201/203.
   */
  | 'close_of_business'
  /** the same amount of elapsed (working) time: N × a working day's hours, or N × 24 h */
  | 'elapsed';

export type DayKind = 'workday' | 'weekend' | 'holiday' | 'make_up_workday';

export interface DayInfo {
  date: LocalDate;
  /** 1 = Monday … 7 = Sunday */
  isoWeekday: number;
  kind: DayKind;
  working: boolean;
  /** the holiday, or the holiday a make-up day serves */
  holidayName: string | null;
  /** false when the calendar has no holiday data for this year */
  covered: boolean;
}

export interface Interval {
  start: Date;
  end: Date;
}

/** Safety stop: no search walks further than this many days (a calendar always has working days). */
const MAX_SCAN_DAYS = 366 * 30;

export function compileCalendar(data: CalendarData): WorkingCalendar {
  const holidays = new Map<number, string>();
  for (const h of data.holidays) {
    for (let d = dayNumberOf(h.from); d <= dayNumberOf(h.to); d++) holidays.set(d, h.name);
  }
  const makeUpWorkdays = new Map<number, string>();
  for (const m of data.makeUpWorkdays) makeUpWorkdays.set(dayNumberOf(m.date), m.for);
  const periods = data.workingHours.map((p) => [parseTimeOfDay(p.start)!, parseTimeOfDay(p.end)!] as const);
  const dailyWorkingMs = periods.reduce((sum, [s, e]) => sum + (e - s) * MINUTE_MS, 0);
  return {
    data,
    offsetMs: data.utcOffsetMinutes * MINUTE_MS,
    holidays,
    makeUpWorkdays,
    weekendDays: new Set(data.weekendDays),
    periods,
    dailyWorkingMs,
    years: new Set(data.years),
  };
}

/** Validates calendar data (field-level errors in `error.details`) and compiles it. */
export function parseCalendar(input: unknown): Result<WorkingCalendar> {
  const parsed = parseCalendarData(input);
  return parsed.ok ? { ok: true, value: compileCalendar(parsed.value) } : parsed;
}

function toDay(cal: WorkingCalendar, date: LocalDate | Date): number {
  return typeof date === 'string' ? dayNumberOf(date) : localDayOf(date.getTime(), cal.offsetMs);
}

function isWorkingDayNumber(cal: WorkingCalendar, day: number): boolean {
  if (cal.makeUpWorkdays.has(day)) return true;
  if (cal.holidays.has(day)) return false;
  return !cal.weekendDays.has(isoWeekdayOf(day));
}

/** The local date (`YYYY-MM-DD`) of an instant in the calendar's time zone. */
export function localDateOf(cal: WorkingCalendar, instant: Date): LocalDate {
  return formatDayNumber(localDayOf(instant.getTime(), cal.offsetMs));
}

/** The instant of a local date and time of day, e.g. `instantAt(cal, '2025-09-26', '19:30')`. */
export function instantAt(cal: WorkingCalendar, date: LocalDate, time = '00:00'): Date {
  const minutes = parseTimeOfDay(time);
  if (minutes === null) throw new RangeError(`not a time of day: ${JSON.stringify(time)}`);
  return new Date(startOfLocalDay(dayNumberOf(date), cal.offsetMs) + minutes * MINUTE_MS);
}

/** True when the calendar lists holidays for the year of this date. */
export function coversDate(cal: WorkingCalendar, date: LocalDate | Date): boolean {
  const d = typeof date === 'string' ? date : localDateOf(cal, date);
  return cal.years.has(Number(d.slice(0, 4)));
}

/** Whether a local date (or the local date of an instant) is a working day. */
export function isWorkingDay(cal: WorkingCalendar, date: LocalDate | Date): boolean {
  return isWorkingDayNumber(cal, toDay(cal, date));
}

/** What kind of day a date is, with the holiday name, for calendars and explanations. */
export function describeDay(cal: WorkingCalendar, date: LocalDate | Date): DayInfo {
  const day = toDay(cal, date);
  const isoWeekday = isoWeekdayOf(day);
  const local = formatDayNumber(day);
  const covered = coversDate(cal, local);
  const makeUp = cal.makeUpWorkdays.get(day);
  if (makeUp !== undefined) return { date: local, isoWeekday, kind: 'make_up_workday', working: true, holidayName: makeUp, covered };
  const holiday = cal.holidays.get(day);
  if (holiday !== undefined) return { date: local, isoWeekday, kind: 'holiday', working: false, holidayName: holiday, covered };
  if (cal.weekendDays.has(isoWeekday)) return { date: local, isoWeekday, kind: 'weekend', working: false, holidayName: null, covered };
  return { date: local, isoWeekday, kind: 'workday', working: true, holidayName: null, covered };
}

function intervalsOfDay(cal: WorkingCalendar, day: number): [number, number][] {
  if (!isWorkingDayNumber(cal, day)) return [];
  const midnight = startOfLocalDay(day, cal.offsetMs);
  return cal.periods.map(([s, e]) => [midnight + s * MINUTE_MS, midnight + e * MINUTE_MS]);
}

/** Office hours of a date as instants; empty on a rest day. */
export function workingIntervals(cal: WorkingCalendar, date: LocalDate | Date): Interval[] {
  return intervalsOfDay(cal, toDay(cal, date)).map(([s, e]) => ({ start: new Date(s), end: new Date(e) }));
}

/** True when the instant falls inside office hours of a working day (end of a period excluded). */
export function isWorkingTime(cal: WorkingCalendar, instant: Date): boolean {
  const t = instant.getTime();
  return intervalsOfDay(cal, localDayOf(t, cal.offsetMs)).some(([s, e]) => t >= s && t < e);
}

/** The `n`th working day strictly after `date` (n ≥ 1); n = 0 returns the date itself. */
export function nthWorkingDayAfter(cal: WorkingCalendar, date: LocalDate | Date, n: number): LocalDate {
  return formatDayNumber(nthWorkingDayNumberAfter(cal, toDay(cal, date), n));
}

function nthWorkingDayNumberAfter(cal: WorkingCalendar, day: number, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`working-day count must be a whole number ≥ 0, got ${n}`);
  let d = day;
  let left = n;
  for (let guard = 0; left > 0; guard++) {
    if (guard > MAX_SCAN_DAYS) throw new RangeError('calendar has no working days ahead');
    d += 1;
    if (isWorkingDayNumber(cal, d)) left -= 1;
  }
  return d;
}

/**
 * The earliest instant at which `ms` of working time has elapsed since `from`.
 * A limit that is used up exactly at the end of an office period ends there
 * (12:00 or 18:00), not at the start of the next one.
 */
export function addWorkingTime(cal: WorkingCalendar, from: Date, ms: number): Date {
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`working time to add must be finite and ≥ 0, got ${ms}`);
  const t0 = from.getTime();
  let remaining = ms;
  if (remaining === 0) return new Date(t0);
  const firstDay = localDayOf(t0, cal.offsetMs);
  for (let day = firstDay; day <= firstDay + MAX_SCAN_DAYS; day++) {
    for (const [s, e] of intervalsOfDay(cal, day)) {
      const start = Math.max(s, t0);
      if (start >= e) continue;
      const available = e - start;
      if (remaining <= available) return new Date(start + remaining);
      remaining -= available;
    }
  }
  throw new RangeError('calendar has no working time ahead');
}

export function addWorkingHours(cal: WorkingCalendar, from: Date, hours: number): Date {
  return addWorkingTime(cal, from, hours * HOUR_MS);
}

/**
 * Adds `days` working days to an instant. With `close_of_business` (the default,
 * how Chinese administrative limits are counted) the day of `from` does not
 * count and the result is the end of office hours on the `days`th working day
 * after it. With `elapsed` it is `days` × a working day's office hours of
 * working time after `from`.
 */
export function addWorkingDays(
  cal: WorkingCalendar,
  from: Date,
  days: number,
  convention: DayConvention = 'close_of_business',
): Date {
  if (convention === 'elapsed') return addWorkingTime(cal, from, days * cal.dailyWorkingMs);
  if (days === 0) return new Date(from.getTime());
  const target = nthWorkingDayNumberAfter(cal, localDayOf(from.getTime(), cal.offsetMs), days);
  const intervals = intervalsOfDay(cal, target);
  return new Date(intervals[intervals.length - 1]![1]);
}

/** Adds calendar (wall-clock) time. */
export function addCalendarTime(from: Date, ms: number): Date {
  return new Date(from.getTime() + ms);
}

/**
 * Adds `days` calendar days: with `close_of_business`, 24:00 local of the
 * `days`th day after the day of `from`; with `elapsed`, exactly days × 24 h.
 */
export function addCalendarDays(cal: WorkingCalendar, from: Date, days: number, convention: DayConvention = 'close_of_business'): Date {
  if (convention === 'elapsed') return new Date(from.getTime() + days * DAY_MS);
  const day = localDayOf(from.getTime(), cal.offsetMs);
  return new Date(startOfLocalDay(day + days + 1, cal.offsetMs));
}

/** Working time (ms) inside office hours between two instants; negative when `to` is before `from`. */
export function workingTimeBetween(cal: WorkingCalendar, from: Date, to: Date): number {
  const a = from.getTime();
  const b = to.getTime();
  if (b < a) return -workingTimeBetween(cal, to, from);
  let total = 0;
  const lastDay = localDayOf(b, cal.offsetMs);
  for (let day = localDayOf(a, cal.offsetMs); day <= lastDay; day++) {
    for (const [s, e] of intervalsOfDay(cal, day)) {
      const lo = Math.max(s, a);
      const hi = Math.min(e, b);
      if (hi > lo) total += hi - lo;
    }
  }
  return total;
}
