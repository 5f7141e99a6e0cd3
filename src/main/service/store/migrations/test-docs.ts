/**
 * Event documents for the replica migrations' tests, shaped as the data
 * center replicates them, with only what the migrations' columns and indexes
 * read set to something other than a default: status, town, reported time and
 * one internal calendar clock. Times are hours after T0.
 */
export const T0 = Date.parse('2026-11-20T08:00:00.000Z');
export const H = 3_600_000;
export const iso = (ms: number) => new Date(ms).toISOString();

export type ClockState = 'running' | 'stopped' | null;

/** one internal calendar clock started at T0, due `deadlineH` hours after it with a budget of `budgetH` (the same unless given); stopped a second after T0 if so */
export function internalClock(state: Exclude<ClockState, null>, deadlineH: number, budgetH = deadlineH) {
  return { id: 'internal', kind: 'internal', measure: 'calendar', warnAt: 0.8, startedAt: iso(T0), budgetMs: budgetH * H, baseDeadline: iso(T0 + deadlineH * H), policy: null, pauses: [], extensions: [], stoppedAt: state === 'stopped' ? iso(T0 + 1000) : null };
}

export function eventDoc(n: number, o: { status: string; reportedH?: number; townCode?: string | null; clocks?: unknown[] }) {
  return {
    id: `e${n}`,
    caseNo: `HD${n}`,
    title: 't',
    description: '',
    address: null,
    location: null,
    source: 'api',
    urgency: 'normal',
    createdAt: iso(T0),
    workflow: {
      id: `e${n}`,
      status: o.status,
      area: { districtCode: '440114', townCode: o.townCode ?? null, villageCode: null, gridCode: null },
      categoryCode: null,
      reportedAt: iso(T0 + (o.reportedH ?? 0) * H),
      updatedAt: iso(T0),
      leadUnitId: null,
      clocks: o.clocks ?? [],
      supervision: null,
      closedAt: null,
    },
  };
}
