/**
 * Reads the reference data (areas, grids with their workers, units) back into
 * the wire shapes of src/core, and the meta row with the epoch and version.
 *
 * Every list has a total, collation-independent order (`COLLATE "C"` on text
 * keys), so the same rows give byte-identical responses on PGlite and on any
 * PostgreSQL locale — the reference version is a hash of those responses.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import type { Area, Grid, GridWorker, ReferenceVersion, Unit } from '../../core';
import type { DbOrTx } from '../store/database';
import { areas, gridAssignments, grids, gridWorkers, meta, units } from '../store/schema';

export interface MetaRow {
  epoch: string;
  referenceVersion: string | null;
  referenceSource: string | null;
  referenceUpdatedAt: string | null;
  createdAt: string;
}

export async function readMeta(db: DbOrTx): Promise<MetaRow | null> {
  const rows = await db
    .select({
      epoch: meta.epoch,
      referenceVersion: meta.referenceVersion,
      referenceSource: meta.referenceSource,
      referenceUpdatedAt: meta.referenceUpdatedAt,
      createdAt: meta.createdAt,
    })
    .from(meta)
    .where(eq(meta.id, 1));
  return rows[0] ?? null;
}

const levelRank = sql`case ${areas.level} when 'district' then 0 when 'town' then 1 else 2 end`;

/** district first, then towns, then villages, each by code */
export async function loadAreas(db: DbOrTx): Promise<Area[]> {
  const rows = await db.select().from(areas).orderBy(levelRank, sql`${areas.code} collate "C"`);
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    level: r.level,
    kind: r.kind,
    parentCode: r.parentCode,
    labelPoint: [r.labelLon, r.labelLat],
    bbox: [r.minLon, r.minLat, r.maxLon, r.maxLat],
    geometry: r.geometry,
    population: r.population,
  }));
}

export interface GridQuery {
  /** only the grid versions in force on this ISO date (YYYY-MM-DD); every version when absent */
  asOf?: string;
}

/** grids by code and validity, each with its workers in assignment order */
export async function loadGrids(db: DbOrTx, q: GridQuery = {}): Promise<Grid[]> {
  const where = q.asOf ? and(lte(grids.validFrom, q.asOf), or(isNull(grids.validTo), gt(grids.validTo, q.asOf))) : undefined;
  const rows = await db
    .select()
    .from(grids)
    .where(where)
    .orderBy(sql`${grids.code} collate "C"`, asc(grids.validFrom));
  const assigned = await db
    .select({ gridCode: gridAssignments.gridCode, id: gridWorkers.id, name: gridWorkers.name, phone: gridWorkers.phone })
    .from(gridAssignments)
    .innerJoin(gridWorkers, eq(gridWorkers.id, gridAssignments.workerId))
    .orderBy(sql`${gridAssignments.gridCode} collate "C"`, asc(gridAssignments.position));
  const workersByGrid = new Map<string, GridWorker[]>();
  for (const a of assigned) {
    let list = workersByGrid.get(a.gridCode);
    if (!list) workersByGrid.set(a.gridCode, (list = []));
    list.push({ id: a.id, name: a.name, phone: a.phone });
  }
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    kind: r.kind,
    villageCode: r.villageCode,
    townCode: r.townCode,
    labelPoint: [r.labelLon, r.labelLat],
    geometry: r.geometry,
    workers: workersByGrid.get(r.code) ?? [],
    validFrom: r.validFrom,
    validTo: r.validTo,
  }));
}

/** units in their display order */
export async function loadUnits(db: DbOrTx): Promise<Unit[]> {
  const rows = await db.select().from(units).orderBy(asc(units.sortOrder), sql`${units.id} collate "C"`);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    shortName: r.shortName,
    kind: r.kind,
    areaCode: r.areaCode,
    parentId: r.parentId,
    location: [r.lon, r.lat],
    phone: r.phone,
  }));
}

/** The version summary, or null while no reference data is loaded. */
export async function loadReferenceVersion(db: DbOrTx): Promise<ReferenceVersion | null> {
  const m = await readMeta(db);
  if (!m?.referenceVersion) return null;
  const [district] = await db.select({ code: areas.code, name: areas.name }).from(areas).where(eq(areas.level, 'district'));
  const [counts] = await db
    .select({
      towns: sql<number>`(select count(*)::int from ${areas} where ${areas.level} = 'town')`,
      villages: sql<number>`(select count(*)::int from ${areas} where ${areas.level} = 'village')`,
      grids: sql<number>`(select count(*)::int from ${grids} where ${grids.validTo} is null)`,
      units: sql<number>`(select count(*)::int from ${units})`,
    })
    .from(meta)
    .where(eq(meta.id, 1));
  if (!district || !counts) return null;
  return { version: m.referenceVersion, district, counts };
}

/**
 * The reference version: a content hash of exactly what the reference
 * endpoints serve (areas, every grid version with its workers, units). Same
 * data, same version, on any engine; any change, a new version.
 */
export async function computeReferenceVersion(db: DbOrTx): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(await loadAreas(db)));
  hash.update('\n');
  hash.update(JSON.stringify(await loadGrids(db)));
  hash.update('\n');
  hash.update(JSON.stringify(await loadUnits(db)));
  return hash.digest('hex').slice(0, 20);
}
