/**
 * The district map: maplibre-gl draws the (offline) base style and owns the
 * camera; deck.gl draws the district through `MapLibreOverlay` interleaved,
 * i.e. in maplibre's own WebGL2 context and layer stack, so a site's tiles
 * and our layers share one canvas and later layers can sit between basemap
 * layers (`beforeId`). Interleaved `MapboxOverlay` breaks on maplibre 6;
 * `MapLibreOverlay` does not (docs TOOLCHAIN.md).
 *
 * The map and overlay are created once per mount; new props only call
 * `overlay.setProps({ layers })` with layers from the pure
 * `buildDistrictLayers` plus the caller's own (`extraLayers` under the labels,
 * `topLayers` over them — or, from a caller whose layers change faster than it
 * should re-render, a `liveLayers` source the map follows by itself), so
 * pan/zoom/hover never rebuild geometry. Layers
 * that move every frame (pulses) come from `animate(time)`: the loop reuses
 * every other layer instance, so deck.gl only sees the moving layer's
 * uniforms change.
 */
import { MapLibreOverlay } from '@deck.gl/maplibre';
import type { Layer, PickingInfo } from '@deck.gl/core';
import { Map as MapLibreMap, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState, type Ref } from 'react';
import type { BBox, LonLat } from '../../core/geo/types';
import { buildBaseStyle, type Basemap } from './base-style';
import { buildDistrictLayers, LAYER_IDS, VILLAGE_LABEL_MIN_ZOOM, type GridFill } from './district-layers';
import { FrameGovernor } from './frame-governor';
import { mapFrameSync } from './frame-sync';
import { LayerHandOver } from './hand-over';
import type { LiveLayerSource } from './live-layers';
import { isSoftwareRenderer } from './renderer-kind';
import { geometryBBox } from '../../core/geo/geometry';
import type { GridPart, MapModel } from './map-model';

// After a Vite build maplibre cannot find its worker by itself ("Worker failed to load").
setWorkerUrl(workerUrl);

/** Frames deck.gl drew on any DistrictMap of the page (for the wall's debug hook and the benchmark). */
export const mapFrames = { count: 0 };

export interface DistrictMapHandle {
  /** fly so the box fills the view */
  fitBBox(bbox: BBox, options?: { animate?: boolean }): void;
  zoomIn(): void;
  zoomOut(): void;
  /** fly to a point, at `zoom` (default: keep at least 14) */
  flyTo(center: LonLat, zoom?: number, options?: { animate?: boolean; durationMs?: number }): void;
  /** fit a grid (15-digit code) or an area (town or village code) of the model; false when unknown */
  focusArea(code: string, options?: { animate?: boolean }): boolean;
  getZoom(): number | null;
  // for end-to-end tests and benchmarks (window.__huyingWall); optional so test doubles may leave them out
  /** the map's centre now */
  getCenter?(): LonLat | null;
  /** where a position is on the map, in CSS pixels from the map's top left */
  project?(position: LonLat): { x: number; y: number } | null;
  /** what deck.gl picks at a map pixel (the same picking as a click), or null */
  pickAt?(x: number, y: number, radius?: number): MapPick | null;
  /** draw the map again (same layers) */
  repaint?(): void;
}

export interface GridHover {
  part: GridPart;
  /** pointer position in map pixels */
  x: number;
  y: number;
  /** map size, so the card can stay inside it */
  width: number;
  height: number;
}

