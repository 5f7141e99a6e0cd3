/**
 * 0006: drops two indexes of 0002 that later indexes shadow, each of which
 * cost one scan of `events` at every snapshot swap (~5 s at 10^6 events on
 * these machines) and one more b-tree write per applied live row:
 * - `events_open_deadline (deadline_at) WHERE is_open = 1` — open events are
 *   read off the covering `events_open` (0003), and clock windows off
 *   `events_running_warn`/`events_running_deadline` (0004, 0005);
 * - `events_status_deadline (status, deadline_at)` — `events_status_rank`
 *   (status, rank, deadline_at; 0003) serves every status lookup and the
 *   deadline order within a status.
 * Neither was chosen by SQLite for any request of the query mix
 * (bench/support/query-mix.ts) on 10^6 events.
 */
import type { Migration } from './types';

export const migration0006: Migration = {
  id: 6,
  name: 'drop-shadowed-indexes',
  sql: /* sql */ `
DROP INDEX events_open_deadline;
DROP INDEX events_status_deadline;
`,
};
