import { describe, expect, it } from 'vitest';
import { type FieldError as FieldErrorLike } from '../errors';
import { parseCalendar, parseCalendarData } from './index';

const base = {
  id: 't',
  name: 'test',
  workingHours: [
    { start: '09:00', end: '12:00' },
    { start: '14:00', end: '18:00' },
  ],
  years: [2025],
  holidays: [{ name: '国庆节', from: '2025-10-01', to: '2025-10-08' }],
  makeUpWorkdays: [{ date: '2025-09-28', for: '国庆节' }],
};

function errorsOf(input: unknown): FieldErrorLike[] {
  const r = parseCalendarData(input);
  if (r.ok) throw new Error('expected a validation failure');
  return r.error.details as FieldErrorLike[];
}

describe('calendar validation', () => {
  it('accepts good data and fills the defaults', () => {
    const r = parseCalendarData(base);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject({ utcOffsetMinutes: 480, weekendDays: [6, 7], timeZone: 'Asia/Shanghai' });
    expect(parseCalendar(base).ok).toBe(true);
  });

  it('rejects a make-up day that is not a weekend day, naming the field', () => {
    const errs = errorsOf({ ...base, makeUpWorkdays: [{ date: '2025-09-29', for: '国庆节' }] });
    expect(errs).toContainEqual({ field: 'makeUpWorkdays.0.date', message: 'make-up working day 2025-09-29 is a Monday, not a weekend day' });
  });

  it('rejects a make-up day inside a holiday, or serving an unknown holiday', () => {
    const inside = errorsOf({ ...base, makeUpWorkdays: [{ date: '2025-10-04', for: '国庆节' }] });
    expect(inside.map((e) => e.field)).toEqual(['makeUpWorkdays.0.date']);
    expect(inside[0]!.message).toMatch(/inside holiday 国庆节/);
    const unknown = errorsOf({ ...base, makeUpWorkdays: [{ date: '2025-09-28', for: '国庆' }] });
    expect(unknown.map((e) => e.field)).toEqual(['makeUpWorkdays.0.for']);
  });

  it('rejects overlapping holidays', () => {
    const errs = errorsOf({ ...base, holidays: [...base.holidays, { name: '中秋节', from: '2025-10-06', to: '2025-10-06' }] });
    expect(errs).toHaveLength(1);
    expect(errs[0]!.field).toBe('holidays.1.from');
    expect(errs[0]!.message).toMatch(/overlaps holiday 国庆节/);
  });

  it('rejects unknown date formats and impossible dates', () => {
    const errs = errorsOf({
      ...base,
      holidays: [
        { name: 'a', from: '2025/10/01', to: '2025-10-02' },
        { name: 'b', from: '2025-02-30', to: '2025-02-30' },
      ],
      makeUpWorkdays: [],
    });
    expect(errs.map((e) => e.field).sort()).toEqual(['holidays.0.from', 'holidays.1.from', 'holidays.1.to']);
    expect(errs[0]!.message).toMatch(/YYYY-MM-DD/);
  });

  it('rejects reversed ranges, dates outside the covered years and bad office hours', () => {
    const errs = errorsOf({
      ...base,
      workingHours: [
        { start: '09:00', end: '12:00' },
        { start: '11:00', end: '18:00' },
        { start: '19:00', end: '18:30' },
        { start: '25:00', end: '26:00' },
      ],
      holidays: [
        { name: '国庆节', from: '2025-10-08', to: '2025-10-01' },
        { name: '元旦', from: '2027-01-01', to: '2027-01-01' },
      ],
      makeUpWorkdays: [],
    });
    expect(errs.map((e) => e.field).sort()).toEqual([
      'holidays.0.to',
      'holidays.1.from',
      'workingHours.1.start',
      'workingHours.2.end',
      'workingHours.3.end',
      'workingHours.3.start',
    ]);
  });

  it('rejects a week without working days', () => {
    const errs = errorsOf({ ...base, weekendDays: [1, 2, 3, 4, 5, 6, 7] });
    expect(errs.map((e) => e.field)).toContain('weekendDays');
  });
});
