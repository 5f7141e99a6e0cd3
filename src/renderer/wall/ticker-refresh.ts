/**
 * When the ticker has to ask again. It shows the newest events (all queues,
 * newest report first, `limit` rows); at 50 changes a second almost every
 * change is an older event moving on in its workflow, which cannot alter that
 * list. A change can only when it
 *
 * - is a load (everything may have changed),
 * - touches a row on show (its state, title… or it left the list),
 * - is of an event reported at or after the oldest row on show (a new event,
 *   or one that would rank among them), or
 * - is of an event the wall cannot date (neither open on the map before nor
 *   now: closed, merged, out of scope — its report time is unknown),
 *
 * or while the list is shorter than its limit (anything may join it). The
 * live feed's patch says which ids changed and the latest report time among
 * the rows it wrote or removed (EventStore.patch), so this costs a few
 * comparisons, not a request.
 */
import type { FeedChange } from './live-feed';

export interface ShownRow {
  id: string;
  /** ISO time */
  reportedAt: string;
}

export function tickerNeedsRefresh(change: FeedChange, shown: readonly ShownRow[] | null, limit: number): boolean {
  if (change.kind === 'load' || !change.patch) return true;
  if (!shown || shown.length < limit) return true;
  if (change.patch.unknown > 0) return true;
  let oldest = Number.POSITIVE_INFINITY;
  const ids = new Set<string>();
  for (const r of shown) {
    ids.add(r.id);
    const t = Date.parse(r.reportedAt);
    if (!Number.isFinite(t)) return true; // a row we cannot date: every change counts
    if (t < oldest) oldest = t;
  }
  for (const id of change.ids) if (ids.has(id)) return true;
  return !(change.patch.newestReportedAt < oldest);
}
