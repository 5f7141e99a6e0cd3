/**
 * Civil-time arithmetic at a fixed UTC offset (China Standard Time is UTC+8 with
 * no daylight saving). Everything here works on epoch milliseconds and reads
 * fields with `getUTC*` after shifting by the offset, so the result never
 * depends on the time zone of the process running it.
 *
 * A local date is a `YYYY-MM-DD` string; internally days are "day numbers":
 * whole days since 1970-01-01 in the local calendar.
 */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** `YYYY-MM-DD` in the calendar's local time */
export type LocalDate = string;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})$/;

/** Day number of a `YYYY-MM-DD` string, or null when it is not a real date (e.g. 2025-02-30). */
export function parseLocalDate(date: string): number | null {
  const m = DATE_RE.exec(date);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return Math.round(ms / DAY_MS);
}

/** Like parseLocalDate but throws: for dates that were already validated. */
export function dayNumberOf(date: LocalDate): number {
  const n = parseLocalDate(date);
  if (n === null) throw new RangeError(`not a date: ${JSON.stringify(date)}`);
  return n;
}

export function formatDayNumber(day: number): LocalDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** ISO weekday of a day number: 1 = Monday … 7 = Sunday (day 0, 1970-01-01, was a Thursday). */
export function isoWeekdayOf(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** Minutes after local midnight of `HH:MM` (00:00 … 24:00), or null when malformed. */
export function parseTimeOfDay(time: string): number | null {
  const m = TIME_RE.exec(time);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return null;
  return h * 60 + min;
}

/** Local day number of an instant at the given offset. */
export function localDayOf(instantMs: number, offsetMs: number): number {
  return Math.floor((instantMs + offsetMs) / DAY_MS);
}

/** Instant (epoch ms) of local midnight starting a day. */
export function startOfLocalDay(day: number, offsetMs: number): number {
  return day * DAY_MS - offsetMs;
}
