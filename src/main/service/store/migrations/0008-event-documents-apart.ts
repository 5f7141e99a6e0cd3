/**
 * 0008: the event documents move out of `events` into `events_doc (rid, doc)`.
 *
 * Each of the ~20 indexes of `events` is built at every snapshot swap by one
 * scan of the table, and the documents were 90% of its pages (100,000 events:
 * 71,780 pages with `doc`, 6,589 without; the 21 builds 22.8 s vs 10.0 s,
 * docs/sync-client.md). `events` now holds only the columns queries filter
 * and sort on; `events_doc` is a rowid table keyed by the same `rid`, so the
 * readers of a document (the detail view, the KPI facts, the description in
 * a text search before the FTS index is built, the outbox's `parkedFrom`)
 * join it by rowid.
 *
 * The four index expressions that read the document become columns, extracted
 * when the row is written (store/replicated-rows.ts), with the same meaning:
 * - `pause_from`      = json_extract(doc, '$.workflow.clocks[0].pauses[#-1].from') when a string (events_paused);
 * - `pending_extension` 1/0 = json_type(doc, '$.workflow.pendingExtension') = 'object' (events_pending_extension);
 * - `supervised_by`   = json_extract(doc, '$.workflow.supervision.byActorId') when a string (events_supervised_by);
 * - `assisting_units` = the JSON array of `workflow.assistingUnitIds` when it names any unit, else NULL
 *   (events_open_assisting, now on the column itself, so a unit filter reads the index alone;
 *   it was `instr(doc, '"assistingUnitIds":[]') = 0`, a text test on the document).
 *
 * The replica is a cache of the data center: the tables are recreated empty
 * and `sync_state` is emptied, so the next start re-snapshots (as 0002 did).
 * The outbox and the preferences are kept (the FTS high-water mark and the
 * KPI facts go with the events they described).
 */
import type { Migration } from './types';

const RANK = `(CASE clock_state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END)`;
const KEY = `(CASE WHEN clock_state IN ('running', 'paused') THEN deadline_at ELSE reported_at END)`;

const events = (name: string) => `CREATE TABLE ${name} (
  rid INTEGER PRIMARY KEY NOT NULL,
  key TEXT NOT NULL UNIQUE,
  v INTEGER NOT NULL,
  case_no TEXT,
  status TEXT NOT NULL,
  is_open INTEGER NOT NULL,
  category_code TEXT,
  town_code TEXT,
  village_code TEXT,
  grid_code TEXT,
  source TEXT NOT NULL,
  urgency TEXT NOT NULL,
  lon REAL,
  lat REAL,
  reported_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,
  deadline_at INTEGER,
  warn_at INTEGER,
  clock_state TEXT,
  lead_unit_id TEXT,
  supervision_level INTEGER,
  escalation_rung TEXT,
  title TEXT NOT NULL,
  address TEXT,
  pause_from TEXT,
  pending_extension INTEGER NOT NULL,
  supervised_by TEXT,
  assisting_units TEXT
);`;

const eventDocs = (name: string) => `CREATE TABLE ${name} (
  rid INTEGER PRIMARY KEY NOT NULL,
  doc TEXT NOT NULL
);`;

export const migration0008: Migration = {
  id: 8,
  name: 'event-documents-apart',
  sql: /* sql */ `
DROP TABLE events;
DROP TABLE stage_events;

${events('events')}
${events('stage_events')}
${eventDocs('events_doc')}
${eventDocs('stage_events_doc')}

CREATE INDEX events_town_status ON events(town_code, status, deadline_at);
CREATE INDEX events_village_reported ON events(village_code, reported_at);
CREATE INDEX events_grid_reported ON events(grid_code, reported_at);
CREATE INDEX events_category_reported ON events(category_code, reported_at);
CREATE INDEX events_source_reported ON events(source, reported_at);
CREATE INDEX events_reported ON events(reported_at);
CREATE INDEX events_updated ON events(updated_at);
CREATE INDEX events_lead_unit_status ON events(lead_unit_id, status);
CREATE INDEX events_supervised ON events(supervision_level) WHERE supervision_level IS NOT NULL;
CREATE INDEX events_open ON events(status, clock_state, warn_at, deadline_at, town_code, village_code, grid_code, urgency, source,
  reported_at, supervision_level, lead_unit_id, lon, lat, key) WHERE is_open = 1;
CREATE INDEX events_paused ON events(pause_from, deadline_at, warn_at, town_code, village_code, grid_code)
  WHERE is_open = 1 AND clock_state = 'paused';
CREATE INDEX events_deadline_order ON events(${RANK}, ${KEY});
CREATE INDEX events_status_rank ON events(status, ${RANK}, ${KEY});
CREATE INDEX events_reported_geo ON events(reported_at, town_code, category_code, grid_code, lon, lat);
CREATE INDEX events_pending_extension ON events(clock_state, deadline_at) WHERE is_open = 1 AND pending_extension = 1;
CREATE INDEX events_supervised_by ON events(supervised_by, clock_state, deadline_at) WHERE is_open = 1 AND supervision_level IS NOT NULL;
CREATE INDEX events_open_assisting ON events(assisting_units) WHERE is_open = 1 AND assisting_units IS NOT NULL;
CREATE INDEX events_case_no ON events(case_no);
CREATE INDEX events_v ON events(v);
CREATE INDEX events_running_warn ON events(warn_at, deadline_at, town_code, village_code, grid_code) WHERE is_open = 1 AND clock_state = 'running';
CREATE INDEX events_running_deadline ON events(deadline_at, warn_at, town_code, village_code, grid_code) WHERE is_open = 1 AND clock_state = 'running';

CREATE TRIGGER events_kpi_facts_delete AFTER DELETE ON events BEGIN
  DELETE FROM kpi_facts WHERE rid = old.rid;
END;

INSERT INTO events_fts (events_fts) VALUES ('delete-all');
DELETE FROM kpi_facts;
DELETE FROM preferences WHERE key IN ('ftsIndex', 'kpiFacts');
DELETE FROM sync_state;
`,
};
