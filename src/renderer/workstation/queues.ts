/**
 * The workstation's work queues (工作台队列) in the order the rail shows them,
 * their shortcuts, and what each one means. The data service answers a queue
 * by id (`EventFilter.queue`); `queueMatches` states the meaning once so the
 * demo service, the tests and the query layer agree on it.
 */
import type { EventRecord } from '../../core/events/types';
import type { QueueId } from '../../core/rpc/queries';
import { clockState } from '../../core/sla/clock';
import type { WorkingCalendar } from '../../core/calendar/calendar';
import { isOpen } from '../../core/workflow/states';

export interface QueueSpec {
  id: QueueId;
  /** single-key shortcut */
  key: string;
  /** counts that need the officer now are shown loud; others quiet */
  urgent?: boolean;
}

export const QUEUES: readonly QueueSpec[] = [
  { id: 'to_verify', key: '1', urgent: true },
  { id: 'to_dispatch', key: '2', urgent: true },
  { id: 'awaiting_signature', key: '3' },
  { id: 'bounced', key: '4', urgent: true },
  { id: 'in_progress', key: '5' },
  { id: 'extension_requests', key: '6', urgent: true },
  { id: 'overdue_warning', key: '7', urgent: true },
  { id: 'to_check', key: '8' },
  { id: 'to_evaluate', key: '9' },
  { id: 'supervised_by_me', key: 'm' },
  { id: 'all', key: '0' },
];

export function queueSpec(id: QueueId): QueueSpec {
  return QUEUES.find((q) => q.id === id)!;
}

/**
 * Whether an event belongs to a queue, as the workstation expects the data
 * service to answer `events/list` and `events/counts`. `now` and the calendar
 * decide the overdue/warning queue; `userId` the "supervised by me" one.
 */
export function queueMatches(queue: QueueId, e: EventRecord, ctx: { now: Date; calendar: WorkingCalendar | null; userId: string | null }): boolean {
  const w = e.workflow;
  switch (queue) {
    case 'to_verify':
      return w.status === 'reported' || w.status === 'verifying';
    case 'to_dispatch':
      return w.status === 'filed';
    case 'awaiting_signature':
      return w.status === 'dispatched';
    case 'bounced':
      return w.status === 'bounced';
    case 'in_progress':
      return w.status === 'signed' || w.status === 'in_progress' || w.status === 'rework';
    case 'extension_requests':
      return w.pendingExtension !== null;
    case 'overdue_warning': {
      if (!isOpen(w.status) || !ctx.calendar) return false;
      const cal = ctx.calendar;
      return w.clocks.some((c) => c.stoppedAt === null && clockState(c, ctx.now, cal).status !== 'running');
    }
    case 'to_check':
      return w.status === 'handled' || w.status === 'checking';
    case 'to_evaluate':
      return w.status === 'checked' || w.status === 'closed';
    case 'supervised_by_me':
      return ctx.userId !== null && w.supervision !== null && w.supervision.byActorId === ctx.userId && isOpen(w.status);
    case 'all':
      return true;
  }
}
