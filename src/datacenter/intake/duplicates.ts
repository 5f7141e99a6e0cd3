/**
 * Near-duplicate detection: a pothole gets reported by the hotline, a grid worker and a camera
 * within the hour. A new report is a merge candidate for an open event of the same category
 * within `radiusMetres` (default 200) and `windowHours` (default 24) of it. Intake only suggests
 * (`duplicateCandidates` on the event); an officer decides with the `merge` command, because two
 * reports 150 m apart can be two potholes.
 *
 * Pure over a candidate list: the store fetches open events near the point in the time window
 * (`EventSink.openEventsNear`) and this function decides, so the rule is testable and the same
 * for every store.
 *
 * "Same category": taxonomy codes are hierarchical (a child's code extends its parent's), so by
 * default an event classified only as 0401 市容环境 matches a report of 040101 道路不洁
 * (`categoryMatch: 'lineage'`); `'exact'` asks for the same code. Events or reports without a
 * category or a position never match: there is nothing to compare.
 */
import { distanceMetres } from '../../core/geo/geometry';
import { isOpen, type EventStatus } from '../../core/workflow/states';

export interface DuplicateProbe {
  categoryCode: string | null;
  /** WGS84 */
  location: readonly [number, number] | null;
  reportedAt: string | Date;
}

export interface DuplicateCandidate {
  eventId: string;
  categoryCode: string | null;
  location: readonly [number, number] | null;
  reportedAt: string | Date;
  /** when given, only open events are candidates */
  status?: EventStatus;
}

export interface NearDuplicateOptions {
  radiusMetres?: number;
  windowHours?: number;
  categoryMatch?: 'exact' | 'lineage';
  /** at most this many suggestions, nearest first (default 10) */
  limit?: number;
}

export interface NearDuplicate {
  eventId: string;
  distanceMetres: number;
  /** absolute time between the two reports, hours */
  hoursApart: number;
}

export const DEFAULT_DUPLICATE_RADIUS_METRES = 200;
export const DEFAULT_DUPLICATE_WINDOW_HOURS = 24;

export function sameCategory(a: string, b: string, match: 'exact' | 'lineage'): boolean {
  if (a === b) return true;
  return match === 'lineage' && (a.startsWith(b) || b.startsWith(a));
}

const toMs = (t: string | Date) => (typeof t === 'string' ? Date.parse(t) : t.getTime());

/** Open events of the same category close in space and time, nearest first (then the more recent). */
export function findNearDuplicates(probe: DuplicateProbe, candidates: Iterable<DuplicateCandidate>, options: NearDuplicateOptions = {}): NearDuplicate[] {
  const radius = options.radiusMetres ?? DEFAULT_DUPLICATE_RADIUS_METRES;
  const windowMs = (options.windowHours ?? DEFAULT_DUPLICATE_WINDOW_HOURS) * 3_600_000;
  const match = options.categoryMatch ?? 'lineage';
  const limit = options.limit ?? 10;
  if (probe.categoryCode === null || probe.location === null) return [];
  const at = toMs(probe.reportedAt);
  const out: (NearDuplicate & { t: number })[] = [];
  for (const c of candidates) {
    if (c.status !== undefined && !isOpen(c.status)) continue;
    if (c.categoryCode === null || c.location === null) continue;
    if (!sameCategory(probe.categoryCode, c.categoryCode, match)) continue;
    const t = toMs(c.reportedAt);
    const dt = Math.abs(t - at);
    if (!(dt <= windowMs)) continue;
    const d = distanceMetres(probe.location, c.location);
    if (d > radius) continue;
    out.push({ eventId: c.eventId, distanceMetres: Math.round(d * 10) / 10, hoursApart: Math.round((dt / 3_600_000) * 100) / 100, t });
  }
  out.sort((a, b) => a.distanceMetres - b.distanceMetres || b.t - a.t || (a.eventId < b.eventId ? -1 : 1));
  return out.slice(0, limit).map(({ eventId, distanceMetres, hoursApart }) => ({ eventId, distanceMetres, hoursApart }));
}
