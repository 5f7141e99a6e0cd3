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

/** Rows per multi-row INSERT: well under SQLite's 32,766 bound variables for the widest table. */
const CHUNK = 200;

function insertChunked<T>(rows: T[], insert: (chunk: T[]) => void): void {
  for (let i = 0; i < rows.length; i += CHUNK) insert(rows.slice(i, i + CHUNK));
}

export function replaceReferenceData(replica: Replica, data: ReferenceData, syncedAt: string): void {
  const { db, sqlite } = replica;
  sqlite.transaction(() => {
    // Rows arrive in any order (a unit's parent after the unit); check the keys at commit.
    sqlite.pragma('defer_foreign_keys = ON');
    db.delete(gridWorkers).run();
    db.delete(grids).run();
    db.delete(workers).run();
    db.delete(units).run();
    db.delete(areas).run();

    insertChunked(data.areas, (chunk) =>
      db
        .insert(areas)
        .values(
          chunk.map((a) => ({
            code: a.code,
            name: a.name,
            level: a.level,
            kind: a.kind,
            parentCode: a.parentCode,
            labelLon: a.labelPoint[0],
            labelLat: a.labelPoint[1],
            bbox: a.bbox,
            geometry: a.geometry,
            population: a.population,
          })),
        )
        .run(),
    );

    // A worker may serve several grids (and a grid several workers); store each person once.
    const people = new Map<string, GridWorker>();
    for (const g of data.grids) for (const w of g.workers) if (!people.has(w.id)) people.set(w.id, w);
    insertChunked([...people.values()], (chunk) => db.insert(workers).values(chunk).run());

    insertChunked(data.grids, (chunk) =>
      db
        .insert(grids)
        .values(
          chunk.map((g) => ({
            code: g.code,
            name: g.name,
            kind: g.kind,
            villageCode: g.villageCode,
            townCode: g.townCode,
            labelLon: g.labelPoint[0],
            labelLat: g.labelPoint[1],
            geometry: g.geometry,
            validFrom: g.validFrom,
            validTo: g.validTo,
          })),
        )
        .run(),
    );
    const links = data.grids.flatMap((g) => g.workers.map((w, position) => ({ gridCode: g.code, workerId: w.id, position })));
    insertChunked(links, (chunk) => db.insert(gridWorkers).values(chunk).run());

    insertChunked(data.units, (chunk) =>
      db
        .insert(units)
        .values(
          chunk.map((u) => ({
            id: u.id,
            name: u.name,
            shortName: u.shortName,
            kind: u.kind,
            areaCode: u.areaCode,
            parentId: u.parentId,
            lon: u.location[0],
            lat: u.location[1],
            phone: u.phone,
          })),
        )
        .run(),
    );

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
