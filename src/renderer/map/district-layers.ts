/**
 * The deck.gl layers of the district map, built by a pure function so they
 * can be tested without a WebGL context and rebuilt on every render cheaply:
 * deck.gl compares props, and because `data` arrays come from the memoised
 * MapModel and every layer keeps a stable id, a re-render regenerates no
 * attribute unless its data or one of its `updateTriggers` changed (picking a
 * town recolours 1,401 fills and 10 outlines; hovering and zooming regenerate
 * nothing). Later live layers (events, measures) follow the same rule.
 *
 * Order, bottom to top: grid fills with thin outlines, village boundaries,
 * town boundaries, the selected town, the district outline (glow + line),
 * labels (towns always; villages from VILLAGE_LABEL_MIN_ZOOM, decluttered on
 * the GPU by the collision filter, towns winning).
 */
import type { Layer, LayerProps } from '@deck.gl/core';
import { CollisionFilterExtension, type CollisionFilterExtensionProps } from '@deck.gl/extensions';
import { PathLayer, PolygonLayer, TextLayer } from '@deck.gl/layers';
import type { BoundaryPath, GridPart, Label, MapModel } from './map-model';
import { townColorOf } from './map-model';
import { CJK_FONT_FAMILY, MAP_THEME, type Rgba } from './theme';

export const LAYER_IDS = {
  grids: 'grids',
  villageBoundaries: 'village-boundaries',
  townBoundaries: 'town-boundaries',
  selectedTown: 'selected-town',
  districtGlow: 'district-glow',
  districtOutline: 'district-outline',
  labels: 'labels',
} as const;

/** Village labels appear from about the zoom of a single town filling the view. */
export const VILLAGE_LABEL_MIN_ZOOM = 12.3;

/**
 * A fill that replaces the town colours (the wall's grid measures). `data` is
 * the model's `gridParts` in a new array whenever colours changed; with
 * `dataDiff` deck.gl rewrites only the rows it returns (null: all rows), and
 * `colorKey` changes when every colour may have changed (another measure).
 */
export interface GridFill {
  data: readonly GridPart[];
  getFillColor: (part: GridPart, info: { index: number }) => Rgba;
  dataDiff?: (newData: unknown, oldData?: unknown) => { startRow: number; endRow: number }[] | null;
  colorKey: string | number;
}

export interface DistrictLayerOptions {
  showVillageLabels: boolean;
  /** a town picked in the side list: its outline glows and other towns dim */
  selectedTownCode: string | null;
  /** labels and lines grow on the wall (read from metres away) */
  scale: number;
  fontFamily?: string;
  /** replaces the town colours of the grids */
  gridFill?: GridFill | null;
  /** default true each */
  showGrids?: boolean;
  showBoundaries?: boolean;
  showLabels?: boolean;
}

/** Fill alpha of grids outside the selected town. */
const DIMMED_ALPHA = 60;

export function gridFillColor(model: MapModel, part: GridPart, selectedTownCode: string | null): Rgba {
  const [r, g, b] = townColorOf(model, part.grid.townCode);
  const dimmed = selectedTownCode !== null && part.grid.townCode !== selectedTownCode;
  return [r, g, b, dimmed ? DIMMED_ALPHA : MAP_THEME.gridFillAlpha];
}

const selectedPathsCache = new WeakMap<MapModel, Map<string, BoundaryPath[]>>();

/** The selected town's rings, cached so the layer's data keeps its identity. */
const collisionFilter = new CollisionFilterExtension();
const TRANSPARENT: Rgba = [0, 0, 0, 0];

const NO_PATHS: BoundaryPath[] = [];

function selectedTownPaths(model: MapModel, code: string | null): BoundaryPath[] {
  if (code === null) return NO_PATHS;
  let byCode = selectedPathsCache.get(model);
  if (!byCode) selectedPathsCache.set(model, (byCode = new Map()));
  let paths = byCode.get(code);
  if (!paths) byCode.set(code, (paths = model.townPaths.filter((p) => p.code === code)));
  return paths;
}