/** Any picked object: a grid part, an event row, a worker, a module feature… */
export interface MapPick {
  layerId: string;
  /** the data object, or null for binary/indexed data (then use `index`) */
  object: unknown;
  index: number;
  coordinate: LonLat | null;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MapPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export interface MapView {
  zoom: number;
  bounds: BBox;
}

export interface DistrictMapProps {
  model: MapModel;
  selectedTownCode: string | null;
  /** label and line scale (the wall uses more) */
  scale: number;
  /** padding around the district when fitting it, in pixels (per side: room for overlays) */
  padding: number | MapPadding;
  basemap?: Basemap;
  onHover: (hover: GridHover | null) => void;
  ariaLabel: string;
  ref?: Ref<DistrictMapHandle>;
  /** layers over the boundaries and under the labels: events, arcs, module layers… */
  extraLayers?: readonly Layer[];
  /** layers over the labels: alert rings, a focused outline */
  topLayers?: readonly Layer[];
  /**
   * the caller's layers from a source instead of `extraLayers`/`topLayers`: handed over when the
   * source says they changed, without a render of the map (the wall's live events, per patch)
   */
  liveLayers?: LiveLayerSource | null;
  /** replaces the town colours of the grid fill (the wall's measures) */
  gridFill?: GridFill | null;
  /** hide whole groups of the district's own layers */
  show?: { grids?: boolean; boundaries?: boolean; labels?: boolean };
  /** layers that change every frame, called at most `animationFps` times a second (less on a slow GPU) */
  animate?: (timeMs: number) => Layer[];
  animationFps?: number;
  /** a click on any pickable object (null: on nothing) */
  onPick?: (pick: MapPick | null) => void;
  /** hovering a pickable object that is not a grid */
  onHoverObject?: (pick: MapPick | null) => void;
  /** camera settled (after load and every move) */
  onViewChange?: (view: MapView) => void;
  /** device pixels per CSS pixel for the canvas; default the screen's */
  pixelRatio?: number;
  /** after deck.gl drew a frame (the wall measures its update latency here) */
  onAfterRender?: () => void;
  /** no zoom/pan by hand (a wall with nobody at it still picks on click) */
  interactive?: boolean;
  /**
   * the canvas's largest size in device pixels (maplibre's default 4096 × 4096 lowers the pixel
   * ratio of any map wider than that: an 8K wall's map is); at most the GPU's MAX_TEXTURE_SIZE
   */
  maxCanvasSize?: [number, number];
}

/** The district's layers with the caller's: `extra` under the labels, `top` over everything. */
function composeLayers(district: readonly Layer[], extra: readonly Layer[], top: readonly Layer[]): Layer[] {
  const labelsAt = district.findIndex((l) => l.id === LAYER_IDS.labels);
  const below = labelsAt < 0 ? district : district.slice(0, labelsAt);
  const labels = labelsAt < 0 ? [] : district.slice(labelsAt);
  return [...below, ...extra, ...labels, ...top];
}

const toBounds = ([minLon, minLat, maxLon, maxLat]: BBox): [[number, number], [number, number]] => [
  [minLon, minLat],
  [maxLon, maxLat],
];

const isGridLayer = (id: string | undefined) => id !== undefined && (id === LAYER_IDS.grids || id.startsWith(`${LAYER_IDS.grids}-`));

/** Asks maplibre for a frame, telling the page's frame sync that one is on its way (frame-sync.ts). */
function askFrame(map: { triggerRepaint(): void } | null | undefined): void {
  mapFrameSync.requested();
  map?.triggerRepaint();
}

export function DistrictMap(props: DistrictMapProps) {
  const { model, selectedTownCode, scale, padding, ref } = props;
  const containerRef = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const overlayRef = useRef<MapLibreOverlay | null>(null);
  const pickOfRef = useRef<(info: PickingInfo) => MapPick | null>(() => null);
  const callbacks = useRef(props);
  callbacks.current = props;
  const modelRef = useRef(model);
  modelRef.current = model;
  const [showVillageLabels, setShowVillageLabels] = useState(false);
  const [ready, setReady] = useState(false);
  const governor = useRef<FrameGovernor | null>(null);
  const animationAsked = useRef(0);
  /**
   * SwiftShader, llvmpipe and other software renderers: a frame of the whole map costs most of a
   * second of the main thread (measured: events then took seconds to reach the map instead of
   * tens of milliseconds), so nothing is animated there — moving layers are drawn once, still.
   */
  const [softwareGl, setSoftwareGl] = useState(false);
  /** what was last handed to deck.gl (the same layers again are not: no frame drawn for nothing) */
  const [layerHandOver] = useState(() => new LayerHandOver());

  // create the map and overlay once; the initial camera is the whole district
  const initial = useRef({
    bbox: model.district.bbox,
    padding,
    basemap: props.basemap,
    pixelRatio: props.pixelRatio,
    interactive: props.interactive,
    maxCanvasSize: props.maxCanvasSize,
  });
  useEffect(() => {
    const container = containerRef.current!;
    const { bbox, padding: pad, basemap, pixelRatio, interactive, maxCanvasSize } = initial.current;
    const map = new MapLibreMap({
      container,
      style: buildBaseStyle(basemap),
      bounds: toBounds(bbox),
      fitBoundsOptions: { padding: pad },
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      maxPitch: 0,
      renderWorldCopies: false,
      minZoom: 8,
      maxZoom: 18,
      ...(pixelRatio ? { pixelRatio } : {}),
      ...(interactive === false ? { interactive: false } : {}),
      ...(maxCanvasSize ? { maxCanvasSize } : {}),
    });
    map.addControl(new ScaleControl({ maxWidth: 140, unit: 'metric' }), 'bottom-left');
    const pickOf = (info: PickingInfo): MapPick | null =>
      info.layer && info.index >= 0
        ? {
            layerId: info.layer.id,
            object: info.object ?? null,
            index: info.index,
            coordinate: info.coordinate ? [info.coordinate[0]!, info.coordinate[1]!] : null,
            x: info.x,
            y: info.y,
            width: container.clientWidth,
            height: container.clientHeight,
          }
        : null;
    pickOfRef.current = pickOf;
    const overlay = new MapLibreOverlay({
      interleaved: true,
      layers: [],
      ...(pixelRatio ? { useDevicePixels: pixelRatio } : {}),
      onHover: (info: PickingInfo) => {
        const grid = isGridLayer(info.layer?.id) && info.object ? (info.object as GridPart) : null;
        const hit = grid ? { part: grid, x: info.x, y: info.y, width: container.clientWidth, height: container.clientHeight } : null;
        const other = grid ? null : pickOf(info);
        map.getCanvas().style.cursor = hit || other ? 'pointer' : '';
        callbacks.current.onHover(hit);
        callbacks.current.onHoverObject?.(other);
      },
      // (then the page's updates held for this frame, painted with it: frame-sync.ts)
      onAfterRender: () =>
        mapFrameSync.frame(() => {
          mapFrames.count++;
          // what an animated frame cost, from the step that asked for it: the governor paces by it
          if (animationAsked.current > 0) {
            governor.current?.record(performance.now() - animationAsked.current);
            animationAsked.current = 0;
          }
          callbacks.current.onAfterRender?.();
        }),
    });
    map.addControl(overlay);
    // clicks are picked here rather than through deck's onClick: in interleaved mode deck's own
    // event manager reports hovers but, on maplibre 6, never a click (maplibre owns the gestures)
    const onClick = (e: { point: { x: number; y: number } }) => {
      if (!callbacks.current.onPick) return;
      const info = overlay.pickObject({ x: e.point.x, y: e.point.y, radius: 4 });
      callbacks.current.onPick(info ? pickOf(info) : null);
    };
    map.on('click', onClick);
    let lastShow = false;
    const onZoom = () => {
      container.dataset.zoom = map.getZoom().toFixed(2);
      const show = map.getZoom() >= VILLAGE_LABEL_MIN_ZOOM;
      if (show !== lastShow) setShowVillageLabels((lastShow = show));
    };
    const onMoveEnd = () => {
      container.dataset.zoom = map.getZoom().toFixed(2);
      const b = map.getBounds();
      callbacks.current.onViewChange?.({ zoom: map.getZoom(), bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] });
    };
    const onLeave = () => {
      callbacks.current.onHover(null);
      callbacks.current.onHoverObject?.(null);
    };
    map.on('zoom', onZoom);
    map.on('moveend', onMoveEnd);
    map.getCanvas().addEventListener('pointerleave', onLeave);
    map.once('load', () => {
      onZoom();
      onMoveEnd();
      map.once('idle', () => setReady(true));
    });
    const resize = new ResizeObserver(() => map.resize());
    resize.observe(container);
    mapRef.current = map;
    overlayRef.current = overlay;
    const software = isSoftwareRenderer(map.getCanvas().getContext('webgl2'));
    container.dataset.renderer = software ? 'software' : 'hardware';
    if (software) setSoftwareGl(true);
    return () => {
      resize.disconnect();
      map.getCanvas().removeEventListener('pointerleave', onLeave);
      map.removeControl(overlay);
      map.remove();
      mapRef.current = null;
      overlayRef.current = null;
      layerHandOver.reset();
      setReady(false);
    };
  }, [layerHandOver]);

