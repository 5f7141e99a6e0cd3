/**
 * Plans a grid import from GeoJSON: validates a FeatureCollection of base grids against the
 * reference data in the store and says exactly what to write, or lists every problem with the
 * feature it belongs to. Pure (no database), so edit.ts runs it inside the import's transaction
 * on what that transaction reads, and tests run it on plain data.
 *
 * A feature is `{ type: 'Feature', geometry: Polygon | MultiPolygon, properties: { code, name,
 * villageCode, validFrom?, kind? } }`, WGS84 (RFC 7946). Problems, each `{ feature, field, kind,
 * message }` with `field` like `features[3].geometry.coordinates[0]`:
 *
 * - `schema` — not a FeatureCollection, missing or mistyped members;
 * - `bad_code` — a grid code that is not 15 digits, a village code not 12, or a grid code that
 *   does not start with its village code;
 * - `unknown_parent` — a village code the store does not hold (as a village);
 * - `invalid_ring` — a ring with fewer than 4 positions or not closed, repeated positions, a hole
 *   outside its exterior, no area;
 * - `self_intersection` — a ring that crosses or touches itself (src/core/geo/geometry.ts);
 * - `overlap` — more than `overlapToleranceM2` shared with another grid of the same village that
 *   will be current after the import (one in the file, or one already in the store);
 * - `duplicate` — the same code twice in the file;
 * - `version_order` — a version that would not come after the code's existing versions.
 *
 * Versioning: a grid code keeps its identity across redraws. A feature whose code has a current
 * version starting before its `validFrom` closes that version (`validTo = validFrom`) and adds
 * a new one; the same `validFrom` corrects that version in place; an earlier one is refused.
 * With `retireMissing`, current grids of the villages in the file that the file does not name
 * are closed on the import's date (a village redrawn with fewer grids). History stays whole: the
 * versions of a code never overlap in time, and `?asOf=` of any day gives one tiling.
 * Exterior rings may wind either way; they are stored RFC 7946-wound.
 */
import polygonClipping from 'polygon-clipping';
import { z } from 'zod';
import {
  findRingSelfIntersection,
  geometryBBox,
  bboxesIntersect,
  isRingClosed,
  labelPoint,
  multiPolygonArea,
  polygonProblems,
  rewindGeometry,
  type AreaGeometry,
  type AreaKind,
  type BBox,
  type GridKind,
} from '../../core';

export type ImportProblemKind = 'schema' | 'bad_code' | 'unknown_parent' | 'invalid_ring' | 'self_intersection' | 'overlap' | 'duplicate' | 'version_order';

export interface ImportProblem {
  /** index of the feature in `features`, null for the collection itself */
  feature: number | null;
  field: string;
  kind: ImportProblemKind;
  message: string;
}

export interface ExistingGridVersion {
  code: string;
  villageCode: string;
  validFrom: string;
  validTo: string | null;
  geometry: AreaGeometry;
}

export interface GridImportContext {
  /** villages by code, with their town and kind */
  villages: ReadonlyMap<string, { townCode: string; kind: AreaKind }>;
  /** every stored version of every grid */
  versions: readonly ExistingGridVersion[];
  /** validFrom of features without one, and the day `retireMissing` closes grids */
  defaultValidFrom: string;
  retireMissing?: boolean;
  /** shared area above which two grids overlap; default 1 m² */
  overlapToleranceM2?: number;
}

export interface PlannedGrid {
  feature: number;
  code: string;
  name: string;
  kind: GridKind;
  villageCode: string;
  townCode: string;
  validFrom: string;
  geometry: AreaGeometry;
  labelPoint: [number, number];
  bbox: BBox;
  /** new code · new version of a current grid · correction of the version with this validFrom */
  action: 'create' | 'version' | 'correct';
}

export interface PlannedRetirement {
  code: string;
  validFrom: string;
  validTo: string;
  /** the feature that replaces it, or null when retired because the file left it out */
  byFeature: number | null;
}

