/**
 * The data center's PostgreSQL schema (drizzle pg-core), the single source
 * the numbered migrations are generated from (`drizzle.config.ts`, see
 * docs/datacenter.md). The same tables run on PGlite and on PostgreSQL.
 *
 * Reference data first: areas, base grids with validity dates, units, grid
 * workers and their grid assignments, plus a one-row `meta` table with the
 * database epoch and the reference-data version.
 *
 * The replicated tables (areas, grids, units, grid workers) carry `v`, the
 * sync version that last wrote the row, and `scope`, the town it belongs to
 * (null when district-wide); they are written through `writeReplicated`
 * (src/datacenter/sync/write.ts), which also logs them for the sync feed.
 *
 * Choices that matter later:
 * - enumerations are `text` with CHECK constraints, not pg enums, so a later
 *   migration can widen them inside a transaction;
 * - label points and bounding boxes are plain `double precision` columns (cheap
 *   bbox prefilters for point-in-polygon), the outlines are GeoJSON in `jsonb`;
 * - a grid is keyed by (code, valid_from): a redrawn grid keeps its code and
 *   gets a new version, and at most one version per code is open-ended.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import type { AreaGeometry } from '../../core';

/**
 * One row per database. `epoch` is a random id made once when the database is
 * created; the sync protocol uses it to tell a restored or replaced database
 * from the one a client's cursor came from.
 */
