/**
 * The district at a glance beside the map: totals (towns, villages, grids) and
 * the 10 towns with their colour, kind and counts. Clicking a town zooms the
 * map to it; "district" zooms back out. Doubles as the map's legend.
 */
import type { CSSProperties } from 'react';
import { useI18n } from '../i18n';
import type { MapModel } from './map-model';
import { rgbToCss } from './theme';

export function TownPanel(props: {
  model: MapModel;
  selectedTownCode: string | null;
  onSelectTown: (code: string) => void;
  onReset: () => void;
}) {
  const { t, formatNumber } = useI18n();
  const { model, selectedTownCode } = props;
  const maxGrids = Math.max(1, ...model.towns.map((town) => town.gridCount));

  return (
    <aside className="town-panel" aria-label={t.district.townList}>
      <div className="totals">
        <Stat testId="town-count" value={model.totals.towns} label={t.district.towns} />
        <Stat testId="village-count" value={model.totals.villages} label={t.district.villages} />
        <Stat testId="grid-count" value={model.totals.grids} label={t.district.grids} />
      </div>
      <div className="town-panel__head">
        <h2 className="town-panel__title">
          {model.district.name} · {t.district.townList}
        </h2>
        <button
          type="button"
          className="button button--ghost"
          data-testid="reset-view"
          title={t.district.resetViewHint}
          aria-pressed={selectedTownCode === null}
          onClick={props.onReset}
        >
          {t.district.resetView}
        </button>
      </div>
      <ol className="town-list" data-testid="town-list">
        {model.towns.map((town) => (
          <li key={town.code}>
            <button
              type="button"
              className="town"
              data-testid="town-item"
              data-code={town.code}
              aria-pressed={town.code === selectedTownCode}
              aria-label={t.district.zoomTo(town.name)}
              onClick={() => props.onSelectTown(town.code)}
              style={{ '--town-color': rgbToCss(town.color) } as CSSProperties}
            >
              <span className="town__swatch" aria-hidden="true" />
              <span className="town__title">
                <span className="town__name">{town.name}</span>
                <span className="town__kind">{t.district.kinds[town.kind]}</span>
              </span>
              <span className="town__counts">
                <span data-testid="town-village-count" title={t.district.villagesOf(formatNumber(town.villageCount))}>
                  {town.villageCount}
                  <small>{t.district.villages}</small>
                </span>
                <span data-testid="town-grid-count" title={t.district.gridsOf(formatNumber(town.gridCount))}>
                  {town.gridCount}
                  <small>{t.district.grids}</small>
                </span>
              </span>
              <span className="town__bar" aria-hidden="true" style={{ width: `${(100 * town.gridCount) / maxGrids}%` }} />
            </button>
          </li>
        ))}
      </ol>
      <div className="grid-kinds" data-testid="grid-kinds">
        <span className="grid-kinds__item">
          {t.district.gridKinds.community}
          <strong data-testid="grid-kind-community">{model.totals.communityGrids}</strong>
        </span>
        <span className="grid-kinds__item">
          {t.district.gridKinds.rural}
          <strong data-testid="grid-kind-rural">{model.totals.ruralGrids}</strong>
        </span>
      </div>
    </aside>
  );
}

function Stat({ testId, value, label }: { testId: string; value: number; label: string }) {
  return (
    <div className="stat">
      {/* plain digits (no grouping) so tests and readers see exactly 1401 */}
      <span className="stat__value" data-testid={testId} data-value={value}>
        {value}
      </span>
      <span className="stat__label">{label}</span>
    </div>
  );
}
