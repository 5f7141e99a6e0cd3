/**
 * 0007: 序时消单 for rows without a deadline. `events_deadline_order` and
 * `events_status_rank` (0003) held (rank, deadline_at): within rank 2 — no
 * clock yet (待派遣: filed, not dispatched) or a stopped one — deadline_at is
 * NULL or a stopped clock's, so those queues came in replica row order. They
 * are rebuilt on (rank, key) where the key is the deadline of a running or
 * paused clock and the report time otherwise (queries/events/event-sql.ts
 * DEADLINE_KEY_SQL): the oldest reported first, read off the index as before.
 * Same names and the same number of indexes: a snapshot swap scans no more.
 */
import type { Migration } from './types';

const RANK = `(CASE clock_state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END)`;
const KEY = `(CASE WHEN clock_state IN ('running', 'paused') THEN deadline_at ELSE reported_at END)`;

export const migration0007: Migration = {
  id: 7,
  name: 'report-time-order',
  sql: /* sql */ `
DROP INDEX events_deadline_order;
DROP INDEX events_status_rank;
CREATE INDEX events_deadline_order ON events(${RANK}, ${KEY});
CREATE INDEX events_status_rank ON events(status, ${RANK}, ${KEY});
`,
};
