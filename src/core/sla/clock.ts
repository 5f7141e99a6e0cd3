/**
 * One SLA clock of an event, as stored data plus the pure functions that move it
 * (start, pause, resume, stop, restart, extend) and read it at an instant.
 *
 * A clock holds a budget in its measure (working ms or wall-clock ms), fixed when
 * it starts, so a later edit of the calendar moves the deadline only through the
 * days that changed. Paused intervals (挂账 parked, 核查 checking) do not use
 * budget; a granted extension (延期) adds budget. The effective deadline is the
 * earliest instant at which the used time reaches the budget.
 */
import { z } from 'zod';
import { type WorkingCalendar } from '../calendar/calendar';
import { IsoInstant } from '../calendar/schema';
import {
  ClockKind,
  ClockMeasure,
  DayConventionSchema,
  SlaPolicy,
  SlaUnit,
  addDuration,
  addMeasure,
  computeDeadline,
  measureBetween,
  measureOfUnit,
  type SlaDurationInput,
} from './policy';

/** why a clock stands still */
export const PauseReason = z.enum(['parked', 'checking', 'other']);
export type PauseReason = z.infer<typeof PauseReason>;

export const ClockPause = z.object({ from: IsoInstant, to: IsoInstant.nullable(), reason: PauseReason });
export type ClockPause = z.infer<typeof ClockPause>;

/** 延期 a granted extension, with the budget it added (fixed when granted) */
export const ClockExtension = z.object({
  at: IsoInstant,
  unit: SlaUnit,
  amount: z.number().positive(),
  dayConvention: DayConventionSchema,
  addedMs: z.number().nonnegative(),
  reason: z.string().nullable(),
});
export type ClockExtension = z.infer<typeof ClockExtension>;

export const SlaClock = z.object({
  /** unique within the event, usually the kind: `hotline`, `urban`, `internal` */
  id: z.string().min(1),
  kind: ClockKind,
  measure: ClockMeasure,
  warnAt: z.number().gt(0).lt(1),
  startedAt: IsoInstant,
  /** the limit in the clock's measure, ms */
  budgetMs: z.number().nonnegative(),
  /** the deadline as first computed, before pauses and extensions */
  baseDeadline: IsoInstant,
  /** null when the deadline came fixed from a source system (a 12345 work order) */
  policy: SlaPolicy.nullable(),
  pauses: z.array(ClockPause),
  extensions: z.array(ClockExtension),
  /** when the unit handled it (反馈) or the event ended; null while counting */
  stoppedAt: IsoInstant.nullable(),
});
export type SlaClock = z.infer<typeof SlaClock>;

export const ClockStatus = z.enum(['running', 'warning', 'overdue']);
export type ClockStatus = z.infer<typeof ClockStatus>;

export interface ClockState {
  id: string;
  kind: ClockKind;
  /** by used time: running, warning (≥ warnAt of the limit) or overdue (past the deadline) */
  status: ClockStatus;
  paused: boolean;
  stopped: boolean;
  /** for a stopped clock: whether it stopped by the deadline; null while counting */
  met: boolean | null;
  /** effective deadline; while paused, the deadline if the clock resumed now */
  deadline: Date;
  /** the instant the clock turns to warning */
  warnFrom: Date;
  budgetMs: number;
  usedMs: number;
  /** budget − used, in the clock's measure (0 or less once overdue) */
  remainingMs: number;
  usedFraction: number;
}

const iso = (d: Date) => d.toISOString();
const ms = (s: string) => Date.parse(s);

/** Starts a clock from a policy at the dispatch instant. */
export function startClock(id: string, policy: z.input<typeof SlaPolicy>, startedAt: Date, cal: WorkingCalendar): SlaClock {
  const p = SlaPolicy.parse(policy);
  const measure = measureOfUnit(p.unit);
  const deadline = computeDeadline(p, startedAt, cal);
  return {
    id,
    kind: p.clock,
    measure,
    warnAt: p.warnAt,
    startedAt: iso(startedAt),
    budgetMs: Math.max(0, measureBetween(cal, measure, startedAt, deadline)),
    baseDeadline: iso(deadline),
    policy: p,
    pauses: [],
    extensions: [],
    stoppedAt: null,
  };
}

