import { describe, expect, it } from 'vitest';
import { presetPeriod } from './PlaybackBar';

describe('playback presets', () => {
  it("takes yesterday between the district's midnights, whatever the machine's zone", () => {
    // 16:17 Saturday UTC = 00:17 Sunday 2026-11-29 in Huadu: yesterday is Saturday the 28th there
    const now = Date.parse('2026-11-28T16:17:00Z');
    const p = presetPeriod('yesterday', now);
    expect(new Date(p.to).toISOString()).toBe('2026-11-28T16:00:00.000Z');
    expect(new Date(p.from).toISOString()).toBe('2026-11-27T16:00:00.000Z');
  });

  it('takes the last 24 hours and 7 days back from now', () => {
    const now = Date.parse('2026-11-28T16:17:00Z');
    expect(presetPeriod('last24h', now)).toEqual({ from: now - 86_400_000, to: now });
    expect(presetPeriod('last7d', now)).toEqual({ from: now - 7 * 86_400_000, to: now });
  });
});
