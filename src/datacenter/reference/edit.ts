/**
 * Reference data as editable configuration (issue 3, point 3): grid import from GeoJSON, and
 * import/edit of areas, units and grid workers from JSON. Every call is ONE replicated write
 * (`writeReplicated`, src/datacenter/sync/write.ts): it validates what it is given against what
 * the same transaction reads, writes, stamps the changed rows with the sync version and their
 * scope, reports them to the sync feed (so desktops get the change), and sets the new reference
 * version (`computeReferenceVersion`). A problem anywhere throws before commit: nothing is ever
 * half-imported, and a refused edit takes no sync version.
 *
 * Edits are serialised by a lock on the meta row (as the seed is), so two admins importing at
 * once each validate against the other's result.
 *
 * Replicated documents are the shapes the reference routes serve; a grid document embeds its
 * workers, so a change to a worker or an assignment republishes the grids concerned.
 */
import { and, asc, eq, inArray, max, notInArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  AreaGeometry,
  AreaKind,
  AreaLevel,
  geometryBBox,
  HuyingError,
  labelPoint,
  LonLat,
  geometryProblems,
  rewindGeometry,
  UnitKind,
  type FieldError,
} from '../../core';
import type { Db, DbOrTx } from '../store/database';
import { areas, gridAssignments, grids, gridWorkers, meta, units } from '../store/schema';
import { writeReplicated, type ChangeSink } from '../sync/write';
import { planGridImport, IsoDate, type ImportProblem, type PlannedGrid, type PlannedRetirement } from './grid-import';
import { computeReferenceVersion, loadAreas, loadGrids, loadUnits } from './read';
import { gridKey } from './seed';

export interface EditOutcome {
  /** the new reference version */
  version: string;
  /** the sync version the change was published as */
  v: number;
}

export interface GridImportOutcome extends EditOutcome {
  created: { code: string; validFrom: string }[];
  versioned: { code: string; validFrom: string }[];
  corrected: { code: string; validFrom: string }[];
  retired: { code: string; validFrom: string; validTo: string }[];
}

export interface GridImportOptions {
  /** validFrom of features without one and the day grids are retired; default: today (China Standard Time) */
  validFrom?: string;
  /** close current grids of the imported villages that the file leaves out */
  retireMissing?: boolean;
  overlapToleranceM2?: number;
  clock?: () => Date;
}

/** what changed, to stamp and publish */
interface Changed {
  areas: Set<string>;
  /** grid codes: every version of each is republished */
  grids: Set<string>;
  units: Set<string>;
  workers: Set<string>;
  deletedWorkers: Set<string>;
}

const emptyChanged = (): Changed => ({ areas: new Set(), grids: new Set(), units: new Set(), workers: new Set(), deletedWorkers: new Set() });

/** Today in China Standard Time (grid validity dates are local dates). */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

function refuse(message: string, problems: (ImportProblem | FieldError)[]): never {
  throw new HuyingError('invalid_args', `${message}: ${problems.length} problem${problems.length === 1 ? '' : 's'} (${problems.slice(0, 3).map((p) => `${p.field}: ${p.message}`).join('; ')}${problems.length > 3 ? '; …' : ''})`, problems);
}

/**
 * Runs one reference edit as a replicated write: locks the meta row, runs `edit`, stamps and
 * publishes what it changed, sets the reference version.
 */
async function referenceWrite<T>(db: Db, edit: (tx: DbOrTx) => Promise<{ result: T; changed: Changed }>): Promise<T & EditOutcome> {
  const { result, v } = await writeReplicated(db, async (tx, out) => {
    const locked = await tx.select({ id: meta.id }).from(meta).where(eq(meta.id, 1)).for('update');
    if (locked.length === 0) throw new HuyingError('internal', 'the meta row is missing');
    const { result, changed } = await edit(tx);
    await publishChanged(tx, out, changed);
    const version = await computeReferenceVersion(tx);
    await tx
      .update(meta)
      // reference_source keeps naming where the data came from (demo mode depends on it); the edit itself is in the sync log
      .set({ referenceVersion: version, referenceUpdatedAt: sql`now()` })
      .where(eq(meta.id, 1));
    return { ...result, version };
  }, { alone: true });
  return { ...result, v };
}

