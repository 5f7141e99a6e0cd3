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
 * `buildDistrictLayers`, so pan/zoom/hover never rebuild geometry.
 */
import { MapLibreOverlay } from '@deck.gl/maplibre';
import type { PickingInfo } from '@deck.gl/core';
import { Map as MapLibreMap, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useImperativeHandle, useMemo, useRef, useState, type Ref } from 'react';
import type { BBox } from '../../core/geo/types';
import { buildBaseStyle, type Basemap } from './base-style';
import { buildDistrictLayers, VILLAGE_LABEL_MIN_ZOOM } from './district-layers';
import type { GridPart, MapModel } from './map-model';

// After a Vite build maplibre cannot find its worker by itself ("Worker failed to load").
setWorkerUrl(workerUrl);

export interface DistrictMapHandle {
  /** fly so the box fills the view */
  fitBBox(bbox: BBox, options?: { animate?: boolean }): void;
  zoomIn(): void;
  zoomOut(): void;
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

export interface DistrictMapProps {
  model: MapModel;
  selectedTownCode: string | null;
  /** label and line scale (the wall uses more) */
  scale: number;
  /** padding around the district when fitting it, in pixels */
  padding: number;
  basemap?: Basemap;
  onHover: (hover: GridHover | null) => void;
  ariaLabel: string;
  ref?: Ref<DistrictMapHandle>;
}

const toBounds = ([minLon, minLat, maxLon, maxLat]: BBox): [[number, number], [number, number]] => [
  [minLon, minLat],
  [maxLon, maxLat],
];

export function DistrictMap(props: DistrictMapProps) {
  const { model, selectedTownCode, scale, padding, ref } = props;
  const containerRef = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const overlayRef = useRef<MapLibreOverlay | null>(null);
  const onHoverRef = useRef(props.onHover);
  onHoverRef.current = props.onHover;
  const [showVillageLabels, setShowVillageLabels] = useState(false);
  const [ready, setReady] = useState(false);

  // create the map and overlay once; the initial camera is the whole district
  const initial = useRef({ bbox: model.district.bbox, padding, basemap: props.basemap });
  useEffect(() => {
    const container = containerRef.current!;
    const { bbox, padding: pad, basemap } = initial.current;
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
    });
    map.addControl(new ScaleControl({ maxWidth: 140, unit: 'metric' }), 'bottom-left');
    const overlay = new MapLibreOverlay({
      interleaved: true,
      layers: [],
      onHover: (info: PickingInfo<GridPart>) => {
        const hit = info.object ? { part: info.object, x: info.x, y: info.y, width: container.clientWidth, height: container.clientHeight } : null;
        map.getCanvas().style.cursor = hit ? 'pointer' : '';
        onHoverRef.current(hit);
      },
    });
    map.addControl(overlay);
    let lastShow = false;
    const onZoom = () => {
      container.dataset.zoom = map.getZoom().toFixed(2);
      const show = map.getZoom() >= VILLAGE_LABEL_MIN_ZOOM;
      if (show !== lastShow) setShowVillageLabels((lastShow = show));
    };
    const onMoveEnd = () => {
      container.dataset.zoom = map.getZoom().toFixed(2);
    };
    const onLeave = () => onHoverRef.current(null);
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
    return () => {
      resize.disconnect();
      map.getCanvas().removeEventListener('pointerleave', onLeave);
      map.removeControl(overlay);
      map.remove();
      mapRef.current = null;
      overlayRef.current = null;
      setReady(false);
    };
  }, []);

  const layers = useMemo(
    () => buildDistrictLayers(model, { showVillageLabels, selectedTownCode, scale }),
    [model, showVillageLabels, selectedTownCode, scale],
  );
  useEffect(() => {
    overlayRef.current?.setProps({ layers });
  }, [layers]);

  useImperativeHandle(
    ref,
    () => ({
      fitBBox(bbox, options) {
        mapRef.current?.fitBounds(toBounds(bbox), { padding, maxZoom: 16, duration: options?.animate === false ? 0 : 1200 });
      },
      zoomIn: () => mapRef.current?.zoomIn(),
      zoomOut: () => mapRef.current?.zoomOut(),
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
