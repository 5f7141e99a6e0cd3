/**
 * The district's wall-clock time. The data service counts "today", hours and deadlines in the
 * working calendar's zone, so the renderer shows and cuts times in that zone too, never in the
 * browser's own (a wall on a UTC machine at 16:17 Saturday must already say 00:17 Sunday).
 *
 * The renderer does not receive the calendar's zone everywhere (the wall has no calendar), so it
 * uses the calendar schema's default zone.
 */
import { DEFAULT_TIME_ZONE } from '../../core/calendar/schema';

export const DISTRICT_TIME_ZONE: string = DEFAULT_TIME_ZONE;

// Intl formatters are dear to create (see Clock.tsx): one per locale and options, kept
const formats = new Map<string, Intl.DateTimeFormat>();

/** A cached `Intl.DateTimeFormat` of `locale` and `options`, in the district's zone. */
export function districtFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) formats.set(key, (f = new Intl.DateTimeFormat(locale, { ...options, timeZone: DISTRICT_TIME_ZONE })));
  return f;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const partsFormat = () => districtFormat('en-US', { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' });

/** The district's calendar date and time of day at `ms`. */
export function districtFields(ms: number): Fields {
  const out: Fields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of partsFormat().formatToParts(ms)) {
    if (p.type in out) out[p.type as keyof Fields] = Number(p.value);
  }
  if (out.hour === 24) out.hour = 0;
  return out;
}

/** How far the district's wall clock is ahead of UTC at `ms`, in milliseconds. */
function offsetAt(ms: number): number {
  const f = districtFields(ms);
  const whole = Math.floor(ms / 1000) * 1000;
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - whole;
}

/** The district's hour of the day (0–23) at `ms`. */
export function districtHour(ms: number): number {
  return districtFields(ms).hour;
}

/**
 * The instant of the district's wall-clock date and time given as fields (month 1–12), e.g. what
 * a `datetime-local` field reads. Two passes settle a zone's offset change near the instant.
 */
export function districtInstant(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  let ms = asUtc - offsetAt(asUtc);
  ms = asUtc - offsetAt(ms);
  return ms;
}

/** The start of the district's day that holds `ms`. */
export function startOfDistrictDay(ms: number): number {
  const f = districtFields(ms);
  return districtInstant(f.year, f.month, f.day);
}

/** The start of the district's next hour after `ms`. */
export function nextDistrictHour(ms: number): number {
  const f = districtFields(ms);
  return districtInstant(f.year, f.month, f.day, f.hour + 1);
}

/** `2026-03-10T14:00` (a `datetime-local` value) read in the district's zone; NaN if malformed. */
export function parseDistrictDateTime(v: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(v);
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [number, number, number, number, number, number];
  if (h > 23 || mi > 59 || s > 59) return NaN;
  const ms = districtInstant(y, mo, d, h, mi, s);
  const f = districtFields(ms);
  return f.year === y && f.month === mo && f.day === d ? ms : NaN; // no 2026-02-31
}