/**
 * Starts a clock whose deadline a source system fixed (the 12345 work order's own
 * 办结时限). It counts wall-clock time, so the deadline is honoured to the minute;
 * a pause shifts it by the paused wall-clock time.
 */
export function startClockWithDeadline(
  id: string,
  kind: ClockKind,
  startedAt: Date,
  deadline: Date,
  warnAt = 0.8,
): SlaClock {
  return {
    id,
    kind,
    measure: 'calendar',
    warnAt,
    startedAt: iso(startedAt),
    budgetMs: Math.max(0, deadline.getTime() - startedAt.getTime()),
    baseDeadline: iso(deadline),
    policy: null,
    pauses: [],
    extensions: [],
    stoppedAt: null,
  };
}

export function isPaused(clock: SlaClock): boolean {
  return clock.pauses.some((p) => p.to === null);
}

/** Pauses a counting clock (no change when already paused or stopped). */
export function pauseClock(clock: SlaClock, at: Date, reason: PauseReason): SlaClock {
  if (clock.stoppedAt !== null || isPaused(clock)) return clock;
  return { ...clock, pauses: [...clock.pauses, { from: iso(at), to: null, reason }] };
}

/** Ends the open pause, if any. */
export function resumeClock(clock: SlaClock, at: Date): SlaClock {
  if (!isPaused(clock)) return clock;
  return { ...clock, pauses: clock.pauses.map((p) => (p.to === null ? { ...p, to: iso(maxDate(at, new Date(ms(p.from)))) } : p)) };
}

/** Stops the clock (the unit fed back, or the event ended); an open pause ends there too. */
export function stopClock(clock: SlaClock, at: Date): SlaClock {
  if (clock.stoppedAt !== null) return clock;
  return { ...resumeClock(clock, at), stoppedAt: iso(at) };
}

/**
 * Counts again after a stop (返工 rework after a failed check): the time between
 * the stop and now becomes a pause, so checking time is not charged to the unit.
 */
export function restartClock(clock: SlaClock, at: Date, reason: PauseReason = 'checking'): SlaClock {
  if (clock.stoppedAt === null) return clock;
  const from = clock.stoppedAt;
  const to = iso(maxDate(at, new Date(ms(from))));
  return { ...clock, stoppedAt: null, pauses: [...clock.pauses, { from, to, reason }] };
}

/**
 * Grants an extension: the deadline moves on by `duration` counted from the
 * current effective deadline (so "3 more working days" from a Friday-18:00
 * deadline ends at close of business the next Wednesday), stored as budget.
 */
export function extendClock(
  clock: SlaClock,
  duration: SlaDurationInput,
  at: Date,
  cal: WorkingCalendar,
  reason: string | null = null,
): SlaClock {
  const d = { dayConvention: 'close_of_business' as const, ...duration };
  const current = clockState(clock, at, cal).deadline;
  const extended = addDuration(cal, current, d);
  const addedMs = Math.max(0, measureBetween(cal, clock.measure, current, extended));
  return {
    ...clock,
    extensions: [...clock.extensions, { at: iso(at), unit: d.unit, amount: d.amount, dayConvention: d.dayConvention, addedMs, reason }],
  };
}

function maxDate(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

/** Pauses as closed [from, to] ms intervals, open ones ending at `until`, sorted and merged. */
function pauseIntervals(clock: SlaClock, until: number): [number, number][] {
  const raw = clock.pauses
    .map((p) => [ms(p.from), p.to === null ? Math.max(until, ms(p.from)) : ms(p.to)] as [number, number])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of raw) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}

