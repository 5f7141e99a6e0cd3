/**
 * The newest events, newest on top; a row that was not there at the previous
 * answer flashes once. Shows stage colour, title, town and source, and how
 * long ago it came in.
 */
import { useEffect, useRef } from 'react';
import type { EventRow } from '../../core/rpc/queries';
import { EventStatus } from '../../core/workflow/states';
import { useI18n } from '../i18n';
import type { MapModel } from '../map/map-model';
import { STAGE_COLORS, rgbaCss, stageOf } from './event-style';
import { elapsed } from './format';
import { Panel } from './Panel';

const CLOCK_CODE = { running: 1, warning: 2, overdue: 3 } as const;

export function Ticker({ rows, model, now, onPick }: { rows: readonly EventRow[] | null; model: MapModel | null; now: number; onPick: (row: EventRow) => void }) {
  const { t } = useI18n();
  const known = useRef<Set<string> | null>(null);
  const fresh = new Set<string>();
  if (rows && known.current) for (const r of rows) if (!known.current.has(r.id)) fresh.add(r.id);
  useEffect(() => {
    if (rows) known.current = new Set(rows.map((r) => r.id));
  }, [rows]);

  const ago = (iso: string) => {
    const e = elapsed(Date.parse(iso), now);
    return e.unit === 'now' ? t.wall.ticker.now : t.wall.ticker[e.unit](e.value);
  };
  return (
    <Panel title={t.wall.ticker.title} testId="ticker" className="wall-panel--ticker">
      {!rows || rows.length === 0 ? (
        <div className="chart-empty">{t.wall.ticker.empty}</div>
      ) : (
        <ol className="ticker">
          {rows.map((r) => {
            const stage = stageOf(EventStatus.options.indexOf(r.status), r.clockStatus ? CLOCK_CODE[r.clockStatus] : 0);
            const town = r.townCode ? model?.townByCode.get(r.townCode)?.name : null;
            return (
              <li key={r.id} className={`ticker__item ${fresh.has(r.id) ? 'ticker__item--fresh' : ''} ticker__item--${r.urgency}`} data-testid="ticker-item" data-id={r.id}>
                <button type="button" className="ticker__button" onClick={() => onPick(r)}>
                  <span className="ticker__dot" style={{ background: rgbaCss(STAGE_COLORS[stage]) }} aria-hidden="true" />
                  <span className="ticker__title">{r.title}</span>
                  <span className="ticker__meta">
                    {town && <span>{town}</span>}
                    <span>{t.wall.sources[r.source]}</span>
                  </span>
                  <span className="ticker__time">{ago(r.reportedAt)}</span>
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </Panel>
  );
}
