/**
 * events/counts: the live count of every queue, for the workstation's queue
 * tabs and the wall's figures. The queues defined by state are counted in ONE
 * pass over the open events (grouped by status, from the covering partial
 * index events_open); the clocks in warning or overdue are one range of
 * events_running_warn; the few rows that need their document (paused clocks,
 * extension requests, supervision by this officer) come from their own small
 * partial indexes, and `closed`/`all` are index counts. What does not depend
 * on the time is memoised per replica state.
 */
import type { QueueCounts, QueueId } from '../../../../core/rpc/queries';
import type { QueryContext } from '../context';
import { PAUSE_FROM_MS, PAUSED_ROWS, PENDING_EXTENSION_SQL, QUEUE_STATUSES, SUPERVISED_BY_SQL } from './event-sql';

/** paused clocks that stood in warning or overdue when the pause began (frozen: not time-dependent) */
const PAUSED_WARN = `SELECT count(*) AS n FROM events e INDEXED BY events_paused WHERE ${PAUSED_ROWS} AND ${PAUSE_FROM_MS} >= e.warn_at`;

export function countQueues(ctx: QueryContext): QueueCounts {
  const now = ctx.now();
  const checkpoint = ctx.checkpoint();
  const userId = ctx.deps.user()?.id ?? null;
  const byStatus = ctx.all<{ status: string; n: number }>(`SELECT e.status, count(*) AS n FROM events e INDEXED BY events_open WHERE e.is_open = 1 GROUP BY e.status`);
  const runningWarn = ctx.get<{ n: number }>(
    `SELECT count(*) AS n FROM events e INDEXED BY events_running_warn WHERE e.is_open = 1 AND e.clock_state = 'running' AND e.warn_at <= @now`,
    { now },
  )!.n;
  const n = new Map(byStatus.map((r) => [r.status, r.n]));
  const fixed = ctx.memoise('counts:fixed', () => ({
    closed: ctx.get<{ n: number }>(`SELECT count(*) AS n FROM events e INDEXED BY events_status_rank WHERE e.status = 'closed'`)!.n,
    all: ctx.get<{ n: number }>('SELECT count(*) AS n FROM events')!.n,
    extensions: ctx.get<{ n: number }>(`SELECT count(*) AS n FROM events e INDEXED BY events_pending_extension WHERE ${PENDING_EXTENSION_SQL}`)!.n,
    pausedWarn: ctx.get<{ n: number }>(PAUSED_WARN)!.n,
  }));
  const supervisedByMe =
    userId === null
      ? 0
      : ctx.memoise(`counts:supervised:${userId}`, () =>
          ctx.get<{ n: number }>(`SELECT count(*) AS n FROM events e INDEXED BY events_supervised_by WHERE e.supervision_level IS NOT NULL AND ${SUPERVISED_BY_SQL} = @me AND e.is_open = 1`, { me: userId })!.n,
        );
  const sum = (statuses: readonly string[]) => statuses.reduce((s, st) => s + (st === 'closed' ? fixed.closed : (n.get(st) ?? 0)), 0);
  const counts = {} as Record<QueueId, number>;
  for (const [queue, statuses] of Object.entries(QUEUE_STATUSES) as [QueueId, readonly string[]][]) counts[queue] = sum(statuses);
  counts.extension_requests = fixed.extensions;
  counts.overdue_warning = runningWarn + fixed.pausedWarn;
  counts.supervised_by_me = supervisedByMe;
  counts.all = fixed.all;
  return { counts, checkpoint };
}
