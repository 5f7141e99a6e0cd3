/** The card of a picked object, placed inside the map next to the pick. */
import type { CSSProperties } from 'react';
import { useI18n } from '../i18n';
import type { CardContent } from './cards';

export function MapCard(props: { card: CardContent; x: number; y: number; width: number; height: number; scale: number; loading: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const w = 340 * props.scale;
  const h = 260 * props.scale;
  const off = 18 * props.scale;
  const left = props.x + off + w > props.width ? Math.max(8, props.x - off - w) : props.x + off;
  const top = props.y + off + h > props.height ? Math.max(8, props.y - off - h) : props.y + off;
  const { card } = props;
  return (
    <div className="map-card" data-testid="map-card" data-kind={card.kind} style={{ left, top, width: w, '--accent': card.accent } as CSSProperties} role="dialog" aria-label={card.title}>
      <div className="map-card__head">
        <div>
          <div className="map-card__title">{card.title}</div>
          <div className="map-card__subtitle">{card.subtitle}</div>
        </div>
        <button type="button" className="map-card__close" aria-label={t.wall.card.close} onClick={props.onClose}>
          ×
        </button>
      </div>
      <dl className="map-card__rows">
        {card.rows.map((r) => (
          <div key={r.label} className="map-card__row">
            <dt>{r.label}</dt>
            <dd>{r.value}</dd>
          </div>
        ))}
      </dl>
      {props.loading && <div className="map-card__loading">{t.wall.card.loading}</div>}
    </div>
  );
}
