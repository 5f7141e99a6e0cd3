/**
 * How an event looks on the wall: its state folds into five stages a viewer
 * can tell apart from across the room (waiting for intake/dispatch, with a
 * unit, being handled, handled and waiting for the check, overdue), each with
 * one colour used alike by the map points, the legend and the ticker; urgency
 * sets the size. Codes are the indices of the core enums, as in `map/events`.
 */
import { EventSource, Urgency } from '../../core/events/types';
import { EventStatus, OPEN_STATES } from '../../core/workflow/states';
import type { Rgba } from '../map/theme';

export type EventStage = 'intake' | 'dispatched' | 'handling' | 'checking' | 'overdue' | 'closed';

export const STAGES: readonly EventStage[] = ['intake', 'dispatched', 'handling', 'checking', 'overdue', 'closed'];

export const STAGE_COLORS: Record<EventStage, Rgba> = {
  /** reported, verifying, filed: a fresh blue */
  intake: [77, 195, 255, 255],
  /** dispatched or bounced: with (or back from) a unit */
  dispatched: [255, 196, 64, 255],
  /** signed, in progress, rework, parked */
  handling: [56, 214, 138, 255],
  /** handled, checking, checked */
  checking: [178, 142, 255, 255],
  /** any open event whose clock is overdue */
  overdue: [255, 72, 92, 255],
  closed: [120, 134, 160, 255],
};

const STATUS = EventStatus.options;

const STAGE_OF_STATUS: Record<EventStatus, EventStage> = {
  reported: 'intake',
  verifying: 'intake',
  filed: 'intake',
  dispatched: 'dispatched',
  bounced: 'dispatched',
  signed: 'handling',
  in_progress: 'handling',
  rework: 'handling',
  parked: 'handling',
  handled: 'checking',
  checking: 'checking',
  checked: 'checking',
  closed: 'closed',
  evaluated: 'closed',
  rejected: 'closed',
  merged: 'closed',
  cancelled: 'closed',
};

/** clockStatus code of `map/events`: 0 none, 1 running, 2 warning, 3 overdue */
export const CLOCK_OVERDUE = 3;
export const CLOCK_WARNING = 2;

export function stageOf(statusCode: number, clockStatus: number): EventStage {
  const status = STATUS[statusCode];
  if (status === undefined) return 'closed';
  const stage = STAGE_OF_STATUS[status];
  return stage !== 'closed' && clockStatus === CLOCK_OVERDUE ? 'overdue' : stage;
}

const OPEN_CODES = new Set(OPEN_STATES.map((s) => STATUS.indexOf(s)));
export function isOpenCode(statusCode: number): boolean {
  return OPEN_CODES.has(statusCode);
}

/** States in which a unit holds the event: the dispatch arc is drawn. */
const ARC_CODES = new Set((['dispatched', 'signed', 'in_progress', 'rework'] as const).map((s) => STATUS.indexOf(s)));
export function hasDispatchArc(statusCode: number): boolean {
  return ARC_CODES.has(statusCode);
}

export const URGENCY = Urgency.options;
export const URGENT_CODE = URGENCY.indexOf('urgent');
export const CRITICAL_CODE = URGENCY.indexOf('critical');
export const SOURCES = EventSource.options;
export const ONE_KEY_CODE = SOURCES.indexOf('one_key');

/** Radius in pixels at scale 1: normal 4.5, urgent 7, critical 9.5. */
export function radiusOf(urgencyCode: number): number {
  return urgencyCode >= CRITICAL_CODE ? 9.5 : urgencyCode >= URGENT_CODE ? 7 : 4.5;
}

/**
 * Events pulse while new (the first minutes after they were reported), and
 * for as long as they are open when critical or a one-key call. Urgent ones
 * are drawn larger but do not pulse: a wall where a tenth of the points throb
 * points at nothing.
 */
export const NEW_EVENT_MS = 10 * 60_000;
export function alwaysPulses(urgencyCode: number, sourceCode: number): boolean {
  return urgencyCode >= CRITICAL_CODE || sourceCode === ONE_KEY_CODE;
}
export function pulses(urgencyCode: number, sourceCode: number, reportedAt: number, now: number): boolean {
  return alwaysPulses(urgencyCode, sourceCode) || now - reportedAt < NEW_EVENT_MS;
}

export function rgbaCss([r, g, b, a]: Rgba): string {
  return `rgb(${r} ${g} ${b} / ${Math.round((a / 255) * 100) / 100})`;
}
