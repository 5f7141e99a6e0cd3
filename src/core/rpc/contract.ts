/**
 * The renderer ↔ data-service contract. Every request and every pushed event
 * is declared here once, with zod schemas for its arguments and payload; the
 * data service implements the handlers once and two transports carry the same
 * messages (Electron IPC through the preload, a WebSocket in the web host).
 * Names are `domain/verb`.
 */
import { z } from 'zod';
import { AreaGeometry, AreaKind, AreaNode, BBox, Grid, LonLat } from '../geo/types';
import { queryRequests } from './queries';
import { sessionEvents, sessionRequests } from './session';
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
    .object({ rows: z.number(), bytes: z.number(), totalRows: z.number().nullable(), rowsPerSecond: z.number(), etaSeconds: z.number().nullable() })
    .nullable(),
  message: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

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
  ...queryRequests,
  ...sessionRequests,
  ...workstationRequests,
} as const;

/** Events pushed from the data service: name → payload. */
export const events = {
  'sync/status': SyncStatus,
  ...sessionEvents,
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
