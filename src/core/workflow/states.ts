/**
 * The event states of the five-step closed loop (五步闭环) and their side paths.
 * See docs/domain-model.md for the diagram.
 */
import { z } from 'zod';

export const EventStatus = z.enum([
  /** 上报 received from a source, not yet looked at */
  'reported',
  /** 核实 being verified (public and hotline reports) */
  'verifying',
  /** 立案 accepted as a case, waiting for dispatch */
  'filed',
  /** 不予立案 rejected (terminal) */
  'rejected',
  /** 派遣 sent to a lead unit, waiting for it to sign */
  'dispatched',
  /** 退单 returned by the unit, waiting for re-dispatch or forced assignment */
  'bounced',
  /** 签收 claimed by the lead unit */
  'signed',
  /** 处置中 being handled */
  'in_progress',
  /** 挂账 parked: cannot be solved now, clocks stopped */
  'parked',
  /** 已处置 the unit fed back, waiting for the check */
  'handled',
  /** 核查中 a grid worker checks on site */
  'checking',
  /** 核查通过 check passed, waiting for closing */
  'checked',
  /** 返工 the check failed, back to the unit */
  'rework',
  /** 结案 closed, waiting for the call-back */
  'closed',
  /** 已评价 call-back done with satisfaction (terminal) */
  'evaluated',
  /** 合并 merged into another event as a duplicate (terminal) */
  'merged',
  /** 撤销 cancelled (terminal) */
  'cancelled',
]);
export type EventStatus = z.infer<typeof EventStatus>;

export const TERMINAL_STATES: readonly EventStatus[] = ['rejected', 'evaluated', 'merged', 'cancelled'];

/** Open stages: where supervision can be raised. `closed` is not open: it accepts only the evaluation. */
export const OPEN_STATES: readonly EventStatus[] = [
  'reported',
  'verifying',
  'filed',
  'dispatched',
  'bounced',
  'signed',
  'in_progress',
  'parked',
  'handled',
  'checking',
  'checked',
  'rework',
];

/** States in which a unit holds the event and works against the clock. */
export const WORKING_STATES: readonly EventStatus[] = ['dispatched', 'signed', 'in_progress', 'rework'];

export function isTerminal(status: EventStatus): boolean {
  return TERMINAL_STATES.includes(status);
}
export function isOpen(status: EventStatus): boolean {
  return OPEN_STATES.includes(status);
}
