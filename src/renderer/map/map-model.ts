/**
 * Turns the two reference answers (`areas/tree`, `grids/geometry`) into what
 * the map and its panels draw: towns with colours and counts, villages, one
 * entry per polygon part of every grid (deck.gl polygons take one polygon per
 * row; a MultiPolygon grid becomes several rows that point back to the same
 * grid), boundary paths, labels and the glyphs they need. Pure and built once
 * per data version, so layer data keeps its identity between renders and
 * deck.gl never re-tessellates 1,401 grids for a hover or a zoom.
 */
import polygonClipping, { type MultiPolygon } from 'polygon-clipping';
import type { AreaGeometry, AreaKind, AreaNode, BBox, Grid, LonLat } from '../../core/geo/types';
import type { AreasTree, GridsGeometry } from '../../core/rpc/contract';
import { buildCharacterSet } from './label-charset';
import { assignTownColors } from './town-colors';
import type { Rgb } from './theme';

export interface TownSummary {
  code: string;
  name: string;
  kind: AreaKind;
  villageCount: number;
  gridCount: number;
  bbox: BBox;
  labelPoint: LonLat;
  color: Rgb;
}

export interface VillageSummary {
  code: string;
  name: string;
  kind: AreaKind;
  townCode: string;
  gridCount: number;
  bbox: BBox;
  labelPoint: LonLat;
  /** residents (for per-capita measures) */
  population: number;
}

/** One polygon of a grid (a MultiPolygon grid has several). */
export interface GridPart {
  grid: Grid;
  /** rings: outer first, then holes */
  polygon: LonLat[][];
}

/** One ring of an area outline, drawn as a path. */
export interface BoundaryPath {
  code: string;
  path: LonLat[];
}

export interface Label {
  code: string;
  text: string;
  position: LonLat;
  level: 'town' | 'village';
  /** who wins when labels collide, -1000…1000: towns always, then larger villages */
  priority: number;
}

export interface MapModel {
  /** data version; layers are rebuilt only when it changes */
  version: string;
  district: { code: string; name: string; bbox: BBox; labelPoint: LonLat };
  /** ascending code */
  towns: TownSummary[];
  townByCode: ReadonlyMap<string, TownSummary>;
  villages: VillageSummary[];
  villageByCode: ReadonlyMap<string, VillageSummary>;
  grids: Grid[];
  gridParts: GridPart[];
  districtPaths: BoundaryPath[];
  townPaths: BoundaryPath[];
  villagePaths: BoundaryPath[];
  /** town labels only (the far view) */
  townLabels: Label[];
  /** towns then villages (the near view); the town entries are the same objects */
  allLabels: Label[];
  /** every glyph of every label, for the TextLayer font atlas */
  labelCharacters: string[];
  totals: { towns: number; villages: number; grids: number; communityGrids: number; ruralGrids: number };
}

const FALLBACK_COLOR: Rgb = [140, 150, 170];

export function buildMapModel(tree: AreasTree, geometry: GridsGeometry): MapModel {
  const district = tree.district;
  const townNodes = [...district.children].sort(byCode);
  const colors = assignTownColors(townNodes.map((t) => t.code));

  const towns: TownSummary[] = townNodes.map((t) => ({
    code: t.code,
    name: t.name,
    kind: t.kind,
    villageCount: t.children.length,
    gridCount: t.gridCount,
    bbox: t.bbox,
    labelPoint: t.labelPoint,
    color: colors.get(t.code) ?? FALLBACK_COLOR,
  }));

  const villages: VillageSummary[] = townNodes.flatMap((t) =>
    [...t.children].sort(byCode).map((v: AreaNode) => ({
      code: v.code,
      name: v.name,
      kind: v.kind,
      townCode: t.code,
      gridCount: v.gridCount,
      bbox: v.bbox,
      labelPoint: v.labelPoint,
      population: v.population,
    })),
  );

  const gridParts: GridPart[] = geometry.grids.flatMap((grid) => polygonsOf(grid.geometry).map((polygon) => ({ grid, polygon })));

  const pathsAt = (level: 'district' | 'town' | 'village') =>
    geometry.boundaries.filter((b) => b.level === level).flatMap((b) => ringsOf(b.geometry).map((path) => ({ code: b.code, path })));

  const townPaths = pathsAt('town');
  let districtPaths = pathsAt('district');
  if (districtPaths.length === 0) {
    // older data services send only towns and villages: the district is their union
    districtPaths = outlineOfUnion(geometry.boundaries.filter((b) => b.level === 'town').map((b) => b.geometry)).map((path) => ({
      code: district.code,
      path,
    }));
  }

  const townLabels: Label[] = towns.map((t) => ({ code: t.code, text: t.name, position: t.labelPoint, level: 'town', priority: 1000 }));
  const byArea = [...villages].sort((a, b) => bboxArea(b.bbox) - bboxArea(a.bbox) || byCode(a, b));
  const villageLabels: Label[] = byArea.map((v, rank) => ({
    code: v.code,
    text: v.name,
    position: v.labelPoint,
    level: 'village',
    priority: Math.round(999 * (1 - rank / byArea.length)),
  }));

  return {
    version: `${tree.version}/${geometry.version}`,
    district: { code: district.code, name: district.name, bbox: district.bbox, labelPoint: district.labelPoint },
    towns,
    townByCode: new Map(towns.map((t) => [t.code, t])),
    villages,
    villageByCode: new Map(villages.map((v) => [v.code, v])),
    grids: geometry.grids,
    gridParts,
    districtPaths,
    townPaths,
    villagePaths: pathsAt('village'),
    townLabels,
    allLabels: [...townLabels, ...villageLabels],
    labelCharacters: buildCharacterSet([district.name, ...towns.map((t) => t.name), ...villages.map((v) => v.name)]),
    totals: {
      towns: towns.length,
      villages: villages.length,
      grids: geometry.grids.length,
      communityGrids: geometry.grids.filter((g) => g.kind === 'community').length,
      ruralGrids: geometry.grids.filter((g) => g.kind === 'rural').length,
    },
  };
}

/** The town's colour, or a neutral grey for a grid whose town is unknown. */
export function townColorOf(model: MapModel, townCode: string): Rgb {
  return model.townByCode.get(townCode)?.color ?? FALLBACK_COLOR;
}

function bboxArea([minLon, minLat, maxLon, maxLat]: BBox): number {
  return (maxLon - minLon) * (maxLat - minLat);
}

function byCode(a: { code: string }, b: { code: string }): number {
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}

export function polygonsOf(geometry: AreaGeometry): LonLat[][][] {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
}

export function ringsOf(geometry: AreaGeometry): LonLat[][] {
  return polygonsOf(geometry).flat();
}

function outlineOfUnion(geometries: AreaGeometry[]): LonLat[][] {
  if (geometries.length === 0) return [];
  const polys = geometries.map((g) => polygonsOf(g) as MultiPolygon);
  const [first, ...rest] = polys;
  return polygonClipping.union(first!, ...rest).flat() as LonLat[][];
}
