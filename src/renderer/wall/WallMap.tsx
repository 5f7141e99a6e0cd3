/**
 * The wall's map: the shared DistrictMap with the grid measure as its fill
 * (patched per changed grid), the wall's layers between the boundaries and the
 * labels, pulses and the alert ring animated per frame, and the overlays
 * (legend, layer switches, card, and whatever the view puts on the map:
 * alert banner, tour status, playback bar).
 *
 * A new store version re-renders nothing: the live layers go to the map
 * through a layer source (`CachedLayerSource`, built at most once per version
 * and inputs) that DistrictMap follows by itself, as the bare deck.gl page
 * hands its layers over; so a burst of events costs the map its partial
 * attribute updates, and React and the panels nothing.
 */
import type { Layer } from '@deck.gl/core';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode, type Ref } from 'react';
import type { LonLat } from '../../core/geo/types';
import type { Density } from '../../core/rpc/queries';
import type { GridMeasure, GridStats, MapWorkers, ModuleFeatures, ModuleId, WallLayerKey } from '../../core/rpc/wall';
import { useI18n } from '../i18n';
import { DistrictMap, type DistrictMapHandle, type MapPick, type MapView } from '../map/DistrictMap';
import type { GridFill } from '../map/district-layers';
import type { MapModel } from '../map/map-model';
import { CachedLayerSource } from '../map/live-layers';
import { glFacts, softwareGl } from '../map/renderer-kind';
import { GridFillController } from './grid-fill';
import { LayerPanel } from './LayerPanel';
import { MapLegend } from './MapLegend';
import { gridPopulation, type GridFigures, type Legend } from './measures';
import type { PlaybackClock } from './playback';
import { Signal, useSignal, type LiveEvents, type Polled } from './use-wall-data';
import { GLYPH_MIN_ZOOM, WallLayerBuilder, type PlaybackLayerData, type WallLayerInputs } from './wall-layers';
import type { WallViewState } from './wall-state';

export interface WallMapProps {
  model: MapModel;
  live: LiveEvents | null;
  unitPositions: Float32Array | null;
  density: Density | null;
  workers: MapWorkers | null;
  modules: ModuleFeatures | null;
  /** the service's per-grid figures (30 days' reports, and open/overdue while the store has no grids) */
  gridStats: Signal<Polled<GridStats>> | null;
  view: WallViewState;
  scale: number;
  pixelRatio: number;
  animationFps: number;
  alertAt: LonLat | null;
  selected: LonLat | null;
  playback: PlaybackLayerData | null;
  playbackClock: PlaybackClock | null;
  mapRef: Ref<DistrictMapHandle>;
  onToggleLayer: (k: WallLayerKey) => void;
  onMeasure: (m: GridMeasure) => void;
  onPick: (pick: MapPick | null) => void;
  onInteraction: () => void;
  /** a frame was drawn with the layers of this store version */
  onDrawn: (storeVersion: number) => void;
  /** the figures the grid fill uses, for cards */
  figuresRef?: { current: (() => GridFigures) | null };
  children?: ReactNode;
}

/** Seconds of float32 precision: count the pulse filter from the start of this page. */
const TIME_BASE = Math.floor(Date.now() / 60_000) * 60_000;

