/**
 * The replica's tables as drizzle sees them. The reference data (areas,
 * grids, grid workers, units) is a read-only copy of the data center's,
 * replaced as a whole when its version changes; `sync_state` records which
 * version the replica holds, written in the same transaction as the rows.
 *
 * The SQL that creates these tables lives in the numbered migrations next to
 * this file (drizzle-kit's .sql output would not survive bundling into the
 * Electron utility process); a test checks both agree column by column.
 */
import { index, integer, primaryKey, real, sqliteTable, text, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { AreaGeometry, AreaKind, AreaLevel, BBox, GridKind, UnitKind } from '../../../core/index';

/** districts, towns/subdistricts (镇/街) and villages/communities (村/社区) */
export const areas = sqliteTable(
  'areas',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    level: text('level').$type<AreaLevel>().notNull(),
    kind: text('kind').$type<AreaKind>().notNull(),
    parentCode: text('parent_code').references((): AnySQLiteColumn => areas.code),
    labelLon: real('label_lon').notNull(),
    labelLat: real('label_lat').notNull(),
    bbox: text('bbox', { mode: 'json' }).$type<BBox>().notNull(),
    geometry: text('geometry', { mode: 'json' }).$type<AreaGeometry>().notNull(),
    population: integer('population').notNull(),
  },
  (t) => [index('areas_parent_code').on(t.parentCode)],
);

/** base grids (基础网格) */
export const grids = sqliteTable(
  'grids',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    kind: text('kind').$type<GridKind>().notNull(),
    villageCode: text('village_code')
      .notNull()
      .references(() => areas.code),
    townCode: text('town_code')
      .notNull()
      .references(() => areas.code),
    labelLon: real('label_lon').notNull(),
    labelLat: real('label_lat').notNull(),
    geometry: text('geometry', { mode: 'json' }).$type<AreaGeometry>().notNull(),
    validFrom: text('valid_from').notNull(),
    validTo: text('valid_to'),
  },
  (t) => [index('grids_village_code').on(t.villageCode), index('grids_town_code').on(t.townCode)],
);

/** grid workers (网格员) */
export const workers = sqliteTable('workers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  phone: text('phone').notNull(),
});

/** which workers serve which grid (一格一员 or 一格多员), in the data center's order */
export const gridWorkers = sqliteTable(
  'grid_workers',
  {
    gridCode: text('grid_code')
      .notNull()
      .references(() => grids.code, { onDelete: 'cascade' }),
    workerId: text('worker_id')
      .notNull()
      .references(() => workers.id),
    position: integer('position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.gridCode, t.workerId] }), index('grid_workers_worker_id').on(t.workerId)],
);

/** departments, town governments and village committees that handle events */
export const units = sqliteTable(
  'units',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    shortName: text('short_name').notNull(),
    kind: text('kind').$type<UnitKind>().notNull(),
    areaCode: text('area_code').references(() => areas.code),
    parentId: text('parent_id').references((): AnySQLiteColumn => units.id),
    lon: real('lon').notNull(),
    lat: real('lat').notNull(),
    phone: text('phone').notNull(),
  },
  (t) => [index('units_area_code').on(t.areaCode)],
);

/** one row per replicated scope: the version the replica holds and when it was applied */
export const syncState = sqliteTable('sync_state', {
  scope: text('scope').primaryKey(),
  version: text('version').notNull(),
  /** ISO time the version was applied */
  syncedAt: text('synced_at').notNull(),
});

export const schema = { areas, grids, workers, gridWorkers, units, syncState };
