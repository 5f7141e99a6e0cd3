/**
 * The optimistic effect of a queued workflow command: the status the event
 * is expected to reach, so a list can show "dispatching…" at once, offline
 * included. It is a prediction from the command type (the data center's
 * `decide` has the last word); unknown or status-preserving commands predict
 * no change. The overlay lives until the feed confirms or rejects the
 * command, then the replicated event speaks for itself.
 */
import type { CommandType, EventStatus, Mutation } from '../../../core/index';

export interface PendingOverlay {
  eventId: string;
  command: CommandType;
  /** the status the event should reach, null when the command keeps it */
  expectedStatus: EventStatus | null;
  mutationId: number;
  createdAt: string;
}

const NEXT: Partial<Record<CommandType, EventStatus>> = {
  verify: 'verifying',
  file: 'filed',
  reject: 'rejected',
  dispatch: 'dispatched',
  reassign: 'dispatched',
  force_assign: 'dispatched',
  sign: 'signed',
  bounce: 'bounced',
  start: 'in_progress',
  handle: 'handled',
  park: 'parked',
  request_check: 'checking',
  check_pass: 'checked',
  check_fail: 'rework',
  close: 'closed',
  evaluate: 'evaluated',
  merge: 'merged',
  cancel: 'cancelled',
};

/** The overlay of a mutation, or null when it does not act on one replicated event. */
export function overlayOf(mutation: Mutation, current: { parkedFrom: EventStatus | null } | null): Omit<PendingOverlay, 'mutationId' | 'createdAt'> | null {
  if (mutation.name !== 'event/command') return null;
  const type = mutation.command.type;
  const expectedStatus = type === 'unpark' ? (current?.parkedFrom ?? null) : (NEXT[type] ?? null);
  return { eventId: mutation.eventId, command: type, expectedStatus };
}