export const meta = pgTable(
  'meta',
  {
    id: smallint('id').primaryKey().default(1),
    epoch: uuid('epoch').notNull(),
    /** content hash of the served reference data; null until seeded or imported */
    referenceVersion: text('reference_version'),
    /** where the reference data came from, e.g. `demo:seed=20250101` */
    referenceSource: text('reference_source'),
    referenceUpdatedAt: timestamp('reference_updated_at', { withTimezone: true, mode: 'string' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [check('meta_single_row', sql`${t.id} = 1`)],
);

/** district 区 → town/subdistrict 镇/街 → village/community 村/社区 */
export const areas = pgTable(
  'areas',
  {
    /** 6-digit district code or 12-digit statistical division code */
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    level: text('level', { enum: ['district', 'town', 'village'] }).notNull(),
    kind: text('kind', { enum: ['district', 'subdistrict', 'town', 'community', 'village'] }).notNull(),
    parentCode: text('parent_code').references((): AnyPgColumn => areas.code),
    labelLon: doublePrecision('label_lon').notNull(),
    labelLat: doublePrecision('label_lat').notNull(),
    minLon: doublePrecision('min_lon').notNull(),
    minLat: doublePrecision('min_lat').notNull(),
    maxLon: doublePrecision('max_lon').notNull(),
    maxLat: doublePrecision('max_lat').notNull(),
    geometry: jsonb('geometry').$type<AreaGeometry>().notNull(),
    population: integer('population').notNull(),
    /** the sync version that last wrote this row (src/datacenter/sync, docs/sync-protocol.md) */
    v: bigint('v', { mode: 'number' }).notNull().default(0),
    /** sync scope: the town code the row belongs to, null when district-wide */
    scope: text('scope'),
  },
  (t) => [
    index('areas_parent_code_idx').on(t.parentCode),
    check('areas_code_format', sql`${t.code} ~ '^[0-9]{6}([0-9]{6})?$'`),
    check('areas_level_values', sql`${t.level} in ('district', 'town', 'village')`),
    check('areas_kind_values', sql`${t.kind} in ('district', 'subdistrict', 'town', 'community', 'village')`),
    check('areas_population_nonnegative', sql`${t.population} >= 0`),
    check('areas_district_is_root', sql`(${t.level} = 'district') = (${t.parentCode} is null)`),
  ],
);

/** 基础网格 base grids; each belongs to exactly one village/community */
export const grids = pgTable(
  'grids',
  {
    /** 15-digit grid code: village code + 3-digit sequence */
    code: text('code').notNull(),
    validFrom: date('valid_from', { mode: 'string' }).notNull(),
    /** the day the grid was replaced; null while current */
    validTo: date('valid_to', { mode: 'string' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['community', 'rural'] }).notNull(),
    villageCode: text('village_code')
      .notNull()
      .references(() => areas.code),
    townCode: text('town_code')
      .notNull()
      .references(() => areas.code),
    labelLon: doublePrecision('label_lon').notNull(),
    labelLat: doublePrecision('label_lat').notNull(),
    minLon: doublePrecision('min_lon').notNull(),
    minLat: doublePrecision('min_lat').notNull(),
    maxLon: doublePrecision('max_lon').notNull(),
    maxLat: doublePrecision('max_lat').notNull(),
    geometry: jsonb('geometry').$type<AreaGeometry>().notNull(),
    /** the sync version that last wrote this row (src/datacenter/sync, docs/sync-protocol.md) */
    v: bigint('v', { mode: 'number' }).notNull().default(0),
    /** sync scope: the town code the row belongs to, null when district-wide */
    scope: text('scope'),
  },
  (t) => [
    primaryKey({ name: 'grids_pkey', columns: [t.code, t.validFrom] }),
    index('grids_village_code_idx').on(t.villageCode),
    index('grids_town_code_idx').on(t.townCode),
    uniqueIndex('grids_one_current_version').on(t.code).where(sql`${t.validTo} is null`),
    check('grids_code_format', sql`${t.code} ~ '^[0-9]{15}$'`),
    check('grids_kind_values', sql`${t.kind} in ('community', 'rural')`),
    check('grids_valid_range', sql`${t.validTo} is null or ${t.validTo} > ${t.validFrom}`),
  ],
);

/** departments 部门, town governments and village/community committees */
export const units = pgTable(
  'units',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    shortName: text('short_name').notNull(),
    kind: text('kind', { enum: ['district', 'department', 'town', 'village'] }).notNull(),
    areaCode: text('area_code').references(() => areas.code),
    parentId: text('parent_id'),
    lon: doublePrecision('lon').notNull(),
    lat: doublePrecision('lat').notNull(),
    phone: text('phone').notNull(),
    /** display order (departments follow the district's own list, not the alphabet) */
    sortOrder: integer('sort_order').notNull(),
    /** the sync version that last wrote this row (src/datacenter/sync, docs/sync-protocol.md) */
    v: bigint('v', { mode: 'number' }).notNull().default(0),
    /** sync scope: the town code the row belongs to, null when district-wide */
    scope: text('scope'),
  },
  (t) => [
    foreignKey({ name: 'units_parent_id_fk', columns: [t.parentId], foreignColumns: [t.id] }),
    index('units_area_code_idx').on(t.areaCode),
    check('units_kind_values', sql`${t.kind} in ('district', 'department', 'town', 'village')`),
  ],
);

/** 网格员 grid workers */
export const gridWorkers = pgTable(
  'grid_workers',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    phone: text('phone').notNull(),
    villageCode: text('village_code')
      .notNull()
      .references(() => areas.code),
    /** the sync version that last wrote this row (src/datacenter/sync, docs/sync-protocol.md) */
    v: bigint('v', { mode: 'number' }).notNull().default(0),
    /** sync scope: the town code the row belongs to, null when district-wide */
    scope: text('scope'),
  },
  (t) => [index('grid_workers_village_code_idx').on(t.villageCode)],
);

/**
 * Which workers cover which grid (一格一员 or 一格多员). Keyed by grid code,
 * not by grid version: a redrawn grid keeps its workers.
 */
export const gridAssignments = pgTable(
  'grid_assignments',
  {
    gridCode: text('grid_code').notNull(),
    workerId: text('worker_id')
      .notNull()
      .references(() => gridWorkers.id),
    /** order of the worker on the grid (the first is the lead) */
    position: smallint('position').notNull(),
  },
  (t) => [
    primaryKey({ name: 'grid_assignments_pkey', columns: [t.gridCode, t.workerId] }),
    index('grid_assignments_worker_id_idx').on(t.workerId),
    check('grid_assignments_position_nonnegative', sql`${t.position} >= 0`),
  ],
);

export const schema = { meta, areas, grids, units, gridWorkers, gridAssignments };
export type Schema = typeof schema;
