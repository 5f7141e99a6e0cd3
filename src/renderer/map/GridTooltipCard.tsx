/** The hover card over a grid; wording comes from `gridTooltip`, this only places it inside the map. */
import type { GridTooltip } from './tooltip';

const OFFSET = 16;
const CARD_WIDTH = 300;
const CARD_HEIGHT = 200;

export function GridTooltipCard({ tip, x, y, width, height }: { tip: GridTooltip; x: number; y: number; width: number; height: number }) {
  // flip to the other side of the pointer near the right and bottom edges
  const left = x + OFFSET + CARD_WIDTH > width ? Math.max(0, x - OFFSET - CARD_WIDTH) : x + OFFSET;
  const top = y + OFFSET + CARD_HEIGHT > height ? Math.max(0, y - OFFSET - CARD_HEIGHT) : y + OFFSET;
  return (
    <div className="tooltip" data-testid="map-tooltip" role="tooltip" style={{ left, top, width: CARD_WIDTH }}>
      <div className="tooltip__title">
        {tip.title}
        <span className="tooltip__subtitle">{tip.subtitle}</span>
      </div>
      <dl className="tooltip__rows">
        {tip.rows.map((r) => (
          <div key={r.label} className="tooltip__row">
            <dt>{r.label}</dt>
            <dd>{r.value}</dd>
          </div>
        ))}
        <div className="tooltip__row">
          <dt>{tip.workersLabel}</dt>
          <dd>
            {tip.workers.map((w) => (
              <div key={w} data-testid="tooltip-worker">
                {w}
              </div>
            ))}
          </dd>
        </div>
      </dl>
    </div>
  );
}
