/**
 * The alert takeover: a red banner across the top of the map with what
 * happened, where, and the countdown to `respondBy` (then the delay, in a
 * louder red), and a detail card. It stays until a workstation acknowledges
 * the alert; then it says who did, briefly, and goes.
 */
import type { AlertPhase } from './alerts';
import type { WallAlert } from '../../core/rpc/wall';
import { useI18n } from '../i18n';
import type { MapModel } from '../map/map-model';
import { formatCountdown } from './format';

export function AlertBanner(props: { phase: AlertPhase; alert: WallAlert | null; remainingMs: number; waiting: number; model: MapModel | null; soundBlocked: boolean }) {
  const { t, formatTime } = useI18n();
  const { alert, phase } = props;
  if (!alert || phase === 'idle') return null;
  const acked = phase === 'acknowledged';
  const late = props.remainingMs < 0;
  const town = alert.townCode ? props.model?.townByCode.get(alert.townCode)?.name : null;
  return (
    <div className={`alert ${acked ? 'alert--acked' : ''} ${late ? 'alert--late' : ''}`} data-testid="alert-banner" data-alert-id={alert.id} data-phase={phase} role="alert">
      <div className="alert__kind">{t.wall.alert.kinds[alert.kind]}</div>
      <div className="alert__main">
        <div className="alert__title">{alert.title}</div>
        <div className="alert__where">
          {[town, alert.address].filter(Boolean).join(' · ')}
          {alert.caseNo && <span className="alert__case">{alert.caseNo}</span>}
          <span className="alert__time">{formatTime(alert.raisedAt)}</span>
        </div>
      </div>
      <div className="alert__clock">
        {acked ? (
          <span className="alert__ack" data-testid="alert-acked-by">
            {t.wall.alert.acknowledged(alert.ackedBy?.name ?? '—')}
          </span>
        ) : (
          <>
            <span className="alert__clock-label">{late ? t.wall.alert.overdue : t.wall.alert.respondIn}</span>
            <span className="alert__countdown" data-testid="alert-countdown" data-remaining-ms={Math.round(props.remainingMs)}>
              {formatCountdown(props.remainingMs)}
            </span>
            <span className="alert__hint">{props.waiting > 0 ? t.wall.alert.waiting(props.waiting) : t.wall.alert.awaitingAck}</span>
          </>
        )}
      </div>
      {props.soundBlocked && !acked && <div className="alert__sound">{t.wall.alert.soundBlocked}</div>}
    </div>
  );
}
