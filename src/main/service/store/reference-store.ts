/**
 * Reads and writes the replicated reference data. A new version replaces
 * every reference row and the version in `sync_state` in ONE transaction:
 * readers see the old set or the new one, never a mix, and a failure (a
 * broken foreign key, a full disk) leaves the old set in place.
 */
import { asc, eq } from 'drizzle-orm';
import type { Area, Grid, GridWorker, Unit } from '../../../core/index';
import type { Replica } from './open';
import { areas, gridWorkers, grids, syncState, units, workers } from './schema';

/** the scope name of the reference data in `sync_state` */
export const REFERENCE_SCOPE = 'reference';

export interface ReferenceData {
  version: string;
  areas: Area[];
  grids: Grid[];
  units: Unit[];
}

export interface ScopeState {
  version: string;
  /** ISO time the version was applied */
  syncedAt: string;
}

export function replaceReferenceData(replica: Replica, data: ReferenceData, syncedAt: string): void {
  const { db, sqlite } = replica;
  // Plain prepared statements for the bulk insert: drizzle's multi-row builder costs about
  // 10x more per row here (TOOLCHAIN.md), and the column list is checked against schema.ts
  // by the migration test. Reads below go through drizzle.
  const insertArea = sqlite.prepare(
    'INSERT INTO areas (code, name, level, kind, parent_code, label_lon, label_lat, bbox, geometry, population) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertWorker = sqlite.prepare('INSERT INTO workers (id, name, phone) VALUES (?, ?, ?)');
  const insertGrid = sqlite.prepare(
    'INSERT INTO grids (code, name, kind, village_code, town_code, label_lon, label_lat, geometry, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertLink = sqlite.prepare('INSERT INTO grid_workers (grid_code, worker_id, position) VALUES (?, ?, ?)');
  const insertUnit = sqlite.prepare(
    'INSERT INTO units (id, name, short_name, kind, area_code, parent_id, lon, lat, phone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );

  sqlite.transaction(() => {
    // Rows arrive in any order (a unit's parent after the unit); check the keys at commit.
    sqlite.pragma('defer_foreign_keys = ON');
    db.delete(gridWorkers).run();
    db.delete(grids).run();
    db.delete(workers).run();
    db.delete(units).run();
    db.delete(areas).run();

    for (const a of data.areas) {
      insertArea.run(a.code, a.name, a.level, a.kind, a.parentCode, a.labelPoint[0], a.labelPoint[1], JSON.stringify(a.bbox), JSON.stringify(a.geometry), a.population);
    }
    // A worker may serve several grids (and a grid several workers); store each person once.
    const people = new Map<string, GridWorker>();
    for (const g of data.grids) for (const w of g.workers) if (!people.has(w.id)) people.set(w.id, w);
    for (const w of people.values()) insertWorker.run(w.id, w.name, w.phone);
    for (const g of data.grids) {
      insertGrid.run(g.code, g.name, g.kind, g.villageCode, g.townCode, g.labelPoint[0], g.labelPoint[1], JSON.stringify(g.geometry), g.validFrom, g.validTo);
      g.workers.forEach((w, position) => insertLink.run(g.code, w.id, position));
    }
    for (const u of data.units) {
      insertUnit.run(u.id, u.name, u.shortName, u.kind, u.areaCode, u.parentId, u.location[0], u.location[1], u.phone);
    }

    db.insert(syncState)
      .values({ scope: REFERENCE_SCOPE, version: data.version, syncedAt })
      .onConflictDoUpdate({ target: syncState.scope, set: { version: data.version, syncedAt } })
      .run();
  })();
}

export function readScopeState(replica: Replica, scope = REFERENCE_SCOPE): ScopeState | null {
  const row = replica.db.select().from(syncState).where(eq(syncState.scope, scope)).get();
  return row ? { version: row.version, syncedAt: row.syncedAt } : null;
}

export function readAreas(replica: Replica): Area[] {
  return replica.db
    .select()
    .from(areas)
    .orderBy(asc(areas.code))
    .all()
    .map((r) => ({
      code: r.code,
      name: r.name,
      level: r.level,
      kind: r.kind,
      parentCode: r.parentCode,
      labelPoint: [r.labelLon, r.labelLat],
      bbox: r.bbox,
      geometry: r.geometry,
      population: r.population,
    }));
}

export function readGrids(replica: Replica): Grid[] {
  const { db } = replica;
  const staff = new Map<string, GridWorker[]>();
  const links = db
    .select({ gridCode: gridWorkers.gridCode, id: workers.id, name: workers.name, phone: workers.phone })
    .from(gridWorkers)
    .innerJoin(workers, eq(workers.id, gridWorkers.workerId))
    .orderBy(asc(gridWorkers.gridCode), asc(gridWorkers.position))
    .all();
  for (const l of links) {
    let list = staff.get(l.gridCode);
    if (!list) staff.set(l.gridCode, (list = []));
    list.push({ id: l.id, name: l.name, phone: l.phone });
  }
  return db
    .select()
    .from(grids)
    .orderBy(asc(grids.code))
    .all()
    .map((r) => ({
      code: r.code,
      name: r.name,
      kind: r.kind,
      villageCode: r.villageCode,
      townCode: r.townCode,
      labelPoint: [r.labelLon, r.labelLat],
      geometry: r.geometry,
      workers: staff.get(r.code) ?? [],
      validFrom: r.validFrom,
      validTo: r.validTo,
    }));
}

export function readUnits(replica: Replica): Unit[] {
  return replica.db
    .select()
    .from(units)
    .orderBy(asc(units.id))
    .all()
    .map((r) => ({
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
