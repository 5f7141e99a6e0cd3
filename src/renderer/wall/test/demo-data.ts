/**
 * Demo data for the wall over any district (the real demo grids from the web
 * host, or `fakeDistrict` in tests): a few thousand events spread over the
 * grids with plausible states, sources, categories and times; 30 days of
 * history binned for the heatmap; yesterday replayable; units, grid workers
 * and the module layers; KPIs computed from the same events. Deterministic
 * for a seed (mulberry32), so tests can count on it.
 *
 * Test support and the dev-only `?fake=wall` switch use it; production builds
 * never include it (see demo-client.ts).
 */
import { pointInGeometry } from '../../../core/geo/geometry';
import type { AreaNode, Grid, LonLat } from '../../../core/geo/types';
import { EventSource, Urgency, type EventRecord } from '../../../core/events/types';
import type { Unit } from '../../../core/org/types';
import type { AreasTree, GridsGeometry } from '../../../core/rpc/contract';
import type { Density, EventColumns, EventRow, Kpis, Playback } from '../../../core/rpc/queries';
import type { GridStats, MapWorkers, ModuleFeature, ModuleFeatures, WallAlert } from '../../../core/rpc/wall';
import { newEvent } from '../../../core/workflow/event';
import { EventStatus } from '../../../core/workflow/states';
import { districtFields, districtHour, startOfDistrictDay } from '../../shell/district-time';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  range(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  int(a: number, b: number): number {
    return a + Math.floor(this.next() * (b - a + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [v, w] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return items[items.length - 1]![0];
  }
}

export const DEMO_CATEGORIES: readonly { code: string; name: string; titles: readonly string[] }[] = [
  { code: '01', name: '党建引领', titles: ['党员志愿服务需求', '党群服务中心预约'] },
  { code: '02', name: '政务服务', titles: ['社保卡办理咨询', '居住证办理', '不动产登记咨询'] },
  { code: '03', name: '社会服务', titles: ['独居老人帮扶', '低保申请咨询', '邻里纠纷调解'] },
  { code: '04', name: '城市管理', titles: ['道路积水', '占道经营', '垃圾堆放', '井盖缺失', '路灯不亮', '共享单车乱停放'] },
  { code: '05', name: '平安建设', titles: ['治安隐患', '出租屋安全隐患', '可疑人员'] },
  { code: '06', name: '两违查控', titles: ['违法建设', '违法用地', '屋顶违建加层'] },
  { code: '07', name: '污染防治', titles: ['噪音扰民', '油烟扰民', '工地扬尘', '焚烧垃圾'] },
  { code: '08', name: '治水', titles: ['河涌漂浮物', '排污口异常', '河道垃圾'] },
  { code: '09', name: '应急管理', titles: ['树木倒伏', '内涝险情', '山体滑坡隐患'] },
  { code: '10', name: '安全生产', titles: ['厂房消防通道堵塞', '危化品存放隐患', '电动车违规充电'] },
  { code: '11', name: '消防安全', titles: ['消防栓损坏', '楼道堆放杂物', '三小场所消防隐患'] },
  { code: '12', name: '疫情防控', titles: ['发热人员上报', '重点人员排查'] },
  { code: '13', name: '企业诉求', titles: ['企业用电报装', '企业招工需求', '厂区道路破损'] },
];
const CATEGORY_WEIGHTS = [1, 3, 4, 14, 5, 3, 6, 3, 2, 3, 3, 1, 2];

const STATUS = EventStatus.options;
const URGENCY = Urgency.options;
const SOURCES = EventSource.options;

const SOURCE_WEIGHTS: readonly (readonly [EventSource, number])[] = [
  ['grid_patrol', 34],
  ['hotline_12345', 30],
  ['urban_management', 14],
  ['enterprise', 5],
  ['one_key', 2],
  ['migrant', 4],
  ['gov_service', 4],
  ['open311', 3],
  ['api', 1],
  ['manual', 3],
];

const OPEN_STATUS_WEIGHTS: readonly (readonly [(typeof STATUS)[number], number])[] = [
  ['reported', 4],
  ['verifying', 4],
  ['filed', 8],
  ['dispatched', 14],
  ['bounced', 2],
  ['signed', 10],
  ['in_progress', 34],
  ['rework', 3],
  ['parked', 1],
  ['handled', 8],
  ['checking', 7],
  ['checked', 5],
];

const WORKING = new Set(['dispatched', 'signed', 'in_progress', 'rework', 'bounced', 'handled', 'checking', 'checked', 'parked']);

/** Hourly intake profile (0–23): quiet nights, a morning and an afternoon peak. */
const HOURLY = [2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 10, 7, 8, 11, 11, 10, 9, 7, 6, 5, 4, 3, 2];

export interface DemoEvent {
  id: string;
  caseNo: string;
  title: string;
  categoryCode: string;
  source: EventSource;
  urgency: (typeof URGENCY)[number];
  status: (typeof STATUS)[number];
  /** 0 none, 1 running, 2 warning, 3 overdue */
  clock: number;
  supervision: number;
  position: LonLat;
  grid: Grid;
  address: string;
  reportedAt: number;
  deadline: number;
  leadUnitId: string | null;
  updatedAt: number;
}

export interface DemoWorld {
  now: number;
  tree: AreasTree;
  geometry: GridsGeometry;
  towns: AreaNode[];
  villageName: Map<string, string>;
  townName: Map<string, string>;
  units: Unit[];
  /** open events */
  events: DemoEvent[];
  byId: Map<string, DemoEvent>;
  /** closed today (for the KPIs) */
  closedToday: number;
  closedOnTimeToday: number;
  dueToday: number;
  evaluatedToday: number;
  satisfiedToday: number;
  intakeToday: number;
  dispatchedToday: number;
  hourlyToday: number[];
  hourlyLast7: number[];
  byTownToday: Map<string, number>;
  byCategoryToday: Map<string, number>;
  bySourceToday: Map<string, number>;
  density: Density;
  loadByGrid: Map<string, number>;
  workers: MapWorkers;
  modules: ModuleFeatures;
  alerts: WallAlert[];
  rng: Rng;
  seq: number;
}

export interface DemoOptions {
  seed?: number;
  now?: number;
  openEvents?: number;
  historyEvents?: number;
}

function randomPointIn(grid: Grid, rng: Rng): LonLat {
  const g = grid.geometry;
  const rings = g.type === 'Polygon' ? g.coordinates[0]! : g.coordinates[0]![0]!;
  let minLon = Infinity;
  let minLat = Infinity;
  let maxLon = -Infinity;
  let maxLat = -Infinity;
  for (const [lon, lat] of rings) {
    minLon = Math.min(minLon, lon);
    maxLon = Math.max(maxLon, lon);
    minLat = Math.min(minLat, lat);
    maxLat = Math.max(maxLat, lat);
  }
  for (let k = 0; k < 12; k++) {
    const p: LonLat = [rng.range(minLon, maxLon), rng.range(minLat, maxLat)];
    if (pointInGeometry(p, g)) return p;
  }
  return grid.labelPoint;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function caseNo(ms: number, seq: number): string {
  const d = districtFields(ms);
  return `HD${d.year}${pad(d.month, 2)}${pad(d.day, 2)}${pad(seq % 10000, 4)}`;
}

/** YYYY-MM-DD of `ms` in the district (see district-time.ts), as the data service counts days. */
export function localDate(ms: number): string {
  const d = districtFields(ms);
  return `${d.year}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
}

/** The district's midnight of the day of `ms`. */
export function dayStart(ms: number): number {
  return startOfDistrictDay(ms);
}

/** An hour of the day drawn by the intake profile, at most `maxHour`. */
function hourWeighted(rng: Rng, maxHour = 23): number {
  return rng.weighted(HOURLY.slice(0, maxHour + 1).map((w, h) => [h, w] as const));
}

const STREETS = ['新华路', '迎宾大道', '公益路', '云山大道', '龙珠路', '凤凰北路', '商业大道', '茶园路', '宝华路', '秀全大道', '天贵路', '三东大道'];

export function buildDemoWorld(tree: AreasTree, geometry: GridsGeometry, options: DemoOptions = {}): DemoWorld {
  const rng = new Rng(options.seed ?? 20_240_501);
  const now = options.now ?? Date.now();
  const today = dayStart(now);
  const towns = [...tree.district.children].sort((a, b) => (a.code < b.code ? -1 : 1));
  const townName = new Map(towns.map((t) => [t.code, t.name]));
  const villageName = new Map(towns.flatMap((t) => t.children.map((v) => [v.code, v.name] as const)));
  const grids = geometry.grids;
  // community grids are denser: weight them up
  const gridWeights = grids.map((g) => [g, g.kind === 'community' ? 3 : 1] as const);

  const units: Unit[] = [];
  const centre = tree.district.labelPoint;
  const DEPTS = ['城管局', '住建局', '水务局', '生态环境分局', '应急管理局', '市场监管局', '公安分局', '卫健局', '民政局', '人社局', '交通局', '消防救援大队'];
  DEPTS.forEach((name, i) => {
    const a = (i / DEPTS.length) * 2 * Math.PI;
    units.push({
      id: `dept-${i + 1}`,
      name: `花都区${name}`,
      shortName: name,
      kind: 'department',
      areaCode: null,
      parentId: null,
      location: [centre[0] + 0.018 * Math.cos(a), centre[1] + 0.012 * Math.sin(a)],
      phone: `020-3690${pad(i, 4)}`,
    });
  });
  for (const t of towns) {
    units.push({
      id: `town-${t.code}`,
      name: `${t.name}${t.kind === 'subdistrict' ? '办事处' : '人民政府'}`,
      shortName: t.name,
      kind: 'town',
      areaCode: t.code,
      parentId: null,
      location: t.labelPoint,
      phone: `020-3680${t.code.slice(6, 9)}`,
    });
  }

  const world: DemoWorld = {
    now,
    tree,
    geometry,
    towns,
    villageName,
    townName,
    units,
    events: [],
    byId: new Map(),
    closedToday: 0,
    closedOnTimeToday: 0,
    dueToday: 0,
    evaluatedToday: 0,
    satisfiedToday: 0,
    intakeToday: 0,
    dispatchedToday: 0,
    hourlyToday: new Array<number>(24).fill(0),
    hourlyLast7: new Array<number>(24).fill(0),
    byTownToday: new Map(),
    byCategoryToday: new Map(),
    bySourceToday: new Map(),
    density: { count: 0, positions: new Float32Array(0), weights: new Float32Array(0), total: 0 },
    loadByGrid: new Map(),
    workers: { workers: [], checkpoint: 1 },
    modules: { version: 'demo-1', features: [] },
    alerts: [],
    rng,
    seq: 1,
  };
  if (grids.length === 0) return world;

  const openCount = options.openEvents ?? 1600;
  for (let i = 0; i < openCount; i++) {
    // most open events are from the last days; a tail is older (and more often overdue)
    const ageDays = Math.min(14, -Math.log(1 - rng.float() * 0.999) * 2.2);
    let reportedAt = now - ageDays * 86_400_000;
    if (reportedAt >= today) reportedAt = today + hourWeighted(rng, districtHour(now)) * 3_600_000 + rng.range(0, 3_600_000);
    if (reportedAt > now) reportedAt = now - rng.range(60_000, 1_800_000);
    addEvent(world, { reportedAt, status: rng.weighted(OPEN_STATUS_WEIGHTS), grid: rng.weighted(gridWeights) });
  }

  // today's figures: intake includes events already closed today
  const intakeOpenToday = world.events.filter((e) => e.reportedAt >= today).length;
  const closedOfToday = Math.round(intakeOpenToday * 0.55);
  world.intakeToday = intakeOpenToday + closedOfToday;
  for (const e of world.events) if (e.reportedAt >= today) world.hourlyToday[districtHour(e.reportedAt)]!++;
  const hourNow = districtHour(now);
  for (let k = 0; k < closedOfToday; k++) world.hourlyToday[hourWeighted(rng, hourNow)]!++;
  // a typical day of the last week: today's pace, along the same profile, give or take a tenth
  const soFar = HOURLY.slice(0, hourNow + 1).reduce((a, b) => a + b, 0);
  for (let h = 0; h < 24; h++) world.hourlyLast7[h] = Math.round(((HOURLY[h]! * world.intakeToday) / soFar) * (0.85 + 0.2 * rng.float()) * 10) / 10;
  world.dispatchedToday = Math.round(world.intakeToday * 0.78);
  world.closedToday = closedOfToday + rng.int(60, 120);
  world.dueToday = world.closedToday + rng.int(4, 12);
  world.closedOnTimeToday = Math.round(world.closedToday * 0.955);
  world.evaluatedToday = Math.round(world.closedToday * 0.7);
  world.satisfiedToday = Math.round(world.evaluatedToday * 0.968);
  for (const e of world.events) {
    if (e.reportedAt < today) continue;
    world.byTownToday.set(e.grid.townCode, (world.byTownToday.get(e.grid.townCode) ?? 0) + 1);
    world.byCategoryToday.set(e.categoryCode, (world.byCategoryToday.get(e.categoryCode) ?? 0) + 1);
    world.bySourceToday.set(e.source, (world.bySourceToday.get(e.source) ?? 0) + 1);
  }

  // 30 days of history, binned (250 m cells) for the heatmap and hexagons, and counted per grid
  const historyCount = options.historyEvents ?? 18_000;
  const cells = new Map<string, { lon: number; lat: number; w: number }>();
  const cell = 0.0025;
  for (let i = 0; i < historyCount; i++) {
    const grid = rng.weighted(gridWeights);
    const p = randomPointIn(grid, rng);
    const key = `${Math.floor(p[0] / cell)}:${Math.floor(p[1] / cell)}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { lon: (Math.floor(p[0] / cell) + 0.5) * cell, lat: (Math.floor(p[1] / cell) + 0.5) * cell, w: 0 }));
    c.w++;
    world.loadByGrid.set(grid.code, (world.loadByGrid.get(grid.code) ?? 0) + 1);
  }
  const binned = [...cells.values()];
  world.density = {
    count: binned.length,
    positions: new Float32Array(binned.flatMap((c) => [c.lon, c.lat])),
    weights: new Float32Array(binned.map((c) => c.w)),
    total: historyCount,
  };

  world.workers = {
    workers: grids.flatMap((g) =>
      (g.workers.length ? g.workers : [{ id: `w-${g.code}`, name: '网格员', phone: '' }]).map((w) => ({
        id: w.id,
        name: w.name,
        phone: w.phone,
        gridCode: g.code,
        position: randomPointIn(g, rng),
        source: 'gps' as const,
        fixAt: new Date(now - rng.range(0, 600_000)).toISOString(),
        onDuty: rng.float() < 0.86,
      })),
    ),
    checkpoint: 1,
  };
  world.modules = buildModules(world);
  return world;
}

