import { describe, expect, it } from 'vitest';
import { DASH, elapsed, formatClock, formatCount, formatCountdown, formatDateTime, formatLatency, formatRate, nextElapsedChange, rateTooltip } from './format';

const rate = (value: number | null, numerator: number, denominator: number, sufficient = true) => ({ value, numerator, denominator, formula: '结案率 = 已结案 / 应结案', sufficient });

describe('panel formatting', () => {
  it('shows rates with one decimal, and a dash for no value or a sample below the minimum', () => {
    expect(formatRate(rate(0.98612, 812, 823))).toBe('98.6%');
    expect(formatRate(rate(1, 30, 30))).toBe('100.0%');
    expect(formatRate(rate(0.5, 1, 2, false))).toBe(DASH);
    expect(formatRate(rate(null, 0, 0, false))).toBe(DASH);
    expect(formatRate(null)).toBe(DASH);
  });

  it('puts the declared formula and its numbers in the hover text', () => {
    expect(rateTooltip(rate(0.9861, 812, 823), '样本不足')).toBe('结案率 = 已结案 / 应结案\n= 812 / 823');
    expect(rateTooltip(rate(null, 1, 2, false), '样本不足')).toBe('结案率 = 已结案 / 应结案\n= 1 / 2\n样本不足');
  });

  it('groups counts per locale', () => {
    expect(formatCount(1401, 'en')).toBe('1,401');
    expect(formatCount(null, 'en')).toBe(DASH);
  });

  it('words the latency in whole milliseconds, a dash before the first', () => {
    expect(formatLatency(null)).toBe(DASH);
    expect(formatLatency(411.6)).toBe('412 ms');
  });

  it('counts down in mm:ss, h:mm:ss past an hour, and counts the delay with a plus', () => {
    expect(formatCountdown(179_999)).toBe('02:59');
    expect(formatCountdown(3_723_000)).toBe('1:02:03');
    expect(formatCountdown(0)).toBe('00:00');
    expect(formatCountdown(-41_000)).toBe('+00:41');
  });

  it('words the hour after midnight as 00, in every locale (hour12: false says 24 in English)', () => {
    const past = Date.parse('2024-04-30T16:05:09Z'); // 00:05:09 on 1 May in Huadu
    expect(formatClock(past, 'en')).toBe('00:05');
    expect(formatClock(past, 'en', true)).toBe('00:05:09');
    expect(formatClock(past, 'zh-CN')).toBe('00:05');
    expect(formatDateTime(past, 'en')).toContain('00:05');
  });

  it("words times in the district's zone, not the machine's", () => {
    const t = Date.parse('2026-11-28T16:17:00Z'); // 16:17 Saturday UTC, 00:17 Sunday in Huadu
    expect(formatClock(t, 'zh-CN')).toBe('00:17');
    expect(formatClock(t, 'en', true)).toBe('00:17:00');
    expect(formatDateTime(t, 'zh-CN')).toBe('2026/11/29 00:17');
    expect(formatDateTime(t, 'en')).toBe('11/29/2026, 00:17');
  });

  it('words elapsed time in units', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    expect(elapsed(now - 30_000, now)).toEqual({ unit: 'now', value: 0 });
    expect(elapsed(now - 5 * 60_000, now)).toEqual({ unit: 'minutes', value: 5 });
    expect(elapsed(now - 3 * 3_600_000, now)).toEqual({ unit: 'hours', value: 3 });
    expect(elapsed(now - 50 * 3_600_000, now)).toEqual({ unit: 'days', value: 2 });
  });

  it('says when the elapsed wording next changes, and it does change there and not before', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    const cases: [number, number][] = [
      [now - 30_000, now + 30_000], // "now" → 1 minute
      [now - 5 * 60_000 - 1_000, now + 59_000], // 5 → 6 minutes
      [now - 59 * 60_000, now + 60_000], // 59 minutes → 1 hour
      [now - 3 * 3_600_000 - 600_000, now + 3_000_000], // 3 → 4 hours
      [now - 23 * 3_600_000 - 3_000_000, now + 600_000], // 23 hours → 1 day
      [now - 50 * 3_600_000, now + 22 * 3_600_000], // 2 → 3 days
      [now + 5_000, now + 65_000], // reported after now (another clock): "now" for a minute after it
    ];
    for (const [from, next] of cases) {
      expect(nextElapsedChange(from, now)).toBe(next);
      expect(elapsed(from, next - 1)).toEqual(elapsed(from, now));
      expect(elapsed(from, next)).not.toEqual(elapsed(from, now));
    }
  });
});