export type GridImportPlan = { ok: true; grids: PlannedGrid[]; retire: PlannedRetirement[] } | { ok: false; problems: ImportProblem[] };

/** YYYY-MM-DD that is a real calendar date */
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date');

/** codes may come as numbers from GIS exports (15 digits are exact in a double) */
const CodeText = z.union([z.string(), z.number().int().nonnegative()]).transform((v) => String(v).trim());

export const FeatureShape = z.object({
  type: z.literal('Feature'),
  geometry: z.object({ type: z.enum(['Polygon', 'MultiPolygon']), coordinates: z.array(z.unknown()) }),
  properties: z.object({
    code: CodeText,
    name: z.string().trim().min(1).max(100),
    villageCode: CodeText,
    validFrom: IsoDate.optional(),
    kind: z.enum(['community', 'rural']).optional(),
  }),
});

export const CollectionShape = z.object({ type: z.literal('FeatureCollection'), features: z.array(z.unknown()).min(1).max(20_000) });

const Position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]).rest(z.number());

export function planGridImport(input: unknown, ctx: GridImportContext): GridImportPlan {
  const problems: ImportProblem[] = [];
  const tolerance = ctx.overlapToleranceM2 ?? 1;
  const collection = CollectionShape.safeParse(input);
  if (!collection.success) {
    for (const issue of collection.error.issues) {
      problems.push({ feature: null, field: issue.path.map(String).join('.') || '(root)', kind: 'schema', message: issue.message });
    }
    return { ok: false, problems };
  }

  const candidates: PlannedGrid[] = [];
  const seen = new Map<string, number>();
  collection.data.features.forEach((raw, i) => {
    const at = `features[${i}]`;
    const parsed = FeatureShape.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ feature: i, field: `${at}.${issue.path.map(String).join('.')}`, kind: 'schema', message: issue.message });
      return;
    }
    const f = parsed.data;
    const before = problems.length;
    const { code, villageCode, name } = f.properties;
    if (!/^\d{15}$/.test(code)) problems.push({ feature: i, field: `${at}.properties.code`, kind: 'bad_code', message: `grid code ${code} is not 15 digits` });
    if (!/^\d{12}$/.test(villageCode)) problems.push({ feature: i, field: `${at}.properties.villageCode`, kind: 'bad_code', message: `village code ${villageCode} is not 12 digits` });
    else if (/^\d{15}$/.test(code) && !code.startsWith(villageCode)) {
      problems.push({ feature: i, field: `${at}.properties.code`, kind: 'bad_code', message: `grid code ${code} does not start with its village code ${villageCode}` });
    }
    const village = ctx.villages.get(villageCode);
    if (/^\d{12}$/.test(villageCode) && !village) {
      problems.push({ feature: i, field: `${at}.properties.villageCode`, kind: 'unknown_parent', message: `no village ${villageCode} in the reference data` });
    }
    const first = seen.get(code);
    if (first !== undefined) problems.push({ feature: i, field: `${at}.properties.code`, kind: 'duplicate', message: `grid ${code} is also feature ${first}` });
    else seen.set(code, i);

    const geometry = checkGeometry(f.geometry, `${at}.geometry`, i, problems);
    if (problems.length > before || !geometry || !village) return;
    candidates.push({
      feature: i,
      code,
      name,
      kind: f.properties.kind ?? (village.kind === 'community' ? 'community' : 'rural'),
      villageCode,
      townCode: village.townCode,
      validFrom: f.properties.validFrom ?? ctx.defaultValidFrom,
      geometry,
      labelPoint: labelPoint(geometry),
      bbox: geometryBBox(geometry),
      action: 'create',
    });
  });

  // versions: after every existing version of the code
  const versionsByCode = new Map<string, ExistingGridVersion[]>();
  for (const v of ctx.versions) {
    let list = versionsByCode.get(v.code);
    if (!list) versionsByCode.set(v.code, (list = []));
    list.push(v);
  }
  const retire: PlannedRetirement[] = [];
  const planned: PlannedGrid[] = [];
  for (const g of candidates) {
    const at = `features[${g.feature}].properties.validFrom`;
    const versions = versionsByCode.get(g.code) ?? [];
    const current = versions.find((v) => v.validTo === null);
    const later = versions.find((v) => v.validTo !== null && v.validTo > g.validFrom && v.validFrom !== g.validFrom);
    if (current && current.validFrom > g.validFrom) {
      problems.push({ feature: g.feature, field: at, kind: 'version_order', message: `grid ${g.code} has a current version from ${current.validFrom}; a new version must start after it` });
    } else if (later) {
      problems.push({ feature: g.feature, field: at, kind: 'version_order', message: `grid ${g.code} has a version valid until ${later.validTo}; a new version must start on or after that day` });
    } else if (current && current.validFrom === g.validFrom) {
      planned.push({ ...g, action: 'correct' });
    } else if (versions.some((v) => v.validFrom === g.validFrom)) {
      problems.push({ feature: g.feature, field: at, kind: 'version_order', message: `grid ${g.code} already has a closed version from ${g.validFrom}` });
    } else if (current) {
      planned.push({ ...g, action: 'version' });
      retire.push({ code: g.code, validFrom: current.validFrom, validTo: g.validFrom, byFeature: g.feature });
    } else {
      planned.push(g);
    }
  }

  // grids left out of a redrawn village
  const importedCodes = new Set(candidates.map((g) => g.code));
  const importedVillages = new Set(candidates.map((g) => g.villageCode));
  if (ctx.retireMissing) {
    for (const v of ctx.versions) {
      if (v.validTo !== null || importedCodes.has(v.code) || !importedVillages.has(v.villageCode)) continue;
      if (v.validFrom >= ctx.defaultValidFrom) {
        problems.push({
          feature: null,
          field: 'validFrom',
          kind: 'version_order',
          message: `grid ${v.code} (left out of the file) only started on ${v.validFrom}: it cannot be closed on ${ctx.defaultValidFrom}`,
        });
        continue;
      }
      retire.push({ code: v.code, validFrom: v.validFrom, validTo: ctx.defaultValidFrom, byFeature: null });
    }
  }

  // overlaps among what will be current in each village the file touches
  const retiring = new Set(retire.map((r) => `${r.code}\u0000${r.validFrom}`));
  for (const g of planned) {
    const others: { label: string; geometry: AreaGeometry; bbox: BBox }[] = [];
    for (const h of planned) {
      if (h.feature !== g.feature && h.villageCode === g.villageCode && h.feature < g.feature) others.push({ label: `grid ${h.code} (feature ${h.feature})`, geometry: h.geometry, bbox: h.bbox });
    }
    for (const v of ctx.versions) {
      if (v.validTo !== null || v.villageCode !== g.villageCode || importedCodes.has(v.code) || retiring.has(`${v.code}\u0000${v.validFrom}`)) continue;
      others.push({ label: `current grid ${v.code}`, geometry: v.geometry, bbox: geometryBBox(v.geometry) });
    }
    for (const o of others) {
      if (!bboxesIntersect(g.bbox, o.bbox)) continue;
      const shared = overlapArea(g.geometry, o.geometry);
      if (shared > tolerance) {
        problems.push({ feature: g.feature, field: `features[${g.feature}].geometry`, kind: 'overlap', message: `overlaps ${o.label} by ${Math.round(shared)} m²` });
      }
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, grids: planned, retire };
}

