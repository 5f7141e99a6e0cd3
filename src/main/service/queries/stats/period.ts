/**
 * Periods of the statistics requests, resolved against "now" and the working
 * calendar's time zone: `today` starts at local midnight, `7d`/`30d` are the
 * last 7 or 30 × 24 hours, or an explicit [from, to).
 */
import type { Period } from '../../../../core/rpc/queries';

const DAY = 86_400_000;

export interface Range {
  from: number;
  to: number;
}

/** Local midnight (in the calendar's UTC offset) of the day holding `at`. */
export function localMidnight(at: number, offsetMs: number): number {
  return Math.floor((at + offsetMs) / DAY) * DAY - offsetMs;
}

export function resolvePeriod(period: Period, now: number, offsetMs: number): Range {
  if (typeof period === 'object') return { from: Date.parse(period.from), to: Date.parse(period.to) };
  switch (period) {
    case 'today':
      return { from: localMidnight(now, offsetMs), to: now };
    case '7d':
      return { from: now - 7 * DAY, to: now };
    case '30d':
      return { from: now - 30 * DAY, to: now };
  }
}

export const isoRange = (r: Range) => ({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() });
