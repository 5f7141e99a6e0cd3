/**
 * The renderer ↔ data-service contract. Every request and every pushed event
 * is declared here once, with zod schemas for its arguments and payload; the
 * data service implements the handlers once and two transports carry the same
 * messages (Electron IPC through the preload, a WebSocket in the web host).
 * Names are `domain/verb`.
 */
import { z } from 'zod';
import { AreaGeometry, AreaKind, AreaNode, BBox, Grid, LonLat } from '../geo/types';
import { Cursor, Mutation, SyncScope } from '../sync/protocol';
import { queryRequests } from './queries';
import { sessionEvents, sessionRequests } from './session';
import { wallEvents, wallRequests } from './wall';
import { workstationRequests } from './workstation';

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  /** which shell carries the renderer */
  shell: z.enum(['electron', 'web']),
  dataCenterUrl: z.string(),
  locale: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const AreasTree = z.object({
  /** version of the reference data this tree was built from */
  version: z.string(),
  district: AreaNode,
});
export type AreasTree = z.infer<typeof AreasTree>;

/** Town and village outlines for the boundary layers. */
export const AreaBoundary = z.object({
  code: z.string(),
  name: z.string(),
  level: z.enum(['district', 'town', 'village']),
  kind: AreaKind,
  townCode: z.string().nullable(),
  labelPoint: LonLat,
  bbox: BBox,
  geometry: AreaGeometry,
});
export type AreaBoundary = z.infer<typeof AreaBoundary>;

export const GridsGeometry = z.object({
  version: z.string(),
  grids: z.array(Grid),
  boundaries: z.array(AreaBoundary),
});
export type GridsGeometry = z.infer<typeof GridsGeometry>;

export const SyncState = z.enum(['connecting', 'snapshot', 'catching_up', 'live', 'offline']);
export type SyncState = z.infer<typeof SyncState>;

export const SyncStatus = z.object({
  state: SyncState,
  dataCenterUrl: z.string(),
  /** ISO time the link was lost, while offline */
  offlineSince: z.string().nullable(),
  /** ISO time of the last applied batch or snapshot */
  lastBatchAt: z.string().nullable(),
  /** version of the replicated reference data, if any */
  version: z.string().nullable(),
  /** snapshot progress while state = snapshot */
  progress: z
    .object({
      rows: z.number(),
      bytes: z.number(),
      totalRows: z.number().nullable(),
      rowsPerSecond: z.number(),
      etaSeconds: z.number().nullable(),
      /**
       * what is downloading: rows (also when absent: row snapshots and older data services send none) or a replica
       * image, whose rows stay 0 and whose progress is `bytes` against `totalBytes`
       */
      kind: z.enum(['rows', 'image']).optional(),
      /** an image's phase: its download, then its copy into the replica (`bytes` then counts the copied share) */
      phase: z.enum(['download', 'copy']).optional(),
      /** what `bytes` counts to (an image's Content-Length); absent or null when unknown */
      totalBytes: z.number().nullable().optional(),
    })
    .nullable(),
  message: z.string().nullable(),
  /** what the replica holds: the whole district or one town */
  scope: SyncScope.optional(),
  /** how far the replica is in the data center's log */
  cursor: Cursor.nullable().optional(),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

/**
 * An outbox entry's life: queued (not yet accepted by the data center — "queued
 * offline" while `sync/status` is offline) → sent → confirmed | rejected (only
 * when the change feed acknowledges it) → dismissed (the officer has seen it).
 */
export const OutboxState = z.enum(['queued', 'sent', 'confirmed', 'rejected', 'dismissed']);
export type OutboxState = z.infer<typeof OutboxState>;

/** One command of this desktop in the outbox. */
export const OutboxEntry = z.object({
  /** strictly increasing per client, from 1 */
  mutationId: z.number().int().positive(),
  clientId: z.string(),
  createdAt: z.string(),
  mutation: Mutation,
  /** the event it acts on, for event commands */
  eventId: z.string().nullable(),
  state: OutboxState,
  /** why the data center rejected it (a stable code the UI translates) */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  sentAt: z.string().nullable(),
  /** the version of the feed batch that acknowledged it */
  ackedV: z.number().int().nullable(),
  updatedAt: z.string(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

export const OutboxList = z.object({
  entries: z.array(OutboxEntry),
  /** true while the data center cannot be reached: queued entries are queued offline */
  offline: z.boolean(),
});
export type OutboxList = z.infer<typeof OutboxList>;

/** Pushed after each applied batch or snapshot, so views re-read only what changed. */
export const EventsChanged = z.object({
  /** ids of events whose row, timeline or pending overlay changed */
  ids: z.array(z.string()),
  /** true after a snapshot: everything may have changed, re-read all */
  all: z.boolean(),
  /** the replica's cursor after the change */
  checkpoint: Cursor.nullable(),
});
export type EventsChanged = z.infer<typeof EventsChanged>;

const NoArgs = z.object({}).strict();

/** Requests: name → { args, result }. */
export const requests = {
  'app/info': { args: NoArgs, result: AppInfo },
  'areas/tree': { args: NoArgs, result: AreasTree },
  'grids/geometry': {
    /** asOf (YYYY-MM-DD): the grids in force that day, for playback; today when absent */
    args: z.object({ asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }).strict(),
    result: GridsGeometry,
  },
  'sync/status': { args: NoArgs, result: SyncStatus },
  /** replicate the whole district or one town from now on (re-snapshots) */
  'sync/set-scope': { args: z.object({ scope: SyncScope }).strict(), result: SyncStatus },
  /** queue a command: written to the outbox with its pending overlay, pushed when the link allows */
  'commands/submit': {
    args: z.object({ mutation: Mutation }).strict(),
    result: z.object({ mutationId: z.number().int().positive(), clientId: z.string(), entry: OutboxEntry }),
  },
  'outbox/list': {
    args: z.object({ states: z.array(OutboxState).optional(), limit: z.number().int().min(1).max(1000).default(200) }).strict(),
    result: OutboxList,
  },
  /** the officer has seen a confirmed or rejected command; queued and sent ones cannot be dismissed */
  'outbox/dismiss': { args: z.object({ mutationId: z.number().int().positive() }).strict(), result: OutboxEntry },
  ...queryRequests,
  ...sessionRequests,
  ...workstationRequests,
  ...wallRequests,
} as const;

/** Events pushed from the data service: name → payload. */
export const events = {
  'sync/status': SyncStatus,
  ...sessionEvents,
  ...wallEvents,
  'events/changed': EventsChanged,
  /** entries whose state changed, and whether the link is down */
  'outbox/changed': OutboxList,
} as const;

export type RequestName = keyof typeof requests;
export type EventName = keyof typeof events;
export type RequestArgs<N extends RequestName> = z.input<(typeof requests)[N]['args']>;
export type ParsedArgs<N extends RequestName> = z.output<(typeof requests)[N]['args']>;
export type RequestResult<N extends RequestName> = z.output<(typeof requests)[N]['result']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.hasOwn(requests, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/** What a data service implements: one handler per request, receiving parsed args. */
export type Handlers = {
  [N in RequestName]: (args: ParsedArgs<N>) => Promise<RequestResult<N>> | RequestResult<N>;
};