/** The earliest instant at which `amount` of unpaused measure has elapsed since the start. */
function reach(cal: WorkingCalendar, clock: SlaClock, pauses: [number, number][], amount: number): Date {
  let remaining = amount;
  let cursor = ms(clock.startedAt);
  for (const [from, to] of pauses) {
    if (to <= cursor) continue;
    const pauseStart = Math.max(from, cursor);
    const m = measureBetween(cal, clock.measure, new Date(cursor), new Date(pauseStart));
    if (m >= remaining) return addMeasure(cal, clock.measure, new Date(cursor), remaining);
    remaining -= m;
    cursor = to;
  }
  return addMeasure(cal, clock.measure, new Date(cursor), remaining);
}

function usedUntil(cal: WorkingCalendar, clock: SlaClock, pauses: [number, number][], end: number): number {
  const start = ms(clock.startedAt);
  if (end <= start) return 0;
  let used = measureBetween(cal, clock.measure, new Date(start), new Date(end));
  for (const [from, to] of pauses) {
    const a = Math.max(from, start);
    const b = Math.min(to, end);
    if (b > a) used -= measureBetween(cal, clock.measure, new Date(a), new Date(b));
  }
  return Math.max(0, used);
}

export function totalBudget(clock: SlaClock): number {
  return clock.budgetMs + clock.extensions.reduce((sum, e) => sum + e.addedMs, 0);
}

/**
 * The clock read at an instant. Overdue means the instant (or the stop) is
 * strictly after the effective deadline: finishing at 18:00:00 on an 18:00
 * deadline is on time.
 */
export function clockState(clock: SlaClock, at: Date, cal: WorkingCalendar): ClockState {
  const stopped = clock.stoppedAt !== null;
  const end = stopped ? ms(clock.stoppedAt!) : at.getTime();
  const pauses = pauseIntervals(clock, end);
  const budget = totalBudget(clock);
  const deadline = reach(cal, clock, pauses, budget);
  const warnFrom = reach(cal, clock, pauses, Math.ceil(budget * clock.warnAt));
  const used = usedUntil(cal, clock, pauses, end);
  const overdue = end > deadline.getTime();
  const status: ClockStatus = overdue ? 'overdue' : end >= warnFrom.getTime() ? 'warning' : 'running';
  return {
    id: clock.id,
    kind: clock.kind,
    status,
    paused: !stopped && isPaused(clock),
    stopped,
    met: stopped ? !overdue : null,
    deadline,
    warnFrom,
    budgetMs: budget,
    usedMs: used,
    remainingMs: budget - used,
    usedFraction: budget > 0 ? used / budget : 1,
  };
}

/** Every clock of an event read at one instant. */
export function clockStates(clocks: readonly SlaClock[], at: Date, cal: WorkingCalendar): ClockState[] {
  return clocks.map((c) => clockState(c, at, cal));
}

const STATUS_RANK: Record<ClockStatus, number> = { overdue: 0, warning: 1, running: 2 };

/** The clock that matters most on a wall: counting clocks first, overdue before warning, then the earliest deadline. */
export function mostUrgentClock(states: readonly ClockState[]): ClockState | null {
  const counting = states.filter((s) => !s.stopped);
  const pool = counting.length > 0 ? counting : [...states];
  return (
    [...pool].sort(
      (a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.deadline.getTime() - b.deadline.getTime(),
    )[0] ?? null
  );
}

/**
 * The next instant the clock's status changes if nothing else happens — when a
 * scheduler should look at it again. Null when stopped, paused or already overdue.
 */
export function nextClockChangeAt(clock: SlaClock, at: Date, cal: WorkingCalendar): Date | null {
  const s = clockState(clock, at, cal);
  if (s.stopped || s.paused || s.status === 'overdue') return null;
  if (s.status === 'running') return s.warnFrom;
  return new Date(s.deadline.getTime() + 1);
}
