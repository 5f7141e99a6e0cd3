/**
 * The working calendar as data a site edits (resources/config/calendar-cn.json):
 * weekend days, public holidays with names, make-up working days (调休上班) and
 * office hours. The State Council publishes each year's arrangement in November,
 * so the file grows a year at a time; the validator catches the usual slips
 * (a make-up day that is not a weekend, overlapping holidays, a mistyped date)
 * with the path of the bad field.
 */
import { z } from 'zod';
import { fieldErrors, type FieldError, type Result } from '../errors';
import { isoWeekdayOf, parseLocalDate, parseTimeOfDay } from './local-time';

const WEEKDAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** A local date written `YYYY-MM-DD`, checked to be a real day. */
export const LocalDateString = z
  .string()
  .refine((s) => parseLocalDate(s) !== null, { message: 'unknown date format: expected a real date written YYYY-MM-DD' });

/** An instant on the wire: ISO 8601 with `Z` or an explicit offset, e.g. `2025-09-26T11:30:00.000Z`. */
export const IsoInstant = z.iso.datetime({ offset: true });
export type IsoInstant = z.infer<typeof IsoInstant>;

/** A time of day written `HH:MM`, 00:00 … 24:00. */
export const TimeOfDayString = z
  .string()
  .refine((s) => parseTimeOfDay(s) !== null, { message: 'expected a time of day written HH:MM (00:00–24:00)' });

export const WorkingPeriod = z.object({ start: TimeOfDayString, end: TimeOfDayString });
export type WorkingPeriod = z.infer<typeof WorkingPeriod>;

/** 法定节假日 a public holiday, as the whole run of days off (including the weekend days inside it). */
export const Holiday = z.object({
  name: z.string().min(1),
  nameEn: z.string().optional(),
  from: LocalDateString,
  to: LocalDateString,
  note: z.string().optional(),
});
export type Holiday = z.infer<typeof Holiday>;

/** 调休上班日 a weekend day declared a working day to make up for a holiday bridge. */
export const MakeUpWorkday = z.object({
  date: LocalDateString,
  /** name of the holiday it makes up for, as written in `holidays` (within 60 days) */
  for: z.string().min(1),
  note: z.string().optional(),
});
export type MakeUpWorkday = z.infer<typeof MakeUpWorkday>;

export const CalendarSource = z.object({
  year: z.number().int(),
  title: z.string().min(1),
  reference: z.string().optional(),
  url: z.string().optional(),
  note: z.string().optional(),
});

/** the working calendar's zone when its file names none (Huadu, Guangzhou) */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const CalendarDataBase = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  /** informational IANA zone; the arithmetic uses utcOffsetMinutes (China has no DST) */
  timeZone: z.string().default(DEFAULT_TIME_ZONE),
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
  /** ISO weekdays that are rest days: 6 = Saturday, 7 = Sunday */
  weekendDays: z.array(z.number().int().min(1).max(7)).default([6, 7]),
  /** office hours of a working day, in order, e.g. 09:00–12:00 and 14:00–18:00 */
  workingHours: z.array(WorkingPeriod).min(1),
  /** years whose holidays this file lists; other years fall back to plain weekends */
  years: z.array(z.number().int().min(1900).max(2200)).min(1),
  holidays: z.array(Holiday),
  makeUpWorkdays: z.array(MakeUpWorkday),
  sources: z.array(CalendarSource).default([]),
  notes: z.array(z.string()).default([]),
});

/** A make-up day serves a holiday no further away than this. */
const MAKE_UP_REACH_DAYS = 60;

type Issue = { path: (string | number)[]; message: string };

