/**
 * The bench's baseline: a bare deck.gl page drawing the wall's map layers —
 * the same layer builders (district layers with the measure fill, the wall's
 * live layers over the same EventStore), the same data from the same data
 * service over the same RPC socket, the same size — with none of the wall
 * around it: no React, no panels, charts, ticker, alerts or tour. A change
 * (`events/changed`) is fetched (`map/events { ids }`), patched into the store,
 * the fill patched for its grids, and the layers handed to deck.gl at once.
 *
 * Bundled by bench/wall/run.ts with esbuild and served at /bench-bare/.
 * Exposes `window.__bare` with the same figures as the wall's debug hook.
 */
import { Layer } from '@deck.gl/core';
import { MapLibreOverlay } from '@deck.gl/maplibre';
import { Map as MapLibreMap, setWorkerUrl } from 'maplibre-gl';
import { createRpcClient } from '../../src/core/rpc/wire';
import { installAttributeCounter } from '../../src/renderer/map/attribute-stats';
import { buildBaseStyle } from '../../src/renderer/map/base-style';
import { buildDistrictLayers } from '../../src/renderer/map/district-layers';
import { FrameGovernor } from '../../src/renderer/map/frame-governor';
import { buildMapModel } from '../../src/renderer/map/map-model';
import { createWebSocketBridge, rpcUrlFor } from '../../src/renderer/transport';
import { EventStore } from '../../src/renderer/wall/event-store';
import { GridFillController } from '../../src/renderer/wall/grid-fill';
import { gridPopulation } from '../../src/renderer/wall/measures';
import { WallLayerBuilder } from '../../src/renderer/wall/wall-layers';
import { defaultLayers } from '../../src/renderer/wall/wall-state';

const counter = installAttributeCounter(Layer);
const q = new URLSearchParams(location.search);
setWorkerUrl(q.get('worker') ?? '');