/** Stamps the changed rows with the version and scope, and reports their documents. */
async function publishChanged(tx: DbOrTx, out: ChangeSink, c: Changed): Promise<void> {
  const v = out.v;
  if (c.areas.size > 0) {
    const codes = [...c.areas];
    await tx
      .update(areas)
      .set({ v, scope: sql`case when ${areas.level} = 'village' then ${areas.parentCode} else null end` })
      .where(inArray(areas.code, codes));
    const scopes = new Map((await tx.select({ code: areas.code, scope: areas.scope }).from(areas).where(inArray(areas.code, codes))).map((r) => [r.code, r.scope]));
    for (const a of await loadAreas(tx)) if (c.areas.has(a.code)) out.upsert('areas', a.code, scopes.get(a.code) ?? null, a);
  }
  if (c.grids.size > 0) {
    await tx
      .update(grids)
      .set({ v, scope: sql`${grids.townCode}` })
      .where(inArray(grids.code, [...c.grids]));
    for (const g of await loadGrids(tx)) if (c.grids.has(g.code)) out.upsert('grids', gridKey(g.code, g.validFrom), g.townCode, g);
  }
  if (c.units.size > 0) {
    await tx.update(units).set({ v, scope: null }).where(inArray(units.id, [...c.units]));
    for (const u of await loadUnits(tx)) if (c.units.has(u.id)) out.upsert('units', u.id, null, u);
  }
  if (c.workers.size > 0) {
    const ids = [...c.workers];
    await tx.execute(sql`update ${gridWorkers} set v = ${v}, scope = a.parent_code from ${areas} a where a.code = ${gridWorkers.villageCode} and ${inArray(gridWorkers.id, ids)}`);
    const rows = await tx
      .select({ id: gridWorkers.id, name: gridWorkers.name, phone: gridWorkers.phone, villageCode: gridWorkers.villageCode, scope: gridWorkers.scope })
      .from(gridWorkers)
      .where(inArray(gridWorkers.id, ids))
      .orderBy(sql`${gridWorkers.id} collate "C"`);
    for (const { scope, ...w } of rows) out.upsert('workers', w.id, scope, w);
  }
  for (const id of c.deletedWorkers) out.delete('workers', id);
}

// ---- grids from GeoJSON --------------------------------------------------------------------

