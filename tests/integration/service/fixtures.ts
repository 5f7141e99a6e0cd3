/**
 * A tiny but complete district for data-service tests: 2 towns, 3 villages,
 * 6 grids, units whose parents come after them in the list, a worker on two
 * grids and a grid with two workers — small enough to reason about, shaped
 * like the data center's responses.
 */
import type { Area, AreaGeometry, Grid, Unit } from '../../../src/core/index';

export interface District {
  version: string;
  areas: Area[];
  grids: Grid[];
  units: Unit[];
}

function square(lon: number, lat: number, size: number): AreaGeometry {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [lon, lat],
        [lon + size, lat],
        [lon + size, lat + size],
        [lon, lat + size],
        [lon, lat],
      ],
    ],
  };
}

function area(code: string, name: string, level: Area['level'], kind: Area['kind'], parentCode: string | null, lon: number, lat: number, size: number): Area {
  return {
    code,
    name,
    level,
    kind,
    parentCode,
    labelPoint: [lon + size / 2, lat + size / 2],
    bbox: [lon, lat, lon + size, lat + size],
    geometry: square(lon, lat, size),
    population: 1000,
  };
}

export function makeDistrict(opts: { version?: string; withoutGrid?: string; extraGrid?: boolean; renameTown?: string } = {}): District {
  const version = opts.version ?? 'v1';
  const areas: Area[] = [
    area('440114', '花都区', 'district', 'district', null, 113.0, 23.3, 0.4),
    area('440114001000', opts.renameTown ?? '新华街', 'town', 'subdistrict', '440114', 113.0, 23.3, 0.2),
    area('440114002000', '花东镇', 'town', 'town', '440114', 113.2, 23.3, 0.2),
    area('440114001001', '新华社区', 'village', 'community', '440114001000', 113.0, 23.3, 0.1),
    area('440114001002', '云山社区', 'village', 'community', '440114001000', 113.1, 23.3, 0.1),
    area('440114002001', '李溪村', 'village', 'village', '440114002000', 113.2, 23.3, 0.1),
  ];
  const w1 = { id: 'w-001', name: '张伟', phone: '13800000001' };
  const w2 = { id: 'w-002', name: '李娜', phone: '13800000002' };
  const w3 = { id: 'w-003', name: '王芳', phone: '13800000003' };
  const grid = (code: string, village: string, town: string, kind: Grid['kind'], lon: number, workers: Grid['workers'], validTo: string | null = null): Grid => ({
    code,
    name: `网格${code.slice(-3)}`,
    kind,
    villageCode: village,
    townCode: town,
    labelPoint: [lon + 0.025, 23.325],
    geometry: square(lon, 23.3, 0.05),
    workers,
    validFrom: '2024-01-01',
    validTo,
  });
  let grids: Grid[] = [
    grid('440114001001001', '440114001001', '440114001000', 'community', 113.0, [w1]),
    grid('440114001001002', '440114001001', '440114001000', 'community', 113.05, [w1, w2]),
    grid('440114001002001', '440114001002', '440114001000', 'community', 113.1, [w2]),
    grid('440114002001001', '440114002001', '440114002000', 'rural', 113.2, [w3]),
    grid('440114002001002', '440114002001', '440114002000', 'rural', 113.25, [w3]),
    // replaced last year: kept for history, not drawn
    grid('440114002001900', '440114002001', '440114002000', 'rural', 113.25, [], '2020-01-01'),
  ];
  if (opts.extraGrid) grids.push(grid('440114002001003', '440114002001', '440114002000', 'rural', 113.3, [w3]));
  if (opts.withoutGrid) grids = grids.filter((g) => g.code !== opts.withoutGrid);
  const unit = (id: string, name: string, kind: Unit['kind'], areaCode: string | null, parentId: string | null): Unit => ({
    id,
    name,
    shortName: name.slice(0, 3),
    kind,
    areaCode,
    parentId,
    location: [113.1, 23.4],
    phone: '020-00000000',
  });
  const units: Unit[] = [
    // children before parents on purpose: the replica must not depend on order
    unit('village-440114001001', '新华社区居委会', 'village', '440114001001', 'town-440114001000'),
    unit('town-440114001000', '新华街道办事处', 'town', '440114001000', 'district'),
    unit('town-440114002000', '花东镇人民政府', 'town', '440114002000', 'district'),
    unit('dept-cg', '区城市管理和综合执法局', 'department', null, 'district'),
    unit('district', '花都区人民政府', 'district', '440114', null),
  ];
  return { version, areas, grids, units };
}

/** What /api/v1/reference/version announces for a district. */
export function versionOf(d: District) {
  return {
    version: d.version,
    district: { code: '440114', name: '花都区' },
    counts: {
      towns: d.areas.filter((a) => a.level === 'town').length,
      villages: d.areas.filter((a) => a.level === 'village').length,
      grids: d.grids.length,
      units: d.units.length,
    },
  };
}

/** A logger that remembers what was logged, for asserting on errors. */
export function recordingLogger() {
  const entries: { level: string; msg: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, msg: msg ?? '', obj });
  return { entries, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}
