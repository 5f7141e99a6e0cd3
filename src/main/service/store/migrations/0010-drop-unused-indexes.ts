/**
 * 0010: drops the five indexes of the replica that no statement of the data
 * service is planned on, each of which a snapshot swap rebuilt (the swap
 * recreates every index of a swapped table from sqlite_master,
 * store/replica-writes.ts) and a live batch kept up to date:
 * - `areas_parent_code`, `grids_town_code`, `grids_village_code`,
 *   `units_area_code` (0002): the reference tables are only ever read whole,
 *   `SELECT key, doc FROM <table> ORDER BY key` (reference/reference-store.ts,
 *   on the UNIQUE key's own index) or whole without a WHERE (the KPIs' unit
 *   names); the area tree, the grids' geometry and the unit list are built
 *   from those documents in memory;
 * - `audit_at` (0002): the audit trail is read per event, in order
 *   (`WHERE event_id = @id ORDER BY seq`, the detail view's timeline, on
 *   `audit_event_seq`); nothing asks for a time range of it.
 *
 * EXPLAIN QUERY PLAN of every statement the service ran for the query mix of
 * bench/queries, every list filter alone / with a town / with a time window /
 * open only, in all four sorts, the other handlers, and the store, sync,
 * outbox, group-apply and query tests (20,000 events, docs/queries.md): these
 * five were in no plan, and no UNIQUE constraint or ON CONFLICT target is
 * among them (those are the `key`/rowid keys). Every index of `events` is
 * some statement's plan and stays.
 */
import type { Migration } from './types';

export const migration0010: Migration = {
  id: 10,
  name: 'drop-unused-indexes',
  sql: /* sql */ `
DROP INDEX areas_parent_code;
DROP INDEX grids_town_code;
DROP INDEX grids_village_code;
DROP INDEX units_area_code;
DROP INDEX audit_at;
`,
};
