import { describe, expect, it } from 'vitest';
import { Mutation } from '../sync/protocol';
import { requests } from './contract';
import { wallFakeResults } from './wall-fake';
import { WallDirective, WallLayerKey, ModuleId, wallRequests } from './wall';

describe('WallDirective', () => {
  it('fills defaults: every wall, held five minutes, nobody named', () => {
    const d = WallDirective.parse({ id: 'd-1', issuedAt: '2024-05-01T08:00:00+08:00', focus: { kind: 'town', code: '440114001000' } });
    expect(d.walls).toBe('all');
    expect(d.holdSeconds).toBe(300);
    expect(d.issuedBy).toBeNull();
  });

  it('accepts layer toggles by module and a measure, and a playback with its speed', () => {
    const d = WallDirective.parse({
      id: 'd-2',
      issuedAt: '2024-05-01T00:00:00Z',
      walls: ['hall-a'],
      layers: { show: ['river_reaches', 'heatmap'], hide: ['workers'], measure: 'overdue' },
      playback: { from: '2024-04-30T00:00:00Z', to: '2024-05-01T00:00:00Z' },
      holdSeconds: null,
    });
    expect(d.layers?.show).toEqual(['river_reaches', 'heatmap']);
    expect(d.playback?.speed).toBe(60);
    expect(d.holdSeconds).toBeNull();
  });

  it('refuses unknown fields, bad codes and speeds beyond 3600×', () => {
    const base = { id: 'x', issuedAt: '2024-05-01T00:00:00Z' };
    expect(WallDirective.safeParse({ ...base, colour: 'red' }).success).toBe(false);
    expect(WallDirective.safeParse({ ...base, focus: { kind: 'grid', code: '4401' } }).success).toBe(false);
    expect(WallDirective.safeParse({ ...base, layers: { show: ['satellite'] } }).success).toBe(false);
    expect(WallDirective.safeParse({ ...base, playback: { from: base.issuedAt, to: base.issuedAt, speed: 7200 } }).success).toBe(false);
  });

  it('travels inside the wall/directive mutation of the sync protocol', () => {
    const directive = WallDirective.parse({ id: 'd-3', issuedAt: '2024-05-01T00:00:00Z', focus: { kind: 'event', eventId: 'ev-9' } });
    const m = Mutation.parse({ name: 'wall/directive', directive });
    expect(m.name === 'wall/directive' && WallDirective.parse(m.directive).focus).toEqual({ kind: 'event', eventId: 'ev-9' });
  });
});

describe('wall contract', () => {
  it('every module is a layer key a directive can toggle', () => {
    for (const m of ModuleId.options) expect(WallLayerKey.options).toContain(m);
  });

  it('is part of the request map, and the fake answers pass the result schemas', () => {
    for (const name of Object.keys(wallRequests) as (keyof typeof wallRequests)[]) {
      expect(requests[name]).toBe(wallRequests[name]);
      expect(() => wallRequests[name].result.parse(wallFakeResults[name])).not.toThrow();
    }
  });
});
