/**
 * Loads a complete set of reference data into an empty database in ONE
 * transaction, then stamps the meta row with its version: a crash halfway
 * leaves an empty database, never half a district.
 *
 * Seeding is idempotent at start-up: a database that already holds reference
 * data (from an earlier seed or an import) is left alone, so restarting a data
 * center never reseeds or duplicates anything. The meta row is locked first,
 * so two servers starting together on one PostgreSQL seed it once.
 */
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { Area, geometryBBox, Grid, GridWorker, HuyingError, Unit, formatZodError } from '../../core';
import { DEMO_DEFAULT_SEED, generateDemoDistrict, type DemoDistrict } from '../demo';
import type { Db, DbOrTx } from '../store/database';
import { areas, gridAssignments, grids, gridWorkers, meta, units } from '../store/schema';
import { computeReferenceVersion } from './read';

/** Everything the reference endpoints serve, as one importable unit. */
export const ReferenceData = z.object({
  areas: z.array(Area),
  grids: z.array(Grid),
  units: z.array(Unit),
  workers: z.array(GridWorker.extend({ villageCode: z.string() })),
});
export type ReferenceData = z.infer<typeof ReferenceData>;

export function referenceDataFromDemo(d: DemoDistrict): ReferenceData {
  return {
    areas: [d.district, ...d.towns, ...d.villages],
    grids: d.grids,
    units: d.units,
    workers: d.workers.map((w) => ({ id: w.id, name: w.name, phone: w.phone, villageCode: w.villageCode })),
  };
}

export type SeedOutcome =
  | { seeded: true; version: string; source: string; rows: { areas: number; grids: number; units: number; workers: number } }
  | { seeded: false; reason: 'already_loaded'; version: string | null; source: string | null };

/**
 * Writes `data` into an empty database and sets the reference version; leaves
 * a database that already holds reference data untouched.
 */
export async function seedReferenceData(db: Db, input: ReferenceData, source: string): Promise<SeedOutcome> {
  const parsed = ReferenceData.safeParse(input);
  if (!parsed.success) throw new HuyingError('invalid_args', `reference data is invalid: ${formatZodError(parsed.error)}`);
  const data = parsed.data;
  return db.transaction(async (tx) => {
    // the row lock makes concurrent seeders queue here; the loser then sees the winner's data
    const locked = await tx.select({ id: meta.id }).from(meta).where(eq(meta.id, 1)).for('update');
    if (locked.length === 0) throw new HuyingError('internal', 'the meta row is missing: open the database with openDatabase() first');
    const loaded = await alreadyLoaded(tx);
    if (loaded) return loaded;

    await insertAll(tx, data);
    const version = await computeReferenceVersion(tx);
    await tx
      .update(meta)
      .set({ referenceVersion: version, referenceSource: source, referenceUpdatedAt: sql`now()` })
      .where(eq(meta.id, 1));
    return {
      seeded: true,
      version,
      source,
      rows: { areas: data.areas.length, grids: data.grids.length, units: data.units.length, workers: data.workers.length },
    };
  });
}

/** Seeds the generated demo district (see src/datacenter/demo). */
export async function seedDemo(db: Db, seed: number = DEMO_DEFAULT_SEED): Promise<SeedOutcome> {
  // a restart should not pay for drawing a district it will not use
  const loaded = await alreadyLoaded(db);
  if (loaded) return loaded;
  return seedReferenceData(db, referenceDataFromDemo(generateDemoDistrict(seed)), `demo:seed=${seed}`);
}

async function alreadyLoaded(db: DbOrTx): Promise<SeedOutcome | null> {
  const [m] = await db
    .select({ version: meta.referenceVersion, source: meta.referenceSource, present: sql<boolean>`exists (select 1 from ${areas})` })
    .from(meta)
    .where(eq(meta.id, 1));
  if (!m || (m.version === null && !m.present)) return null;
  return { seeded: false, reason: 'already_loaded', version: m.version, source: m.source };
}

/** rows per INSERT: geometry-heavy rows, so well under the 65,535-parameter limit */
const BATCH = 250;

async function insertBatched<T>(rows: readonly T[], write: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await write(rows.slice(i, i + BATCH));
}

const areaRank = { district: 0, town: 1, village: 2 } as const;

async function insertAll(tx: DbOrTx, data: ReferenceData): Promise<void> {
  // parents before children, so plain (non-deferred) foreign keys hold at every row
  const sortedAreas = [...data.areas].sort((a, b) => areaRank[a.level] - areaRank[b.level]);
  await insertBatched(sortedAreas, (batch) =>
    tx.insert(areas).values(
      batch.map((a) => ({
        code: a.code,
        name: a.name,
        level: a.level,
        kind: a.kind,
        parentCode: a.parentCode,
        labelLon: a.labelPoint[0],
        labelLat: a.labelPoint[1],
        minLon: a.bbox[0],
        minLat: a.bbox[1],
        maxLon: a.bbox[2],
        maxLat: a.bbox[3],
        geometry: a.geometry,
        population: a.population,
      })),
    ),
  );

  const order = new Map(data.units.map((u, i) => [u.id, i]));
  await insertBatched(parentsFirst(data.units), (batch) =>
    tx.insert(units).values(
      batch.map((u) => ({
        id: u.id,
        name: u.name,
        shortName: u.shortName,
        kind: u.kind,
        areaCode: u.areaCode,
        parentId: u.parentId,
        lon: u.location[0],
        lat: u.location[1],
        phone: u.phone,
        sortOrder: order.get(u.id)!,
      })),
    ),
  );

  await insertBatched(data.workers, (batch) => tx.insert(gridWorkers).values(batch));

  await insertBatched(data.grids, (batch) =>
    tx.insert(grids).values(
      batch.map((g) => {
        const [minLon, minLat, maxLon, maxLat] = geometryBBox(g.geometry);
        return {
          code: g.code,
          validFrom: g.validFrom,
          validTo: g.validTo,
          name: g.name,
          kind: g.kind,
          villageCode: g.villageCode,
          townCode: g.townCode,
          labelLon: g.labelPoint[0],
          labelLat: g.labelPoint[1],
          minLon,
          minLat,
          maxLon,
          maxLat,
          geometry: g.geometry,
        };
      }),
    ),
  );

  // assignments are per grid code; a code's versions share them, so take each code once
  const assignments = new Map<string, { gridCode: string; workerId: string; position: number }>();
  for (const g of data.grids) {
    g.workers.forEach((w, position) => {
      const key = `${g.code}\u0000${w.id}`;
      if (!assignments.has(key)) assignments.set(key, { gridCode: g.code, workerId: w.id, position });
    });
  }
  await insertBatched([...assignments.values()], (batch) => tx.insert(gridAssignments).values(batch));
}

/** Orders units so each parent precedes its children; rejects unknown parents and cycles. */
function parentsFirst(list: readonly Unit[]): Unit[] {
  const byId = new Map(list.map((u) => [u.id, u]));
  const out: Unit[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (u: Unit) => {
    const s = state.get(u.id);
    if (s === 'done') return;
    if (s === 'visiting') throw new HuyingError('invalid_args', `unit ${u.id}: its parent chain loops back to itself`);
    state.set(u.id, 'visiting');
    if (u.parentId !== null) {
      const parent = byId.get(u.parentId);
      if (!parent) throw new HuyingError('invalid_args', `unit ${u.id}: unknown parent ${u.parentId}`);
      visit(parent);
    }
    state.set(u.id, 'done');
    out.push(u);
  };
  list.forEach(visit);
  return out;
}