function addEvent(world: DemoWorld, init: { reportedAt: number; status: (typeof STATUS)[number]; grid: Grid; source?: EventSource; urgency?: (typeof URGENCY)[number] }): DemoEvent {
  const { rng, now } = world;
  const category = rng.weighted(DEMO_CATEGORIES.map((c, i) => [c, CATEGORY_WEIGHTS[i]!] as const));
  const source = init.source ?? rng.weighted(SOURCE_WEIGHTS);
  const urgency = init.urgency ?? (source === 'one_key' ? 'critical' : rng.weighted([['normal', 90], ['urgent', 8], ['critical', 2]] as const));
  const ageDays = (now - init.reportedAt) / 86_400_000;
  const deadline = init.reportedAt + (urgency === 'normal' ? rng.range(2, 16) : rng.range(0.2, 1.5)) * 86_400_000;
  const working = WORKING.has(init.status);
  const clock = !working ? 0 : now > deadline ? 3 : now > deadline - (deadline - init.reportedAt) * 0.2 ? 2 : 1;
  const town = world.units.find((u) => u.kind === 'town' && u.areaCode === init.grid.townCode);
  const lead = working ? (rng.float() < 0.6 && town ? town.id : `dept-${rng.int(1, 12)}`) : null;
  const seq = world.seq++;
  const e: DemoEvent = {
    id: `demo-${seq}`,
    caseNo: caseNo(init.reportedAt, seq),
    title: rng.pick(category.titles),
    categoryCode: category.code,
    source,
    urgency,
    status: init.status,
    clock,
    supervision: clock === 3 ? rng.int(1, 2) : ageDays > 5 && rng.float() < 0.1 ? 1 : 0,
    position: randomPointIn(init.grid, rng),
    grid: init.grid,
    address: `${world.townName.get(init.grid.townCode) ?? ''}${world.villageName.get(init.grid.villageCode) ?? ''}${rng.pick(STREETS)}${rng.int(1, 300)}号`,
    reportedAt: init.reportedAt,
    deadline,
    leadUnitId: lead,
    updatedAt: Math.min(now, init.reportedAt + rng.range(0, 3_600_000)),
  };
  world.events.push(e);
  world.byId.set(e.id, e);
  return e;
}

