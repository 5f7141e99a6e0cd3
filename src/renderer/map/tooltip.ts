/**
 * What the hover card says about a grid, as data: the map component only
 * positions it. Kept pure so the wording is tested without WebGL.
 */
import type { Grid } from '../../core/geo/types';
import type { I18n } from '../i18n';
import type { MapModel } from './map-model';

export interface TooltipRow {
  label: string;
  value: string;
}

export interface GridTooltip {
  title: string;
  /** the grid's kind, e.g. 社区网格 */
  subtitle: string;
  rows: TooltipRow[];
  workersLabel: string;
  /** "name phone" per worker; the no-worker text when there is none */
  workers: string[];
}

export function gridTooltip(grid: Grid, model: MapModel, { t }: Pick<I18n, 't'>): GridTooltip {
  const village = model.villageByCode.get(grid.villageCode);
  const town = model.townByCode.get(grid.townCode);
  return {
    title: grid.name,
    subtitle: t.district.gridKinds[grid.kind],
    rows: [
      { label: t.tooltip.gridCode, value: grid.code },
      { label: t.tooltip.gridName, value: grid.name },
      { label: t.tooltip.village, value: village?.name ?? grid.villageCode },
      { label: t.tooltip.town, value: town?.name ?? grid.townCode },
    ],
    workersLabel: t.tooltip.workers,
    workers: grid.workers.length === 0 ? [t.tooltip.noWorker] : grid.workers.map((w) => `${w.name} ${w.phone}`),
  };
}
