/**
 * What the video wall (大屏) reads besides the event queries and `units/list`
 * (unit seats, the sources of dispatch arcs): reference data the grids do not
 * carry (grid-worker positions, per-grid load, the modules' own features), and
 * the wall's replicated state — directives pushed by workstations ("上大屏") and
 * alerts that stay on screen until a workstation acknowledges them.
 *
 * How wall state travels (server-authoritative, like everything replicated):
 * - A workstation submits `Mutation { name: 'wall/directive', directive }` (the
 *   directive parses with `WallDirective`) or `{ name: 'wall/ack', alertId }`
 *   through `commands/submit`; the data center validates, writes one row per
 *   directive / alert into the replicated `wall` table (keys `directive:<id>`,
 *   `alert:<id>`) and every replica receives it in the feed.
 * - The data center raises an alert itself, in the same transaction as the
 *   intake, for every one-key call (一键呼叫) and every critical event; `wall/ack`
 *   sets `ackedAt`/`ackedBy` on it (a second ack is refused: illegal_transition).
 * - The data service answers `wall/state` from its replica and pushes
 *   `wall/changed` after each batch that touched the `wall` table. In the
 *   desktop app it also pushes `wall/changed` as soon as a local workstation
 *   queues a directive, so the wall window of the same app follows at once,
 *   offline included; the replicated row later arrives with the same id and is
 *   not applied twice.
 */
import { z } from 'zod';
import { IsoInstant } from '../calendar/schema';
import { AreaCode12, GridCode, LonLat } from '../geo/types';
import { Period, U32 } from './queries';

/** How the base grids are filled on the wall. */
export const GridMeasure = z.enum([
  /** open events in the grid */
  'open',
  /** open events with an overdue clock */
  'overdue',
  /** open events per 1,000 residents */
  'per_thousand',
  /** events reported in the last 30 days (open or not) */
  'load_30d',
  /** no measure: grids coloured by town */
  'town',
]);
export type GridMeasure = z.infer<typeof GridMeasure>;

/**
 * Reference layers of the platform's modules (the ten modules of DOMAIN.md are
 * sets of layers, panels and sources; these are their map features).
 */
export const ModuleId = z.enum([
  /** 党群服务中心 party-mass service centres (花都党建, 群众服务) */
  'party_centres',
  /** 网格党组织 grid party organisations (党建地图) */
  'party_organisations',
  /** 应急资源 shelters, reserves, rescue teams (应急管理) */
  'emergency_resources',
  /** 河段 river reaches with their river chiefs (治水管理) */
  'river_reaches',
  /** 企业 enterprises (企业有呼) */
  'enterprises',
  /** 防疫点位 fever clinics, sampling and vaccination sites (防疫平台) */
  'epidemic_sites',
  /** 专业网格 professional grids over the base grids (多网融合) */
  'professional_grids',
  /** 一键呼叫点位 installed one-key call buttons (一键呼叫) */
  'one_key_points',
]);
export type ModuleId = z.infer<typeof ModuleId>;

/** Layers a directive may show or hide (module layers use their ModuleId). */
export const WallLayerKey = z.enum([
  'grids',
  'boundaries',
  'labels',
  'events',
  'arcs',
  'heatmap',
  'hexagons',
  'workers',
  ...ModuleId.options,
]);
export type WallLayerKey = z.infer<typeof WallLayerKey>;

export const FeatureGeometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Point'), coordinates: LonLat }),
  z.object({ type: z.literal('LineString'), coordinates: z.array(LonLat).min(2) }),
  z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(LonLat).min(4)).min(1) }),
]);
export type FeatureGeometry = z.infer<typeof FeatureGeometry>;

