/**
 * Read requests the renderer makes of the data service's replica: queues and
 * filtered event lists (序时消单: deadline order by default), event detail,
 * live queue counts, KPI aggregates, and map data as binary columns that
 * deck.gl takes without per-object JavaScript.
 *
 * Typed arrays cross Electron IPC natively (structured clone); the WebSocket
 * transport encodes them (see rpc/binary.ts).
 */
import { z } from 'zod';
import { IsoInstant } from '../calendar/schema';
import { EventRecord, EventSource, Urgency } from '../events/types';
import { LonLat } from '../geo/types';
import { ClockKind } from '../sla/policy';
import { AuditEntry } from '../workflow/event';
import { EventStatus } from '../workflow/states';

/** Work queues of the workstation (工作台队列). */
export const QueueId = z.enum([
  /** 待核实/待立案: reported or verifying */
  'to_verify',
  /** 待派遣: filed */
  'to_dispatch',
  /** 待签收: dispatched, not signed */
  'awaiting_signature',
  /** 退单: bounced back by a unit */
  'bounced',
  /** 处置中: signed, in progress, rework */
  'in_progress',
  /** 延期申请: an extension request waits for a decision */
  'extension_requests',
  /** 超期/预警: a clock is overdue or in warning */
  'overdue_warning',
  /** 待核查: handled or checking */
  'to_check',
  /** 待结案/待评价: checked (to close) or closed (to evaluate) */
  'to_evaluate',
  /** 我督办的: supervision raised by the signed-in officer */
  'supervised_by_me',
  'all',
]);
export type QueueId = z.infer<typeof QueueId>;

export const ClockStatusFilter = z.enum(['running', 'warning', 'overdue']);

export const EventFilter = z
  .object({
    queue: QueueId.default('all'),
    statuses: z.array(EventStatus).optional(),
    /** category codes; a code matches itself and every descendant */
    categoryCodes: z.array(z.string()).optional(),
    townCodes: z.array(z.string()).optional(),
    villageCodes: z.array(z.string()).optional(),
    gridCodes: z.array(z.string()).optional(),
    sources: z.array(EventSource).optional(),
    urgencies: z.array(Urgency).optional(),
    /** lead or assisting unit */
    unitIds: z.array(z.string()).optional(),
    clockStatuses: z.array(ClockStatusFilter).optional(),
    supervised: z.boolean().optional(),
    /** reported at or after */
    from: IsoInstant.optional(),
    /** reported before */
    to: IsoInstant.optional(),
    /** full-text over title, description, address and case number */
    text: z.string().trim().max(200).optional(),
    /** open events only (not closed/evaluated/rejected/merged/cancelled) */
    openOnly: z.boolean().optional(),
  })
  .strict();
export type EventFilter = z.output<typeof EventFilter>;
export type EventFilterInput = z.input<typeof EventFilter>;

export const EventSort = z.enum([
  /** 序时消单: most urgent deadline first, events without a deadline last */
  'deadline',
  'reported_desc',
  'updated_desc',
  'urgency',
]);
export type EventSort = z.infer<typeof EventSort>;

/** State of a command the officer sent for this event, until the feed confirms it. */
export const PendingState = z.enum(['queued', 'sent', 'confirmed', 'rejected']);
export type PendingState = z.infer<typeof PendingState>;

/** One row of an event table: everything a queue shows, nothing more. */
export const EventRow = z.object({
  id: z.string(),
  caseNo: z.string(),
  title: z.string(),
  address: z.string().nullable(),
  status: EventStatus,
  categoryCode: z.string().nullable(),
  source: EventSource,
  urgency: Urgency,
  townCode: z.string().nullable(),
  villageCode: z.string().nullable(),
  gridCode: z.string().nullable(),
  location: LonLat.nullable(),
  reportedAt: IsoInstant,
  updatedAt: IsoInstant,
  leadUnitId: z.string().nullable(),
  /** the most urgent running clock's deadline, null when no clock runs */
  deadline: IsoInstant.nullable(),
  clockStatus: ClockStatusFilter.nullable(),
  supervisionLevel: z.number().int().min(1).max(3).nullable(),
  /** the newest outbox command on this event that is not confirmed yet, if any */
  pending: z.object({ mutationId: z.number().int(), state: PendingState, command: z.string() }).nullable(),
});
export type EventRow = z.infer<typeof EventRow>;