/** Columns of `map/events` for some events. */
export function columnsOf(events: readonly DemoEvent[], checkpoint: number): EventColumns {
  const n = events.length;
  const cols: EventColumns = {
    count: n,
    ids: events.map((e) => e.id),
    positions: new Float32Array(2 * n),
    status: new Uint8Array(n),
    urgency: new Uint8Array(n),
    source: new Uint8Array(n),
    reportedAt: new Float64Array(n),
    deadline: new Float64Array(n),
    clockStatus: new Uint8Array(n),
    supervisionLevel: new Uint8Array(n),
    gridCodes: events.map((e) => e.grid.code),
    leadUnitIds: events.map((e) => e.leadUnitId),
    checkpoint,
  };
  events.forEach((e, i) => {
    cols.positions[2 * i] = e.position[0];
    cols.positions[2 * i + 1] = e.position[1];
    cols.status[i] = STATUS.indexOf(e.status);
    cols.urgency[i] = URGENCY.indexOf(e.urgency);
    cols.source[i] = SOURCES.indexOf(e.source);
    cols.reportedAt[i] = e.reportedAt;
    cols.deadline[i] = e.deadline;
    cols.clockStatus[i] = e.clock;
    cols.supervisionLevel[i] = e.supervision;
  });
  return cols;
}

