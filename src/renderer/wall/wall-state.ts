/**
 * What the wall shows, as one state object changed by a pure reducer: which
 * layers are on, the grid measure, the tour settings, playback, and the hold
 * of the last pushed view. Directives (上大屏) from workstations go through
 * `applyDirective`, which decides whether this wall obeys (its id, not seen
 * before) and what a stale directive still changes: after its hold has run
 * out, a directive's lasting settings (layers, measure, tour) still apply
 * when the wall starts, but it no longer moves the camera or starts playback.
 */
import type { GridMeasure, WallDirective, WallFocus, WallLayerKey } from '../../core/rpc/wall';
import { ModuleId, WallLayerKey as WallLayerKeySchema } from '../../core/rpc/wall';

export type LayerVisibility = Record<WallLayerKey, boolean>;

export interface PlaybackRequest {
  from: string;
  to: string;
  speed: number;
}

export interface WallViewState {
  layers: LayerVisibility;
  measure: GridMeasure;
  tour: { enabled: boolean; intervalSeconds: number };
  playback: PlaybackRequest | null;
  /** a pushed view holds the camera (and the tour) until then; null: no hold; Infinity: until the next directive */
  holdUntil: number | null;
  /** ids of the directives applied, newest last (bounded) */
  applied: readonly string[];
}

export const BASE_LAYERS: readonly WallLayerKey[] = ['grids', 'boundaries', 'labels', 'events', 'arcs', 'heatmap', 'hexagons', 'workers'];
export const MODULE_LAYERS: readonly WallLayerKey[] = ModuleId.options;

const DEFAULT_ON = new Set<WallLayerKey>(['grids', 'boundaries', 'labels', 'events', 'arcs']);

export function defaultLayers(): LayerVisibility {
  return Object.fromEntries(WallLayerKeySchema.options.map((k) => [k, DEFAULT_ON.has(k)])) as LayerVisibility;
}

export function initialWallState(options: { tourSeconds?: number; tour?: boolean; measure?: GridMeasure } = {}): WallViewState {
  return {
    layers: defaultLayers(),
    measure: options.measure ?? 'open',
    tour: { enabled: options.tour ?? true, intervalSeconds: options.tourSeconds ?? 30 },
    playback: null,
    holdUntil: null,
    applied: [],
  };
}

export type WallAction =
  | { type: 'toggle-layer'; key: WallLayerKey }
  | { type: 'set-layers'; show?: readonly WallLayerKey[]; hide?: readonly WallLayerKey[] }
  | { type: 'set-measure'; measure: GridMeasure }
  | { type: 'set-tour'; enabled: boolean; intervalSeconds?: number }
  | { type: 'start-playback'; playback: PlaybackRequest }
  | { type: 'stop-playback' }
  | { type: 'release-hold' }
  | { type: 'replace'; state: WallViewState };

export function wallReducer(state: WallViewState, action: WallAction): WallViewState {
  switch (action.type) {
    case 'toggle-layer':
      return { ...state, layers: { ...state.layers, [action.key]: !state.layers[action.key] } };
    case 'set-layers':
      return { ...state, layers: withLayers(state.layers, action.show, action.hide) };
    case 'set-measure':
      return action.measure === state.measure ? state : { ...state, measure: action.measure };
    case 'set-tour':
      return { ...state, tour: { enabled: action.enabled, intervalSeconds: action.intervalSeconds ?? state.tour.intervalSeconds } };
    case 'start-playback':
      return { ...state, playback: action.playback };
    case 'stop-playback':
      return state.playback === null ? state : { ...state, playback: null };
    case 'release-hold':
      return state.holdUntil === null ? state : { ...state, holdUntil: null };
    case 'replace':
      return action.state;
  }
}

function withLayers(layers: LayerVisibility, show?: readonly WallLayerKey[], hide?: readonly WallLayerKey[]): LayerVisibility {
  const next = { ...layers };
  for (const k of show ?? []) next[k] = true;
  for (const k of hide ?? []) next[k] = false;
  return next;
}

export type DirectiveOutcome =
  | { applied: true; state: WallViewState; focus: WallFocus | null; stale: boolean }
  | { applied: false; state: WallViewState; reason: 'other_wall' | 'already_applied' };

const APPLIED_KEEP = 50;

/** Decides whether and how this wall obeys a directive. */
export function applyDirective(state: WallViewState, directive: WallDirective, wallId: string, now: number): DirectiveOutcome {
  if (directive.walls !== 'all' && !directive.walls.includes(wallId)) return { applied: false, state, reason: 'other_wall' };
  if (state.applied.includes(directive.id)) return { applied: false, state, reason: 'already_applied' };

  const issued = Date.parse(directive.issuedAt);
  const holdUntil = directive.holdSeconds === null ? Number.POSITIVE_INFINITY : issued + directive.holdSeconds * 1000;
  const stale = holdUntil <= now;

  let next: WallViewState = { ...state, applied: [...state.applied.slice(-(APPLIED_KEEP - 1)), directive.id] };
  if (directive.layers) {
    next = { ...next, layers: withLayers(next.layers, directive.layers.show, directive.layers.hide) };
    if (directive.layers.measure) next = { ...next, measure: directive.layers.measure };
  }
  if (directive.tour) {
    next = { ...next, tour: { enabled: directive.tour.enabled, intervalSeconds: directive.tour.intervalSeconds ?? next.tour.intervalSeconds } };
  }
  if (stale) return { applied: true, state: next, focus: null, stale };

  if (directive.playback !== undefined) next = { ...next, playback: directive.playback };
  const focus = directive.focus ?? null;
  // only a directive that points somewhere (or replays) holds the view
  if (focus || directive.playback) next = { ...next, holdUntil };
  return { applied: true, state: next, focus, stale };
}
