/**
 * Wording of the wall's figures, pure so the panels stay dumb and the rules
 * are tested: a rate is a percentage with one decimal, or a dash when the
 * sample is below the indicator's minimum (never a misleading 100 % of 1);
 * its hover text is the declared formula with the numbers behind it; counts
 * are grouped; countdowns are mm:ss (h:mm:ss past an hour) and turn into a
 * "+" delay once the deadline has passed.
 */
import type { Rate } from '../../core/rpc/queries';
import { districtFormat } from '../shell/district-time';

export const DASH = '—';

/** 0.9861 → "98.6%"; null or an insufficient sample → "—". */
export function formatRate(rate: Pick<Rate, 'value' | 'sufficient'> | null | undefined): string {
  if (!rate || rate.value === null || !rate.sufficient || !Number.isFinite(rate.value)) return DASH;
  const pct = Math.round(rate.value * 1000) / 10;
  return `${pct.toFixed(1)}%`;
}

/** The formula line and the numbers: "结案率 = 已结案 / 应结案\n= 812 / 830". */
export function rateTooltip(rate: Rate, insufficientNote: string): string {
  const numbers = `= ${rate.numerator} / ${rate.denominator}`;
  return rate.sufficient ? `${rate.formula}\n${numbers}` : `${rate.formula}\n${numbers}\n${insufficientNote}`;
}

export function formatCount(n: number | null | undefined, locale: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return numberFormat(locale).format(n);
}

/** How long the last change took to reach the map: "412 ms", or a dash before the first. */
export function formatLatency(ms: number | null): string {
  return ms === null ? DASH : `${Math.round(ms)} ms`;
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * Time left until a deadline: "02:59", "1:02:03"; once passed, the delay with
 * a plus: "+00:41".
 */
export function formatCountdown(remainingMs: number): string {
  const past = remainingMs < 0;
  const total = Math.floor(Math.abs(remainingMs) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const body = h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
  return past ? `+${body}` : body;
}

/** "14:05" in the district's time zone (not the browser's); seconds only when asked. */
export function formatClock(ms: number, locale: string, seconds = false): string {
  return dateFormat(`clock|${locale}|${seconds}`, () => districtFormat(locale, { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}), hourCycle: 'h23' })).format(ms);
}

/** "2024-05-01 14:05" in the district's time zone, for the playback slider. */
export function formatDateTime(ms: number, locale: string): string {
  return dateFormat(`datetime|${locale}`, () => districtFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })).format(ms);
}

/** Compact elapsed time for the ticker: "刚刚" / "5 分钟前" are in the catalogue; this gives minutes, hours. */
export function elapsed(fromMs: number, nowMs: number): { unit: 'now' | 'minutes' | 'hours' | 'days'; value: number } {
  const s = Math.max(0, (nowMs - fromMs) / 1000);
  if (s < 60) return { unit: 'now', value: 0 };
  if (s < 3600) return { unit: 'minutes', value: Math.floor(s / 60) };
  if (s < 86_400) return { unit: 'hours', value: Math.floor(s / 3600) };
  return { unit: 'days', value: Math.floor(s / 86_400) };
}

/**
 * When `elapsed(fromMs, ·)` next reads differently after `nowMs`: the next whole minute since
 * `fromMs` within the hour, the next whole hour within the day, then the next whole day (a time
 * after `nowMs` reads "now" until a minute after it). The ticker re-renders then, not every second.
 */
export function nextElapsedChange(fromMs: number, nowMs: number): number {
  const ms = Math.max(0, nowMs - fromMs);
  const step = ms < 3_600_000 ? 60_000 : ms < 86_400_000 ? 3_600_000 : 86_400_000;
  return fromMs + (Math.floor(ms / step) + 1) * step;
}

// Intl formatters are dear to create (the wall's panels format on every render, the link panel at
// every patch): one per locale and options, kept
const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string): Intl.NumberFormat {
  let f = numberFormats.get(locale);
  if (!f) numberFormats.set(locale, (f = new Intl.NumberFormat(locale)));
  return f;
}
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = dateFormats.get(key);
  if (!f) dateFormats.set(key, (f = make()));
  return f;
}
