import { describe, expect, it } from 'vitest';
import { DEFAULT_TIME_ZONE } from '../../core/calendar/schema';
import { DISTRICT_TIME_ZONE, districtFields, districtFormat, districtHour, districtInstant, nextDistrictHour, parseDistrictDateTime, startOfDistrictDay } from './district-time';

// 16:17 Saturday in UTC is already 00:17 Sunday in Huadu: every assertion is on explicit instants,
// so the machine's own zone (TZ) does not matter
const SAT_UTC = Date.parse('2026-11-28T16:17:05Z');

describe('district time', () => {
  it("is the working calendar's default zone", () => {
    expect(DISTRICT_TIME_ZONE).toBe(DEFAULT_TIME_ZONE);
    expect(DISTRICT_TIME_ZONE).toBe('Asia/Shanghai');
  });

  it("reads the district's date and hour of an instant", () => {
    expect(districtFields(SAT_UTC)).toEqual({ year: 2026, month: 11, day: 29, hour: 0, minute: 17, second: 5 });
    expect(districtHour(SAT_UTC)).toBe(0);
    expect(districtHour(Date.parse('2026-11-28T15:59:59Z'))).toBe(23);
    expect(districtHour(Date.parse('2026-11-28T06:00:00Z'))).toBe(14);
  });

  it("cuts the district's day and hour", () => {
    expect(new Date(startOfDistrictDay(SAT_UTC)).toISOString()).toBe('2026-11-28T16:00:00.000Z');
    expect(new Date(startOfDistrictDay(Date.parse('2026-11-28T15:59:59Z'))).toISOString()).toBe('2026-11-27T16:00:00.000Z');
    expect(new Date(nextDistrictHour(SAT_UTC)).toISOString()).toBe('2026-11-28T17:00:00.000Z');
    // 23:30 in Huadu: the next hour is the next day's midnight
    expect(new Date(nextDistrictHour(Date.parse('2026-11-28T15:30:00Z'))).toISOString()).toBe('2026-11-28T16:00:00.000Z');
    expect(new Date(districtInstant(2026, 12, 31, 24)).toISOString()).toBe('2026-12-31T16:00:00.000Z');
  });

  it('reads a datetime-local value in the district, and refuses a malformed one', () => {
    expect(new Date(parseDistrictDateTime('2026-03-10T14:00')).toISOString()).toBe('2026-03-10T06:00:00.000Z');
    expect(new Date(parseDistrictDateTime('2026-11-29T00:17:30')).toISOString()).toBe('2026-11-28T16:17:30.000Z');
    for (const bad of ['', '2026-03-10', '2026-02-31T10:00', '2026-13-01T10:00', '2026-03-10T24:00', 'x2026-03-10T14:00']) {
      expect(parseDistrictDateTime(bad), bad).toBeNaN();
    }
  });

  it('formats in the district and keeps one formatter per locale and options', () => {
    const f = districtFormat('en', { weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    expect(f.resolvedOptions().timeZone).toBe('Asia/Shanghai');
    expect(f.format(SAT_UTC)).toBe('Sunday 00:17');
    expect(districtFormat('en', { weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })).toBe(f);
    expect(districtFormat('zh-CN', { weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })).not.toBe(f);
  });
});
