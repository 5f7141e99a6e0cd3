/**
 * 0001: the replicated reference data (areas, grids, grid workers, units)
 * and the per-scope sync state. Mirrors ../schema.ts.
 */
import type { Migration } from './types';

export const migration0001: Migration = {
  id: 1,
  name: 'reference-data',
  sql: /* sql */ `
CREATE TABLE areas (
  code TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  level TEXT NOT NULL,
  kind TEXT NOT NULL,
  parent_code TEXT REFERENCES areas(code),
  label_lon REAL NOT NULL,
  label_lat REAL NOT NULL,
  bbox TEXT NOT NULL,
  geometry TEXT NOT NULL,
  population INTEGER NOT NULL
);
CREATE INDEX areas_parent_code ON areas(parent_code);

CREATE TABLE grids (
  code TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  village_code TEXT NOT NULL REFERENCES areas(code),
  town_code TEXT NOT NULL REFERENCES areas(code),
  label_lon REAL NOT NULL,
  label_lat REAL NOT NULL,
  geometry TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_to TEXT
);
CREATE INDEX grids_village_code ON grids(village_code);
CREATE INDEX grids_town_code ON grids(town_code);

CREATE TABLE workers (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  phone TEXT NOT NULL
);

CREATE TABLE grid_workers (
  grid_code TEXT NOT NULL REFERENCES grids(code) ON DELETE CASCADE,
  worker_id TEXT NOT NULL REFERENCES workers(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (grid_code, worker_id)
);
CREATE INDEX grid_workers_worker_id ON grid_workers(worker_id);

CREATE TABLE units (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  short_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  area_code TEXT REFERENCES areas(code),
  parent_id TEXT REFERENCES units(id),
  lon REAL NOT NULL,
  lat REAL NOT NULL,
  phone TEXT NOT NULL
);
CREATE INDEX units_area_code ON units(area_code);

CREATE TABLE sync_state (
  scope TEXT PRIMARY KEY NOT NULL,
  version TEXT NOT NULL,
  synced_at TEXT NOT NULL
);
`,
};