/** One feature of a module layer, e.g. a 党群服务中心 or a river reach. */
export const ModuleFeature = z.object({
  id: z.string().min(1),
  module: ModuleId,
  /** finer kind within the module, e.g. `shelter`, `warehouse`, `rescue_team`, `river`, `fever_clinic` */
  kind: z.string().min(1),
  name: z.string().min(1),
  townCode: AreaCode12.nullable(),
  geometry: FeatureGeometry,
  /** what the card shows, already worded: e.g. { 河长: '王强', 长度: '3.2 km' } */
  props: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type ModuleFeature = z.infer<typeof ModuleFeature>;

export const ModuleFeatures = z.object({
  /** version of the reference data; unchanged version, unchanged features */
  version: z.string(),
  features: z.array(ModuleFeature),
});
export type ModuleFeatures = z.infer<typeof ModuleFeatures>;

/** 网格员 where they are: the last GPS fix of the grid app, else the centre of their grid. */
export const WorkerPosition = z.object({
  id: z.string(),
  name: z.string(),
  phone: z.string(),
  gridCode: GridCode,
  position: LonLat,
  /** `gps`: reported by the grid app at `fixAt`; `grid`: placed at the grid's label point */
  source: z.enum(['gps', 'grid']),
  fixAt: IsoInstant.nullable(),
  onDuty: z.boolean(),
});
export type WorkerPosition = z.infer<typeof WorkerPosition>;

export const MapWorkers = z.object({ workers: z.array(WorkerPosition), checkpoint: z.number().int().nonnegative() });
export type MapWorkers = z.infer<typeof MapWorkers>;

/**
 * Per-grid figures for the grid fill: row i is `gridCodes[i]`. `reported`
 * counts events reported in the period (open or not: the load); `open` and
 * `overdue` are now. `population` is the grid's residents, 0 when unknown (the
 * wall then shares the village's population out over its grids).
 */
export const GridStats = z.object({
  period: z.object({ from: IsoInstant, to: IsoInstant }),
  gridCodes: z.array(z.string()),
  reported: U32,
  open: U32,
  overdue: U32,
  population: U32,
  checkpoint: z.number().int().nonnegative(),
});
export type GridStats = z.infer<typeof GridStats>;

export const GridStatsArgs = z.object({ period: Period.default('30d') }).strict();

/** Where a directive points the wall. */
export const WallFocus = z.discriminatedUnion('kind', [
  /** the whole district */
  z.object({ kind: z.literal('district') }),
  z.object({ kind: z.literal('town'), code: AreaCode12 }),
  z.object({ kind: z.literal('village'), code: AreaCode12 }),
  z.object({ kind: z.literal('grid'), code: GridCode }),
  z.object({ kind: z.literal('event'), eventId: z.string().min(1) }),
  z.object({ kind: z.literal('point'), position: LonLat, zoom: z.number().min(8).max(18).optional() }),
]);
export type WallFocus = z.infer<typeof WallFocus>;

/** 上大屏: a view pushed to the walls by a workstation. Every part is optional. */
export const WallDirective = z
  .object({
    /** chosen by the sender (e.g. a UUID); a wall applies each id once */
    id: z.string().min(1).max(100),
    issuedAt: IsoInstant,
    issuedBy: z.object({ id: z.string(), name: z.string() }).nullable().default(null),
    /** which walls obey: all, or the ids walls are started with (`?wall=<id>`) */
    walls: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).default('all'),
    focus: WallFocus.optional(),
    layers: z
      .object({
        show: z.array(WallLayerKey).optional(),
        hide: z.array(WallLayerKey).optional(),
        measure: GridMeasure.optional(),
      })
      .strict()
      .optional(),
    /** start or stop the auto-tour through the towns */
    tour: z.object({ enabled: z.boolean(), intervalSeconds: z.number().int().min(5).max(3600).optional() }).strict().optional(),
    /** replay a past period (null: back to live) */
    playback: z
      .object({ from: IsoInstant, to: IsoInstant, speed: z.number().min(1).max(3600).default(60) })
      .strict()
      .nullable()
      .optional(),
    /** how long the pushed view holds before the tour resumes; null: until the next directive */
    holdSeconds: z.number().int().min(0).max(86_400).nullable().default(300),
  })
  .strict();
export type WallDirective = z.output<typeof WallDirective>;
export type WallDirectiveInput = z.input<typeof WallDirective>;

/** Why an alert took over the wall. */
export const WallAlertKind = z.enum([
  /** 一键呼叫 */
  'one_key',
  /** a critical event from any source */
  'critical',
  /** raised by hand from a workstation */
  'manual',
]);
export type WallAlertKind = z.infer<typeof WallAlertKind>;

/** An alert on the wall: it stays until a workstation acknowledges it (`wall/ack`). */
export const WallAlert = z.object({
  id: z.string().min(1),
  kind: WallAlertKind,
  eventId: z.string().min(1),
  caseNo: z.string().nullable(),
  title: z.string(),
  address: z.string().nullable(),
  location: LonLat.nullable(),
  townCode: z.string().nullable(),
  gridCode: z.string().nullable(),
  raisedAt: IsoInstant,
  /** acknowledge by: the banner counts down to it, then counts the delay in red */
  respondBy: IsoInstant,
  ackedAt: IsoInstant.nullable(),
  ackedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
});
export type WallAlert = z.infer<typeof WallAlert>;

export const WallState = z.object({
  /** unacknowledged alerts, and those acknowledged in the last 10 minutes; newest first */
  alerts: z.array(WallAlert),
  /** the newest directive for this wall (applied once per id), null when none */
  directive: WallDirective.nullable(),
  checkpoint: z.number().int().nonnegative(),
});
export type WallState = z.infer<typeof WallState>;

export const WallStateArgs = z.object({ wallId: z.string().min(1).max(100).default('main') }).strict();

export const wallRequests = {
  /** per-grid open / overdue / reported-in-period and population, for the grid fill */
  'map/grid-stats': { args: GridStatsArgs, result: GridStats },
  /** grid workers with their last position */
  'map/workers': { args: z.object({}).strict(), result: MapWorkers },
  /** features of the module layers (all modules when none are named) */
  'map/modules': { args: z.object({ modules: z.array(ModuleId).optional() }).strict(), result: ModuleFeatures },
  /** alerts and the newest directive for a wall */
  'wall/state': { args: WallStateArgs, result: WallState },
} as const;

export const wallEvents = {
  /** pushed after any change to the wall table (a directive, an alert, an acknowledgement) */
  'wall/changed': WallState,
} as const;
