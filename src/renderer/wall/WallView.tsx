/**
 * The wall (大屏): the live district on a video wall, run by nobody at the
 * wall itself. Panels around the map (today's figures, charts, the newest
 * events, the link), the map with the grid measure and live layers, alerts
 * that take over until a workstation acknowledges them, an auto-tour through
 * the towns, views pushed from workstations (directives), and playback.
 *
 * Kiosk URL: `/?mode=wall&wall=<id>&lang=zh-CN` plus, optionally, `tour=0`,
 * `tourSeconds=30`, `measure=overdue`, `dpr=1` (canvas pixel ratio), `fps=24`
 * (pulse animation; 0 = none). In development builds `fake=wall` swaps in demo
 * data for the requests the data service does not answer yet (`fake=1` is the workstation's fully fake bridge, see main.tsx).
 */
import { Layer } from '@deck.gl/core';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState, type CSSProperties, type ReactNode, type RefObject } from 'react';
import type { LonLat } from '../../core/geo/types';
import type { Unit } from '../../core/org/types';
import type { AreasTree } from '../../core/rpc/contract';
import type { RpcClient } from '../../core/rpc/wire';
import { GridMeasure, WallDirective, type WallFocus, type WallState } from '../../core/rpc/wall';
import { useI18n } from '../i18n';
import { installAttributeCounter } from '../map/attribute-stats';
import { softwareGl } from '../map/renderer-kind';
import { mapFrameSync, type FrameSync } from '../map/frame-sync';
import { mapFrames, type DistrictMapHandle, type MapPick } from '../map/DistrictMap';
import { buildMapModel, type GridPart, type MapModel } from '../map/map-model';
import { RpcProvider, useRpc } from '../rpc/rpc-context';
import { useSyncStatus } from '../rpc/use-sync-status';
import type { Kpis } from '../../core/rpc/queries';
import { LoadingPanel, ErrorPanel } from '../shell/StatusPanel';
import { AlertBanner } from './AlertBanner';
import { alertView, initialAlerts, stepAlerts, type AlertMachine } from './alerts';
import { createAlertSound } from './alert-sound';
import { eventDetailCard, eventRowCard, gridCard, hexagonCard, moduleCard, workerCard, type CardContent } from './cards';
import { CategoryChart, HourlyChart, SourceChart, TownChart } from './ChartPanels';
import { KpiPanel } from './KpiPanel';
import { formatLatency } from './format';
import { LinkStatus } from './LinkStatus';
import { MapCard } from './MapCard';
import { measureValue, sameGridStats, type GridFigures } from './measures';
import { PlaybackBar, presetPeriod, type PlaybackPreset } from './PlaybackBar';
import { PlaybackClock, openAt, phaseWindows } from './playback';
import { LiveTicker } from './Ticker';
import { configureTour, createTour, INTERACTION_HOLD_MS, tourStops, tourTick, type TourState, type TourStop } from './tour';
import { sameJson, useLiveEvents, useNow, usePolledRequest, usePolledSignal, useSignal, useSignalEvery, useWallMetrics, Signal, type Polled } from './use-wall-data';
import type { LiveFeed } from './live-feed';
import type { PlaybackLayerData } from './wall-layers';
import { WALL_LAYER_IDS } from './wall-layers';
import { WallMap } from './WallMap';
import { WallSignIn } from './WallSignIn';
import { applyDirective, initialWallState, wallReducer, type WallViewState } from './wall-state';
import type { ModuleFeature, WallLayerKey, WorkerPosition } from '../../core/rpc/wall';
import './wall.css';

/** Attribute regenerations of every deck.gl layer, for tests and the benchmark. */
export const attributeCounter = installAttributeCounter(Layer);

/** at most one chart redraw per this many ms while events flow (the KPI tiles follow every 2 s) */
const CHART_GAP_MS = 10_000;
/** charts animate to new figures only while the map's frames take less (ms; ECharts' transitions are 500–600 ms) */
const CHART_TRANSITION_MAX_FRAME_MS = 100;

const DEMO_ENABLED = import.meta.env.DEV || import.meta.env.VITE_HUYING_DEMO === '1';

function params(): URLSearchParams {
  return new URLSearchParams(typeof location === 'undefined' ? '' : location.search);
}

/** The client the wall talks to: the app's, or (dev builds, `?fake=wall`) the demo over it. */
function useWallClient(): RpcClient | null {
  const real = useRpc();
  const wantsDemo = DEMO_ENABLED && params().get('fake') === 'wall';
  const [demo, setDemo] = useState<RpcClient | null>(null);
  useEffect(() => {
    if (!wantsDemo) return;
    let stop: (() => void) | null = null;
    let live = true;
    void import('./test/demo-client').then((m) => {
      if (!live) return;
      const firstAlert = Number(params().get('demoAlertMs') ?? 15_000);
      const client = m.createDemoClient(real, { firstAlertMs: firstAlert, alertEveryMs: firstAlert > 0 ? 90_000 : 0 });
      stop = () => client.stop();
      (window as unknown as { __huyingDemo?: unknown }).__huyingDemo = client;
      setDemo(client);
    });
    return () => {
      live = false;
      stop?.();
    };
  }, [real, wantsDemo]);
  return wantsDemo ? demo : real;
}