export function WallMap(props: WallMapProps) {
  const { t } = useI18n();
  const { model, live, view } = props;
  const wallMapRef = useRef<HTMLDivElement>(null);
  const gridStats = useSignal(props.gridStats ?? NO_STATS).data;
  const controller = useMemo(() => new GridFillController(model), [model]);
  const [fill, setFill] = useState<GridFill | null>(null);
  const [legend, setLegend] = useState<Legend | null>(null);
  const [glyphZoom, setGlyphZoom] = useState(false);

  // the figures behind the fill: live counts from the store when it knows grids, else the service's
  // (kept as the same array while its figures stand: a grid-stats answer whose other figures moved —
  // overdue counts, 30 days' reports — must not recolour the whole fill through it)
  const lastPopulation = useRef<Float64Array | null>(null);
  const population = useMemo(() => {
    const villagePop = new Map(model.villages.map((v) => [v.code, v.population]));
    const next = gridPopulation(model.grids, gridStats, villagePop);
    const prev = lastPopulation.current;
    if (prev && prev.length === next.length && prev.every((v, i) => v === next[i])) return prev;
    lastPopulation.current = next;
    return next;
  }, [model, gridStats]);
  const served = useMemo(() => aligned(model, gridStats), [model, gridStats]);
  const figures = useCallback((): GridFigures => {
    const store = live?.store;
    const liveCounts = store && store.hasGridColumn && store.openByGrid.length === model.grids.length;
    return {
      open: liveCounts ? store.openByGrid : served.open,
      overdue: liveCounts ? store.overdueByGrid : served.overdue,
      load30d: served.reported,
      population,
    };
  }, [live, model, served, population]);
  if (props.figuresRef) props.figuresRef.current = figures;

  // recolour everything when the measure, the figures it reads or the store's era change: the served
  // open/overdue counts only while the store does not count by grid, their 30 days' reports only for
  // that measure (a new answer every 5 minutes must not regenerate the whole fill for nothing)
  // the store's last full load (a re-render only then, not at each patch's version)
  const fullVersion = useSyncExternalStore(live?.version.subscribe ?? noSubscription, () => live?.store.fullVersion ?? 0);
  const storeLoaded = fullVersion > 0;
  const liveCounts = !!live && live.store.hasGridColumn && live.store.openByGrid.length === model.grids.length;
  const servedCounts = liveCounts ? null : served;
  const servedReports = view.measure === 'load_30d' ? served : null;
  const figuresNow = useRef(figures);
  figuresNow.current = figures;
  useEffect(() => {
    if (view.measure === 'town') {
      setLegend(null);
      setFill(null);
      return;
    }
    setLegend(controller.reset(view.measure, figuresNow.current()));
    setFill(controller.gridFill());
  }, [controller, view.measure, population, servedCounts, servedReports, fullVersion, storeLoaded]);

  // then patch: only the grids a change touched
  useEffect(() => {
    if (!live) return;
    return live.lastChange.subscribe(() => {
      const change = live.lastChange.get();
      if (!change || change.kind !== 'patch' || !change.patch || change.patch.grids.length === 0) return;
      if (controller.update(change.patch.grids, figures()).length > 0) setFill(controller.gridFill());
    });
  }, [live, controller, figures]);

  const builder = useMemo(() => (live ? new WallLayerBuilder(live.store, TIME_BASE) : null), [live]);
  const canvasLimit = useMemo(maxCanvas, []);
  const inputs: WallLayerInputs | null = useMemo(
    () =>
      live
        ? {
            store: live.store,
            unitPositions: props.unitPositions,
            density: props.density,
            workers: props.workers,
            modules: props.modules,
            visible: view.layers,
            districtBBox: model.district.bbox,
            scale: props.scale,
            zoom: glyphZoom ? GLYPH_MIN_ZOOM : 0,
            playback: props.playback,
            selected: props.selected,
          }
        : null,
    // not the store's version: the layer source builds the live layers of each version (below)
    [live, props.unitPositions, props.density, props.workers, props.modules, view.layers, model, props.scale, glyphZoom, props.playback, props.selected],
  );

  // Without an animation loop (fps=0, or software GL where DistrictMap draws one still frame of the
  // moving layers), playback's clock and the alert ring still have to reach the map: while either
  // is on, a slow timer hands the moving layers over again at the current playback time.
  const moving = props.playbackClock !== null || props.alertAt !== null;
  const stillMs = props.animationFps === 0 || softwareGl() ? (softwareGl() ? 1000 : 250) : 0;
  const [stillTick, setStillTick] = useState(0);
  useEffect(() => {
    if (!moving || stillMs === 0) return;
    const id = setInterval(() => setStillTick((n) => n + 1), stillMs);
    return () => clearInterval(id);
  }, [moving, stillMs]);
  // the live layers, built when the map asks and the store's version, the inputs or the still tick moved
  const layerState = useRef({ inputs, moving, stillTick, alertAt: props.alertAt, clock: props.playbackClock, fps: props.animationFps });
  layerState.current = { inputs, moving, stillTick, alertAt: props.alertAt, clock: props.playbackClock, fps: props.animationFps };
  const layers = useMemo(() => {
    if (!builder || !live) return null;
    return new CachedLayerSource(
      () => {
        const { inputs: i, moving: m, alertAt, clock, fps } = layerState.current;
        if (!i) return { extra: [], top: [] };
        const still: Layer[] = m && !(fps > 0) ? builder.animate(i, 0, Date.now(), clock ? clock.tick(performance.now()) : null, alertAt) : [];
        return { extra: builder.build(i), top: [...builder.top(i), ...still] };
      },
      () => {
        const st = layerState.current;
        return [live.store.version, live.store.length, st.inputs, st.moving, st.stillTick, st.alertAt, st.clock, st.fps];
      },
    );
  }, [builder, live]);

  const live_ = useRef({ inputs, alertAt: props.alertAt, clock: props.playbackClock });
  live_.current = { inputs, alertAt: props.alertAt, clock: props.playbackClock };
  const animate = useCallback(
    (frameMs: number) => {
      const { inputs: i, alertAt, clock } = live_.current;
      if (!builder || !i) return [];
      return builder.animate(i, frameMs, Date.now(), clock ? clock.tick(performance.now()) : null, alertAt);
    },
    [builder],
  );

  // the version the layers were last handed over with; a drawn frame after it completes the latency
  const drawnVersion = useRef(0);
  const handedVersion = useRef(0);
  // a new store version: the map takes the new layers (DistrictMap's subscription builds and hands
  // them over now), and the page says which version it holds — no render
  useEffect(() => {
    if (!live || !layers) return;
    const onVersion = () => {
      layers.changed();
      handedVersion.current = live.store.version;
      const el = wallMapRef.current;
      if (el) {
        el.dataset.storeVersion = String(live.store.version);
        el.dataset.events = String(live.store.length);
      }
    };
    return live.version.subscribe(onVersion);
  }, [live, layers]);
  // new inputs (layers switched, a pick, playback, the alert ring's still tick…): hand over again
  useEffect(() => {
    if (!live || !layers) return;
    layers.changed();
    handedVersion.current = live.store.version;
  }, [live, layers, inputs, moving, stillTick, props.alertAt, props.playbackClock, props.animationFps]);
  const onAfterRender = useCallback(() => {
    if (handedVersion.current > drawnVersion.current) {
      drawnVersion.current = handedVersion.current;
      props.onDrawn(handedVersion.current);
    }
  }, [props]);

  // room at the bottom for the legend and the playback bar, at the top for the tour line
  const padding = useMemo(() => {
    const u = props.scale;
    return { top: Math.round(56 * u), bottom: Math.round(150 * u), left: Math.round(36 * u), right: Math.round(36 * u) };
  }, [props.scale]);
  const onViewChange = useCallback((v: MapView) => setGlyphZoom(v.zoom >= GLYPH_MIN_ZOOM), []);
  const moduleCounts = useMemo(() => {
    const m = new Map<ModuleId, number>();
    for (const f of props.modules?.features ?? []) m.set(f.module, (m.get(f.module) ?? 0) + 1);
    return m;
  }, [props.modules]);

  return (
    <div
      ref={wallMapRef}
      className="map-stage wall-map"
      onPointerDown={props.onInteraction}
      onWheel={props.onInteraction}
      data-testid="wall-map"
      data-store-version={live?.store.version ?? 0}
      data-events={live?.store.length ?? 0}
    >
      <DistrictMap
        ref={props.mapRef}
        model={model}
        selectedTownCode={null}
        scale={props.scale * 1.3}
        padding={padding}
        onHover={() => {}}
        ariaLabel={t.wall.mapAria}
        gridFill={fill}
        show={{ grids: view.layers.grids, boundaries: view.layers.boundaries, labels: view.layers.labels }}
        liveLayers={layers}
        {...(props.animationFps > 0 ? { animate, animationFps: props.animationFps } : {})}
        onPick={props.onPick}
        onViewChange={onViewChange}
        pixelRatio={props.pixelRatio}
        maxCanvasSize={canvasLimit}
        onAfterRender={onAfterRender}
      />
      <MapLegend measure={view.measure} legend={legend} onMeasure={props.onMeasure} showEvents={view.layers.events} />
      <LayerPanel layers={view.layers} moduleCounts={moduleCounts} onToggle={props.onToggleLayer} />
      {props.children}
    </div>
  );
}

const noSubscription = () => () => {};
const NO_STATS = new Signal<Polled<GridStats>>({ data: null, error: null, at: 0 });

/** An 8K wall's map is over 4,096 device pixels wide: let the canvas be as large as the GPU allows. */
function maxCanvas(): [number, number] {
  const side = Math.min(16_384, glFacts().maxTextureSize);
  return [side, side];
}

/** The service's per-grid figures in the model's grid order. */
function aligned(model: MapModel, stats: GridStats | null): { open: Float64Array; overdue: Float64Array; reported: Float64Array } {
  const n = model.grids.length;
  const out = { open: new Float64Array(n), overdue: new Float64Array(n), reported: new Float64Array(n) };
  if (!stats) return out;
  const index = new Map(model.grids.map((g, i) => [g.code, i]));
  stats.gridCodes.forEach((code, j) => {
    const i = index.get(code);
    if (i === undefined) return;
    out.open[i] = stats.open[j] ?? 0;
    out.overdue[i] = stats.overdue[j] ?? 0;
    out.reported[i] = stats.reported[j] ?? 0;
  });
  return out;
}
