/** Wall alerts waiting for this desk's acknowledgement, with a countdown to their respond-by time. */
import type { WallAlert } from '../../../core/rpc/wall';
import { Badge } from '../../components/Badge';
import { useI18n } from '../../i18n';
import { shortTime } from '../EventTable';
import { formatCountdown, useNow } from '../time';
import type { WallApi } from './use-wall';

export function WallPanel({ wall, canAct, onOpenEvent }: { wall: WallApi; canAct: boolean; onOpenEvent: (id: string) => void }) {
  const { t } = useI18n();
  const w = t.workstation;
  const now = useNow();
  if (!wall.available) return null;
  const recent = wall.alerts.filter((a) => a.ackedAt !== null).slice(0, 2);
  return (
    <section className="ws-alerts" data-testid="wall-panel" data-open={wall.open.length}>
      <h3>
        {w.wall.alerts} {wall.open.length > 0 && <Badge tone="bad">{wall.open.length}</Badge>}
      </h3>
      {wall.open.length === 0 && <p className="muted small">{w.wall.noAlerts}</p>}
      <ul>
        {wall.open.slice(0, 4).map((a: WallAlert) => {
          const late = now > Date.parse(a.respondBy);
          return (
            <li key={a.id} className={`ws-alert${late ? ' ws-alert--late' : ''}`} data-testid="wall-alert" data-id={a.id}>
              <div className="ws-alert__head">
                <Badge tone="bad">{w.wall.kinds[a.kind]}</Badge>
                <span className={late ? 'bad-text mono' : 'mono'}>{formatCountdown(Date.parse(a.respondBy), now, w)}</span>
              </div>
              <button type="button" className="link-button ws-alert__title" title={a.title} onClick={() => onOpenEvent(a.eventId)}>
                {a.title}
              </button>
              {canAct && (
                <button type="button" className="button button--small button--primary" onClick={() => wall.ack(a, w.wall.ack)} data-testid="wall-ack">
                  {w.wall.ack}
                </button>
              )}
            </li>
          );
        })}
        {wall.open.length > 4 && <li className="muted small">{w.wall.more(wall.open.length - 4)}</li>}
        {recent.map((a) => (
          <li key={a.id} className="ws-alert ws-alert--acked muted small">
            {a.title} · {a.ackedBy ? w.wall.acked(a.ackedBy.name) : ''} {a.ackedAt ? shortTime(a.ackedAt) : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