export function WallView() {
  const client = useWallClient();
  const { t } = useI18n();
  if (!client) return <LoadingPanel text={t.status.loadingMap} />;
  return (
    <RpcProvider client={client}>
      <WallScreen />
    </RpcProvider>
  );
}

interface WallOptions {
  wallId: string;
  tour: boolean;
  tourSeconds: number;
  measure: GridMeasure;
  dpr: number | null;
  fps: number;
}

function readOptions(): WallOptions {
  const p = params();
  const num = (k: string) => (p.get(k) === null ? null : Number(p.get(k)));
  const measure = GridMeasure.safeParse(p.get('measure'));
  return {
    wallId: p.get('wall') || 'main',
    tour: p.get('tour') !== '0',
    tourSeconds: Math.max(5, num('tourSeconds') ?? 30),
    measure: measure.success ? measure.data : 'open',
    dpr: num('dpr'),
    fps: Math.max(0, Math.min(60, num('fps') ?? 24)),
  };
}

interface PlaybackRuntime {
  key: string;
  status: 'loading' | 'ready' | 'error';
  from: number;
  to: number;
  data: PlaybackLayerData | null;
  model: MapModel | null;
  clock: PlaybackClock;
  error: string | null;
}

interface CardState {
  content: CardContent;
  x: number;
  y: number;
  width: number;
  height: number;
  loading: boolean;
  selected: LonLat | null;
}

