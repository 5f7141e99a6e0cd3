/**
 * 0002: the replica of the sync protocol. The first cut's typed reference
 * tables (0001) are dropped — the replica is a cache of the data center, so
 * the next start re-snapshots — and replaced by one document table per
 * replicated table with the columns queries need, a `stage_` twin of each
 * for snapshots, the trigram FTS5 index over event text, the cursor in
 * `sync_state`, the outbox with its pending overlays, and local preferences.
 * Mirrors ../schema.ts.
 *
 * FTS: `events_fts` is contentless (the text stays in `events`) with
 * `contentless_delete=1`, rowid = `events.rid`, maintained by the code that
 * writes events (store/replicated-rows.ts), not by triggers, so a snapshot
 * swap can rebuild it in one statement. The trigram tokenizer matches any
 * substring of 3+ characters, which suits Chinese text without a word
 * segmenter.
 */
import type { Migration } from './types';

const doc = `
  key TEXT PRIMARY KEY NOT NULL,
  v INTEGER NOT NULL,
  doc TEXT NOT NULL`;

const areas = (name: string) => `CREATE TABLE ${name} (${doc},
  level TEXT,
  parent_code TEXT
);`;
const grids = (name: string) => `CREATE TABLE ${name} (${doc},
  code TEXT,
  village_code TEXT,
  town_code TEXT,
  valid_to TEXT
);`;
const units = (name: string) => `CREATE TABLE ${name} (${doc},
  kind TEXT,
  area_code TEXT
);`;
const plain = (name: string) => `CREATE TABLE ${name} (${doc}
);`;
const events = (name: string) => `CREATE TABLE ${name} (
  rid INTEGER PRIMARY KEY NOT NULL,
  key TEXT NOT NULL UNIQUE,
  v INTEGER NOT NULL,
  doc TEXT NOT NULL,
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
  address TEXT
);`;
const audit = (name: string) => `CREATE TABLE ${name} (${doc},
  event_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL
);`;
const wall = (name: string) => `CREATE TABLE ${name} (${doc},
  kind TEXT
);`;

export const migration0002: Migration = {
  id: 2,
  name: 'replication',
  sql: /* sql */ `
DROP TABLE grid_workers;
DROP TABLE grids;
DROP TABLE workers;
DROP TABLE units;
DROP TABLE areas;
DROP TABLE sync_state;

${areas('areas')}
CREATE INDEX areas_parent_code ON areas(parent_code);
${areas('stage_areas')}

${grids('grids')}
CREATE INDEX grids_town_code ON grids(town_code);
CREATE INDEX grids_village_code ON grids(village_code);
${grids('stage_grids')}

${units('units')}
CREATE INDEX units_area_code ON units(area_code);
${units('stage_units')}

${plain('workers')}
${plain('stage_workers')}
${plain('config')}
${plain('stage_config')}

${events('events')}
CREATE INDEX events_open_deadline ON events(deadline_at) WHERE is_open = 1;
CREATE INDEX events_status_deadline ON events(status, deadline_at);
CREATE INDEX events_town_status ON events(town_code, status, deadline_at);
CREATE INDEX events_village_reported ON events(village_code, reported_at);
CREATE INDEX events_grid_reported ON events(grid_code, reported_at);
CREATE INDEX events_category_reported ON events(category_code, reported_at);
CREATE INDEX events_source_reported ON events(source, reported_at);
CREATE INDEX events_reported ON events(reported_at);
CREATE INDEX events_updated ON events(updated_at);
CREATE INDEX events_lead_unit_status ON events(lead_unit_id, status);
CREATE INDEX events_supervised ON events(supervision_level) WHERE supervision_level IS NOT NULL;
${events('stage_events')}

CREATE VIRTUAL TABLE events_fts USING fts5(title, description, address, content='', contentless_delete=1, tokenize='trigram');

${audit('audit')}
CREATE INDEX audit_event_seq ON audit(event_id, seq);
CREATE INDEX audit_at ON audit(at);
${audit('stage_audit')}

${wall('wall')}
${wall('stage_wall')}

CREATE TABLE sync_state (
  scope TEXT PRIMARY KEY NOT NULL,
  epoch TEXT NOT NULL,
  v INTEGER NOT NULL,
  reference_version TEXT NOT NULL,
  last_checksum TEXT,
  snapshot_at TEXT NOT NULL,
  last_batch_at TEXT NOT NULL
);

CREATE TABLE outbox (
  mutation_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  client_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  mutation TEXT NOT NULL,
  event_id TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'confirmed', 'rejected', 'dismissed')),
  error TEXT,
  sent_at TEXT,
  acked_v INTEGER,
  updated_at TEXT NOT NULL
);
CREATE INDEX outbox_state ON outbox(state, mutation_id);
CREATE INDEX outbox_event ON outbox(event_id);

CREATE TABLE pending_overlay (
  mutation_id INTEGER PRIMARY KEY NOT NULL REFERENCES outbox(mutation_id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  overlay TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX pending_overlay_event ON pending_overlay(event_id);

CREATE TABLE preferences (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`,
};
