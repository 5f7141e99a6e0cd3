/**
 * 0005: the open events whose clock runs, in deadline order (covering the
 * warning instant and the area), so a window of the 超期/预警 queue or of a
 * clock-status filter — perhaps within a town, village or grid — is walked
 * off the index in the list's own order (序时消单) and stops after the
 * window's rows, instead of sorting every matching event (13,500 on 10^6
 * events in bench/queries; "overdue in a town" was the slowest list there).
 * 0004's index (by warning instant) still serves the counts: "warning or
 * overdue now" is one range of it.
 */
import type { Migration } from './types';

export const migration0005: Migration = {
  id: 5,
  name: 'running-deadline',
  sql: /* sql */ `
CREATE INDEX events_running_deadline ON events(deadline_at, warn_at, town_code, village_code, grid_code) WHERE is_open = 1 AND clock_state = 'running';
`,
};
