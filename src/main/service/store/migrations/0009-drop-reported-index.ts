/**
 * 0009: drops `events_reported (reported_at)` of 0002. `events_reported_geo`
 * (reported_at, town_code, category_code, grid_code, lon, lat; 0003) starts
 * with the same column, so it serves the same ranges and the same order
 * (newest first, a time window) — the planner took the narrower one when both
 * were there. Every other index of `events` is the one some statement of the
 * query layer is planned on (EXPLAIN QUERY PLAN over the query mix and every
 * filter alone, with a town and with a time window, in every sort;
 * docs/sync-client.md), so this is the only one whose build a snapshot swap
 * can skip without a query losing its index.
 */
import type { Migration } from './types';

export const migration0009: Migration = {
  id: 9,
  name: 'drop-reported-index',
  sql: /* sql */ `
DROP INDEX events_reported;
`,
};
