import type { Layer } from '@deck.gl/core';
import { describe, expect, it } from 'vitest';
import type { EventColumns, Playback } from '../../core/rpc/queries';
import type { ModuleFeatures } from '../../core/rpc/wall';
import { Urgency, EventSource } from '../../core/events/types';
import { EventStatus } from '../../core/workflow/states';
import { EventStore } from './event-store';
import { NEW_EVENT_MS } from './event-style';
import { NEVER, phaseWindows } from './playback';
import { WALL_LAYER_IDS, WallLayerBuilder, type WallLayerInputs } from './wall-layers';
import { defaultLayers } from './wall-state';

const NOW = Date.parse('2024-05-01T08:00:00Z');

function cols(rows: { id: string; urgency?: number; source?: number; reportedAt?: number; status?: string }[]): EventColumns {
  const n = rows.length;
  return {
    count: n,
    ids: rows.map((r) => r.id),
    positions: new Float32Array(rows.flatMap((_, i) => [113 + i / 100, 23.4])),
    status: new Uint8Array(rows.map((r) => EventStatus.options.indexOf((r.status ?? 'in_progress') as never))),
    urgency: new Uint8Array(rows.map((r) => r.urgency ?? 0)),
    source: new Uint8Array(rows.map((r) => r.source ?? 0)),
    reportedAt: new Float64Array(rows.map((r) => r.reportedAt ?? NOW - 86_400_000)),
    deadline: new Float64Array(n),
    clockStatus: new Uint8Array(n),
    supervisionLevel: new Uint8Array(n),
    leadUnitIds: rows.map(() => 'u1'),
    checkpoint: 1,
  };
}

function setup() {
  const store = new EventStore({ gridCount: 0, gridIndexOf: () => -1, unitIndexOf: (id) => (id === 'u1' ? 0 : -1) });
  store.load(cols([{ id: 'a' }, { id: 'b', urgency: Urgency.options.indexOf('critical') }, { id: 'c', reportedAt: NOW - 60_000 }, { id: 'd', source: EventSource.options.indexOf('one_key') }]));
  const builder = new WallLayerBuilder(store, NOW - 3_600_000);
  const seats = new Float32Array([113.2, 23.4]);
  const inputs = (over: Partial<WallLayerInputs> = {}): WallLayerInputs => ({
    store,
    unitPositions: seats,
    density: null,
    workers: null,
    modules: null,
    visible: defaultLayers(),
    districtBBox: [113, 23.3, 113.4, 23.6],
    scale: 1,
    zoom: 10,
    playback: null,
    selected: null,
    ...over,
  });
  return { store, builder, inputs };
}

const ids = (layers: Layer[]) => layers.map((l) => l.id);
type Accessor = (o: unknown, info: { index: number; target: number[] }) => unknown;
const accessor = (layer: Layer, name: string) => (layer.props as unknown as Record<string, Accessor>)[name]!;