export function rowOf(e: DemoEvent): EventRow {
  return {
    id: e.id,
    caseNo: e.caseNo,
    title: e.title,
    address: e.address,
    status: e.status,
    categoryCode: e.categoryCode,
    source: e.source,
    urgency: e.urgency,
    townCode: e.grid.townCode,
    villageCode: e.grid.villageCode,
    gridCode: e.grid.code,
    location: e.position,
    reportedAt: new Date(e.reportedAt).toISOString(),
    updatedAt: new Date(e.updatedAt).toISOString(),
    leadUnitId: e.leadUnitId,
    deadline: Number.isFinite(e.deadline) ? new Date(e.deadline).toISOString() : null,
    clockStatus: e.clock === 3 ? 'overdue' : e.clock === 2 ? 'warning' : e.clock === 1 ? 'running' : null,
    supervisionLevel: e.supervision > 0 ? e.supervision : null,
    pending: null,
  };
}

export function recordOf(world: DemoWorld, e: DemoEvent): EventRecord {
  const wf = newEvent({
    id: e.id,
    area: { districtCode: world.tree.district.code, townCode: e.grid.townCode, villageCode: e.grid.villageCode, gridCode: e.grid.code },
    reportedAt: new Date(e.reportedAt),
    categoryCode: e.categoryCode,
  });
  return {
    id: e.id,
    caseNo: e.caseNo,
    title: e.title,
    description: `${e.title}，请尽快处置。`,
    address: e.address,
    location: e.position,
    sourceLocation: { lon: e.position[0], lat: e.position[1], system: 'wgs84' },
    outsideDistrict: false,
    source: e.source,
    externalRef: null,
    urgency: e.urgency,
    reporter: e.source === 'one_key' ? { name: '商户', phone: '138****0000', organisation: null } : null,
    attachments: [],
    sourceDeadline: null,
    duplicateCandidates: [],
    createdAt: new Date(e.reportedAt).toISOString(),
    workflow: { ...wf, status: e.status, version: 1, leadUnitId: e.leadUnitId, updatedAt: new Date(e.updatedAt).toISOString() },
  };
}