function WallScreen() {
  const client = useRpc();
  const i18n = useI18n();
  const { t } = i18n;
  const options = useMemo(readOptions, []);
  /** software GL: nothing on the page animates (map pulses, chart transitions, CSS blinking) */
  const still = useMemo(() => softwareGl(), []);
  const metrics = useWallMetrics(options.dpr);
  const [view, dispatch] = useReducer(wallReducer, undefined, () =>
    initialWallState({ tour: options.tour, tourSeconds: options.tourSeconds, measure: options.measure }),
  );
  const viewRef = useRef(view);
  viewRef.current = view;
  const mapRef = useRef<DistrictMapHandle>(null);

  useEffect(() => {
    document.documentElement.style.setProperty('--ws', String(metrics.scale));
    return () => void document.documentElement.style.removeProperty('--ws');
  }, [metrics.scale]);

  // reference data, refreshed every 10–30 minutes; an answer equal to the one shown goes nowhere.
  // Every answer is a new object, and a new model or unit list makes a new EventStore and LiveFeed
  // (useLiveEvents): the wall reloaded all its open events and rebuilt every layer every 10 minutes
  // (the units' poll) — in bench:wall a round of several times the CPU of the others, with the
  // feed's counters starting over, in every run longer than 10 minutes
  const tree = usePolledRequest(client, 'areas/tree', {}, { everyMs: 30 * 60_000, equal: sameJson });
  const geometry = usePolledRequest(client, 'grids/geometry', {}, { everyMs: 30 * 60_000, equal: sameJson });
  const model = useMemo(() => (tree.data && geometry.data ? buildMapModel(tree.data, geometry.data) : null), [tree.data, geometry.data]);
  const units = usePolledRequest(client, 'units/list', {}, { everyMs: 10 * 60_000, equal: sameJson });
  const unitsSettled = units.data !== null || units.error !== null;
  const unitList = useMemo<Unit[] | null>(() => (units.data ? units.data.units : unitsSettled ? [] : null), [units.data, unitsSettled]);
  const unitIds = useMemo(() => unitList?.map((u) => u.id) ?? null, [unitList]);
  const unitById = useMemo(() => new Map((unitList ?? []).map((u) => [u.id, u])), [unitList]);
  const unitPositions = useMemo(() => (unitList && unitList.length ? new Float32Array(unitList.flatMap((u) => [u.location[0], u.location[1]])) : null), [unitList]);

  // live events and what follows them
  const live = useLiveEvents(client, model?.grids ?? null, unitIds, PANEL_GAP_MS);
  const feedState = useSignal(live?.state ?? NO_STATE);
  // What follows the events is asked for through signals, not WallScreen state: an answer re-renders
  // the panel that shows it, never the whole wall (map, every panel). The figures follow the events
  // every 2 s (the panels' tick), an unchanged answer goes nowhere; the charts take them at most
  // every CHART_GAP_MS (ThrottledCharts); the ticker asks when a change can alter it (LiveTicker).
  // (an answer is shown with the map's next frame when one is coming: one repaint of the page, not two)
  const kpis = usePolledSignal(client, 'stats/kpis', { period: 'today' }, { everyMs: 60_000, trigger: live?.tick ?? null, minGapMs: PANEL_GAP_MS, equal: sameKpis, frames: mapFrameSync });
  // (a signal the map follows: an answer re-renders the map, not the wall, and one with the same
  // figures — every 5 minutes while the 30 days' counts stand still — nothing)
  const gridStats = usePolledSignal(client, 'map/grid-stats', { period: '30d' }, {
    everyMs: 5 * 60_000,
    // the service's per-grid counts, while the store cannot count by grid itself
    trigger: live?.tick ?? null,
    triggerIf: () => !!live && !live.store.hasGridColumn,
    minGapMs: 5_000,
    equal: sameGridStats,
  });
  const density = usePolledRequest(client, 'map/density', { period: '30d', cellMetres: 250 }, { everyMs: 10 * 60_000, enabled: view.layers.heatmap || view.layers.hexagons });
  const workers = usePolledRequest(client, 'map/workers', {}, { everyMs: 60_000, enabled: view.layers.workers });
  const modules = usePolledRequest(client, 'map/modules', {}, { everyMs: 30 * 60_000 });
  const signedIn = useSignedIn(client);

  // ── alerts ─────────────────────────────────────────
  const sound = useMemo(() => createAlertSound(), []);
  useEffect(() => () => sound.close(), [sound]);
  const [alerts, setAlerts] = useState<AlertMachine>(initialAlerts);
  const alertsRef = useRef(alerts);
  const [soundBlocked, setSoundBlocked] = useState(false);
  const focus = useFocus(mapRef, model, live);
  const runAlerts = useCallback(
    (input: Parameters<typeof stepAlerts>[1]) => {
      const { machine, effects } = stepAlerts(alertsRef.current, input);
      alertsRef.current = machine;
      setAlerts(machine);
      if (effects.flyTo) {
        const a = effects.flyTo;
        if (a.location) mapRef.current?.flyTo(a.location, 14.2);
        else if (a.gridCode) focus({ kind: 'grid', code: a.gridCode });
      }
      if (effects.sound) void sound.play().then((ok) => setSoundBlocked(!ok));
    },
    [sound, focus],
  );

  // ── directives and wall state ──────────────────────
  const applyWallState = useCallback(
    (state: WallState) => {
      runAlerts({ type: 'alerts', alerts: state.alerts, now: Date.now() });
      if (!state.directive) return;
      const parsed = WallDirective.safeParse(state.directive);
      if (!parsed.success) return;
      const outcome = applyDirective(viewRef.current, parsed.data, options.wallId, Date.now());
      if (!outcome.applied) return;
      viewRef.current = outcome.state;
      dispatch({ type: 'replace', state: outcome.state });
      if (outcome.focus) focus(outcome.focus);
    },
    [runAlerts, options.wallId, focus],
  );
  useEffect(() => {
    let live = true;
    const off = client.subscribe('wall/changed', (s) => applyWallState(s));
    const load = () =>
      client.invoke('wall/state', { wallId: options.wallId }).then(
        (s) => live && applyWallState(s),
        () => undefined,
      );
    void load();
    const id = setInterval(load, 60_000);
    return () => {
      live = false;
      off();
      clearInterval(id);
    };
  }, [client, options.wallId, applyWallState]);

  // ── tour ───────────────────────────────────────────
  const tourRef = useRef<TourState | null>(null);
  const interactionUntil = useRef<number | null>(null);
  const [tourStop, setTourStop] = useState<TourStop | null>(null);
  useEffect(() => {
    if (!model) return;
    const intervalMs = view.tour.intervalSeconds * 1000;
    tourRef.current = tourRef.current
      ? configureTour({ ...tourRef.current, stops: tourStops(model.towns.map((x) => x.code)) }, view.tour.enabled, intervalMs, Date.now())
      : createTour(tourStops(model.towns.map((x) => x.code)), intervalMs, view.tour.enabled, Date.now());
  }, [model, view.tour.enabled, view.tour.intervalSeconds]);
  const stepTour = useCallback(
    (now: number) => {
      const state = tourRef.current;
      const v = viewRef.current;
      if (!state || !model) return;
      const holdUntil = v.holdUntil !== null && v.holdUntil > now ? v.holdUntil : null;
      const { state: next, move } = tourTick(state, now, {
        alert: alertsRef.current.phase === 'takeover',
        playback: v.playback !== null,
        holdUntil,
        interactionUntil: interactionUntil.current,
      });
      tourRef.current = next;
      if (move) {
        setTourStop(move);
        focus(move.kind === 'district' ? { kind: 'district' } : { kind: 'town', code: move.code });
      }
    },
    [model, focus],
  );
  useEffect(() => stepTour(Date.now()), [stepTour, alerts.phase, view.playback, view.holdUntil]);
  // the clock of the alerts (sound repeats, the acknowledged banner's end) and of the tour: a timer
  // that re-renders nothing unless something moves (the countdown on the banner has its own clock),
  // and runs only while something can move — a tour that runs, an alert on the banner. A wall with
  // the tour off and no alert has nothing for it: it was a task a second all day for nothing (a
  // quarter of the wall's timer tasks in the SwiftShader bench, whose wall runs with tour=0)
  const clock = useRef({ runAlerts, stepTour });
  clock.current = { runAlerts, stepTour };
  const ticking = view.tour.enabled || alerts.phase !== 'idle';
  useEffect(() => {
    if (!ticking) return;
    const id = setInterval(() => {
      const now = Date.now();
      clock.current.runAlerts({ type: 'tick', now });
      clock.current.stepTour(now);
    }, 1000);
    return () => clearInterval(id);
  }, [ticking]);
  const onInteraction = useCallback(() => {
    interactionUntil.current = Date.now() + INTERACTION_HOLD_MS;
    void sound.unlock().then(() => setSoundBlocked(sound.blocked && alertsRef.current.phase === 'takeover'));
  }, [sound]);

  // ── playback ───────────────────────────────────────
  const playback = usePlayback(client, view, tree.data);
  // the replay's clock on the bar: four times a second while a replay runs, never otherwise (a
  // re-render of the whole wall four times a second would be most of its idle CPU)
  const playbackNow = useNow(playback ? 250 : 0);
  const pbTime = playback?.clock.now(performance.now()) ?? 0;
  const pbOpen = useMemo(() => (playback?.data ? openAt(playback.data.playback, pbTime).length : 0), [playback, pbTime, playbackNow]);

  // ── picking ────────────────────────────────────────
  // category names as the KPI answer words them (the taxonomy lives in the replicated config)
  const categoryName = useCallback((code: string) => kpis.get().data?.byCategory.find((c) => c.key === code)?.label, [kpis]);
  const [card, setCard] = useState<CardState | null>(null);
  const figuresRef = useRef<(() => GridFigures) | null>(null);
  const mapModel = playback?.model ?? model;
  const onPick = useCallback(
    (pick: MapPick | null) => {
      onInteraction();
      if (!pick || !mapModel) return setCard(null);
      const at = { x: pick.x, y: pick.y, width: pick.width, height: pick.height };
      const id = pick.layerId;
      if (id === WALL_LAYER_IDS.events || id === WALL_LAYER_IDS.pulse || id === WALL_LAYER_IDS.arcs) {
        if (!live || pick.index >= live.store.length) return;
        const row = pick.index;
        const eventId = live.store.ids[row]!;
        const selected: LonLat = [live.store.positions[2 * row]!, live.store.positions[2 * row + 1]!];
        setCard({ content: eventRowCard(live.store, row, mapModel, i18n), ...at, loading: true, selected });
        client.invoke('events/detail', { id: eventId }).then(
          (d) => setCard((c) => (c?.content.eventId === eventId ? { ...c, loading: false, content: eventDetailCard(d, unitById, mapModel, i18n, categoryName) } : c)),
          () => setCard((c) => (c?.content.eventId === eventId ? { ...c, loading: false } : c)),
        );
        return;
      }
      if (id.startsWith('grids')) {
        const part = pick.object as GridPart;
        const g = mapModel.grids.indexOf(part.grid);
        const figures = figuresRef.current?.();
        const value = figures && g >= 0 ? measureValue(viewRef.current.measure, figures, g) : null;
        return setCard({ content: gridCard(part.grid, mapModel, viewRef.current.measure, value, i18n), ...at, loading: false, selected: null });
      }
      if (id === WALL_LAYER_IDS.workers) {
        const w = pick.object as WorkerPosition;
        return setCard({ content: workerCard(w, mapModel, i18n), ...at, loading: false, selected: w.position });
      }
      if (id.startsWith('module-')) {
        const f = pick.object as ModuleFeature;
        const selected = f.geometry.type === 'Point' ? f.geometry.coordinates : null;
        return setCard({ content: moduleCard(f, mapModel, i18n), ...at, loading: false, selected });
      }
      if (id.startsWith(WALL_LAYER_IDS.hexagons)) {
        const o = pick.object as { colorValue?: number; count?: number } | null;
        return setCard({ content: hexagonCard(o?.colorValue ?? o?.count ?? 0, i18n), ...at, loading: false, selected: null });
      }
      setCard(null);
    },
    [client, live, mapModel, i18n, unitById, onInteraction, categoryName],
  );
  const pickTickerRow = useCallback(
    (row: { id: string; location: LonLat | null }) => {
      onInteraction();
      if (row.location) mapRef.current?.flyTo(row.location, 15);
    },
    [onInteraction],
  );

  // ── latency, for the link panel and the benchmark ──
  // a signal, not WallScreen state: a frame drawn with a change would otherwise re-render the whole
  // wall (every panel) for one figure in the link panel
  const latency = useMemo(() => new Signal<number | null>(null), []);
  /** the newest store version a drawn frame carried */
  const drawnRef = useRef(0);
  const onDrawn = useCallback(
    (version: number) => {
      drawnRef.current = Math.max(drawnRef.current, version);
      live?.drawn(version);
      const change = live?.lastChange.get();
      if (!live || !change || change.kind !== 'patch' || version < live.store.version) return;
      const ms = performance.now() - change.receivedAt;
      live.latency.render.push(ms);
      if (live.latency.render.length > 500) live.latency.render.shift();
      latency.set(ms);
    },
    [live, latency],
  );
  useDebugHook(live, playback, pbTime, mapRef, drawnRef);

  const onToggleLayer = useCallback((key: WallLayerKey) => dispatch({ type: 'toggle-layer', key }), []);
  const onMeasure = useCallback((measure: GridMeasure) => dispatch({ type: 'set-measure', measure }), []);
  const mapView = useMemo<WallViewState>(() => (playback ? { ...view, measure: 'town' } : view), [view, playback]);
  const treeError = tree.error ?? geometry.error;
  if (!model) {
    return (
      <div className="wall wall--status" data-testid="wall">
        {treeError && !tree.data ? <ErrorPanel error={treeError} onRetry={() => location.reload()} /> : <LoadingPanel text={t.status.loadingMap} />}
      </div>
    );
  }

  // the phase and the alert do not depend on the clock (the banner's countdown has its own)
  const av = alertView(alerts, Date.now());
  const ultrawide = metrics.kind === 'ultrawide';

  return (
    <div
      className={`wall wall--${metrics.kind} ${av.phase === 'takeover' ? 'wall--alert' : ''} ${still ? 'wall--still' : ''}`}
      style={{ '--ws': metrics.scale } as CSSProperties}
      data-testid="wall"
      data-scale={metrics.scale}
      data-layout={metrics.kind}
      data-pixel-ratio={metrics.pixelRatio}
      data-still={still}
      onPointerDown={onInteraction}
    >
      <aside className="wall__side wall__side--left">
        <LiveKpiPanel kpis={kpis} />
        <ThrottledCharts kpis={kpis}>
          {(chartKpis, transitions) => (
            <>
              <CategoryChart kpis={chartKpis} scale={metrics.scale} ultrawide={ultrawide} animate={!still && transitions} />
              <SourceChart kpis={chartKpis} scale={metrics.scale} animate={!still && transitions} />
            </>
          )}
        </ThrottledCharts>
      </aside>
      <main className="wall__center">
        <WallMap
          model={mapModel ?? model}
          live={live}
          unitPositions={unitPositions}
          density={density.data}
          workers={workers.data}
          modules={modules.data}
          gridStats={gridStats}
          view={mapView}
          scale={metrics.scale}
          pixelRatio={metrics.pixelRatio}
          animationFps={options.fps}
          alertAt={av.phase === 'takeover' ? (av.alert?.location ?? null) : null}
          selected={card?.selected ?? null}
          playback={playback?.status === 'ready' ? playback.data : null}
          playbackClock={playback?.status === 'ready' ? playback.clock : null}
          mapRef={mapRef}
          onToggleLayer={onToggleLayer}
          onMeasure={onMeasure}
          onPick={onPick}
          onInteraction={onInteraction}
          onDrawn={onDrawn}
          figuresRef={figuresRef}
        >
          <LiveAlertBanner machine={alerts} model={model} soundBlocked={soundBlocked} />
          <TourStatus view={view} stop={tourStop} model={model} />
          {signedIn === false ? (
            <div className="wall-map__notice wall-map__notice--sign-in" data-testid="not-signed-in">
              <span>{t.wall.notSignedIn}</span>
              <WallSignIn client={client} />
            </div>
          ) : (
            feedState === 'unavailable' &&
            !playback && (
              <div className="wall-map__notice" data-testid="feed-unavailable">
                {t.wall.noEvents}
              </div>
            )
          )}
          <PlaybackBar
            state={playback ? playback.status : 'off'}
            from={playback?.from ?? 0}
            to={playback?.to ?? 0}
            time={pbTime}
            playing={playback?.clock.playing ?? false}
            speed={view.playback?.speed ?? 60}
            openCount={pbOpen}
            geometryAsOf={playback?.data?.playback.geometryAsOf ?? null}
            error={playback?.error ?? null}
            onStart={(preset: PlaybackPreset) => {
              const p = presetPeriod(preset, Date.now());
              dispatch({ type: 'start-playback', playback: { from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), speed: preset === 'last7d' ? 3600 : 600 } });
            }}
            onStop={() => dispatch({ type: 'stop-playback' })}
            onPlayPause={() => {
              if (!playback) return;
              if (playback.clock.playing) playback.clock.pause(performance.now());
              else playback.clock.play(performance.now());
            }}
            onSpeed={(speed) => {
              playback?.clock.setSpeed(speed, performance.now());
              if (view.playback) dispatch({ type: 'start-playback', playback: { ...view.playback, speed } });
            }}
            onSeek={(time) => playback?.clock.seek(time, performance.now())}
          />
          {card && <MapCard card={card.content} x={card.x} y={card.y} width={card.width} height={card.height} scale={metrics.scale} loading={card.loading} onClose={() => setCard(null)} />}
        </WallMap>
      </main>
      <aside className="wall__side wall__side--right">
        <ThrottledCharts kpis={kpis}>
          {(chartKpis, transitions) => (
            <>
              <HourlyChart kpis={chartKpis} scale={metrics.scale} animate={!still && transitions} />
              <TownChart kpis={chartKpis} model={model} scale={metrics.scale} animate={!still && transitions} />
            </>
          )}
        </ThrottledCharts>
        <LiveTicker client={client} live={live} limit={ultrawide ? 16 : 10} model={model} onPick={pickTickerRow} />
        <LiveLinkStatus feed={feedState} live={live} latency={latency} />
      </aside>
    </div>
  );
}

