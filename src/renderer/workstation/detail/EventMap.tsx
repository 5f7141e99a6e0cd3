/**
 * The event on the district map: focused on its grid (outlined), the event
 * itself as a ring, the grid workers nearby and recent events of the same
 * kind as small dots. One map per detail panel, moved (not rebuilt) when the
 * selection changes; its extra layers are rebuilt only when the event does.
 */
import { PathLayer, ScatterplotLayer } from '@deck.gl/layers';
import type { Layer } from '@deck.gl/core';
import { useEffect, useMemo, useRef } from 'react';
import type { LonLat } from '../../../core/geo/types';
import type { EventDetail } from '../../../core/rpc/queries';
import { useI18n } from '../../i18n';
import { DistrictMap, type DistrictMapHandle } from '../../map/DistrictMap';
import { ringsOf } from '../../map/map-model';
import { useMapModel } from '../map-data';

export interface MapMarks {
  grid: LonLat[][];
  event: LonLat | null;
  workers: { position: LonLat; name: string }[];
  recent: { position: LonLat; id: string }[];
}

const URGENCY_RGB = { normal: [84, 214, 255], urgent: [255, 181, 71], critical: [255, 95, 109] } as const;

export function EventMap({ detail }: { detail: EventDetail }) {
  const { t } = useI18n();
  const { model } = useMapModel();
  const mapRef = useRef<DistrictMapHandle>(null);
  const e = detail.event;
  const gridCode = e.workflow.area.gridCode;

  const marks = useMemo<MapMarks | null>(() => {
    if (!model) return null;
    const grid = gridCode ? model.grids.find((g) => g.code === gridCode) : undefined;
    const gridByCode = new Map(model.grids.map((g) => [g.code, g]));
    return {
      grid: grid ? ringsOf(grid.geometry) : [],
      event: e.location,
      workers: detail.nearbyWorkers.flatMap((w) => {
        const g = gridByCode.get(w.gridCode);
        return g ? [{ position: g.labelPoint, name: w.name }] : [];
      }),
      recent: detail.recentSimilar.flatMap((r) => (r.location ? [{ position: r.location, id: r.id }] : [])),
    };
  }, [model, gridCode, e.location, detail.nearbyWorkers, detail.recentSimilar]);

  const layers = useMemo<{ extra: Layer[]; top: Layer[] }>(() => {
    if (!marks) return { extra: [], top: [] };
    const colour = URGENCY_RGB[e.urgency];
    return {
      extra: [
        new PathLayer<LonLat[]>({ id: 'ws-grid', data: marks.grid, getPath: (p) => p, getColor: [255, 214, 92, 255], getWidth: 3, widthUnits: 'pixels' }),
        new ScatterplotLayer<{ position: LonLat }>({
          id: 'ws-recent',
          data: marks.recent,
          getPosition: (d) => d.position,
          getRadius: 5,
          radiusUnits: 'pixels',
          getFillColor: [142, 162, 196, 200],
          getLineColor: [6, 11, 22, 255],
          lineWidthMinPixels: 1,
          stroked: true,
        }),
        new ScatterplotLayer<{ position: LonLat }>({
          id: 'ws-workers',
          data: marks.workers,
          getPosition: (d) => d.position,
          getRadius: 6,
          radiusUnits: 'pixels',
          getFillColor: [56, 214, 138, 230],
          getLineColor: [6, 11, 22, 255],
          lineWidthMinPixels: 1.5,
          stroked: true,
        }),
      ],
      top: marks.event
        ? [
            new ScatterplotLayer<LonLat>({
              id: 'ws-event',
              data: [marks.event],
              getPosition: (d) => d,
              getRadius: 9,
              radiusUnits: 'pixels',
              getFillColor: [colour[0], colour[1], colour[2], 220],
              getLineColor: [255, 255, 255, 255],
              lineWidthMinPixels: 2.5,
              stroked: true,
            }),
          ]
        : [],
    };
  }, [marks, e.urgency]);

  // focus the grid (else the point) whenever another event is shown
  const focusKey = `${e.id}:${gridCode ?? ''}:${e.location?.join(',') ?? ''}`;
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !model) return;
    if (gridCode && map.focusArea(gridCode, { animate: false })) return;
    if (e.location) map.flyTo(e.location, 15, { animate: false });
  }, [focusKey, model]);

  if (!model) return <div className="event-map event-map--loading">{t.status.loadingMap}</div>;
  return (
    <div className="event-map" data-testid="event-map" data-grid={gridCode ?? ''} data-workers={marks?.workers.length ?? 0} data-recent={marks?.recent.length ?? 0}>
      <DistrictMap
        ref={mapRef}
        model={model}
        selectedTownCode={e.workflow.area.townCode}
        scale={0.9}
        padding={24}
        onHover={() => {}}
        ariaLabel={t.workstation.detail.map}
        extraLayers={layers.extra}
        topLayers={layers.top}
      />
    </div>
  );
}