export const EventListArgs = z
  .object({
    filter: EventFilter.default({ queue: 'all' }),
    sort: EventSort.default('deadline'),
    offset: z.number().int().nonnegative().default(0),
    limit: z.number().int().positive().max(1000).default(200),
  })
  .strict();

export const EventListResult = z.object({
  /** rows matching the filter (for a virtualized table's scroll height) */
  total: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  rows: z.array(EventRow),
  /** the replica version the answer was read at */
  checkpoint: z.number().int().nonnegative(),
});
export type EventListResult = z.infer<typeof EventListResult>;

/** A clock as the detail view shows it: computed now, with its calendar. */
export const ClockView = z.object({
  id: z.string(),
  kind: ClockKind,
  status: ClockStatusFilter,
  paused: z.boolean(),
  stopped: z.boolean(),
  met: z.boolean().nullable(),
  startedAt: IsoInstant,
  deadline: IsoInstant,
  warnFrom: IsoInstant,
  remainingMs: z.number(),
  usedFraction: z.number(),
  /** how the limit is counted, e.g. "2 working days" */
  limit: z.object({ unit: z.string(), amount: z.number() }).nullable(),
});
export type ClockView = z.infer<typeof ClockView>;

export const EventDetail = z.object({
  event: EventRecord,
  audit: z.array(AuditEntry),
  clocks: z.array(ClockView),
  /** near-duplicate candidates still open */
  duplicates: z.array(EventRow),
  /** recent events of the same category near this one */
  recentSimilar: z.array(EventRow),
  /** grid workers of the event's grid and its neighbours */
  nearbyWorkers: z.array(z.object({ id: z.string(), name: z.string(), phone: z.string(), gridCode: z.string(), distanceMetres: z.number().nullable() })),
  /** outbox entries for this event, oldest first */
  pending: z.array(z.object({ mutationId: z.number().int(), state: PendingState, command: z.string(), createdAt: IsoInstant, error: z.object({ code: z.string(), message: z.string() }).nullable() })),
  checkpoint: z.number().int().nonnegative(),
});
export type EventDetail = z.infer<typeof EventDetail>;

export const QueueCounts = z.object({
  counts: z.record(QueueId, z.number().int().nonnegative()),
  checkpoint: z.number().int().nonnegative(),
});
export type QueueCounts = z.infer<typeof QueueCounts>;

export const Period = z.union([
  z.enum(['today', '7d', '30d']),
  z.object({ from: IsoInstant, to: IsoInstant }),
]);
export type Period = z.infer<typeof Period>;

/** A rate with its declared formula (shown on hover) and the numbers behind it. */
export const Rate = z.object({
  value: z.number().nullable(),
  numerator: z.number().int().nonnegative(),
  denominator: z.number().int().nonnegative(),
  /** e.g. 结案率 = 已结案 / 应结案 */
  formula: z.string(),
  /** false when the denominator is below the indicator's minimum sample */
  sufficient: z.boolean(),
});
export type Rate = z.infer<typeof Rate>;

export const Breakdown = z.array(z.object({ key: z.string(), label: z.string(), count: z.number().int().nonnegative() }));

export const KpiArgs = z
  .object({
    period: Period.default('today'),
    /** a town or village code; the district when absent */
    areaCode: z.string().optional(),
  })
  .strict();