export function kpisOf(world: DemoWorld): Kpis {
  const today = dayStart(world.now);
  const open = world.events;
  const categoryName = new Map(DEMO_CATEGORIES.map((c) => [c.code, c.name]));
  const breakdown = (m: Map<string, number>, label: (k: string) => string) =>
    [...m.entries()].map(([key, count]) => ({ key, label: label(key), count })).sort((a, b) => b.count - a.count);
  return {
    period: { from: new Date(today).toISOString(), to: new Date(world.now).toISOString() },
    intake: world.intakeToday,
    dispatched: world.dispatchedToday,
    inProgress: open.filter((e) => e.status === 'in_progress' || e.status === 'signed' || e.status === 'rework').length,
    overdue: open.filter((e) => e.clock === 3).length,
    closureRate: { value: world.closedToday / world.dueToday, numerator: world.closedToday, denominator: world.dueToday, formula: '结案率 = 已结案 / 应结案', sufficient: true },
    onTimeRate: { value: world.closedOnTimeToday / world.dueToday, numerator: world.closedOnTimeToday, denominator: world.dueToday, formula: '按期结案率 = 按期结案 / 应结案', sufficient: true },
    satisfaction: { value: world.satisfiedToday / world.evaluatedToday, numerator: world.satisfiedToday, denominator: world.evaluatedToday, formula: '满意率 = 满意 / 已评价', sufficient: true },
    byCategory: breakdown(world.byCategoryToday, (k) => categoryName.get(k) ?? k),
    byTown: world.towns.map((t) => ({ key: t.code, label: t.name, count: world.byTownToday.get(t.code) ?? 0 })),
    bySource: breakdown(world.bySourceToday, (k) => k),
    byUnit: [],
    hourly: { today: world.hourlyToday.slice(), last7Days: world.hourlyLast7.slice() },
    checkpoint: world.seq,
  };
}