async function main() {
  const client = createRpcClient(createWebSocketBridge(rpcUrlFor(location)));
  const [tree, geometry, units, gridStats, density] = await Promise.all([
    client.invoke('areas/tree'),
    client.invoke('grids/geometry', {}),
    client.invoke('units/list', {}),
    client.invoke('map/grid-stats', { period: '30d' }),
    client.invoke('map/density', { period: '30d', cellMetres: 250 }),
  ]);
  const model = buildMapModel(tree, geometry);
  const gridIndex = new Map(model.grids.map((g, i) => [g.code, i]));
  const unitIndex = new Map(units.units.map((u, i) => [u.id, i]));
  const store = new EventStore({
    gridCount: model.grids.length,
    gridIndexOf: (code) => (code ? (gridIndex.get(code) ?? -1) : -1),
    unitIndexOf: (id) => (id ? (unitIndex.get(id) ?? -1) : -1),
  });
  store.load(await client.invoke('map/events', { filter: { queue: 'all', openOnly: true } }));
  const unitPositions = new Float32Array(units.units.flatMap((u) => [u.location[0], u.location[1]]));
  const villagePop = new Map(model.villages.map((v) => [v.code, v.population]));
  const population = gridPopulation(model.grids, gridStats, villagePop);
  const reported = new Float64Array(model.grids.length);
  gridStats.gridCodes.forEach((code, j) => {
    const i = gridIndex.get(code);
    if (i !== undefined) reported[i] = gridStats.reported[j] ?? 0;
  });
  const figures = () => ({ open: store.openByGrid, overdue: store.overdueByGrid, load30d: reported, population });
  const fill = new GridFillController(model);
  fill.reset('open', figures());
  const builder = new WallLayerBuilder(store, Math.floor(Date.now() / 60_000) * 60_000);
  const visible = defaultLayers();
  const scale = Number(q.get('scale') ?? 1);
  /** pulse animation, paced as the wall's DistrictMap paces it (same FrameGovernor); 0 = none */
  const fps = Number(q.get('fps') ?? 0);

  const container = document.getElementById('map')!;
  // the wall map's size (query w, h), else the window
  container.style.width = `${Number(q.get('w') ?? innerWidth)}px`;
  container.style.height = `${Number(q.get('h') ?? innerHeight)}px`;
  const map = new MapLibreMap({
    container,
    style: buildBaseStyle(undefined),
    bounds: [
      [model.district.bbox[0], model.district.bbox[1]],
      [model.district.bbox[2], model.district.bbox[3]],
    ],
    fitBoundsOptions: { padding: { top: Math.round(56 * scale), bottom: Math.round(150 * scale), left: Math.round(36 * scale), right: Math.round(36 * scale) } },
    attributionControl: false,
    renderWorldCopies: false,
  });
  const stats = { frames: 0, drawnVersion: 0, handedVersion: 0, render: [] as number[], apply: [] as number[], lastReceived: 0 };
  /** ends the live pump's wait for a frame (drawn, or the wait's limit) */
  let frameWaitEnd: (() => void) | null = null;
  const governor = fps > 0 ? new FrameGovernor(fps) : null;
  let animationAsked = 0;
  const overlay = new MapLibreOverlay({
    interleaved: true,
    layers: [],
    onAfterRender: () => {
      stats.frames++;
      if (animationAsked > 0) {
        governor?.record(performance.now() - animationAsked);
        animationAsked = 0;
      }
      if (stats.handedVersion > stats.drawnVersion) {
        stats.drawnVersion = stats.handedVersion;
        stats.render.push(performance.now() - stats.lastReceived);
      }
      frameWaitEnd?.();
    },
  });
  map.addControl(overlay);
  const inputs = () => ({
      store,
      unitPositions,
      density,
      workers: null,
      modules: null,
      visible,
      districtBBox: model.district.bbox,
      scale,
      zoom: 0,
      playback: null,
      selected: null,
  });
  const layers = () => {
    const district = buildDistrictLayers(model, { showVillageLabels: false, selectedTownCode: null, scale: scale * 1.3, gridFill: fill.gridFill(), showGrids: true, showBoundaries: true, showLabels: true });
    const labelsAt = district.findIndex((l) => l.id === 'labels');
    const i = inputs();
    return [...district.slice(0, labelsAt), ...builder.build(i), ...district.slice(labelsAt), ...builder.top(i)];
  };
  // static layers when they change; with `fps`, the pulse appended by a timer loop as the wall's
  // DistrictMap does it (the static layers reused, the pulse's uniforms moving)
  let current: ReturnType<typeof layers> = [];
  const draw = () => {
    if (!governor) return overlay.setProps({ layers: current });
    animationAsked = performance.now();
    overlay.setProps({ layers: [...current, ...builder.animate(inputs(), animationAsked, Date.now(), null, null)] });
  };
  const handOver = () => {
    current = layers();
    draw();
  };
  map.once('load', () => {
    handOver();
    map.once('idle', () => (container.dataset.ready = 'true'));
    if (!governor) return;
    const g = governor;
    let due = performance.now() + g.intervalMs;
    const step = () => {
      const late = performance.now() - due;
      if (late > 50) g.record(late);
      draw();
      due = performance.now() + g.intervalMs;
      setTimeout(step, g.intervalMs);
    };
    setTimeout(step, g.intervalMs);
  });

  // live changes, as the wall's LiveFeed takes them: ids gathered while a request is in flight, and
  // patches paced to the frames that show them (the wall's frameWaitMs, 250 ms): after a patch the
  // next request waits for a frame drawn with it, at most 250 ms
  const pending = new Map<string, number>();
  let inFlight = false;
  const waitForFrame = (): Promise<void> | null =>
    stats.drawnVersion >= stats.handedVersion
      ? null
      : new Promise<void>((resolve) => {
          const timer = setTimeout(() => frameWaitEnd?.(), 250);
          frameWaitEnd = () => {
            clearTimeout(timer);
            frameWaitEnd = null;
            resolve();
          };
        });
  const pump = async () => {
    if (inFlight) return;
    inFlight = true;
    while (pending.size > 0) {
      const wait = waitForFrame();
      if (wait) await wait;
      const ids = [...pending.keys()];
      const receivedAt = Math.min(...pending.values());
      pending.clear();
      const cols = await client.invoke('map/events', { ids });
      const patch = store.patch(cols, ids);
      stats.apply.push(performance.now() - receivedAt);
      if (patch.grids.length > 0) fill.update(patch.grids, figures());
      stats.lastReceived = receivedAt;
      stats.handedVersion = store.version;
      handOver();
    }
    inFlight = false;
  };
  client.subscribe('events/changed', (p) => {
    const t = performance.now();
    for (const id of p.ids) if (!pending.has(id)) pending.set(id, t);
    void pump();
  });

  (window as unknown as { __bare: unknown }).__bare = {
    frames: () => stats.frames,
    animationFps: () => governor?.fps ?? 0,
    openEvents: () => store.length,
    storeVersion: () => store.version,
    latency: () => ({ apply: [...stats.apply], render: [...stats.render] }),
    attributes: () => ({ ...counter.total(), byLayer: Object.fromEntries(counter.byLayer) }),
    resetAttributes: () => {
      counter.reset();
      stats.apply.length = 0;
      stats.render.length = 0;
    },
  };
}

void main().catch((err: unknown) => {
  document.body.dataset.error = String(err);
  console.error(err);
});