export async function importGridsGeoJson(db: Db, input: unknown, opts: GridImportOptions = {}): Promise<GridImportOutcome> {
  const clock = opts.clock ?? (() => new Date());
  const validFrom = opts.validFrom ?? chinaDate(clock());
  if (!IsoDate.safeParse(validFrom).success) refuse('bad validFrom', [{ field: 'validFrom', message: 'expected a date as YYYY-MM-DD' }]);
  return referenceWrite(db, async (tx) => {
    const villages = new Map(
      (await tx.select({ code: areas.code, parentCode: areas.parentCode, kind: areas.kind }).from(areas).where(eq(areas.level, 'village'))).map((a) => [
        a.code,
        { townCode: a.parentCode!, kind: a.kind },
      ]),
    );
    const versions = await tx
      .select({ code: grids.code, villageCode: grids.villageCode, validFrom: grids.validFrom, validTo: grids.validTo, geometry: grids.geometry })
      .from(grids);
    const plan = planGridImport(input, {
      villages,
      versions,
      defaultValidFrom: validFrom,
      ...(opts.retireMissing !== undefined ? { retireMissing: opts.retireMissing } : {}),
      ...(opts.overlapToleranceM2 !== undefined ? { overlapToleranceM2: opts.overlapToleranceM2 } : {}),
    });
    if (!plan.ok) refuse('the GeoJSON was not imported', plan.problems);

    const changed = emptyChanged();
    // close first: the one-current-version index must hold after every statement
    for (const r of plan.retire) {
      await tx
        .update(grids)
        .set({ validTo: r.validTo })
        .where(and(eq(grids.code, r.code), eq(grids.validFrom, r.validFrom)));
      changed.grids.add(r.code);
    }
    const corrections = plan.grids.filter((g) => g.action === 'correct');
    for (const g of corrections) {
      await tx
        .update(grids)
        .set(gridColumns(g))
        .where(and(eq(grids.code, g.code), eq(grids.validFrom, g.validFrom)));
      changed.grids.add(g.code);
    }
    const inserts = plan.grids.filter((g) => g.action !== 'correct');
    for (let i = 0; i < inserts.length; i += 250) {
      await tx.insert(grids).values(inserts.slice(i, i + 250).map((g) => ({ code: g.code, validFrom: g.validFrom, validTo: null, ...gridColumns(g) })));
    }
    for (const g of inserts) changed.grids.add(g.code);

    const pick = (list: PlannedGrid[]) => list.map((g) => ({ code: g.code, validFrom: g.validFrom }));
    const retired = (list: PlannedRetirement[]) => list.map((r) => ({ code: r.code, validFrom: r.validFrom, validTo: r.validTo }));
    return {
      changed,
      result: {
        created: pick(plan.grids.filter((g) => g.action === 'create')),
        versioned: pick(plan.grids.filter((g) => g.action === 'version')),
        corrected: pick(corrections),
        retired: retired(plan.retire),
      },
    };
  });
}

function gridColumns(g: PlannedGrid) {
  return {
    name: g.name,
    kind: g.kind,
    villageCode: g.villageCode,
    townCode: g.townCode,
    labelLon: g.labelPoint[0],
    labelLat: g.labelPoint[1],
    minLon: g.bbox[0],
    minLat: g.bbox[1],
    maxLon: g.bbox[2],
    maxLat: g.bbox[3],
    geometry: g.geometry,
  };
}

/** Closes the current version of a grid without a successor (a grid dissolved). */
export async function retireGrid(db: Db, code: string, validTo: string): Promise<EditOutcome & { code: string; validFrom: string; validTo: string }> {
  if (!IsoDate.safeParse(validTo).success) refuse('bad validTo', [{ field: 'validTo', message: 'expected a date as YYYY-MM-DD' }]);
  return referenceWrite(db, async (tx) => {
    const [current] = await tx.select({ validFrom: grids.validFrom }).from(grids).where(and(eq(grids.code, code), sql`${grids.validTo} is null`));
    if (!current) throw new HuyingError('not_found', `grid ${code} has no current version`);
    if (validTo <= current.validFrom) refuse('bad validTo', [{ field: 'validTo', message: `must be after the current version's validFrom ${current.validFrom}` }]);
    await tx
      .update(grids)
      .set({ validTo })
      .where(and(eq(grids.code, code), eq(grids.validFrom, current.validFrom)));
    const changed = emptyChanged();
    changed.grids.add(code);
    return { changed, result: { code, validFrom: current.validFrom, validTo } };
  });
}

// ---- areas ---------------------------------------------------------------------------------

export const AreaInput = z
  .object({
    code: z.string().regex(/^\d{6}(\d{6})?$/, '6 or 12 digits'),
    name: z.string().trim().min(1).max(100),
    level: AreaLevel,
    kind: AreaKind,
    parentCode: z.string().nullable(),
    geometry: AreaGeometry,
    population: z.number().int().nonnegative(),
    labelPoint: LonLat.optional(),
  })
  .strict();
export type AreaInput = z.infer<typeof AreaInput>;

