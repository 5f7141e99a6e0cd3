import { describe, expect, it } from 'vitest';
import { requests } from '../../../core/rpc/contract';
import { fakeDistrict } from '../../test/fake-district';
import { buildDemoWorld, columnsOf, gridStatsOf, kpisOf, playbackOf, recordOf, rowOf, simulateStep } from './demo-data';

const { tree, geometry } = fakeDistrict({ towns: 4, villagesPerTown: 3, gridsPerVillage: 4 });
const NOW = Date.parse('2024-05-01T10:30:00+08:00');

describe('wall demo data', () => {
  it('is deterministic for a seed and spreads events over the grids', () => {
    const a = buildDemoWorld(tree, geometry, { now: NOW, openEvents: 300, historyEvents: 2000 });
    const b = buildDemoWorld(tree, geometry, { now: NOW, openEvents: 300, historyEvents: 2000 });
    expect(a.events.map((e) => e.id + e.status)).toEqual(b.events.map((e) => e.id + e.status));
    expect(a.events).toHaveLength(300);
    expect(new Set(a.events.map((e) => e.grid.code)).size).toBeGreaterThan(20);
  });

  it('answers with data that passes the contract’s result schemas', () => {
    const w = buildDemoWorld(tree, geometry, { now: NOW, openEvents: 200, historyEvents: 1000 });
    expect(() => requests['map/events'].result.parse(columnsOf(w.events, 1))).not.toThrow();
    expect(() => requests['stats/kpis'].result.parse(kpisOf(w))).not.toThrow();
    expect(() => requests['map/grid-stats'].result.parse(gridStatsOf(w))).not.toThrow();
    expect(() => requests['map/density'].result.parse(w.density)).not.toThrow();
    expect(() => requests['map/workers'].result.parse(w.workers)).not.toThrow();
    expect(() => requests['map/modules'].result.parse(w.modules)).not.toThrow();
    expect(() => requests['map/playback'].result.parse(playbackOf(w, NOW - 86_400_000, NOW, 50))).not.toThrow();
    expect(() => requests['events/list'].result.parse({ total: 1, offset: 0, rows: [rowOf(w.events[0]!)], checkpoint: 1 })).not.toThrow();
    expect(() => requests['events/detail'].result.shape.event.parse(recordOf(w, w.events[0]!))).not.toThrow();
  });

  it('keeps the KPIs consistent with the events and moves them with each simulated change', () => {
    const w = buildDemoWorld(tree, geometry, { now: NOW, openEvents: 200, historyEvents: 1000 });
    const k = kpisOf(w);
    expect(k.hourly.today.reduce((a, b) => a + b, 0)).toBe(k.intake);
    expect(k.byTown.reduce((a, b) => a + b.count, 0)).toBeLessThanOrEqual(k.intake);
    const { ids, alert } = simulateStep(w, NOW + 1000, true);
    expect(ids).toHaveLength(1);
    expect(alert?.eventId).toBe(ids[0]);
    expect(kpisOf(w).intake).toBe(k.intake + 1);
  });

  it('replays a past day in which some events now closed were open', () => {
    const w = buildDemoWorld(tree, geometry, { now: NOW, openEvents: 10, historyEvents: 10 });
    const pb = playbackOf(w, NOW - 2 * 86_400_000, NOW - 86_400_000, 200);
    const closedNow = [...Array(pb.count).keys()].filter((i) => Number.isFinite(pb.closedAt[i]!));
    expect(closedNow.length).toBeGreaterThan(50);
  });
});