function checkCalendar(cal: z.infer<typeof CalendarDataBase>): Issue[] {
  const issues: Issue[] = [];
  const years = new Set(cal.years);

  if (new Set(cal.years).size !== cal.years.length) issues.push({ path: ['years'], message: 'a year is listed twice' });
  if (new Set(cal.weekendDays).size !== cal.weekendDays.length) {
    issues.push({ path: ['weekendDays'], message: 'a weekday is listed twice' });
  }
  if (new Set(cal.weekendDays).size >= 7) issues.push({ path: ['weekendDays'], message: 'every day of the week is a rest day' });

  // format errors are reported by the field schemas; the checks below look only at well-formed values
  let prevEnd = -1;
  cal.workingHours.forEach((p, i) => {
    const s = parseTimeOfDay(p.start);
    const e = parseTimeOfDay(p.end);
    if (s === null || e === null) return;
    if (s >= e) issues.push({ path: ['workingHours', i, 'end'], message: `period ends (${p.end}) at or before it starts (${p.start})` });
    else if (s < prevEnd) {
      issues.push({ path: ['workingHours', i, 'start'], message: `period starting ${p.start} overlaps or precedes the previous period` });
    }
    prevEnd = Math.max(prevEnd, e);
  });

  const ranges = cal.holidays
    .map((h, i) => ({ i, name: h.name, from: parseLocalDate(h.from), to: parseLocalDate(h.to) }))
    .filter((r): r is { i: number; name: string; from: number; to: number } => r.from !== null && r.to !== null);
  for (const r of ranges) {
    const h = cal.holidays[r.i]!;
    if (r.from > r.to) issues.push({ path: ['holidays', r.i, 'to'], message: `holiday ends (${h.to}) before it starts (${h.from})` });
    const fromYear = Number(h.from.slice(0, 4));
    const toYear = Number(h.to.slice(0, 4));
    if (!years.has(fromYear) && !years.has(toYear)) {
      issues.push({ path: ['holidays', r.i, 'from'], message: `${h.from} is outside the years this calendar covers (${cal.years.join(', ')})` });
    }
  }
  const sorted = ranges.filter((r) => r.from <= r.to).sort((a, b) => a.from - b.from);
  for (let k = 1; k < sorted.length; k++) {
    const prev = sorted[k - 1]!;
    const cur = sorted[k]!;
    if (cur.from <= prev.to) {
      issues.push({
        path: ['holidays', cur.i, 'from'],
        message: `holiday ${cur.name} overlaps holiday ${prev.name} (holidays.${prev.i})`,
      });
    }
  }

  const seen = new Map<number, number>();
  cal.makeUpWorkdays.forEach((m, i) => {
    const day = parseLocalDate(m.date);
    if (day === null) return;
    const weekday = isoWeekdayOf(day);
    if (!cal.weekendDays.includes(weekday)) {
      issues.push({ path: ['makeUpWorkdays', i, 'date'], message: `make-up working day ${m.date} is a ${WEEKDAY_NAMES[weekday]}, not a weekend day` });
    }
    const inside = ranges.find((r) => day >= r.from && day <= r.to);
    if (inside) {
      issues.push({ path: ['makeUpWorkdays', i, 'date'], message: `make-up working day ${m.date} falls inside holiday ${inside.name}` });
    }
    if (seen.has(day)) {
      issues.push({ path: ['makeUpWorkdays', i, 'date'], message: `${m.date} is already listed at makeUpWorkdays.${seen.get(day)}` });
    } else seen.set(day, i);
    const served = ranges.some((r) => r.name === m.for && day >= r.from - MAKE_UP_REACH_DAYS && day <= r.to + MAKE_UP_REACH_DAYS);
    if (!served) {
      issues.push({
        path: ['makeUpWorkdays', i, 'for'],
        message: `no holiday named ${JSON.stringify(m.for)} within ${MAKE_UP_REACH_DAYS} days of ${m.date}`,
      });
    }
    if (!years.has(Number(m.date.slice(0, 4)))) {
      issues.push({ path: ['makeUpWorkdays', i, 'date'], message: `${m.date} is outside the years this calendar covers` });
    }
  });
  return issues;
}

/** A working calendar as stored: validated, with defaults filled in. */
export const CalendarData = CalendarDataBase.superRefine((cal, ctx) => {
  for (const issue of checkCalendar(cal)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});
export type CalendarData = z.output<typeof CalendarData>;
export type CalendarDataInput = z.input<typeof CalendarData>;

/**
 * Validates calendar data from any source (a JSON file, an import request).
 * On failure `error.details` lists every bad field as `{ field, message }`.
 */
export function parseCalendarData(input: unknown): Result<CalendarData> {
  const parsed = CalendarData.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const details: FieldError[] = fieldErrors(parsed.error);
  return {
    ok: false,
    error: { code: 'invalid_args', message: details.map((d) => `${d.field}: ${d.message}`).join('; '), details },
  };
}