export function buildDistrictLayers(model: MapModel, options: DistrictLayerOptions): Layer[] {
  const { selectedTownCode, scale } = options;
  const gridFill = options.gridFill ?? null;
  const showBoundaries = options.showBoundaries ?? true;
  const fontFamily = options.fontFamily ?? CJK_FONT_FAMILY;
  const getPath = (d: BoundaryPath) => d.path;
  const labelCommon = {
    getText: (d: Label) => d.text,
    getPosition: (d: Label) => d.position,
    characterSet: model.labelCharacters,
    fontFamily,
    fontWeight: 600,
    fontSettings: { sdf: true, fontSize: 64, buffer: 10, radius: 14, cutoff: 0.22 },
    outlineWidth: 3,
    outlineColor: MAP_THEME.labelOutline,
    sizeUnits: 'pixels' as const,
    sizeScale: scale,
    billboard: true,
  };

  return [
    new PolygonLayer<GridPart>({
      id: LAYER_IDS.grids,
      data: gridFill ? gridFill.data : model.gridParts,
      visible: options.showGrids ?? true,
      getPolygon: (d) => d.polygon,
      filled: true,
      stroked: true,
      getFillColor: gridFill ? gridFill.getFillColor : (d) => gridFillColor(model, d, selectedTownCode),
      ...(gridFill?.dataDiff ? { _dataDiff: gridFill.dataDiff as LayerProps['_dataDiff'] } : {}),
      getLineColor: MAP_THEME.gridLine,
      getLineWidth: 1,
      lineWidthUnits: 'pixels',
      lineWidthMinPixels: 1,
      pickable: true,
      autoHighlight: true,
      highlightColor: MAP_THEME.hoverHighlight,
      updateTriggers: { getFillColor: gridFill ? [gridFill.colorKey] : [selectedTownCode] },
    }),
    new PathLayer<BoundaryPath>({
      id: LAYER_IDS.villageBoundaries,
      data: model.villagePaths,
      visible: showBoundaries,
      getPath,
      getColor: MAP_THEME.villageLine,
      getWidth: 1.2 * scale,
      widthUnits: 'pixels',
      jointRounded: true,
    }),
    new PathLayer<BoundaryPath>({
      id: LAYER_IDS.townBoundaries,
      data: model.townPaths,
      visible: showBoundaries,
      getPath,
      getColor: MAP_THEME.townLine,
      getWidth: 2.4 * scale,
      widthUnits: 'pixels',
      jointRounded: true,
      capRounded: true,
      updateTriggers: { getWidth: [scale] },
    }),
    new PathLayer<BoundaryPath>({
      id: LAYER_IDS.selectedTown,
      data: selectedTownPaths(model, selectedTownCode),
      visible: selectedTownCode !== null,
      getPath,
      getColor: MAP_THEME.townLineSelected,
      getWidth: 4 * scale,
      widthUnits: 'pixels',
      jointRounded: true,
      capRounded: true,
      updateTriggers: { getWidth: [scale] },
    }),
    new PathLayer<BoundaryPath>({
      id: LAYER_IDS.districtGlow,
      data: model.districtPaths,
      getPath,
      getColor: MAP_THEME.districtGlow,
      getWidth: 14 * scale,
      widthUnits: 'pixels',
      jointRounded: true,
      updateTriggers: { getWidth: [scale] },
    }),
    new PathLayer<BoundaryPath>({
      id: LAYER_IDS.districtOutline,
      data: model.districtPaths,
      getPath,
      getColor: MAP_THEME.districtLine,
      getWidth: 3 * scale,
      widthUnits: 'pixels',
      jointRounded: true,
      updateTriggers: { getWidth: [scale] },
    }),
    new TextLayer<Label, CollisionFilterExtensionProps<Label>>({
      id: LAYER_IDS.labels,
      // one layer for towns and villages: collision priorities only hold within a layer
      // (visgl/deck.gl#9479); switching data at the zoom threshold re-lays out ~260 labels once
      data: options.showVillageLabels ? model.allLabels : model.townLabels,
      visible: options.showLabels ?? true,
      ...labelCommon,
      getSize: (d) => (d.level === 'town' ? 22 : 13),
      getColor: (d) => (d.level === 'town' ? MAP_THEME.townLabel : MAP_THEME.villageLabel),
      // a dark plate keeps town names readable over fills; village plates are invisible but
      // still occupy the collision map, so a covered label's anchor is really covered
      background: true,
      getBackgroundColor: (d) => (d.level === 'town' ? MAP_THEME.townLabelPlate : TRANSPARENT),
      backgroundPadding: [8, 4],
      backgroundBorderRadius: 4,
      extensions: [collisionFilter],
      collisionGroup: 'labels',
      getCollisionPriority: (d) => d.priority,
      collisionTestProps: { sizeScale: scale * 1.3 },
    }),
  ];
}
