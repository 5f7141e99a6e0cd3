/**
 * A tiny, valid district for renderer tests: `towns` town strips side by side,
 * each split into villages, each split into grids (the last grid of every
 * village is a two-part MultiPolygon, so multi-part handling is exercised).
 * Codes follow the real 12/15-digit scheme and the answers pass the contract's
 * zod schemas.
 */
import type { AreaNode, BBox, Grid, LonLat } from '../../core/geo/types';
import type { AreaBoundary, AreasTree, GridsGeometry } from '../../core/rpc/contract';

const TOWN_NAMES = ['新华街', '新雅街', '秀全街', '花城街', '花东镇', '花山镇', '炭步镇', '赤坭镇', '狮岭镇', '梯面镇'];

export interface FakeDistrictOptions {
  towns?: number;
  villagesPerTown?: number;
  gridsPerVillage?: number;
}

function rect(minLon: number, minLat: number, maxLon: number, maxLat: number): LonLat[] {
  return [
    [minLon, minLat],
    [maxLon, minLat],
    [maxLon, maxLat],
    [minLon, maxLat],
    [minLon, minLat],
  ];
}

const pad3 = (n: number) => String(n).padStart(3, '0');

export function fakeDistrict(options: FakeDistrictOptions = {}): { tree: AreasTree; geometry: GridsGeometry } {
  const towns = options.towns ?? 3;
  const villagesPerTown = options.villagesPerTown ?? 2;
  const gridsPerVillage = options.gridsPerVillage ?? 2;
  const west = 113.0;
  const south = 23.3;
  const townWidth = 0.04;
  const height = 0.2;
  const grids: Grid[] = [];
  const boundaries: AreaBoundary[] = [];
  const townNodes: AreaNode[] = [];

  for (let ti = 0; ti < towns; ti++) {
    const townCode = `440114${pad3(ti + 1)}000`;
    const tMin = west + ti * townWidth;
    const townBBox: BBox = [tMin, south, tMin + townWidth, south + height];
    const villageNodes: AreaNode[] = [];
    const vHeight = height / villagesPerTown;
    for (let vi = 0; vi < villagesPerTown; vi++) {
      const villageCode = `440114${pad3(ti + 1)}${pad3(vi + 1)}`;
      const vMin = south + vi * vHeight;
      const vBBox: BBox = [tMin, vMin, tMin + townWidth, vMin + vHeight];
      const gWidth = townWidth / gridsPerVillage;
      for (let gi = 0; gi < gridsPerVillage; gi++) {
        const gMin = tMin + gi * gWidth;
        const last = gi === gridsPerVillage - 1;
        const mid = vMin + vHeight / 2;
        grids.push({
          code: `${villageCode}${pad3(gi + 1)}`,
          name: `第${gi + 1}网格`,
          kind: ti < 2 ? 'community' : 'rural',
          villageCode,
          townCode,
          labelPoint: [gMin + gWidth / 2, mid],
          geometry: last
            ? { type: 'MultiPolygon', coordinates: [[rect(gMin, vMin, gMin + gWidth, mid)], [rect(gMin, mid, gMin + gWidth, vMin + vHeight)]] }
            : { type: 'Polygon', coordinates: [rect(gMin, vMin, gMin + gWidth, vMin + vHeight)] },
          workers: gi === 0 ? [{ id: `w-${villageCode}-${gi}`, name: `张${ti}${vi}`, phone: `1380000${pad3(ti * 10 + vi)}0` }] : [],
          validFrom: '2024-01-01',
          validTo: null,
        });
      }
      const villageName = `${TOWN_NAMES[ti % TOWN_NAMES.length]!.slice(0, 2)}${vi + 1}村`;
      villageNodes.push({
        code: villageCode,
        name: villageName,
        level: 'village',
        kind: 'village',
        parentCode: townCode,
        labelPoint: [tMin + townWidth / 2, vMin + vHeight / 2],
        bbox: vBBox,
        population: 1000,
        gridCount: gridsPerVillage,
        children: [],
      });
      boundaries.push({
        code: villageCode,
        name: villageName,
        level: 'village',
        kind: 'village',
        townCode,
        labelPoint: [tMin + townWidth / 2, vMin + vHeight / 2],
        bbox: vBBox,
        geometry: { type: 'Polygon', coordinates: [rect(...vBBox)] },
      });
    }
    const townName = TOWN_NAMES[ti % TOWN_NAMES.length]! + (ti >= TOWN_NAMES.length ? String(ti) : '');
    townNodes.push({
      code: townCode,
      name: townName,
      level: 'town',
      kind: townName.endsWith('街') ? 'subdistrict' : 'town',
      parentCode: '440114',
      labelPoint: [tMin + townWidth / 2, south + height / 2],
      bbox: townBBox,
      population: 1000 * villagesPerTown,
      gridCount: villagesPerTown * gridsPerVillage,
      children: villageNodes,
    });
    boundaries.push({
      code: townCode,
      name: townName,
      level: 'town',
      kind: 'town',
      townCode: null,
      labelPoint: [tMin + townWidth / 2, south + height / 2],
      bbox: townBBox,
      geometry: { type: 'Polygon', coordinates: [rect(...townBBox)] },
    });
  }

  const districtBBox: BBox = [west, south, west + towns * townWidth, south + height];
  const tree: AreasTree = {
    version: 'test-1',
    district: {
      code: '440114',
      name: '花都区',
      level: 'district',
      kind: 'district',
      parentCode: null,
      labelPoint: [west + (towns * townWidth) / 2, south + height / 2],
      bbox: districtBBox,
      population: 1000 * towns * villagesPerTown,
      gridCount: grids.length,
      children: townNodes,
    },
  };
  return { tree, geometry: { version: 'test-1', grids, boundaries } };
}