export function gridStatsOf(world: DemoWorld): GridStats {
  const grids = world.geometry.grids;
  const open = new Uint32Array(grids.length);
  const overdue = new Uint32Array(grids.length);
  const index = new Map(grids.map((g, i) => [g.code, i]));
  for (const e of world.events) {
    const i = index.get(e.grid.code);
    if (i === undefined) continue;
    open[i]!++;
    if (e.clock === 3) overdue[i]!++;
  }
  const villagePop = new Map(world.towns.flatMap((t) => t.children.map((v) => [v.code, v.population] as const)));
  const perVillage = new Map<string, number>();
  for (const g of grids) perVillage.set(g.villageCode, (perVillage.get(g.villageCode) ?? 0) + 1);
  return {
    period: { from: new Date(world.now - 30 * 86_400_000).toISOString(), to: new Date(world.now).toISOString() },
    gridCodes: grids.map((g) => g.code),
    reported: new Uint32Array(grids.map((g) => world.loadByGrid.get(g.code) ?? 0)),
    open,
    overdue,
    population: new Uint32Array(grids.map((g) => Math.round((villagePop.get(g.villageCode) ?? 0) / (perVillage.get(g.villageCode) ?? 1)))),
    checkpoint: world.seq,
  };
}

/** A replay of [from, to): events with their state-change times, some still open at `to`. */
export function playbackOf(world: DemoWorld, from: number, to: number, count = 1200): Playback {
  const rng = new Rng(Math.floor(from / 1000) ^ 0x5eed);
  const grids = world.geometry.grids;
  const ids: string[] = [];
  const positions = new Float32Array(2 * count);
  const urgency = new Uint8Array(count);
  const reportedAt = new Float64Array(count);
  const dispatchedAt = new Float64Array(count);
  const handledAt = new Float64Array(count);
  const closedAt = new Float64Array(count);
  const span = to - from;
  for (let i = 0; i < count; i++) {
    const grid = grids[rng.int(0, grids.length - 1)]!;
    const p = randomPointIn(grid, rng);
    ids.push(`pb-${Math.floor(from / 1000)}-${i}`);
    positions[2 * i] = p[0];
    positions[2 * i + 1] = p[1];
    urgency[i] = rng.float() < 0.06 ? 1 : 0;
    const r = from + span * Math.min(0.999, (hourWeighted(rng) + rng.float()) / 24);
    const d = r + rng.range(5, 90) * 60_000;
    const h = d + rng.range(1, 20) * 3_600_000;
    const c = h + rng.range(0.5, 8) * 3_600_000;
    reportedAt[i] = r;
    dispatchedAt[i] = d <= world.now ? d : Number.NaN;
    handledAt[i] = h <= world.now ? h : Number.NaN;
    closedAt[i] = c <= world.now ? c : Number.NaN;
  }
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    count,
    ids,
    positions,
    urgency,
    reportedAt,
    dispatchedAt,
    handledAt,
    closedAt,
    geometryAsOf: localDate(from),
  };
}

const RIVERS = ['新街河', '天马河', '白坭河', '流溪河', '巴江河', '铜鼓坑'];