/**
 * The link panel, following the sync state, the store and the latency by itself (not through
 * WallScreen): the open count and the latency at most once a second — on a GPU wall a change is
 * drawn every frame, and a figure rewritten per frame is a restyle and a repaint per frame. The
 * latency, which moves with nearly every frame drawn with a change, re-renders its own figure only.
 */
function LiveLinkStatus(props: { feed: Parameters<typeof LinkStatus>[0]['feed']; live: ReturnType<typeof useLiveEvents>; latency: Signal<number | null> }) {
  const { live, latency, feed } = props;
  const sync = useSyncStatus();
  // the open count, not the store's version: a change that opens or closes nothing (most of them)
  // re-renders nothing here
  const openEvents = useSignalEvery(live?.openCount ?? NO_TICK, 1000);
  const latencyFigure = useMemo(() => <LatencyFigure latency={latency} />, [latency]);
  return (
    <LinkStatus
      sync={sync.status === 'ok' ? sync.data : null}
      syncError={sync.status === 'error' ? sync.error : null}
      feed={feed}
      openEvents={live ? openEvents : 0}
      latency={latencyFigure}
    />
  );
}

/** The latency in the link panel, at most once a second. */
function LatencyFigure({ latency }: { latency: Signal<number | null> }) {
  return <>{formatLatency(useSignalEvery(latency, 1000))}</>;
}