const KIND_OF_LEVEL: Record<AreaLevel, readonly AreaKind[]> = { district: ['district'], town: ['subdistrict', 'town'], village: ['community', 'village'] };
const RANK: Record<AreaLevel, number> = { district: 0, town: 1, village: 2 };

/** Adds or changes areas; an area's code, level and parent are its identity and cannot change. */
export async function upsertAreas(db: Db, input: unknown): Promise<EditOutcome & { created: string[]; updated: string[] }> {
  const body = z.object({ areas: z.array(z.unknown()).min(1).max(5_000) }).strict().safeParse(input);
  if (!body.success) refuse('invalid request', body.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(root)', message: i.message })));
  return referenceWrite(db, async (tx) => {
    const stored = new Map((await tx.select({ code: areas.code, level: areas.level, parentCode: areas.parentCode }).from(areas)).map((a) => [a.code, a]));
    const problems: FieldError[] = [];
    const list: AreaInput[] = [];
    const batch = new Map<string, number>();
    body.data.areas.forEach((raw, i) => {
      const at = `areas[${i}]`;
      const parsed = AreaInput.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push({ field: `${at}.${issue.path.map(String).join('.')}`, message: issue.message });
        return;
      }
      const a = parsed.data;
      if (batch.has(a.code)) problems.push({ field: `${at}.code`, message: `area ${a.code} is also areas[${batch.get(a.code)}]` });
      batch.set(a.code, i);
      list.push(a);
    });
    const levelOf = (code: string) => list.find((a) => a.code === code)?.level ?? stored.get(code)?.level;
    for (const a of list) {
      const i = batch.get(a.code)!;
      const at = `areas[${i}]`;
      const wantDigits = a.level === 'district' ? 6 : 12;
      if (a.code.length !== wantDigits) problems.push({ field: `${at}.code`, message: `a ${a.level} code has ${wantDigits} digits` });
      if (!KIND_OF_LEVEL[a.level].includes(a.kind)) problems.push({ field: `${at}.kind`, message: `a ${a.level} is ${KIND_OF_LEVEL[a.level].join(' or ')}` });
      const before = stored.get(a.code);
      if (before && before.level !== a.level) problems.push({ field: `${at}.level`, message: `area ${a.code} is a ${before.level}; the level of an area cannot change` });
      if (before && before.parentCode !== a.parentCode) problems.push({ field: `${at}.parentCode`, message: `area ${a.code} belongs to ${before.parentCode}; move it by giving it a new code` });
      if (a.level === 'district') {
        if (a.parentCode !== null) problems.push({ field: `${at}.parentCode`, message: 'a district has no parent' });
      } else if (a.parentCode === null) {
        problems.push({ field: `${at}.parentCode`, message: `a ${a.level} needs its parent` });
      } else {
        const parentLevel = levelOf(a.parentCode);
        const want: AreaLevel = a.level === 'town' ? 'district' : 'town';
        if (!parentLevel) problems.push({ field: `${at}.parentCode`, message: `no area ${a.parentCode}` });
        else if (parentLevel !== want) problems.push({ field: `${at}.parentCode`, message: `the parent of a ${a.level} is a ${want}, ${a.parentCode} is a ${parentLevel}` });
        const prefix = a.level === 'town' ? a.parentCode : a.parentCode.slice(0, 9);
        if (!a.code.startsWith(prefix)) problems.push({ field: `${at}.code`, message: `${a.code} does not start with its parent's ${prefix}` });
      }
      for (const message of geometryProblems(rewindGeometry(a.geometry))) problems.push({ field: `${at}.geometry`, message });
    }
    if (problems.length > 0) refuse('the areas were not saved', problems);

    const changed = emptyChanged();
    const created: string[] = [];
    const updated: string[] = [];
    for (const a of [...list].sort((x, y) => RANK[x.level] - RANK[y.level])) {
      const geometry = rewindGeometry(a.geometry);
      const bbox = geometryBBox(geometry);
      const label = a.labelPoint ?? labelPoint(geometry);
      const cols = { name: a.name, kind: a.kind, labelLon: label[0], labelLat: label[1], minLon: bbox[0], minLat: bbox[1], maxLon: bbox[2], maxLat: bbox[3], geometry, population: a.population };
      await tx
        .insert(areas)
        .values({ code: a.code, level: a.level, parentCode: a.parentCode, ...cols })
        .onConflictDoUpdate({ target: areas.code, set: cols });
      (stored.has(a.code) ? updated : created).push(a.code);
      changed.areas.add(a.code);
    }
    return { changed, result: { created, updated } };
  });
}