function buildModules(world: DemoWorld): ModuleFeatures {
  const { rng, geometry, towns } = world;
  const features: ModuleFeature[] = [];
  const grids = geometry.grids;
  const jitter = (p: LonLat, d: number): LonLat => [p[0] + rng.range(-d, d), p[1] + rng.range(-d, d)];
  for (const t of towns) {
    for (const v of t.children) {
      features.push({
        id: `pc-${v.code}`,
        module: 'party_centres',
        kind: 'service_centre',
        name: `${v.name}党群服务中心`,
        townCode: t.code,
        geometry: { type: 'Point', coordinates: jitter(v.labelPoint, 0.002) },
        props: { 开放时间: '08:30–17:30', 联系电话: `020-3688${v.code.slice(9)}` },
      });
    }
    for (let k = 0; k < 4; k++) {
      const kind = rng.pick(['shelter', 'warehouse', 'rescue_team'] as const);
      const label = { shelter: '应急避难场所', warehouse: '应急物资储备点', rescue_team: '应急救援队' }[kind];
      features.push({
        id: `er-${t.code}-${k}`,
        module: 'emergency_resources',
        kind,
        name: `${t.name}${label}${k + 1}`,
        townCode: t.code,
        geometry: { type: 'Point', coordinates: jitter(t.labelPoint, 0.03) },
        props: kind === 'shelter' ? { 容纳人数: rng.int(300, 3000) } : kind === 'warehouse' ? { 物资: '沙袋、水泵、救生衣' } : { 队员: rng.int(12, 60) },
      });
    }
    for (let k = 0; k < 2; k++) {
      features.push({
        id: `ep-${t.code}-${k}`,
        module: 'epidemic_sites',
        kind: k === 0 ? 'fever_clinic' : 'vaccination',
        name: `${t.name}${k === 0 ? '发热门诊' : '疫苗接种点'}`,
        townCode: t.code,
        geometry: { type: 'Point', coordinates: jitter(t.labelPoint, 0.02) },
        props: {},
      });
    }
  }
  grids.forEach((g, i) => {
    if (i % 2 === 0) {
      features.push({
        id: `po-${g.code}`,
        module: 'party_organisations',
        kind: 'grid_party_branch',
        name: `${g.name}党支部`,
        townCode: g.townCode,
        geometry: { type: 'Point', coordinates: jitter(g.labelPoint, 0.0008) },
        props: { 党员: rng.int(8, 60) },
      });
    }
    if (g.kind === 'community' && rng.float() < 0.14) {
      features.push({
        id: `ok-${g.code}`,
        module: 'one_key_points',
        kind: 'button',
        name: `一键呼叫点·${g.name}`,
        townCode: g.townCode,
        geometry: { type: 'Point', coordinates: randomPointIn(g, rng) },
        props: { 安装位置: rng.pick(['学校门口', '商铺', '农贸市场', '公交站']) },
      });
    }
    if (rng.float() < 0.22) {
      features.push({
        id: `en-${g.code}`,
        module: 'enterprises',
        kind: 'enterprise',
        name: `${rng.pick(['华', '嘉', '盈', '骏', '丰', '鸿', '力'])}${rng.pick(['信', '泰', '达', '通', '誉'])}${rng.pick(['皮具', '汽配', '物流', '电子', '珠宝', '食品'])}有限公司`,
        townCode: g.townCode,
        geometry: { type: 'Point', coordinates: randomPointIn(g, rng) },
        props: { 统一社会信用代码: `91440114MA${rng.int(10_000_000, 99_999_999)}` },
      });
    }
  });
  const [minLon, minLat, maxLon, maxLat] = world.tree.district.bbox;
  RIVERS.forEach((name, r) => {
    const path: LonLat[] = [];
    let lon = minLon + (maxLon - minLon) * (0.12 + 0.15 * r);
    let lat = maxLat - (maxLat - minLat) * 0.05;
    const steps = 14;
    for (let k = 0; k <= steps; k++) {
      path.push([lon, lat]);
      lon += (maxLon - minLon) * rng.range(-0.02, 0.035);
      lat -= ((maxLat - minLat) * 0.9) / steps;
    }
    const reaches = 3;
    for (let k = 0; k < reaches; k++) {
      const part = path.slice(Math.floor((k * steps) / reaches), Math.floor(((k + 1) * steps) / reaches) + 1);
      features.push({
        id: `rr-${r}-${k}`,
        module: 'river_reaches',
        kind: 'reach',
        name: `${name}第${k + 1}段`,
        townCode: null,
        geometry: { type: 'LineString', coordinates: part },
        props: { 河长: rng.pick(['王强', '李娟', '陈志', '黄海', '刘敏']), 水质: rng.pick(['Ⅲ类', 'Ⅳ类', 'Ⅴ类']) },
      });
    }
  });
  // 数字城管 unit grids over the urban towns: coarse squares
  for (const t of towns.filter((x) => x.kind === 'subdistrict')) {
    const [a, b, c, d] = t.bbox;
    const step = 0.02;
    for (let x = a; x < c; x += step) {
      for (let y = b; y < d; y += step) {
        if (rng.float() < 0.5) continue;
        features.push({
          id: `pg-${t.code}-${Math.round(x * 1000)}-${Math.round(y * 1000)}`,
          module: 'professional_grids',
          kind: 'urban_management_grid',
          name: `${t.name}城管单元网格`,
          townCode: t.code,
          geometry: { type: 'Polygon', coordinates: [[[x, y], [x + step, y], [x + step, y + step], [x, y + step], [x, y]]] },
          props: {},
        });
      }
    }
  }
  return { version: 'demo-1', features };
}