/** Today's figures, re-rendered when an answer differs from the one shown (not with the wall). */
function LiveKpiPanel({ kpis }: { kpis: Signal<Polled<Kpis>> }) {
  const k = useSignal(kpis);
  return <KpiPanel kpis={k.data} unavailable={k.error !== null} />;
}

/**
 * The KPI answer, passed on to charts at most every CHART_GAP_MS, and whether they may animate to it:
 * not while the map's frames take over CHART_TRANSITION_MAX_FRAME_MS (a weak GPU, software GL) — a
 * half-second transition would show in one or two of them, and each of its steps is a repaint of the
 * whole page the map's next frame waits behind.
 */
function ThrottledCharts({ kpis, children }: { kpis: Signal<Polled<Kpis>>; children: (kpis: Kpis | null, transitions: boolean) => ReactNode }) {
  const data = useSignalEvery(kpis, CHART_GAP_MS).data;
  return children(data, mapFrameSync.frameMs < CHART_TRANSITION_MAX_FRAME_MS);
}

/** Equal figures: the checkpoint and the period's end move with every answer, the figures do not. */
function sameKpis(a: Kpis, b: Kpis): boolean {
  return sameJson({ ...a, checkpoint: 0, period: null }, { ...b, checkpoint: 0, period: null });
}

