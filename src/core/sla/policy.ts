/**
 * SLA policies (办理时限): how long a unit has, counted from dispatch (派遣, not
 * from signing), in working hours, working days or calendar time, and when the
 * clock turns to warning. An event carries several clocks at once: the 12345
 * hotline deadline, the digital-urban-management deadline and the internal
 * 有呼必应 deadline (`ClockKind`).
 */
import { z } from 'zod';
import {
  addCalendarDays,
  addCalendarTime,
  addWorkingDays,
  addWorkingTime,
  workingTimeBetween,
  type WorkingCalendar,
} from '../calendar/calendar';
import { HOUR_MS } from '../calendar/local-time';

/** hotline = 12345 热线时限, urban = 数字城管时限, internal = 有呼必应内部时限 */
export const ClockKind = z.enum(['hotline', 'urban', 'internal']);
export type ClockKind = z.infer<typeof ClockKind>;

export const SlaUnit = z.enum(['working_hours', 'working_days', 'calendar_hours', 'calendar_days']);
export type SlaUnit = z.infer<typeof SlaUnit>;

export const DayConventionSchema = z.enum(['close_of_business', 'elapsed']);

/** What a clock counts: office hours of working days, or wall-clock time. */
export const ClockMeasure = z.enum(['working', 'calendar']);
export type ClockMeasure = z.infer<typeof ClockMeasure>;

/** An amount of time in one of the SLA units (a limit, an extension, an escalation countdown). */
export const SlaDuration = z
  .object({
    unit: SlaUnit,
    amount: z.number().positive().finite(),
    /**
     * How a `*_days` amount ends: `close_of_business` (default: the start day does
     * not count; the limit ends at close of business of the Nth working day, or at
     * 24:00 of the Nth calendar day) or `elapsed` (N × a day's office hours / N × 24 h).
     */
    dayConvention: DayConventionSchema.default('close_of_business'),
  })
  .refine((d) => !(d.unit.endsWith('_days') && d.dayConvention === 'close_of_business' && !Number.isInteger(d.amount)), {
    path: ['amount'],
    message: 'a limit in days counted to close of business must be a whole number of days',
  });
export type SlaDuration = z.output<typeof SlaDuration>;
export type SlaDurationInput = z.input<typeof SlaDuration>;

export const SlaPolicy = z
  .object({
    clock: ClockKind,
    unit: SlaUnit,
    amount: z.number().positive().finite(),
    dayConvention: DayConventionSchema.default('close_of_business'),
    /** fraction of the limit after which the clock shows warning (预警) */
    warnAt: z.number().gt(0).lt(1).default(0.8),
    /** clocks count from dispatch (派遣), never from signing */
    countFrom: z.literal('dispatch').default('dispatch'),
    /** e.g. 咨询类 2 个工作日 */
    label: z.string().optional(),
  })
  .refine((d) => !(d.unit.endsWith('_days') && d.dayConvention === 'close_of_business' && !Number.isInteger(d.amount)), {
    path: ['amount'],
    message: 'a limit in days counted to close of business must be a whole number of days',
  });
export type SlaPolicy = z.output<typeof SlaPolicy>;
export type SlaPolicyInput = z.input<typeof SlaPolicy>;

export function measureOfUnit(unit: SlaUnit): ClockMeasure {
  return unit === 'working_hours' || unit === 'working_days' ? 'working' : 'calendar';
}

type DurationLike = Pick<SlaDuration, 'unit' | 'amount' | 'dayConvention'>;

/** The instant a duration ends when it starts at `from`. */
export function addDuration(cal: WorkingCalendar, from: Date, d: DurationLike): Date {
  switch (d.unit) {
    case 'working_hours':
      return addWorkingTime(cal, from, Math.round(d.amount * HOUR_MS));
    case 'working_days':
      return addWorkingDays(cal, from, d.amount, d.dayConvention);
    case 'calendar_hours':
      return addCalendarTime(from, Math.round(d.amount * HOUR_MS));
    case 'calendar_days':
      return addCalendarDays(cal, from, d.amount, d.dayConvention);
  }
}

/** The deadline of a policy for a clock started (dispatched) at `startedAt`. */
export function computeDeadline(policy: DurationLike, startedAt: Date, cal: WorkingCalendar): Date {
  return addDuration(cal, startedAt, policy);
}

/** Time between two instants in a measure (working ms or wall-clock ms). */
export function measureBetween(cal: WorkingCalendar, measure: ClockMeasure, from: Date, to: Date): number {
  return measure === 'working' ? workingTimeBetween(cal, from, to) : to.getTime() - from.getTime();
}

/** The earliest instant `ms` of the measure after `from`. */
export function addMeasure(cal: WorkingCalendar, measure: ClockMeasure, from: Date, ms: number): Date {
  return measure === 'working' ? addWorkingTime(cal, from, ms) : addCalendarTime(from, ms);
}
