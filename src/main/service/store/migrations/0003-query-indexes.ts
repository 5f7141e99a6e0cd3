/**
 * 0003: what the query layer (src/main/service/queries, docs/queries.md)
 * needs on top of the replication schema to answer in milliseconds on 10^6
 * events, where reading one event row costs microseconds (rows carry their
 * 1–2 KB document): indexes that COVER the hot queries, so they never touch
 * a row.
 *
 * Indexes on `events` (each costs one scan of the table when a snapshot is
 * swapped in, so each serves requests the older indexes cannot):
 * - `events_open` — covering, open events only (a few % of the history): the
 *   queue counts in one pass, the open queues' windows, the map's events
 *   layer, per-grid open figures, the KPIs' "now" figures;
 * - `events_paused` — partial expression index over paused clocks (挂账)
 *   holding the pause start, read from the index instead of the document,
 *   so a paused clock's frozen status costs no JSON parsing;
 * - `events_deadline_order` — 序时消单 over the whole table: running clocks by
 *   deadline, then paused, then the rest (the `all` queue in deadline order);
 * - `events_status_rank` — the same order within a status, so a queue that
 *   includes closed states (待评价) sorts its keys without reading a row;
 * - `events_reported_geo` — covering over the reported time: density bins,
 *   per-grid load, windows of a period by town or category;
 * - `events_pending_extension` — partial, on a document expression: open
 *   events whose extension request waits (延期申请); the JSON is read only for
 *   open rows when the index is built;
 * - `events_supervised_by` — partial expression index: who raised the
 *   supervision of an open event (我督办的);
 * - `events_open_assisting` — open events that have assisting units (协办),
 *   found with a text test so only those documents are parsed for a unit filter;
 * - `events_case_no` — a case number typed into the search box;
 * - `events_v` — rows written since a version (the KPI facts' refresh).
 *
 * `kpi_facts`: local, never replicated — per event, the indicator facts
 * computed by core/indicators `eventFacts` (queries/stats/facts.ts) and the
 * instants of its steps (dispatched, handled, closed: playback), clustered by
 * reported time, so a KPI or a playback over 10^5 events is a range scan of a
 * narrow table instead of 10^5 documents. A trigger drops the facts of an event
 * deleted from the replica; a new snapshot (new rids) empties the table
 * through its basis check.
 *
 * The snapshot swap (store/replica-writes.ts) recreates every index and
 * trigger of `events` from sqlite_master, so these survive it unchanged.
 */
import type { Migration } from './types';

const RANK = `(CASE clock_state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END)`;
const PAUSE_FROM = `json_extract(doc, '$.workflow.clocks[0].pauses[#-1].from')`;

export const migration0003: Migration = {
  id: 3,
  name: 'query-indexes',
  sql: /* sql */ `
CREATE INDEX events_open ON events(status, clock_state, warn_at, deadline_at, town_code, village_code, grid_code, urgency, source,
  reported_at, supervision_level, lead_unit_id, lon, lat, key) WHERE is_open = 1;
CREATE INDEX events_paused ON events(${PAUSE_FROM}, deadline_at, warn_at, town_code, village_code, grid_code)
  WHERE is_open = 1 AND clock_state = 'paused';
CREATE INDEX events_deadline_order ON events(${RANK}, deadline_at);
CREATE INDEX events_status_rank ON events(status, ${RANK}, deadline_at);
CREATE INDEX events_reported_geo ON events(reported_at, town_code, category_code, grid_code, lon, lat);
CREATE INDEX events_pending_extension ON events(clock_state, deadline_at) WHERE is_open = 1 AND json_type(doc, '$.workflow.pendingExtension') = 'object';
CREATE INDEX events_supervised_by ON events(json_extract(doc, '$.workflow.supervision.byActorId'), clock_state, deadline_at) WHERE is_open = 1 AND supervision_level IS NOT NULL;
CREATE INDEX events_open_assisting ON events(lead_unit_id) WHERE is_open = 1 AND instr(doc, '"assistingUnitIds":[]') = 0;
CREATE INDEX events_case_no ON events(case_no);
CREATE INDEX events_v ON events(v);

CREATE TABLE kpi_facts (
  reported_at INTEGER NOT NULL,
  rid INTEGER NOT NULL UNIQUE,
  v INTEGER NOT NULL,
  key TEXT NOT NULL,
  lon REAL,
  lat REAL,
  urgency TEXT NOT NULL,
  dispatched_at INTEGER,
  handled_at INTEGER,
  closed_at INTEGER,
  town_code TEXT,
  village_code TEXT,
  category_code TEXT,
  source TEXT NOT NULL,
  lead_unit_id TEXT,
  flags INTEGER NOT NULL,
  overdue_from INTEGER,
  PRIMARY KEY (reported_at, rid)
) WITHOUT ROWID;

CREATE TRIGGER events_kpi_facts_delete AFTER DELETE ON events BEGIN
  DELETE FROM kpi_facts WHERE rid = old.rid;
END;
`,
};