  useEffect(() => {
    const map = mapRef.current;
    if (map && props.pixelRatio && map.getPixelRatio() !== props.pixelRatio) {
      map.setPixelRatio(props.pixelRatio);
      overlayRef.current?.setProps({ useDevicePixels: props.pixelRatio });
    }
  }, [props.pixelRatio]);

  const showGrids = props.show?.grids ?? true;
  const showBoundaries = props.show?.boundaries ?? true;
  const showLabels = props.show?.labels ?? true;
  const gridFill = props.gridFill ?? null;
  const districtLayers = useMemo(
    () => buildDistrictLayers(model, { showVillageLabels, selectedTownCode, scale, gridFill, showGrids, showBoundaries, showLabels }),
    [model, showVillageLabels, selectedTownCode, scale, gridFill, showGrids, showBoundaries, showLabels],
  );
  // the layers handed to deck.gl: the district's, with the caller's (props or the live source, its
  // newest) between them, composed again whenever either changes; animated ones are appended by the
  // loop below (drawRef) at each of its steps
  const caller = useRef({ extra: props.extraLayers, top: props.topLayers, live: props.liveLayers ?? null });
  caller.current = { extra: props.extraLayers, top: props.topLayers, live: props.liveLayers ?? null };
  const districtRef = useRef(districtLayers);
  districtRef.current = districtLayers;
  const layersRef = useRef<Layer[]>([]);
  const drawRef = useRef<(() => void) | null>(null);
  const handOver = useCallback(() => {
    const c = caller.current;
    const own = c.live ? c.live.get() : { extra: c.extra ?? [], top: c.top ?? [] };
    const overlay = overlayRef.current;
    // deck.gl takes new layers in its own animation frame and only then asks maplibre for a frame, a
    // frame later; asked for here, maplibre draws in the frame deck.gl updates in (hand-over.ts)
    layerHandOver.hand(
      composeLayers(districtRef.current, own.extra, own.top),
      overlay && {
        setLayers: (layers) => {
          layersRef.current = layers;
          if (drawRef.current) drawRef.current();
          else overlay.setProps({ layers });
        },
        requestFrame: () => askFrame(mapRef.current),
      },
    );
  }, [layerHandOver]);
  const animate = props.animate;
  const live = props.liveLayers ?? null;
  useEffect(() => handOver(), [handOver, districtLayers, props.extraLayers, props.topLayers, live, animate]);
  useEffect(() => live?.subscribe(handOver), [live, handOver]);
  const fps = props.animationFps ?? 20;
  useEffect(() => {
    if (!animate) return;
    const draw = () => {
      animationAsked.current = performance.now();
      mapFrameSync.requested();
      overlayRef.current?.setProps({ layers: [...layersRef.current, ...animate(animationAsked.current)] });
    };
    // software GL: one still frame of the moving layers (again at each hand-over), no loop (see softwareGl below)
    drawRef.current = draw;
    if (softwareGl) {
      if (containerRef.current) containerRef.current.dataset.animationFps = '0';
      draw();
      return () => void (drawRef.current = null);
    }
    // one governor per target rate: it survives layer changes, so a slow GPU is not re-learnt each time
    if (!governor.current || governor.current.targetFps !== fps) governor.current = new FrameGovernor(fps);
    const g = governor.current;
    // a timer, not a requestAnimationFrame loop: an idle rAF loop alone keeps the compositor
    // producing frames; a late timer also tells that the main thread is busy
    let timer: ReturnType<typeof setTimeout> | null = null;
    let due = 0;
    const step = () => {
      const late = performance.now() - due;
      if (late > 50) g.record(late);
      // only when it changes: an attribute written per frame would make the page restyle per frame
      const shown = g.fps.toFixed(2);
      if (containerRef.current && containerRef.current.dataset.animationFps !== shown) containerRef.current.dataset.animationFps = shown;
      draw();
      due = performance.now() + g.intervalMs;
      timer = setTimeout(step, g.intervalMs);
    };
    draw();
    due = performance.now() + g.intervalMs;
    timer = setTimeout(step, g.intervalMs);
    return () => {
      drawRef.current = null;
      if (timer) clearTimeout(timer);
    };
  }, [animate, fps, softwareGl]);