// ---- units ---------------------------------------------------------------------------------

export const UnitInput = z
  .object({
    id: z.string().trim().min(1).max(100),
    name: z.string().trim().min(1).max(100),
    shortName: z.string().trim().min(1).max(50),
    kind: UnitKind,
    areaCode: z.string().nullable(),
    parentId: z.string().nullable(),
    location: LonLat,
    phone: z.string().max(50),
    /** display position; default: kept for an existing unit, after the last for a new one */
    sortOrder: z.number().int().nonnegative().optional(),
  })
  .strict();
export type UnitInput = z.infer<typeof UnitInput>;

export async function upsertUnits(db: Db, input: unknown): Promise<EditOutcome & { created: string[]; updated: string[] }> {
  const body = z.object({ units: z.array(z.unknown()).min(1).max(5_000) }).strict().safeParse(input);
  if (!body.success) refuse('invalid request', body.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(root)', message: i.message })));
  return referenceWrite(db, async (tx) => {
    const stored = new Map((await tx.select({ id: units.id, parentId: units.parentId, sortOrder: units.sortOrder }).from(units)).map((u) => [u.id, u]));
    const areaCodes = new Set((await tx.select({ code: areas.code }).from(areas)).map((a) => a.code));
    const problems: FieldError[] = [];
    const list: UnitInput[] = [];
    const index = new Map<string, number>();
    body.data.units.forEach((raw, i) => {
      const parsed = UnitInput.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push({ field: `units[${i}].${issue.path.map(String).join('.')}`, message: issue.message });
        return;
      }
      if (index.has(parsed.data.id)) problems.push({ field: `units[${i}].id`, message: `unit ${parsed.data.id} is also units[${index.get(parsed.data.id)}]` });
      index.set(parsed.data.id, i);
      list.push(parsed.data);
    });
    const parentOf = new Map<string, string | null>([...stored].map(([id, u]) => [id, u.parentId]));
    for (const u of list) parentOf.set(u.id, u.parentId);
    for (const u of list) {
      const at = `units[${index.get(u.id)}]`;
      if (u.areaCode !== null && !areaCodes.has(u.areaCode)) problems.push({ field: `${at}.areaCode`, message: `no area ${u.areaCode}` });
      if (u.parentId !== null && !parentOf.has(u.parentId)) problems.push({ field: `${at}.parentId`, message: `no unit ${u.parentId}` });
      // walking up from the unit must end at a root
      const seen = new Set<string>([u.id]);
      for (let p = u.parentId; p !== null && p !== undefined; p = parentOf.get(p) ?? null) {
        if (seen.has(p)) {
          problems.push({ field: `${at}.parentId`, message: `the parent chain of ${u.id} loops back to ${p}` });
          break;
        }
        seen.add(p);
      }
    }
    if (problems.length > 0) refuse('the units were not saved', problems);

    const [{ last } = { last: null }] = await tx.select({ last: max(units.sortOrder) }).from(units);
    let next = (last ?? -1) + 1;
    // parents first, so the plain foreign key holds at every row
    const ordered: UnitInput[] = [];
    const placed = new Set<string>();
    const place = (u: UnitInput) => {
      if (placed.has(u.id)) return;
      placed.add(u.id);
      const parent = u.parentId !== null ? list.find((x) => x.id === u.parentId) : undefined;
      if (parent) place(parent);
      ordered.push(u);
    };
    list.forEach(place);
    const changed = emptyChanged();
    const created: string[] = [];
    const updated: string[] = [];
    for (const u of ordered) {
      const sortOrder = u.sortOrder ?? stored.get(u.id)?.sortOrder ?? next++;
      const cols = { name: u.name, shortName: u.shortName, kind: u.kind, areaCode: u.areaCode, parentId: u.parentId, lon: u.location[0], lat: u.location[1], phone: u.phone, sortOrder };
      await tx
        .insert(units)
        .values({ id: u.id, ...cols })
        .onConflictDoUpdate({ target: units.id, set: cols });
      (stored.has(u.id) ? updated : created).push(u.id);
      changed.units.add(u.id);
    }
    return { changed, result: { created, updated } };
  });
}