export const Kpis = z.object({
  period: z.object({ from: IsoInstant, to: IsoInstant }),
  intake: z.number().int().nonnegative(),
  dispatched: z.number().int().nonnegative(),
  inProgress: z.number().int().nonnegative(),
  overdue: z.number().int().nonnegative(),
  closureRate: Rate,
  onTimeRate: Rate,
  satisfaction: Rate,
  byCategory: Breakdown,
  byTown: Breakdown,
  bySource: Breakdown,
  byUnit: Breakdown,
  /** events reported per hour of today (24) and the mean per hour of the previous 7 days */
  hourly: z.object({ today: z.array(z.number()), last7Days: z.array(z.number()) }),
  checkpoint: z.number().int().nonnegative(),
});
export type Kpis = z.infer<typeof Kpis>;

/** Typed arrays in a result: validated by kind, passed through untouched. */
export const F32 = z.instanceof(Float32Array);
export const F64 = z.instanceof(Float64Array);
export const U8 = z.instanceof(Uint8Array);
export const U32 = z.instanceof(Uint32Array);

/**
 * Map columns for the events layer: row i is one event. Codes index into the
 * enums' `options` (EventStatus, Urgency, EventSource), times are epoch ms.
 */
export const EventColumns = z.object({
  count: z.number().int().nonnegative(),
  ids: z.array(z.string()),
  /** lon, lat interleaved (2 × count) */
  positions: F32,
  status: U8,
  urgency: U8,
  source: U8,
  reportedAt: F64,
  /** most urgent deadline, NaN when none */
  deadline: F64,
  /** 0 none, 1 running, 2 warning, 3 overdue */
  clockStatus: U8,
  supervisionLevel: U8,
  /** base grid of each row, null outside every grid (the wall's live grid counts) */
  gridCodes: z.array(z.string().nullable()).optional(),
  /** lead unit of each row once dispatched, else null (dispatch arcs start at its seat) */
  leadUnitIds: z.array(z.string().nullable()).optional(),
  checkpoint: z.number().int().nonnegative(),
});
export type EventColumns = z.infer<typeof EventColumns>;

export const MapEventsArgs = z
  .object({
    filter: EventFilter.default({ queue: 'all', openOnly: true }),
    /**
     * only these events (for a live patch after `events/changed`); an id that is
     * missing from the answer no longer matches the filter (e.g. closed) or is gone
     */
    ids: z.array(z.string()).max(5000).optional(),
  })
  .strict();

/** Density of past events for heatmap / hexagon layers: binned in the service, not shipped raw. */
export const DensityArgs = z
  .object({
    period: Period.default('30d'),
    /** bin size in metres */
    cellMetres: z.number().min(50).max(5000).default(250),
    categoryCodes: z.array(z.string()).optional(),
  })
  .strict();

export const Density = z.object({
  count: z.number().int().nonnegative(),
  /** bin centres, lon/lat interleaved */
  positions: F32,
  weights: F32,
  /** events counted */
  total: z.number().int().nonnegative(),
});
export type Density = z.infer<typeof Density>;

/** Events of a past period with the times of their state changes, for playback. */
export const PlaybackArgs = z.object({ from: IsoInstant, to: IsoInstant }).strict();
export const Playback = z.object({
  from: IsoInstant,
  to: IsoInstant,
  count: z.number().int().nonnegative(),
  ids: z.array(z.string()),
  positions: F32,
  urgency: U8,
  /** epoch ms of reported / dispatched / handled / closed; NaN when it did not happen (yet) */
  reportedAt: F64,
  dispatchedAt: F64,
  handledAt: F64,
  closedAt: F64,
  /** the date whose grid geometry applies (grids/geometry with asOf) */
  geometryAsOf: z.string(),
});
export type Playback = z.infer<typeof Playback>;

export const queryRequests = {
  'events/list': { args: EventListArgs, result: EventListResult },
  'events/detail': { args: z.object({ id: z.string().min(1) }).strict(), result: EventDetail },
  'events/counts': { args: z.object({}).strict(), result: QueueCounts },
  'stats/kpis': { args: KpiArgs, result: Kpis },
  'map/events': { args: MapEventsArgs, result: EventColumns },
  'map/density': { args: DensityArgs, result: Density },
  'map/playback': { args: PlaybackArgs, result: Playback },
} as const;
