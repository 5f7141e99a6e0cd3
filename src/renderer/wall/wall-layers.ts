/**
 * The wall's own deck.gl layers over the district map: live events, their
 * pulses and dispatch arcs, heatmap and hexagons of the last days, grid
 * workers, the module layers, and playback.
 *
 * Live layers read the EventStore's typed arrays through accessors, with one
 * data object per store version (`{ length, version }`) shared by the events,
 * pulse and arc layers; `_dataDiff` asks the store for the rows written
 * between the version a layer last drew and the new one, so deck.gl
 * regenerates those rows only (a full load, or a log that no longer reaches
 * back, redraws in full). Every other layer is cached and rebuilt only when
 * its own inputs change, and hidden layers are left out altogether (deck.gl
 * would still update invisible ones).
 *
 * What moves every frame moves through uniforms: pulses and the alert ring
 * change `radiusScale`/`opacity`, and a GPU data filter over each row's
 * "pulse until" time retires events that are no longer new without touching
 * an attribute; playback changes only its filter range.
 */
import type { Layer, LayerProps } from '@deck.gl/core';
import { DataFilterExtension, type DataFilterExtensionProps } from '@deck.gl/extensions';
import { HexagonLayer } from '@deck.gl/aggregation-layers';
import { ArcLayer, BitmapLayer, PathLayer, PolygonLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import type { BBox, LonLat } from '../../core/geo/types';
import type { Density, Playback } from '../../core/rpc/queries';
import type { MapWorkers, ModuleFeature, ModuleFeatures, ModuleId, WorkerPosition } from '../../core/rpc/wall';
import { CJK_FONT_FAMILY, type Rgba } from '../map/theme';
import type { EventStore, RowRange } from './event-store';
import { heatRaster } from './heat-raster';
import { NEW_EVENT_MS, STAGE_COLORS, alwaysPulses, hasDispatchArc, radiusOf, stageOf } from './event-style';
import { NEVER, filterRangeAt, type WindowPhase, WINDOW_PHASES } from './playback';
import type { LayerVisibility } from './wall-state';

export const WALL_LAYER_IDS = {
  events: 'events',
  pulse: 'event-pulse',
  arcs: 'dispatch-arcs',
  heatmap: 'heatmap',
  hexagons: 'hexagons',
  workers: 'workers',
  selection: 'selection',
  alertRing: 'alert-ring',
  playback: (phase: WindowPhase) => `playback-${phase}`,
  modulePoints: (m: ModuleId) => `module-${m}-points`,
  moduleGlyphs: (m: ModuleId) => `module-${m}-glyphs`,
  moduleLines: (m: ModuleId) => `module-${m}-lines`,
  moduleAreas: (m: ModuleId) => `module-${m}-areas`,
} as const;

/** Module glyphs and colours: one character a viewer reads from across the room. */
export const MODULE_STYLE: Record<ModuleId, { color: Rgba; glyph: string }> = {
  party_centres: { color: [255, 77, 79, 255], glyph: '党' },
  party_organisations: { color: [255, 122, 69, 255], glyph: '支' },
  emergency_resources: { color: [255, 169, 64, 255], glyph: '应' },
  river_reaches: { color: [64, 169, 255, 255], glyph: '河' },
  enterprises: { color: [250, 219, 20, 255], glyph: '企' },
  epidemic_sites: { color: [54, 207, 201, 255], glyph: '防' },
  professional_grids: { color: [179, 127, 235, 255], glyph: '专' },
  one_key_points: { color: [247, 89, 171, 255], glyph: '呼' },
};

const WORKER_ON: Rgba = [149, 222, 100, 255];
const WORKER_OFF: Rgba = [120, 130, 140, 200];
const DARK_RIM: Rgba = [4, 10, 22, 230];
/** thin and translucent: hundreds of arcs should read as flows, not as a net */
const ARC_SOURCE: Rgba = [255, 196, 64, 40];
const ARC_ALPHA = 150;

/** Zoom from which module features show their glyph. */
export const GLYPH_MIN_ZOOM = 11.6;

/** One data object per store version, shared by the live layers. */
export interface StoreData {
  length: number;
  version: number;
}

export interface PlaybackLayerData {
  playback: Playback;
  fromMs: number;
  windows: Record<WindowPhase, Float32Array>;
}

export interface WallLayerInputs {
  store: EventStore;
  /** seats of the units, index-aligned with the store's unit column (lon, lat interleaved) */
  unitPositions: Float32Array | null;
  density: Density | null;
  workers: MapWorkers | null;
  modules: ModuleFeatures | null;
  visible: LayerVisibility;
  /** the district's box: the heatmap raster covers it */
  districtBBox: BBox;
  scale: number;
  zoom: number;
  playback: PlaybackLayerData | null;
  selected: LonLat | null;
}

type Diff = LayerProps['_dataDiff'];

/** Rebuilds a value only when one of its dependencies changed (by identity). */
class Memo {
  private readonly cache = new Map<string, { deps: readonly unknown[]; value: unknown }>();
  get<T>(key: string, deps: readonly unknown[], make: () => T): T {
    const hit = this.cache.get(key);
    if (hit && hit.deps.length === deps.length && hit.deps.every((d, i) => Object.is(d, deps[i]))) return hit.value as T;
    const value = make();
    this.cache.set(key, { deps, value });
    return value;
  }
}

const filter1 = new DataFilterExtension({ filterSize: 1 });
const filter2 = new DataFilterExtension({ filterSize: 2 });

export class WallLayerBuilder {
  private readonly memo = new Memo();
  private data: StoreData | null = null;
  private readonly diff: Diff;

  /** @param timeBase epoch ms that the pulse filter counts seconds from (float32 keeps them exact) */
  constructor(
    private readonly store: EventStore,
    readonly timeBase: number,
  ) {
    const diff = (newData: unknown, oldData?: unknown): RowRange[] | null => {
      const n = newData as StoreData | undefined;
      const o = oldData as StoreData | undefined;
      if (!n || !o || typeof n.version !== 'number' || typeof o.version !== 'number') return null;
      return this.store.rangesBetween(o.version, n.version);
    };
    this.diff = diff as Diff;
  }

  /** The shared data object of the store's current version. */
  storeData(): StoreData {
    if (!this.data || this.data.version !== this.store.version || this.data.length !== this.store.length) {
      this.data = { length: this.store.length, version: this.store.version };
    }
    return this.data;
  }

  /** Layers under the labels. */
  build(inputs: WallLayerInputs): Layer[] {
    const v = inputs.visible;
    const layers: Layer[] = [];
    if (v.heatmap && inputs.density) layers.push(this.heatmap(inputs.density, inputs.districtBBox));
    if (v.hexagons && inputs.density) layers.push(this.hexagons(inputs.density));
    for (const layer of this.moduleLayers(inputs)) layers.push(layer);
    if (v.workers && inputs.workers) layers.push(this.workers(inputs.workers, inputs.scale));
    if (inputs.playback) return layers; // playback layers are animated (see `animate`)
    const data = this.storeData();
    if (v.arcs && inputs.unitPositions && this.store.hasUnitColumn) layers.push(this.arcs(data, inputs.unitPositions, inputs.scale));
    if (v.events) layers.push(this.events(data, inputs.scale));
    return layers;
  }

  /** Layers over the labels: the picked object's halo. */
  top(inputs: WallLayerInputs): Layer[] {
    if (!inputs.selected) return [];
    const selected = inputs.selected;
    return [
      this.memo.get('selection', [selected, inputs.scale], () =>
        new ScatterplotLayer<LonLat>({
          id: WALL_LAYER_IDS.selection,
          data: [selected],
          getPosition: (d) => d,
          getRadius: 16,
          radiusUnits: 'pixels',
          radiusScale: inputs.scale,
          filled: false,
          stroked: true,
          getLineColor: [255, 255, 255, 255],
          lineWidthUnits: 'pixels',
          getLineWidth: 2.5 * inputs.scale,
        }),
      ),
    ];
  }

  /**
   * Layers that change every frame: event pulses (live) or the four phases
   * (playback at `playbackTime`), and the alert ring.
   */
  animate(inputs: WallLayerInputs, frameMs: number, nowMs: number, playbackTime: number | null, alertAt: LonLat | null): Layer[] {
    const layers: Layer[] = [];
    const beat = 0.5 - 0.5 * Math.cos(((frameMs % 1600) / 1600) * 2 * Math.PI);
    if (inputs.playback && playbackTime !== null) {
      for (const phase of WINDOW_PHASES) layers.push(this.playbackPhase(inputs.playback, phase, playbackTime, inputs.scale));
    } else if (inputs.visible.events) {
      layers.push(this.pulse(this.storeData(), inputs.scale, beat, nowMs));
    }
    if (alertAt) {
      const ring = ((frameMs % 1400) / 1400);
      layers.push(
        new ScatterplotLayer<LonLat>({
          id: WALL_LAYER_IDS.alertRing,
          data: this.memo.get('alert-data', [alertAt], () => [alertAt, alertAt]),
          getPosition: (d) => d,
          getRadius: (_d, { index }) => (index === 0 ? 14 : 30),
          radiusUnits: 'pixels',
          radiusScale: inputs.scale * (1 + ring * 2.2),
          filled: false,
          stroked: true,
          getLineColor: [255, 60, 80, 255],
          lineWidthUnits: 'pixels',
          getLineWidth: 3 * inputs.scale,
          opacity: 1 - ring * 0.85,
        }),
      );
    }
    return layers;
  }

  private events(data: StoreData, scale: number): Layer {
    const s = this.store;
    return new ScatterplotLayer<unknown>({
      id: WALL_LAYER_IDS.events,
      data,
      _dataDiff: this.diff,
      getPosition: (_: unknown, { index, target }: { index: number; target: number[] }) => {
        target[0] = s.positions[2 * index]!;
        target[1] = s.positions[2 * index + 1]!;
        return target as unknown as [number, number];
      },
      getFillColor: (_: unknown, { index }: { index: number }) => STAGE_COLORS[stageOf(s.status[index]!, s.clockStatus[index]!)],
      getRadius: (_: unknown, { index }: { index: number }) => radiusOf(s.urgency[index]!),
      radiusUnits: 'pixels',
      radiusScale: scale,
      stroked: true,
      getLineColor: DARK_RIM,
      lineWidthUnits: 'pixels',
      getLineWidth: 1,
      lineWidthScale: scale,
      pickable: true,
      autoHighlight: true,
      highlightColor: [255, 255, 255, 160],
      updateTriggers: { getRadius: [scale] },
    });
  }

  private pulse(data: StoreData, scale: number, beat: number, nowMs: number): Layer {
    const s = this.store;
    const base = this.timeBase;
    return new ScatterplotLayer<unknown, DataFilterExtensionProps<unknown>>({
      id: WALL_LAYER_IDS.pulse,
      data,
      _dataDiff: this.diff,
      getPosition: (_: unknown, { index, target }: { index: number; target: number[] }) => {
        target[0] = s.positions[2 * index]!;
        target[1] = s.positions[2 * index + 1]!;
        return target as unknown as [number, number];
      },
      getRadius: (_: unknown, { index }: { index: number }) => radiusOf(s.urgency[index]!) + 5,
      getLineColor: (_: unknown, { index }: { index: number }) => {
        return alwaysPulses(s.urgency[index]!, s.source[index]!) ? [255, 72, 92, 255] : [120, 220, 255, 255];
      },
      radiusUnits: 'pixels',
      radiusScale: scale * (1 + beat * 0.9),
      filled: false,
      stroked: true,
      lineWidthUnits: 'pixels',
      getLineWidth: 2,
      lineWidthScale: scale,
      opacity: 0.95 - beat * 0.7,
      // pulse while urgent/one-key (NEVER = always), or for the first minutes after intake
      getFilterValue: (_: unknown, { index }: { index: number }) =>
        alwaysPulses(s.urgency[index]!, s.source[index]!) ? NEVER : (s.reportedAt[index]! + NEW_EVENT_MS - base) / 1000,
      filterRange: [(nowMs - base) / 1000, 2 * NEVER],
      extensions: [filter1],
      updateTriggers: { getRadius: [scale] },
    });
  }

  private arcs(data: StoreData, seats: Float32Array, scale: number): Layer {
    const s = this.store;
    const hasArc = (i: number) => s.unit[i]! >= 0 && hasDispatchArc(s.status[i]!) && 2 * s.unit[i]! + 1 < seats.length;
    return this.memo.get('arcs', [data, seats, scale], () =>
      new ArcLayer<unknown>({
        id: WALL_LAYER_IDS.arcs,
        data,
        _dataDiff: this.diff,
        getSourcePosition: (_: unknown, { index, target }: { index: number; target: number[] }) => {
          const u = s.unit[index]!;
          if (hasArc(index)) {
            target[0] = seats[2 * u]!;
            target[1] = seats[2 * u + 1]!;
          } else {
            target[0] = s.positions[2 * index]!;
            target[1] = s.positions[2 * index + 1]!;
          }
          return target as unknown as [number, number];
        },
        getTargetPosition: (_: unknown, { index, target }: { index: number; target: number[] }) => {
          target[0] = s.positions[2 * index]!;
          target[1] = s.positions[2 * index + 1]!;
          return target as unknown as [number, number];
        },
        getSourceColor: ARC_SOURCE,
        getTargetColor: (_: unknown, { index }: { index: number }) => {
          const [r, g, b] = STAGE_COLORS[stageOf(s.status[index]!, s.clockStatus[index]!)];
          return [r, g, b, ARC_ALPHA];
        },
        getWidth: (_: unknown, { index }: { index: number }) => (hasArc(index) ? 1 : 0),
        widthUnits: 'pixels',
        widthScale: scale,
        // lay the arc flat on the map: seen from straight above it reads as a curve
        getTilt: 90,
        getHeight: 0.35,
        numSegments: 24,
      }),
    );
  }

  private heatmap(density: Density, bbox: BBox): Layer {
    return this.memo.get('heatmap', [density, bbox[0], bbox[1], bbox[2], bbox[3]], () => {
      const raster = heatRaster(density, bbox);
      const image = typeof ImageData === 'undefined' ? null : new ImageData(raster.data, raster.width, raster.height);
      return new BitmapLayer({
        id: WALL_LAYER_IDS.heatmap,
        image,
        bounds: raster.bounds,
        opacity: 0.8,
        textureParameters: { minFilter: 'linear', magFilter: 'linear' },
      });
    });
  }

  private hexagons(density: Density): Layer {
    return this.memo.get('hexagons', [density], () =>
      new HexagonLayer<unknown>({
        id: WALL_LAYER_IDS.hexagons,
        data: { length: density.count },
        getPosition: (_: unknown, { index, target }: { index: number; target: number[] }) => {
          target[0] = density.positions[2 * index]!;
          target[1] = density.positions[2 * index + 1]!;
          return target as unknown as [number, number];
        },
        getColorWeight: (_: unknown, { index }: { index: number }) => density.weights[index]!,
        colorAggregation: 'SUM',
        getElevationWeight: (_: unknown, { index }: { index: number }) => density.weights[index]!,
        elevationAggregation: 'SUM',
        gpuAggregation: false,
        radius: 600,
        coverage: 0.88,
        extruded: false,
        opacity: 0.6,
        // quantiles: a few hot cells should not wash every other cell into the coldest colour
        colorScaleType: 'quantile',
        pickable: true,
        colorRange: [
          [30, 80, 150],
          [40, 140, 200],
          [70, 200, 170],
          [240, 210, 80],
          [250, 130, 60],
          [240, 60, 70],
        ],
      }),
    );
  }

  private workers(workers: MapWorkers, scale: number): Layer {
    return this.memo.get('workers', [workers, scale], () =>
      new ScatterplotLayer<WorkerPosition>({
        id: WALL_LAYER_IDS.workers,
        data: workers.workers,
        getPosition: (w) => w.position,
        getFillColor: (w) => (w.onDuty ? WORKER_ON : WORKER_OFF),
        getRadius: 3.2,
        radiusUnits: 'pixels',
        radiusScale: scale,
        stroked: true,
        getLineColor: DARK_RIM,
        lineWidthUnits: 'pixels',
        getLineWidth: 1,
        pickable: true,
      }),
    );
  }

  private moduleLayers(inputs: WallLayerInputs): Layer[] {
    const modules = inputs.modules;
    if (!modules) return [];
    const byModule = this.memo.get('modules-split', [modules], () => {
      const out = new Map<ModuleId, { points: ModuleFeature[]; lines: ModuleFeature[]; areas: ModuleFeature[] }>();
      for (const f of modules.features) {
        let group = out.get(f.module);
        if (!group) out.set(f.module, (group = { points: [], lines: [], areas: [] }));
        if (f.geometry.type === 'Point') group.points.push(f);
        else if (f.geometry.type === 'LineString') group.lines.push(f);
        else group.areas.push(f);
      }
      return out;
    });
    const layers: Layer[] = [];
    const glyphs = inputs.zoom >= GLYPH_MIN_ZOOM;
    for (const [module, group] of byModule) {
      if (!inputs.visible[module]) continue;
      const { color, glyph } = MODULE_STYLE[module];
      const scale = inputs.scale;
      if (group.areas.length) {
        layers.push(
          this.memo.get(`m-areas-${module}`, [group, scale], () =>
            new PolygonLayer<ModuleFeature>({
              id: WALL_LAYER_IDS.moduleAreas(module),
              data: group.areas,
              getPolygon: (f) => (f.geometry.type === 'Polygon' ? f.geometry.coordinates : []),
              filled: true,
              getFillColor: [color[0], color[1], color[2], 40],
              stroked: true,
              getLineColor: color,
              lineWidthUnits: 'pixels',
              getLineWidth: 1.5 * scale,
              pickable: true,
            }),
          ),
        );
      }
      if (group.lines.length) {
        layers.push(
          this.memo.get(`m-lines-${module}`, [group, scale], () =>
            new PathLayer<ModuleFeature>({
              id: WALL_LAYER_IDS.moduleLines(module),
              data: group.lines,
              getPath: (f) => (f.geometry.type === 'LineString' ? f.geometry.coordinates : []),
              getColor: color,
              getWidth: 3.2 * scale,
              widthUnits: 'pixels',
              jointRounded: true,
              capRounded: true,
              pickable: true,
            }),
          ),
        );
      }
      if (group.points.length) {
        layers.push(
          this.memo.get(`m-points-${module}`, [group, scale, glyphs], () =>
            new ScatterplotLayer<ModuleFeature>({
              id: WALL_LAYER_IDS.modulePoints(module),
              data: group.points,
              getPosition: (f) => (f.geometry.type === 'Point' ? f.geometry.coordinates : [0, 0]),
              getFillColor: color,
              getRadius: glyphs ? 11 : 4,
              radiusUnits: 'pixels',
              radiusScale: scale,
              stroked: true,
              getLineColor: [255, 255, 255, 220],
              lineWidthUnits: 'pixels',
              getLineWidth: 1.2 * scale,
              pickable: true,
              updateTriggers: { getRadius: [glyphs] },
            }),
          ),
        );
        if (glyphs) {
          layers.push(
            this.memo.get(`m-glyphs-${module}`, [group, scale], () =>
              new TextLayer<ModuleFeature>({
                id: WALL_LAYER_IDS.moduleGlyphs(module),
                data: group.points,
                getPosition: (f) => (f.geometry.type === 'Point' ? f.geometry.coordinates : [0, 0]),
                getText: () => glyph,
                characterSet: Object.values(MODULE_STYLE).map((m) => m.glyph),
                fontFamily: CJK_FONT_FAMILY,
                fontWeight: 700,
                getSize: 13,
                sizeScale: scale,
                sizeUnits: 'pixels',
                getColor: [20, 12, 8, 255],
              }),
            ),
          );
        }
      }
    }
    return layers;
  }

  private playbackPhase(pd: PlaybackLayerData, phase: WindowPhase, t: number, scale: number): Layer {
    const pb = pd.playback;
    const windows = pd.windows[phase];
    const color: Record<WindowPhase, Rgba> = {
      intake: STAGE_COLORS.intake,
      dispatched: STAGE_COLORS.dispatched,
      handled: STAGE_COLORS.checking,
      closed: [150, 160, 180, 150],
    };
    return new ScatterplotLayer<unknown, DataFilterExtensionProps<unknown>>({
      id: WALL_LAYER_IDS.playback(phase),
      data: this.memo.get('pb-data', [pb], () => ({ length: pb.count })),
      getPosition: (_: unknown, { index, target }: { index: number; target: number[] }) => {
        target[0] = pb.positions[2 * index]!;
        target[1] = pb.positions[2 * index + 1]!;
        return target as unknown as [number, number];
      },
      getFillColor: color[phase],
      getRadius: (_: unknown, { index }: { index: number }) => radiusOf(pb.urgency[index]!),
      radiusUnits: 'pixels',
      radiusScale: scale,
      stroked: true,
      getLineColor: DARK_RIM,
      lineWidthUnits: 'pixels',
      getLineWidth: 1,
      getFilterValue: (_: unknown, { index, target }: { index: number; target: number[] }) => {
        target[0] = windows[2 * index]!;
        target[1] = windows[2 * index + 1]!;
        return target;
      },
      filterRange: filterRangeAt(t, pd.fromMs),
      extensions: [filter2],
      pickable: true,
      updateTriggers: { getRadius: [scale] },
    });
  }
}
