/**
 * Loads a complete set of reference data into an empty database in ONE
 * transaction, then stamps the meta row with its version: a crash halfway
 * leaves an empty database, never half a district. The transaction is a
 * replicated write (src/datacenter/sync/write.ts): every area, grid, unit and
 * grid worker gets the seed's sync version and scope, and goes to the sync
 * feed as one version.
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
import { syncRows } from '../store/sync-schema';
import { writeReplicated, type ChangeSink } from '../sync/write';
import { computeReferenceVersion, loadAreas, loadGrids, loadUnits } from './read';

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
  try {
    const { result } = await writeReplicated(db, async (tx, out) => {
      // the row lock makes concurrent seeders queue here; the loser then sees the winner's data
      const locked = await tx.select({ id: meta.id }).from(meta).where(eq(meta.id, 1)).for('update');
      if (locked.length === 0) throw new HuyingError('internal', 'the meta row is missing: open the database with openDatabase() first');
      const loaded = await alreadyLoaded(tx);
      // roll back rather than commit an empty version
      if (loaded) throw new AlreadyLoaded(loaded);

      await insertAll(tx, data);
      await publishReference(tx, out);
      const version = await computeReferenceVersion(tx);
      await tx
        .update(meta)
        .set({ referenceVersion: version, referenceSource: source, referenceUpdatedAt: sql`now()` })
        .where(eq(meta.id, 1));
      return {
        seeded: true as const,
        version,
        source,
        rows: { areas: data.areas.length, grids: data.grids.length, units: data.units.length, workers: data.workers.length },
      };
    }, { alone: true });
    return result;
  } catch (err) {
    if (err instanceof AlreadyLoaded) {
      await ensureReferenceReplicated(db);
      return err.outcome;
    }
    throw err;
  }
}

class AlreadyLoaded extends Error {
  constructor(readonly outcome: SeedOutcome) {
    super('reference data already loaded');
  }
}

/**
 * The sync scope of each reference row: the district and the towns are
 * district-wide (every client draws the whole district's towns), a village and
 * its grid workers belong to their town, a grid to its town, units are
 * district-wide (any unit may be dispatched to).
 */
async function stampReference(tx: DbOrTx, v: number): Promise<void> {
  await tx.update(areas).set({ v, scope: sql`case when ${areas.level} = 'village' then ${areas.parentCode} else null end` });
  await tx.update(grids).set({ v, scope: sql`${grids.townCode}` });
  await tx.update(units).set({ v, scope: null });
  await tx.execute(
    sql`update ${gridWorkers} set v = ${v}, scope = a.parent_code from ${areas} a where a.code = ${gridWorkers.villageCode}`,
  );
}

/** The replication key of a grid version. */
export function gridKey(code: string, validFrom: string): string {
  return `${code}:${validFrom}`;
}

/**
 * Stamps every reference row with this version and its scope, and reports
 * each as a replicated document (the shapes the reference routes serve; a
 * grid worker is `{ id, name, phone, villageCode }`).
 */
export async function publishReference(tx: DbOrTx, out: ChangeSink): Promise<void> {
  await stampReference(tx, out.v);
  const scopes = async (query: Promise<{ key: string; scope: string | null }[]>) => new Map((await query).map((r) => [r.key, r.scope]));
  const areaScopes = await scopes(tx.select({ key: areas.code, scope: areas.scope }).from(areas));
  for (const a of await loadAreas(tx)) out.upsert('areas', a.code, areaScopes.get(a.code) ?? null, a);
  for (const g of await loadGrids(tx)) out.upsert('grids', gridKey(g.code, g.validFrom), g.townCode, g);
  for (const u of await loadUnits(tx)) out.upsert('units', u.id, null, u);
  const workers = await tx
    .select({ id: gridWorkers.id, name: gridWorkers.name, phone: gridWorkers.phone, villageCode: gridWorkers.villageCode, scope: gridWorkers.scope })
    .from(gridWorkers)
    .orderBy(sql`${gridWorkers.id} collate "C"`);
  for (const { scope, ...w } of workers) out.upsert('workers', w.id, scope, w);
}

/**
 * A database seeded before the sync feed existed has reference rows but no
 * replicated documents: publish them once, as one version.
 */
export async function ensureReferenceReplicated(db: Db): Promise<boolean> {
  const missing = async (tx: DbOrTx) => {
    const [r] = await tx
      .select({
        present: sql<boolean>`exists (select 1 from ${areas})`,
        replicated: sql<boolean>`exists (select 1 from ${syncRows} where ${syncRows.tableName} = 'areas')`,
      })
      .from(meta)
      .where(eq(meta.id, 1));
    return !!r && r.present && !r.replicated;
  };
  if (!(await missing(db))) return false;
  try {
    await writeReplicated(db, async (tx, out) => {
      await tx.select({ id: meta.id }).from(meta).where(eq(meta.id, 1)).for('update');
      if (!(await missing(tx))) throw new AlreadyLoaded({ seeded: false, reason: 'already_loaded', version: null, source: null });
      await publishReference(tx, out);
    }, { alone: true });
    return true;
  } catch (err) {
    if (err instanceof AlreadyLoaded) return false;
    throw err;
  }
}

/** Seeds the generated demo district (see src/datacenter/demo). */
export async function seedDemo(db: Db, seed: number = DEMO_DEFAULT_SEED): Promise<SeedOutcome> {
  // a restart should not pay for drawing a district it will not use
  const loaded = await alreadyLoaded(db);
  if (loaded) {
    await ensureReferenceReplicated(db);
    return loaded;
  }
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