/** The alert banner with its countdown: its own clock (once a second) only while an alert shows. */
function LiveAlertBanner({ machine, model, soundBlocked }: { machine: AlertMachine; model: MapModel; soundBlocked: boolean }) {
  const now = useNow(machine.phase === 'idle' ? 0 : 1000);
  const av = alertView(machine, Math.max(now, Date.now()));
  return <AlertBanner phase={av.phase} alert={av.alert} remainingMs={av.remainingMs} waiting={av.waiting} model={model} soundBlocked={soundBlocked} />;
}

/** The tour's line on the map: its own clock only while a pushed view holds the tour. */
function TourStatus({ view, stop, model }: { view: WallViewState; stop: TourStop | null; model: MapModel }) {
  const { t } = useI18n();
  const held = view.holdUntil !== null && view.holdUntil > Date.now();
  useNow(held ? 1000 : 0);
  const text = held ? t.wall.tour.held : view.tour.enabled ? t.wall.tour.on(view.tour.intervalSeconds) : t.wall.tour.off;
  const stopName = stop ? (stop.kind === 'district' ? t.wall.tour.district : model.townByCode.get(stop.code)?.name) : null;
  return (
    <div className="tour" data-testid="tour-status" data-enabled={view.tour.enabled} data-stop={stop?.kind === 'town' ? stop.code : (stop?.kind ?? '')}>
      {/* keyed on the stop: it blinks when the tour moves on (wall.css) */}
      <span key={stop ? (stop.kind === 'town' ? stop.code : stop.kind) : ''} className="tour__dot" aria-hidden="true" />
      {text}
      {stopName && <strong>{stopName}</strong>}
    </div>
  );
}

