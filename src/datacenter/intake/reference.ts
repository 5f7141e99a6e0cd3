/**
 * The reference data intake needs from the store: the current grids (for the locator) and the
 * district code. Grids change rarely (a redraw or an import bumps `meta.reference_version`), so
 * the locator is built once and rebuilt only when that version changes; the version is looked at
 * no more than once per `checkEveryMs`, which keeps a lookup free of queries on the hot path.
 */
import { and, eq, gt, isNull, lte, or } from 'drizzle-orm';
import type { DbOrTx } from '../store/database';
import { areas, grids, meta } from '../store/schema';
import { createGridLocator, type GridLocator } from './grid-locator';

export interface PlacementReference {
  locator: GridLocator;
  districtCode: string;
  /** the reference version the locator was built from (null when unseeded) */
  version: string | null;
}

/** Today in China Standard Time, YYYY-MM-DD (grid validity dates are local dates). */
export function localDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

export async function loadPlacementReference(db: DbOrTx, at: Date, fallbackDistrictCode = '440114'): Promise<PlacementReference> {
  const day = localDate(at);
  const [m] = await db.select({ version: meta.referenceVersion }).from(meta).where(eq(meta.id, 1));
  const [district] = await db.select({ code: areas.code }).from(areas).where(eq(areas.level, 'district')).limit(1);
  const rows = await db
    .select({
      code: grids.code,
      villageCode: grids.villageCode,
      townCode: grids.townCode,
      geometry: grids.geometry,
      validFrom: grids.validFrom,
      validTo: grids.validTo,
    })
    .from(grids)
    .where(and(lte(grids.validFrom, day), or(isNull(grids.validTo), gt(grids.validTo, day))));
  return { locator: createGridLocator(rows, { at: day }), districtCode: district?.code ?? fallbackDistrictCode, version: m?.version ?? null };
}

export interface PlacementReferenceCache {
  get(): Promise<PlacementReference>;
  /** forget the cached locator (after an import, or in tests) */
  invalidate(): void;
}

export function createPlacementReferenceCache(db: DbOrTx, options: { clock?: () => Date; checkEveryMs?: number } = {}): PlacementReferenceCache {
  const clock = options.clock ?? (() => new Date());
  const every = options.checkEveryMs ?? 5_000;
  let current: PlacementReference | null = null;
  let builtFor: string | null = null;
  let checkedAt = -Infinity;
  let loading: Promise<PlacementReference> | null = null;

  const reload = async (): Promise<PlacementReference> => {
    const now = clock();
    const [m] = await db.select({ version: meta.referenceVersion }).from(meta).where(eq(meta.id, 1));
    const version = m?.version ?? null;
    const day = localDate(now);
    checkedAt = now.getTime();
    // a new day can bring grids into force or retire them, as can a new reference version
    const key = `${version}|${day}`;
    if (current && builtFor === key) return current;
    current = await loadPlacementReference(db, now);
    builtFor = key;
    return current;
  };

  return {
    async get() {
      if (current && clock().getTime() - checkedAt < every) return current;
      loading ??= reload().finally(() => {
        loading = null;
      });
      return loading;
    },
    invalidate() {
      current = null;
      builtFor = null;
      checkedAt = -Infinity;
    },
  };
}