  useImperativeHandle(
    ref,
    () => ({
      fitBBox(bbox, options) {
        mapRef.current?.fitBounds(toBounds(bbox), { padding, maxZoom: 16, duration: options?.animate === false ? 0 : 1200 });
      },
      zoomIn: () => mapRef.current?.zoomIn(),
      zoomOut: () => mapRef.current?.zoomOut(),
      flyTo(center, zoom, options) {
        const map = mapRef.current;
        if (!map) return;
        const target = zoom ?? Math.max(14, map.getZoom());
        if (options?.animate === false) map.jumpTo({ center, zoom: target });
        else map.flyTo({ center, zoom: target, duration: options?.durationMs ?? 1600, essential: true });
      },
      focusArea(code, options) {
        const m = modelRef.current;
        const area = m.townByCode.get(code) ?? m.villageByCode.get(code);
        const grid = area ? null : m.grids.find((g) => g.code === code);
        const bbox = area?.bbox ?? (grid ? geometryBBox(grid.geometry) : null);
        if (!bbox) return false;
        mapRef.current?.fitBounds(toBounds(bbox), { padding, maxZoom: grid ? 17 : 16, duration: options?.animate === false ? 0 : 1400 });
        return true;
      },
      getZoom: () => mapRef.current?.getZoom() ?? null,
      getCenter() {
        const c = mapRef.current?.getCenter();
        return c ? [c.lng, c.lat] : null;
      },
      project(position) {
        const p = mapRef.current?.project(position);
        return p ? { x: p.x, y: p.y } : null;
      },
      repaint: () => askFrame(mapRef.current),
      pickAt(x, y, radius = 4) {
        const info = overlayRef.current?.pickObject({ x, y, radius });
        return info ? pickOfRef.current(info) : null;
      },
    }),
    [padding],
  );

  return (
    <div
      ref={containerRef}
      className="district-map"
      data-testid="district-map"
      data-ready={ready ? 'true' : 'false'}
      data-grids={model.totals.grids}
      data-village-labels={showVillageLabels ? 'shown' : 'hidden'}
      role="application"
      aria-label={props.ariaLabel}
    />
  );
}