/** Whether the data service is signed in to the data center (without, only reference data replicates). */
function useSignedIn(client: RpcClient): boolean | null {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  useEffect(() => {
    let live = true;
    const off = client.subscribe('auth/changed', (s) => live && setSignedIn(s.user !== null));
    client.invoke('auth/session').then(
      (s) => live && setSignedIn(s.user !== null),
      () => undefined,
    );
    return () => {
      live = false;
      off();
    };
  }, [client]);
  return signedIn;
}

const NO_TICK = new Signal(0);
/**
 * The panels' tick while events flow (LiveEvents.tick), and so the KPI tiles' gap between requests:
 * a tick faster than the requests it triggers is only timers (it was 0.5 s under a 2 s gap).
 */
const PANEL_GAP_MS = 2_000;
const NO_STATE = new Signal<'loading' | 'live' | 'unavailable'>('loading');

/** Moves the camera to a directive's (or the tour's) focus. */
function useFocus(mapRef: RefObject<DistrictMapHandle | null>, model: MapModel | null, live: ReturnType<typeof useLiveEvents>) {
  const client = useRpc();
  return useCallback(
    (f: WallFocus) => {
      const map = mapRef.current;
      if (!map || !model) return;
      switch (f.kind) {
        case 'district':
          return map.fitBBox(model.district.bbox);
        case 'town':
        case 'village':
        case 'grid':
          return void map.focusArea(f.code);
        case 'point':
          return map.flyTo(f.position, f.zoom);
        case 'event': {
          const row = live?.store.rowOf(f.eventId) ?? -1;
          if (live && row >= 0) return map.flyTo([live.store.positions[2 * row]!, live.store.positions[2 * row + 1]!], 16);
          void client.invoke('events/detail', { id: f.eventId }).then(
            (d) => d.event.location && mapRef.current?.flyTo(d.event.location, 16),
            () => undefined,
          );
        }
      }
    },
    [mapRef, model, live, client],
  );
}

/** Loads a replay when the view asks for one: the events, then the grids as they were. */
function usePlayback(client: RpcClient, view: WallViewState, tree: AreasTree | null): PlaybackRuntime | null {
  const request = view.playback;
  const key = request ? `${request.from}|${request.to}` : null;
  const [runtime, setRuntime] = useState<PlaybackRuntime | null>(null);
  useEffect(() => {
    if (!request || !key || !tree) {
      setRuntime(null);
      return;
    }
    const from = Date.parse(request.from);
    const to = Date.parse(request.to);
    const clock = new PlaybackClock(from, to, request.speed, performance.now());
    const base: PlaybackRuntime = { key, status: 'loading', from, to, data: null, model: null, clock, error: null };
    setRuntime(base);
    let live = true;
    void (async () => {
      try {
        const pb = await client.invoke('map/playback', { from: request.from, to: request.to });
        const geometry = await client.invoke('grids/geometry', { asOf: pb.geometryAsOf });
        if (!live) return;
        clock.play(performance.now());
        setRuntime({ ...base, status: 'ready', data: { playback: pb, fromMs: from, windows: phaseWindows(pb, from) }, model: buildMapModel(tree, geometry) });
      } catch (err) {
        if (live) setRuntime({ ...base, status: 'error', error: err instanceof Error ? err.message : String(err) });
      }
    })();
    return () => {
      live = false;
    };
    // `request` is read through `key`: a new speed goes to the clock below, without reloading
  }, [client, key, tree]);
  useEffect(() => {
    if (runtime && request && runtime.clock.speed !== request.speed) runtime.clock.setSpeed(request.speed, performance.now());
  }, [runtime, request]);
  return runtime;
}

