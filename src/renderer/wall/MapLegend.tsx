/**
 * The map's legend: the grid measure (switchable) with its bins, and the
 * colours of event states. On a wall nobody reads a legend closely; it is
 * there so a visitor can, and so the measure in force is never in doubt.
 */
import { memo, type CSSProperties } from 'react';
import type { GridMeasure } from '../../core/rpc/wall';
import { useI18n } from '../i18n';
import { STAGE_COLORS, rgbaCss, type EventStage } from './event-style';
import { binLabel, MEASURES, type Legend } from './measures';

const SHOWN_STAGES: readonly EventStage[] = ['intake', 'dispatched', 'handling', 'checking', 'overdue'];

/** memoised: the map re-renders at every patch of the store, the legend only when its own props change */
export const MapLegend = memo(function MapLegend(props: { measure: GridMeasure; legend: Legend | null; onMeasure: (m: GridMeasure) => void; showEvents: boolean }) {
  const { t } = useI18n();
  const { legend } = props;
  return (
    <div className="legend" data-testid="legend" data-measure={props.measure}>
      <div className="legend__head">{t.wall.legend.title}</div>
      <div className="legend__measures" role="group" aria-label={t.wall.legend.title}>
        {[...MEASURES, 'town' as const].map((m) => (
          <button key={m} type="button" className="legend__measure" data-testid="measure-option" data-value={m} aria-pressed={props.measure === m} onClick={() => props.onMeasure(m)}>
            {t.wall.measures[m]}
          </button>
        ))}
      </div>
      {legend && legend.bins.length > 0 && (
        <ol className="legend__bins" data-testid="legend-bins">
          {legend.bins.map((b, k) => (
            <li key={k} className="legend__bin">
              <span className="legend__swatch" style={{ '--swatch': rgbaCss(b.color) } as CSSProperties} />
              {binLabel(legend, k)}
            </li>
          ))}
        </ol>
      )}
      {props.showEvents && (
        <>
          <div className="legend__head legend__head--events">
            {t.wall.legend.events}
            <small>{t.wall.legend.sizeNote}</small>
          </div>
          <ol className="legend__stages">
            {SHOWN_STAGES.map((s) => (
              <li key={s} className="legend__stage">
                <span className="legend__dot" style={{ background: rgbaCss(STAGE_COLORS[s]) }} />
                {t.wall.stages[s]}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
});