/** m² shared by two geometries */
export function overlapArea(a: AreaGeometry, b: AreaGeometry): number {
  const asMulti = (g: AreaGeometry) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as [number, number][][][];
  const shared = polygonClipping.intersection(asMulti(a), asMulti(b));
  return multiPolygonArea(shared);
}

/** Structure, rings and self-intersections of one geometry; the RFC 7946-wound geometry when valid. */
function checkGeometry(geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown[] }, at: string, feature: number, problems: ImportProblem[]): AreaGeometry | null {
  const before = problems.length;
  const polygons: { rings: [number, number][][]; path: string }[] = [];
  const readPolygon = (value: unknown, path: string) => {
    if (!Array.isArray(value) || value.length === 0) {
      problems.push({ feature, field: path, kind: 'schema', message: 'a polygon is a non-empty array of rings' });
      return;
    }
    const rings: [number, number][][] = [];
    value.forEach((ring, r) => {
      const rp = `${path}[${r}]`;
      if (!Array.isArray(ring)) {
        problems.push({ feature, field: rp, kind: 'schema', message: 'a ring is an array of positions' });
        return;
      }
      const positions: [number, number][] = [];
      for (let k = 0; k < ring.length; k++) {
        const p = Position.safeParse(ring[k]);
        if (!p.success) {
          problems.push({ feature, field: `${rp}[${k}]`, kind: 'schema', message: 'a position is [lon, lat] in WGS84 degrees' });
          return;
        }
        positions.push([p.data[0], p.data[1]]);
      }
      const name = r === 0 ? 'the exterior ring' : `hole ${r}`;
      if (positions.length < 4) problems.push({ feature, field: rp, kind: 'invalid_ring', message: `${name} has ${positions.length} positions (a ring needs at least 4)` });
      else if (!isRingClosed(positions)) problems.push({ feature, field: rp, kind: 'invalid_ring', message: `${name} is not closed (its last position must repeat its first)` });
      rings.push(positions);
    });
    polygons.push({ rings, path });
  };
  if (geometry.type === 'Polygon') readPolygon(geometry.coordinates, `${at}.coordinates`);
  else {
    if (geometry.coordinates.length === 0) problems.push({ feature, field: `${at}.coordinates`, kind: 'schema', message: 'a MultiPolygon needs at least one polygon' });
    geometry.coordinates.forEach((p, i) => readPolygon(p, `${at}.coordinates[${i}]`));
  }
  if (problems.length > before) return null;

  const wound = rewindGeometry(
    geometry.type === 'Polygon' ? { type: 'Polygon', coordinates: polygons[0]!.rings } : { type: 'MultiPolygon', coordinates: polygons.map((p) => p.rings) },
  );
  const woundPolygons = wound.type === 'Polygon' ? [wound.coordinates] : wound.coordinates;
  woundPolygons.forEach((rings, i) => {
    const path = polygons[i]!.path;
    let crossed = false;
    polygons[i]!.rings.forEach((ring, r) => {
      // on the rings as sent, so the edge numbers match the file
      const hit = findRingSelfIntersection(ring);
      if (!hit) return;
      crossed = true;
      problems.push({ feature, field: `${path}[${r}]`, kind: 'self_intersection', message: `${r === 0 ? 'the exterior ring' : `hole ${r}`} crosses itself (edges ${hit[0]} and ${hit[1]})` });
    });
    // a crossing ring has no meaningful area or winding: the crossing is the problem to fix
    if (crossed) return;
    for (const message of polygonProblems(rings)) {
      // crossings are reported above; winding was fixed by rewinding
      if (/intersects itself|winds the wrong way/.test(message)) continue;
      problems.push({ feature, field: path, kind: 'invalid_ring', message });
    }
  });
  if (woundPolygons.length > 1) {
    for (let i = 0; i < woundPolygons.length; i++) {
      for (let j = i + 1; j < woundPolygons.length; j++) {
        const a: AreaGeometry = { type: 'Polygon', coordinates: woundPolygons[i]! };
        const b: AreaGeometry = { type: 'Polygon', coordinates: woundPolygons[j]! };
        if (bboxesIntersect(geometryBBox(a), geometryBBox(b)) && overlapArea(a, b) > 0) {
          problems.push({ feature, field: `${at}.coordinates[${j}]`, kind: 'overlap', message: `part ${j} overlaps part ${i} of the same grid` });
        }
      }
    }
  }
  return problems.length > before ? null : wound;
}