/** One simulated change: a new event (mostly), or an open event moving on. Returns the changed ids. */
export function simulateStep(world: DemoWorld, now: number, oneKey = false): { ids: string[]; alert: WallAlert | null } {
  world.now = now;
  const { rng } = world;
  const grids = world.geometry.grids;
  if (grids.length === 0) return { ids: [], alert: null };
  if (oneKey || rng.float() < 0.55) {
    const grid = grids[rng.int(0, grids.length - 1)]!;
    const e = addEvent(world, {
      reportedAt: now,
      status: 'reported',
      grid,
      ...(oneKey ? { source: 'one_key' as const, urgency: 'critical' as const } : {}),
    });
    world.intakeToday++;
    world.hourlyToday[districtHour(now)]!++;
    world.byTownToday.set(grid.townCode, (world.byTownToday.get(grid.townCode) ?? 0) + 1);
    world.byCategoryToday.set(e.categoryCode, (world.byCategoryToday.get(e.categoryCode) ?? 0) + 1);
    world.bySourceToday.set(e.source, (world.bySourceToday.get(e.source) ?? 0) + 1);
    let alert: WallAlert | null = null;
    if (oneKey) {
      e.title = rng.pick(['一键呼叫：商铺求助', '一键呼叫：校园周边求助', '一键呼叫：老人摔倒']);
      alert = {
        id: `alert-${e.id}`,
        kind: 'one_key',
        eventId: e.id,
        caseNo: e.caseNo,
        title: e.title,
        address: e.address,
        location: e.position,
        townCode: grid.townCode,
        gridCode: grid.code,
        raisedAt: new Date(now).toISOString(),
        respondBy: new Date(now + 180_000).toISOString(),
        ackedAt: null,
        ackedBy: null,
      };
      world.alerts = [alert, ...world.alerts].slice(0, 20);
    }
    return { ids: [e.id], alert };
  }
  const e = world.events[rng.int(0, world.events.length - 1)]!;
  const next: Record<string, (typeof STATUS)[number]> = {
    reported: 'filed',
    verifying: 'filed',
    filed: 'dispatched',
    dispatched: 'signed',
    bounced: 'dispatched',
    signed: 'in_progress',
    in_progress: 'handled',
    rework: 'handled',
    parked: 'in_progress',
    handled: 'checking',
    checking: 'checked',
    checked: 'closed',
  };
  const to = next[e.status] ?? 'closed';
  e.status = to;
  e.updatedAt = now;
  if (to === 'dispatched') {
    world.dispatchedToday++;
    const town = world.units.find((u) => u.kind === 'town' && u.areaCode === e.grid.townCode);
    e.leadUnitId = town?.id ?? 'dept-1';
    e.clock = 1;
  }
  if (to === 'closed') {
    world.events.splice(world.events.indexOf(e), 1);
    world.byId.delete(e.id);
    world.closedToday++;
    world.dueToday++;
    world.closedOnTimeToday += e.clock === 3 ? 0 : 1;
  }
  return { ids: [e.id], alert: null };
}
