/**
 * The filter bar's state and how it becomes the `EventFilter` of `events/list`:
 * empty choices are left out (so the service sees only what narrows), the
 * reported-time period is turned into `from` at the moment of asking, and the
 * same state round-trips through a saved view.
 */
import type { EventSource, Urgency } from '../../core/events/types';
import type { EventFilterInput, EventSort, QueueId } from '../../core/rpc/queries';
import type { SavedView, SavedViewInput, SavedViewPeriod } from '../../core/rpc/workstation';
import type { EventStatus } from '../../core/workflow/states';

export type ClockFilter = 'running' | 'warning' | 'overdue';
export type Period = 'any' | SavedViewPeriod;
export const PERIODS: readonly Period[] = ['any', 'today', '24h', '7d', '30d'];

export interface FilterState {
  text: string;
  statuses: EventStatus[];
  /** a code matches itself and its descendants */
  categoryCodes: string[];
  townCodes: string[];
  villageCodes: string[];
  gridCodes: string[];
  sources: EventSource[];
  urgencies: Urgency[];
  unitIds: string[];
  clockStatuses: ClockFilter[];
  /** only events under supervision (督办) */
  supervised: boolean;
  period: Period;
  openOnly: boolean;
}

export const EMPTY_FILTERS: FilterState = {
  text: '',
  statuses: [],
  categoryCodes: [],
  townCodes: [],
  villageCodes: [],
  gridCodes: [],
  sources: [],
  urgencies: [],
  unitIds: [],
  clockStatuses: [],
  supervised: false,
  period: 'any',
  openOnly: false,
};

const CST_OFFSET_MS = 8 * 3_600_000;

/** Start of a period as an ISO instant; "today" is the local day in China (UTC+8), whatever the machine's zone. */
export function periodStart(period: Period, now: Date): string | undefined {
  switch (period) {
    case 'any':
      return undefined;
    case 'today': {
      const local = now.getTime() + CST_OFFSET_MS;
      return new Date(local - (local % 86_400_000) - CST_OFFSET_MS).toISOString();
    }
    case '24h':
      return new Date(now.getTime() - 86_400_000).toISOString();
    case '7d':
      return new Date(now.getTime() - 7 * 86_400_000).toISOString();
    case '30d':
      return new Date(now.getTime() - 30 * 86_400_000).toISOString();
  }
}

/** The request filter of a queue and the filter bar. */
export function toEventFilter(queue: QueueId, f: FilterState, now: Date): EventFilterInput {
  const out: EventFilterInput = { queue };
  const text = f.text.trim();
  if (text) out.text = text.slice(0, 200);
  if (f.statuses.length) out.statuses = [...f.statuses];
  if (f.categoryCodes.length) out.categoryCodes = [...f.categoryCodes];
  if (f.townCodes.length) out.townCodes = [...f.townCodes];
  if (f.villageCodes.length) out.villageCodes = [...f.villageCodes];
  if (f.gridCodes.length) out.gridCodes = [...f.gridCodes];
  if (f.sources.length) out.sources = [...f.sources];
  if (f.urgencies.length) out.urgencies = [...f.urgencies];
  if (f.unitIds.length) out.unitIds = [...f.unitIds];
  if (f.clockStatuses.length) out.clockStatuses = [...f.clockStatuses];
  if (f.supervised) out.supervised = true;
  const from = periodStart(f.period, now);
  if (from) out.from = from;
  if (f.openOnly) out.openOnly = true;
  return out;
}

/** How many narrowing choices are active (the filter button shows it). */
export function activeFilterCount(f: FilterState): number {
  let n = 0;
  for (const k of ['statuses', 'categoryCodes', 'townCodes', 'villageCodes', 'gridCodes', 'sources', 'urgencies', 'unitIds', 'clockStatuses'] as const) if (f[k].length) n++;
  if (f.supervised) n++;
  if (f.period !== 'any') n++;
  if (f.openOnly) n++;
  return n;
}

export interface ViewState {
  queue: QueueId;
  filters: FilterState;
  sort: EventSort;
}

/** A saved view of the current queue, filters and order. */
export function toSavedView(id: string, name: string, v: ViewState): SavedViewInput {
  const filter = toEventFilter(v.queue, { ...v.filters, period: 'any' }, new Date(0));
  delete filter.queue;
  return { id, name, queue: v.queue, filter: filter as SavedViewInput['filter'], sort: v.sort, ...(v.filters.period !== 'any' ? { period: v.filters.period } : {}) };
}

/** Back from a saved view to the bar's state (fixed from/to dates are not editable in the bar and are dropped). */
export function fromSavedView(view: SavedView): ViewState {
  const f = view.filter;
  return {
    queue: view.queue,
    sort: view.sort,
    filters: {
      text: f.text ?? '',
      statuses: f.statuses ?? [],
      categoryCodes: f.categoryCodes ?? [],
      townCodes: f.townCodes ?? [],
      villageCodes: f.villageCodes ?? [],
      gridCodes: f.gridCodes ?? [],
      sources: f.sources ?? [],
      urgencies: f.urgencies ?? [],
      unitIds: f.unitIds ?? [],
      clockStatuses: f.clockStatuses ?? [],
      supervised: f.supervised ?? false,
      period: view.period ?? 'any',
      openOnly: f.openOnly ?? false,
    },
  };
}
