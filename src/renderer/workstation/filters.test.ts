/**
 * Queue → request filter: only what narrows is sent, periods become `from` in
 * China's day, and a saved view gives back the same queue, filters and order.
 */
import { describe, expect, it } from 'vitest';
import { EventFilter } from '../../core/rpc/queries';
import { SavedView } from '../../core/rpc/workstation';
import { activeFilterCount, EMPTY_FILTERS, fromSavedView, periodStart, toEventFilter, toSavedView, type FilterState } from './filters';
import { QUEUES } from './queues';

const NOW = new Date('2026-03-10T17:30:00.000Z'); // 2026-03-11 01:30 in Guangzhou

describe('toEventFilter', () => {
  it('sends the queue alone when nothing else narrows, for every queue', () => {
    for (const q of QUEUES) {
      const f = toEventFilter(q.id, EMPTY_FILTERS, NOW);
      expect(f).toEqual({ queue: q.id });
      expect(EventFilter.safeParse(f).success).toBe(true);
    }
  });

  it('maps every filter of the bar to the contract, leaving empty ones out', () => {
    const state: FilterState = {
      ...EMPTY_FILTERS,
      text: '  井盖 ',
      statuses: ['dispatched'],
      categoryCodes: ['04'],
      townCodes: ['440114005000'],
      villageCodes: [],
      sources: ['hotline_12345'],
      urgencies: ['urgent', 'critical'],
      unitIds: ['dept-cg'],
      clockStatuses: ['overdue'],
      supervised: true,
      period: '7d',
      openOnly: true,
    };
    const f = toEventFilter('in_progress', state, NOW);
    expect(f).toEqual({
      queue: 'in_progress',
      text: '井盖',
      statuses: ['dispatched'],
      categoryCodes: ['04'],
      townCodes: ['440114005000'],
      sources: ['hotline_12345'],
      urgencies: ['urgent', 'critical'],
      unitIds: ['dept-cg'],
      clockStatuses: ['overdue'],
      supervised: true,
      from: '2026-03-03T17:30:00.000Z',
      openOnly: true,
    });
    expect(EventFilter.parse(f).queue).toBe('in_progress');
    expect(activeFilterCount(state)).toBe(10);
  });

  it('counts "today" from midnight in UTC+8, whatever the machine zone', () => {
    expect(periodStart('today', NOW)).toBe('2026-03-10T16:00:00.000Z');
    expect(periodStart('today', new Date('2026-03-10T15:59:00.000Z'))).toBe('2026-03-09T16:00:00.000Z');
    expect(periodStart('any', NOW)).toBeUndefined();
    expect(periodStart('24h', NOW)).toBe('2026-03-09T17:30:00.000Z');
  });
});

describe('saved views', () => {
  it('round-trip the queue, filters, order and a moving period', () => {
    const filters: FilterState = { ...EMPTY_FILTERS, text: '积水', townCodes: ['440114001000'], urgencies: ['critical'], period: 'today', openOnly: true };
    const input = toSavedView('v1', '新华街 特急', { queue: 'overdue_warning', filters, sort: 'urgency' });
    expect(input.filter).not.toHaveProperty('from');
    expect(input.period).toBe('today');
    const view = SavedView.parse({ ...input, updatedAt: NOW.toISOString() });
    expect(fromSavedView(view)).toEqual({ queue: 'overdue_warning', sort: 'urgency', filters });
  });
});