// ---- grid workers --------------------------------------------------------------------------

export const WorkerInput = z
  .object({
    id: z.string().trim().min(1).max(100),
    name: z.string().trim().min(1).max(100),
    phone: z.string().max(50),
    villageCode: z.string().regex(/^\d{12}$/, '12 digits'),
    /** the grid codes the worker covers (replaces the current assignment); absent: unchanged */
    grids: z.array(z.string().regex(/^\d{15}$/, '15 digits')).max(200).optional(),
  })
  .strict();
export type WorkerInput = z.infer<typeof WorkerInput>;

/** 网格员 grid workers: add or change, with the grids each covers. */
export async function upsertWorkers(db: Db, input: unknown): Promise<EditOutcome & { created: string[]; updated: string[] }> {
  const body = z.object({ workers: z.array(z.unknown()).min(1).max(10_000) }).strict().safeParse(input);
  if (!body.success) refuse('invalid request', body.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(root)', message: i.message })));
  return referenceWrite(db, async (tx) => {
    const villages = new Set((await tx.select({ code: areas.code }).from(areas).where(eq(areas.level, 'village'))).map((a) => a.code));
    const gridVillage = new Map((await tx.select({ code: grids.code, villageCode: grids.villageCode }).from(grids)).map((g) => [g.code, g.villageCode] as const));
    const stored = new Set((await tx.select({ id: gridWorkers.id }).from(gridWorkers)).map((w) => w.id));
    const problems: FieldError[] = [];
    const list: WorkerInput[] = [];
    const index = new Map<string, number>();
    body.data.workers.forEach((raw, i) => {
      const at = `workers[${i}]`;
      const parsed = WorkerInput.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push({ field: `${at}.${issue.path.map(String).join('.')}`, message: issue.message });
        return;
      }
      const w = parsed.data;
      if (index.has(w.id)) problems.push({ field: `${at}.id`, message: `worker ${w.id} is also workers[${index.get(w.id)}]` });
      index.set(w.id, i);
      if (!villages.has(w.villageCode)) problems.push({ field: `${at}.villageCode`, message: `no village ${w.villageCode}` });
      w.grids?.forEach((code, k) => {
        const village = gridVillage.get(code);
        if (!village) problems.push({ field: `${at}.grids[${k}]`, message: `no grid ${code}` });
        else if (village !== w.villageCode) problems.push({ field: `${at}.grids[${k}]`, message: `grid ${code} lies in village ${village}, not in ${w.villageCode}` });
      });
      list.push(w);
    });
    if (problems.length > 0) refuse('the grid workers were not saved', problems);

    const changed = emptyChanged();
    const created: string[] = [];
    const updated: string[] = [];
    const ids = list.map((w) => w.id);
    // the grids that embed these workers now (name or phone may change)
    for (const a of await tx.select({ gridCode: gridAssignments.gridCode }).from(gridAssignments).where(inArray(gridAssignments.workerId, ids))) changed.grids.add(a.gridCode);
    for (const w of list) {
      await tx
        .insert(gridWorkers)
        .values({ id: w.id, name: w.name, phone: w.phone, villageCode: w.villageCode })
        .onConflictDoUpdate({ target: gridWorkers.id, set: { name: w.name, phone: w.phone, villageCode: w.villageCode } });
      (stored.has(w.id) ? updated : created).push(w.id);
      changed.workers.add(w.id);
      if (w.grids) {
        const want = [...new Set(w.grids)];
        await tx.delete(gridAssignments).where(and(eq(gridAssignments.workerId, w.id), want.length > 0 ? notInArray(gridAssignments.gridCode, want) : undefined));
        for (const code of want) {
          const [{ top } = { top: null }] = await tx.select({ top: max(gridAssignments.position) }).from(gridAssignments).where(eq(gridAssignments.gridCode, code));
          await tx
            .insert(gridAssignments)
            .values({ gridCode: code, workerId: w.id, position: (top ?? -1) + 1 })
            .onConflictDoNothing();
          changed.grids.add(code);
        }
      }
    }
    // a worker moved to another village keeps no grid of the old one
    for (const w of list) {
      if (w.grids) continue;
      const stray = await tx
        .select({ gridCode: gridAssignments.gridCode })
        .from(gridAssignments)
        .innerJoin(grids, eq(grids.code, gridAssignments.gridCode))
        .where(and(eq(gridAssignments.workerId, w.id), sql`${grids.villageCode} <> ${w.villageCode}`));
      if (stray.length > 0) {
        await tx.delete(gridAssignments).where(and(eq(gridAssignments.workerId, w.id), inArray(gridAssignments.gridCode, stray.map((s) => s.gridCode))));
        for (const s of stray) changed.grids.add(s.gridCode);
      }
    }
    return { changed, result: { created, updated } };
  });
}

