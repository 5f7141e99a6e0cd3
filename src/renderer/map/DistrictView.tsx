/**
 * The district on the map with its town list: loads `areas/tree` and
 * `grids/geometry`, builds the map model once per data version, and wires the
 * list, the map and the hover card together. Wall and workstation share it
 * with different chrome (side, sizes, controls); their own views come later.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { useI18n } from '../i18n';
import { useRequest } from '../rpc/use-request';
import type { ViewMode } from '../shell/preferences';
import { ErrorPanel, LoadingPanel } from '../shell/StatusPanel';
import { DistrictMap, type DistrictMapHandle, type GridHover } from './DistrictMap';
import { GridTooltipCard } from './GridTooltipCard';
import { buildMapModel } from './map-model';
import { gridTooltip } from './tooltip';
import { TownPanel } from './TownPanel';

export function DistrictView({ mode }: { mode: ViewMode }) {
  const i18n = useI18n();
  const { t } = i18n;
  const tree = useRequest('areas/tree');
  const geometry = useRequest('grids/geometry');

  const treeData = tree.status === 'ok' ? tree.data : null;
  const geometryData = geometry.status === 'ok' ? geometry.data : null;
  const model = useMemo(() => (treeData && geometryData ? buildMapModel(treeData, geometryData) : null), [treeData, geometryData]);

  const mapRef = useRef<DistrictMapHandle>(null);
  const [selectedTownCode, setSelectedTownCode] = useState<string | null>(null);
  const [hover, setHover] = useState<GridHover | null>(null);

  const selectTown = useCallback(
    (code: string) => {
      const town = model?.townByCode.get(code);
      if (!town) return;
      setSelectedTownCode(code);
      mapRef.current?.fitBBox(town.bbox);
    },
    [model],
  );
  const reset = useCallback(() => {
    if (!model) return;
    setSelectedTownCode(null);
    mapRef.current?.fitBBox(model.district.bbox);
  }, [model]);

  const error = tree.status === 'error' ? tree.error : geometry.status === 'error' ? geometry.error : null;
  if (error) {
    return (
      <div className="district district--status">
        <ErrorPanel
          error={error}
          onRetry={() => {
            if (tree.status === 'error') tree.reload();
            if (geometry.status === 'error') geometry.reload();
          }}
        />
      </div>
    );
  }
  if (!model) {
    return (
      <div className="district district--status">
        <LoadingPanel text={t.status.loadingMap} />
      </div>
    );
  }

  const wall = mode === 'wall';
  return (
    <div className={`district district--${mode}`}>
      <TownPanel model={model} selectedTownCode={selectedTownCode} onSelectTown={selectTown} onReset={reset} />
      <div className="map-stage">
        <DistrictMap
          ref={mapRef}
          model={model}
          selectedTownCode={selectedTownCode}
          scale={wall ? 1.4 : 1}
          padding={wall ? 56 : 40}
          onHover={setHover}
          ariaLabel={t.map.ariaLabel}
        />
        {!wall && (
          <div className="map-controls">
            <button type="button" className="map-controls__button" data-testid="zoom-in" title={t.map.zoomIn} aria-label={t.map.zoomIn} onClick={() => mapRef.current?.zoomIn()}>
              +
            </button>
            <button type="button" className="map-controls__button" data-testid="zoom-out" title={t.map.zoomOut} aria-label={t.map.zoomOut} onClick={() => mapRef.current?.zoomOut()}>
              −
            </button>
          </div>
        )}
        <div className="map-legend">{t.map.legend}</div>
        {hover && (
          <GridTooltipCard
            tip={gridTooltip(hover.part.grid, model, i18n)}
            x={hover.x}
            y={hover.y}
            width={hover.width}
            height={hover.height}
          />
        )}
      </div>
    </div>
  );
}
