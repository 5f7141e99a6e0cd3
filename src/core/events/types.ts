/**
 * An event (事件) as the data center stores it and every desktop replicates it:
 * what came in from the source system (intake part) plus its workflow state
 * (status, units, clocks, supervision — owned by `decide`). The audit trail is
 * a separate append-only table.
 */
import { z } from 'zod';
import { IsoInstant } from '../calendar/schema';
import { LonLat } from '../geo/types';
import { Attachment } from '../workflow/commands';
import { WorkflowEvent } from '../workflow/event';

/** The systems events come from (six integrated systems plus direct channels, DOMAIN.md). */
export const EventSource = z.enum([
  /** 12345 政务服务便民热线 */
  'hotline_12345',
  /** 城市网格化服务管理系统: grid-worker patrol reports 网格员巡查上报 */
  'grid_patrol',
  /** 数字城管, including AI camera alarms */
  'urban_management',
  /** 一键呼叫 urgent calls with a location */
  'one_key',
  /** 企业有呼 */
  'enterprise',
  /** Open311 GeoReport v2 clients (the public) */
  'open311',
  /** 来穗人员服务管理系统 */
  'migrant',
  /** 区政务服务系统 */
  'gov_service',
  /** 区数据中心 and any other system using the generic JSON API */
  'api',
  /** taken by phone at the command center (人工受理) */
  'manual',
]);
export type EventSource = z.infer<typeof EventSource>;

export const Urgency = z.enum(['normal', 'urgent', 'critical']);
export type Urgency = z.infer<typeof Urgency>;

/** Coordinate systems sources use; everything is stored in WGS84. */
export const CoordSystem = z.enum(['wgs84', 'cgcs2000', 'gcj02', 'bd09']);
export type CoordSystem = z.infer<typeof CoordSystem>;

export const ExternalRef = z.object({
  /** the source system's name, e.g. `12345`, `szcg` */
  system: z.string().min(1),
  id: z.string().min(1),
});
export type ExternalRef = z.infer<typeof ExternalRef>;

export const Reporter = z.object({
  name: z.string().nullable(),
  phone: z.string().nullable(),
  /** enterprise name for 企业有呼, unit for one-key calls */
  organisation: z.string().nullable(),
});
export type Reporter = z.infer<typeof Reporter>;

export const EventRecord = z.object({
  id: z.string().min(1),
  /** human-readable case number shown to officers, e.g. HD202611260042 */
  caseNo: z.string().min(1),
  title: z.string().min(1),
  description: z.string(),
  address: z.string().nullable(),
  /** WGS84 position, null when the source sent none */
  location: LonLat.nullable(),
  /** the position exactly as received, with its coordinate system */
  sourceLocation: z.object({ lon: z.number(), lat: z.number(), system: CoordSystem }).nullable(),
  /** placed by point-in-polygon; true when the position is outside every grid (flagged, not dropped) */
  outsideDistrict: z.boolean(),
  source: EventSource,
  externalRef: ExternalRef.nullable(),
  urgency: Urgency,
  reporter: Reporter.nullable(),
  attachments: z.array(Attachment),
  /** the source's own deadline (12345 work orders carry one) */
  sourceDeadline: IsoInstant.nullable(),
  /** near-duplicates suggested for merging (same category, close in space and time) */
  duplicateCandidates: z.array(z.string()),
  createdAt: IsoInstant,
  workflow: WorkflowEvent,
});
export type EventRecord = z.infer<typeof EventRecord>;