interface WallDebug {
  storeVersion(): number;
  openEvents(): number;
  hasEvent(id: string): boolean;
  latency(): { apply: number[]; render: number[] };
  /** the live feed's counters (requests, patches, waits for a patch's frame and those that ran out) and its wait limit now */
  feed(): (LiveFeed['stats'] & { waitLimitMs: number }) | null;
  attributes(): ReturnType<typeof attributeCounter.total> & { byLayer: Record<string, { full: number; partial: number; rows: number }> };
  resetAttributes(): void;
  playbackTime(): number | null;
  playbackOpenIds(): string[] | null;
  /** pause the replay at `ms` (epoch) */
  seekPlayback(ms: number): void;
  /** the newest store version a drawn frame carried (≥ storeVersion(): the map shows the store) */
  drawnVersion(): number;
  /** row of an event in the live store's columns (its index in the points layer), -1 when not there */
  rowOf(id: string): number;
  /** map camera and projection */
  center(): LonLat | null;
  zoom(): number | null;
  project(position: LonLat): { x: number; y: number } | null;
  /**
   * What one frame of the map costs here: a repaint with nothing changed, from the request to the
   * frame after it (on software GL the compositor's read-back of the canvas blocks the page for it).
   */
  frameMs(): Promise<number>;
  /** frames the map drew since the page opened */
  frames(): number;
  /** the panels' updates shown inside a map frame, at once (no frame on its way), or on the limit; and a map frame's time */
  frameSync(): FrameSync['stats'] & { frameMs: number };
  /** `hardware` or `software` GL */
  renderer(): string;
  /** deck.gl picking at a map pixel: the layer and row (or object) under it */
  pickAt(x: number, y: number, radius?: number): { layerId: string; index: number; id: string | null } | null;
}

/** `window.__huyingWall`: what end-to-end tests and the benchmark read. */
function useDebugHook(
  live: ReturnType<typeof useLiveEvents>,
  playback: PlaybackRuntime | null,
  pbTime: number,
  mapRef: RefObject<DistrictMapHandle | null>,
  drawnRef: RefObject<number>,
) {
  const ref = useRef({ live, playback, pbTime });
  ref.current = { live, playback, pbTime };
  useEffect(() => {
    const hook: WallDebug = {
      storeVersion: () => ref.current.live?.store.version ?? 0,
      openEvents: () => ref.current.live?.store.length ?? 0,
      hasEvent: (id) => (ref.current.live?.store.rowOf(id) ?? -1) >= 0,
      latency: () => ({ apply: [...(ref.current.live?.latency.apply ?? [])], render: [...(ref.current.live?.latency.render ?? [])] }),
      feed: () => {
        const feed = ref.current.live?.feed;
        return feed ? { ...feed.stats, waitLimitMs: feed.waitLimitMs() } : null;
      },
      attributes: () => ({ ...attributeCounter.total(), byLayer: Object.fromEntries(attributeCounter.byLayer) }),
      resetAttributes: () => attributeCounter.reset(),
      playbackTime: () => (ref.current.playback ? ref.current.playback.clock.now(performance.now()) : null),
      playbackOpenIds: () => {
        const p = ref.current.playback;
        return p?.data ? openAt(p.data.playback, p.clock.now(performance.now())) : null;
      },
      seekPlayback: (ms) => {
        const p = ref.current.playback;
        if (!p) return;
        p.clock.pause(performance.now());
        p.clock.seek(ms, performance.now());
      },
      drawnVersion: () => drawnRef.current,
      frameMs: () =>
        new Promise<number>((resolve) => {
          const t0 = performance.now();
          mapRef.current?.repaint?.();
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
        }),
      renderer: () => (softwareGl() ? 'software' : 'hardware'),
      frames: () => mapFrames.count,
      frameSync: () => ({ ...mapFrameSync.stats, frameMs: mapFrameSync.frameMs }),
      rowOf: (id) => ref.current.live?.store.rowOf(id) ?? -1,
      center: () => mapRef.current?.getCenter?.() ?? null,
      zoom: () => mapRef.current?.getZoom() ?? null,
      project: (position) => mapRef.current?.project?.(position) ?? null,
      pickAt: (x, y, radius) => {
        const pick = mapRef.current?.pickAt?.(x, y, radius);
        if (!pick) return null;
        const store = ref.current.live?.store;
        const isEvent = pick.layerId === WALL_LAYER_IDS.events || pick.layerId === WALL_LAYER_IDS.pulse;
        const replayed = pick.layerId.startsWith('playback-') ? ref.current.playback?.data?.playback.ids[pick.index] : undefined;
        const id = isEvent && store && pick.index < store.length ? store.ids[pick.index]! : (replayed ?? null);
        return { layerId: pick.layerId, index: pick.index, id };
      },
    };
    (window as unknown as { __huyingWall?: WallDebug }).__huyingWall = hook;
    return () => {
      delete (window as unknown as { __huyingWall?: WallDebug }).__huyingWall;
    };
  }, [mapRef, drawnRef]);
}
