import { describe, expect, it } from 'vitest';
import { WallDirective, type WallDirectiveInput } from '../../core/rpc/wall';
import { applyDirective, defaultLayers, initialWallState, wallReducer } from './wall-state';

const NOW = Date.parse('2024-05-01T08:00:00Z');
const d = (input: Partial<WallDirectiveInput>) => WallDirective.parse({ id: 'd1', issuedAt: new Date(NOW - 1000).toISOString(), ...input });

describe('wall view state', () => {
  it('starts with grids, boundaries, labels, events and arcs on, modules off', () => {
    const l = defaultLayers();
    expect(l.events && l.grids && l.arcs && l.labels && l.boundaries).toBe(true);
    expect(l.heatmap || l.workers || l.river_reaches || l.party_centres).toBe(false);
  });

  it('toggles layers, sets the measure, the tour and playback', () => {
    let s = initialWallState();
    s = wallReducer(s, { type: 'toggle-layer', key: 'workers' });
    s = wallReducer(s, { type: 'set-layers', show: ['heatmap'], hide: ['arcs'] });
    s = wallReducer(s, { type: 'set-measure', measure: 'overdue' });
    s = wallReducer(s, { type: 'set-tour', enabled: false });
    s = wallReducer(s, { type: 'start-playback', playback: { from: 'a', to: 'b', speed: 60 } });
    expect(s.layers.workers && s.layers.heatmap && !s.layers.arcs).toBe(true);
    expect(s.measure).toBe('overdue');
    expect(s.tour).toEqual({ enabled: false, intervalSeconds: 30 });
    expect(wallReducer(s, { type: 'stop-playback' }).playback).toBeNull();
  });
});

describe('directives (上大屏)', () => {
  it('focuses, toggles layers and measure, and holds the view', () => {
    const out = applyDirective(initialWallState(), d({ focus: { kind: 'town', code: '440114001000' }, layers: { show: ['river_reaches'], measure: 'per_thousand' }, holdSeconds: 120 }), 'main', NOW);
    expect(out.applied).toBe(true);
    if (!out.applied) return;
    expect(out.focus).toEqual({ kind: 'town', code: '440114001000' });
    expect(out.state.layers.river_reaches).toBe(true);
    expect(out.state.measure).toBe('per_thousand');
    expect(out.state.holdUntil).toBe(NOW - 1000 + 120_000);
    expect(out.stale).toBe(false);
  });

  it('is applied once per id, and only by the walls it names', () => {
    const first = applyDirective(initialWallState(), d({ focus: { kind: 'district' } }), 'main', NOW);
    expect(first.applied).toBe(true);
    expect(applyDirective(first.state, d({ focus: { kind: 'district' } }), 'main', NOW)).toMatchObject({ applied: false, reason: 'already_applied' });
    expect(applyDirective(initialWallState(), d({ walls: ['hall-b'] }), 'main', NOW)).toMatchObject({ applied: false, reason: 'other_wall' });
    expect(applyDirective(initialWallState(), d({ walls: ['hall-b', 'main'] }), 'main', NOW).applied).toBe(true);
  });

  it('after its hold has run out keeps its lasting settings but neither moves the camera nor replays', () => {
    const old = WallDirective.parse({
      id: 'old',
      issuedAt: new Date(NOW - 3_600_000).toISOString(),
      focus: { kind: 'grid', code: '440114001001001' },
      layers: { hide: ['arcs'] },
      tour: { enabled: false },
      playback: { from: '2024-04-30T00:00:00Z', to: '2024-05-01T00:00:00Z', speed: 600 },
      holdSeconds: 300,
    });
    const out = applyDirective(initialWallState(), old, 'main', NOW);
    expect(out).toMatchObject({ applied: true, focus: null, stale: true });
    expect(out.state.layers.arcs).toBe(false);
    expect(out.state.tour.enabled).toBe(false);
    expect(out.state.playback).toBeNull();
    expect(out.state.holdUntil).toBeNull();
  });

  it('starts and stops playback; a hold of null lasts until the next directive', () => {
    const start = applyDirective(initialWallState(), d({ playback: { from: '2024-04-30T00:00:00Z', to: '2024-05-01T00:00:00Z', speed: 3600 }, holdSeconds: null }), 'main', NOW);
    expect(start.state.playback?.speed).toBe(3600);
    expect(start.state.holdUntil).toBe(Number.POSITIVE_INFINITY);
    const stop = applyDirective(start.state, d({ id: 'd2', playback: null }), 'main', NOW);
    expect(stop.state.playback).toBeNull();
  });
});