describe('wall layers', () => {
  it('draws arcs under events, and leaves hidden layers out altogether', () => {
    const { builder, inputs } = setup();
    expect(ids(builder.build(inputs()))).toEqual([WALL_LAYER_IDS.arcs, WALL_LAYER_IDS.events]);
    const v = { ...defaultLayers(), arcs: false, events: false };
    expect(ids(builder.build(inputs({ visible: v })))).toEqual([]);
  });

  it('shares one data object per store version and diffs it through the store', () => {
    const { store, builder, inputs } = setup();
    const before = builder.build(inputs());
    const events0 = before.find((l) => l.id === WALL_LAYER_IDS.events)!;
    const data0 = events0.props.data as { version: number };
    expect(builder.build(inputs()).find((l) => l.id === WALL_LAYER_IDS.events)!.props.data).toBe(data0);
    store.patch(cols([{ id: 'c', status: 'handled' }]), ['c']);
    const events1 = builder.build(inputs()).find((l) => l.id === WALL_LAYER_IDS.events)!;
    const data1 = events1.props.data as { version: number };
    expect(data1).not.toBe(data0);
    const diff = events1.props._dataDiff as (n: unknown, o: unknown) => unknown;
    expect(diff(data1, data0)).toEqual([{ startRow: 2, endRow: 3 }]);
    // an unchanged arc layer instance is reused for the same data
    const arcs = builder.build(inputs()).find((l) => l.id === WALL_LAYER_IDS.arcs);
    expect(builder.build(inputs()).find((l) => l.id === WALL_LAYER_IDS.arcs)).toBe(arcs);
  });

  it('reads positions and the dispatch arc source from the typed columns', () => {
    const { builder, inputs } = setup();
    const layers = builder.build(inputs());
    const events = layers.find((l) => l.id === WALL_LAYER_IDS.events)!;
    expect(accessor(events, 'getPosition')(null, { index: 1, target: [] })).toEqual([113.01, 23.4].map((x) => Math.fround(x)));
    const arcs = layers.find((l) => l.id === WALL_LAYER_IDS.arcs)!;
    expect(accessor(arcs, 'getSourcePosition')(null, { index: 0, target: [] })).toEqual([Math.fround(113.2), Math.fround(23.4)]);
  });

  it('pulses critical and one-key events always and new ones for ten minutes, by a filter value not by rebuilding', () => {
    const { builder, inputs } = setup();
    const [pulse] = builder.animate(inputs(), 0, NOW, null, null);
    expect(pulse!.id).toBe(WALL_LAYER_IDS.pulse);
    const value = (i: number) => accessor(pulse!, 'getFilterValue')(null, { index: i, target: [] }) as number;
    expect(value(1)).toBe(NEVER);
    expect(value(3)).toBe(NEVER);
    expect(value(2)).toBeCloseTo((NOW - 60_000 + NEW_EVENT_MS - (NOW - 3_600_000)) / 1000);
    const range = (pulse!.props as unknown as { filterRange: [number, number] }).filterRange;
    expect(value(0)).toBeLessThan(range[0]);
    expect(value(2)).toBeGreaterThan(range[0]);
    const later = builder.animate(inputs(), 800, NOW, null, null)[0]!;
    expect(later.props.data).toBe(pulse!.props.data);
    expect((later.props as unknown as { radiusScale: number }).radiusScale).not.toBe((pulse!.props as unknown as { radiusScale: number }).radiusScale);
  });

  it('adds the alert ring, and in playback draws four phase layers over the playback rows', () => {
    const { builder, inputs } = setup();
    expect(ids(builder.animate(inputs(), 0, NOW, null, [113.1, 23.4]))).toContain(WALL_LAYER_IDS.alertRing);
    const pb: Playback = {
      from: new Date(NOW - 86_400_000).toISOString(),
      to: new Date(NOW).toISOString(),
      count: 1,
      ids: ['x'],
      positions: new Float32Array([113, 23.4]),
      urgency: new Uint8Array(1),
      reportedAt: new Float64Array([NOW - 80_000_000]),
      dispatchedAt: new Float64Array([Number.NaN]),
      handledAt: new Float64Array([Number.NaN]),
      closedAt: new Float64Array([Number.NaN]),
      geometryAsOf: '2024-04-30',
    };
    const playback = { playback: pb, fromMs: NOW - 86_400_000, windows: phaseWindows(pb, NOW - 86_400_000) };
    expect(ids(builder.build(inputs({ playback })))).toEqual([]);
    expect(ids(builder.animate(inputs({ playback }), 0, NOW, NOW - 3_600_000, null))).toEqual(['intake', 'dispatched', 'handled', 'closed'].map((p) => `playback-${p}`));
  });

  it('draws module points, lines and areas only for switched-on modules, glyphs only when zoomed in', () => {
    const { builder, inputs } = setup();
    const modules: ModuleFeatures = {
      version: 'm1',
      features: [
        { id: 'p', module: 'party_centres', kind: 'c', name: 'x', townCode: null, geometry: { type: 'Point', coordinates: [113.1, 23.4] }, props: {} },
        { id: 'r', module: 'river_reaches', kind: 'r', name: 'y', townCode: null, geometry: { type: 'LineString', coordinates: [[113, 23.4], [113.1, 23.5]] }, props: {} },
      ],
    };
    const visible = { ...defaultLayers(), events: false, arcs: false, party_centres: true };
    expect(ids(builder.build(inputs({ modules, visible })))).toEqual(['module-party_centres-points']);
    expect(ids(builder.build(inputs({ modules, visible: { ...visible, river_reaches: true }, zoom: 13 })))).toEqual([
      'module-party_centres-points',
      'module-party_centres-glyphs',
      'module-river_reaches-lines',
    ]);
  });
});