/** Removes a grid worker and their assignments (the grids they covered are republished). */
export async function deleteWorker(db: Db, id: string): Promise<EditOutcome & { id: string }> {
  return referenceWrite(db, async (tx) => {
    const [w] = await tx.select({ id: gridWorkers.id }).from(gridWorkers).where(eq(gridWorkers.id, id));
    if (!w) throw new HuyingError('not_found', `no grid worker ${id}`);
    const changed = emptyChanged();
    for (const a of await tx.delete(gridAssignments).where(eq(gridAssignments.workerId, id)).returning({ gridCode: gridAssignments.gridCode })) changed.grids.add(a.gridCode);
    await tx.delete(gridWorkers).where(eq(gridWorkers.id, id));
    changed.deletedWorkers.add(id);
    return { changed, result: { id } };
  });
}

/** grid workers with their grids, for the admin screens */
export async function listWorkers(db: DbOrTx, villageCode?: string): Promise<{ id: string; name: string; phone: string; villageCode: string; grids: string[] }[]> {
  const rows = await db
    .select()
    .from(gridWorkers)
    .where(villageCode ? eq(gridWorkers.villageCode, villageCode) : undefined)
    .orderBy(sql`${gridWorkers.id} collate "C"`);
  if (rows.length === 0) return [];
  const assigned = await db
    .select({ workerId: gridAssignments.workerId, gridCode: gridAssignments.gridCode })
    .from(gridAssignments)
    .where(villageCode ? inArray(gridAssignments.workerId, rows.map((r) => r.id)) : undefined)
    .orderBy(asc(gridAssignments.gridCode));
  const byWorker = new Map<string, string[]>();
  for (const a of assigned) {
    let list = byWorker.get(a.workerId);
    if (!list) byWorker.set(a.workerId, (list = []));
    list.push(a.gridCode);
  }
  return rows.map((r) => ({ id: r.id, name: r.name, phone: r.phone, villageCode: r.villageCode, grids: byWorker.get(r.id) ?? [] }));
}
