/**
 * Everything about one event on one scrolling panel: what it is and where,
 * the actions the officer may take, this desk's commands in flight with their
 * state, each SLA clock counting down, the map, every field, photos and
 * attachments, near-duplicates with merge, similar events nearby, and the
 * full audit trail.
 */
import { memo, type Ref } from 'react';
import type { EventDetail } from '../../../core/rpc/queries';
import { Badge } from '../../components/Badge';
import { useI18n } from '../../i18n';
import { ErrorPanel, LoadingPanel } from '../../shell/StatusPanel';
import { ActionBar } from '../actions/ActionBar';
import type { ActionSpec } from '../actions/catalogue';
import { useDomain } from '../domain';
import { shortTime, statusTone, URGENCY_TONE } from '../EventTable';
import { outboxBadge, useOutbox } from '../outbox';
import { AuditTimeline } from './AuditTimeline';
import { ClockList } from './ClockList';
import { EventMap } from './EventMap';
import type { DetailState } from './use-event-detail';

export interface EventDetailPanelProps {
  state: DetailState;
  actions: readonly ActionSpec[];
  onAction: (a: ActionSpec) => void;
  /** 上大屏: the event, or its town; null when the account may not direct the wall (a wall viewer) */
  onPushToWall: ((d: EventDetail, what: 'event' | 'town') => void) | null;
  onOpenEvent: (id: string) => void;
  onMerge: (intoId: string) => void;
  onRetry: () => void;
  ref?: Ref<HTMLElement>;
  /** draw the map (off in tests without WebGL and for a wall viewer who never acts) */
  showMap?: boolean;
}

/**
 * Whether an attachment can be drawn in the page: the content security policy
 * (`img-src 'self' data: blob:`, docs/web-host.md) blocks images of the source
 * systems' own servers, which would show as broken images; those are listed
 * as links instead.
 */
export function canShowInline(url: string): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:')) return true;
  try {
    return new URL(url, globalThis.location?.href).origin === globalThis.location?.origin;
  } catch {
    return false;
  }
}

/** Memoized: the view re-renders on every queue switch and filter change, the selected event does not. */
export const EventDetailPanel = memo(function EventDetailPanel(props: EventDetailPanelProps) {
  const { t, formatNumber } = useI18n();
  const w = t.workstation;
  const domain = useDomain();
  const outbox = useOutbox();
  const { state } = props;

  if (state.status === 'none') {
    return (
      <section ref={props.ref} className="detail detail--empty" data-testid="event-detail" tabIndex={-1} aria-label={w.detail.fields}>
        <p className="muted">{w.detail.empty}</p>
      </section>
    );
  }
  if (state.status === 'loading') {
    return (
      <section ref={props.ref} className="detail detail--empty" data-testid="event-detail" tabIndex={-1}>
        <LoadingPanel text={w.detail.loading} />
      </section>
    );
  }
  if (state.status === 'error') {
    return (
      <section ref={props.ref} className="detail detail--empty" data-testid="event-detail" tabIndex={-1}>
        <ErrorPanel error={state.error} onRetry={props.onRetry} />
      </section>
    );
  }

  const d = state.detail;
  const e = d.event;
  const wf = e.workflow;
  const pending = outbox.forEvent(e.id).filter((x) => x.state !== 'dismissed');
  const lead = wf.unitProgress.find((p) => p.role === 'lead');

  return (
    <section ref={props.ref} className="detail" data-testid="event-detail" data-id={e.id} data-status={wf.status} tabIndex={-1} aria-label={`${e.caseNo} ${e.title}`}>
      <header className="detail__head">
        <div className="detail__badges">
          <span className="mono detail__case" data-testid="detail-case">
            {e.caseNo}
          </span>
          <Badge tone={statusTone(wf.status)} testId="detail-status" data={{ status: wf.status }}>
            {w.statuses[wf.status]}
          </Badge>
          <Badge tone={URGENCY_TONE[e.urgency]}>{w.urgencies[e.urgency]}</Badge>
          {wf.supervision && (
            <span className={`sup sup--${wf.supervision.level}`} data-testid="detail-supervision">
              {w.supervisionLevels[wf.supervision.level]}
            </span>
          )}
          {wf.forcedAssignment && <Badge tone="warn">{w.detail.forced}</Badge>}
          {props.onPushToWall && (
            <span className="detail__wall">
              <button type="button" className="button button--ghost button--small" onClick={() => props.onPushToWall?.(d, 'event')} data-testid="push-event-to-wall">
                {w.detail.pushToWall} <kbd className="kbd">W</kbd>
              </button>
              {wf.area.townCode && (
                <button type="button" className="button button--ghost button--small" onClick={() => props.onPushToWall?.(d, 'town')} data-testid="push-town-to-wall" data-town={wf.area.townCode}>
                  {w.detail.pushTownToWall}
                </button>
              )}
            </span>
          )}
        </div>
        <h2 className="detail__title">{e.title}</h2>
        <p className="muted detail__sub">
          {domain.categoryPath(wf.categoryCode) || '—'} · {domain.placeName(wf.area)} · {w.sources[e.source]}
        </p>
      </header>

      <ActionBar actions={props.actions} onAction={props.onAction} redispatch={wf.status === 'bounced'} />

      {pending.length > 0 && (
        <ul className="pending-list" data-testid="pending-list">
          {pending.map((p) => {
            const b = outboxBadge(p.state, outbox.offline);
            const cmd = p.mutation.name === 'event/command' ? w.commands[p.mutation.command.type] : p.mutation.name;
            return (
              <li key={p.mutationId} data-testid="pending-entry" data-state={b.key} data-mutation={p.mutationId}>
                <span>{cmd}</span>
                <Badge tone={b.tone}>{w.outbox[b.key]}</Badge>
                {p.error && <span className="bad-text">{t.errors[p.error.code as keyof typeof t.errors] ?? p.error.code} — {p.error.message}</span>}
                {(p.state === 'rejected' || p.state === 'confirmed') && (
                  <button type="button" className="button button--small button--ghost" onClick={() => void outbox.dismiss(p.mutationId)}>
                    {w.outbox.dismiss}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}

      {(wf.pendingExtension || wf.lastBounce || wf.escalation || wf.supervision) && (
        <div className="notes">
          {wf.pendingExtension && (
            <p className="info-box info-box--warn" data-testid="note-extension">
              <strong>{w.detail.pendingExtension}</strong> {w.slaAmount(wf.pendingExtension.duration.unit, wf.pendingExtension.duration.amount)} · {wf.pendingExtension.reason} ·{' '}
              {domain.unitName(wf.pendingExtension.unitId)} · {shortTime(wf.pendingExtension.requestedAt)}
            </p>
          )}
          {wf.lastBounce && wf.status === 'bounced' && (
            <p className="info-box info-box--warn" data-testid="note-bounce">
              <strong>{w.detail.lastBounce}</strong> {domain.unitName(wf.lastBounce.unitId)} · {w.bounceReasons[wf.lastBounce.reasonCode]}
              {wf.lastBounce.reason ? ` · ${wf.lastBounce.reason}` : ''} · {shortTime(wf.lastBounce.at)}
            </p>
          )}
          {wf.supervision && (
            <p className="info-box">
              <strong>{w.detail.supervision}</strong> {w.supervisionLevels[wf.supervision.level]} · {wf.supervision.reason} · {shortTime(wf.supervision.since)}
              {wf.supervision.dueAt ? ` → ${shortTime(wf.supervision.dueAt)}` : ''}
            </p>
          )}
          {wf.escalation && (
            <p className="info-box">
              <strong>{w.detail.escalation}</strong> {w.rungs[wf.escalation.rung]} · {wf.escalation.reason}
              {wf.escalation.deadline ? ` → ${shortTime(wf.escalation.deadline)}` : ''}
            </p>
          )}
        </div>
      )}

      <section className="detail__section">
        <h3>{w.detail.clocks}</h3>
        <ClockList clocks={d.clocks} calendar={domain.cfg?.calendar ?? null} extensions={wf.extensionsGranted} />
      </section>

      {props.showMap !== false && (
        <section className="detail__section">
          <h3>{w.detail.map}</h3>
          {e.outsideDistrict && <p className="warn-text">{w.detail.outsideDistrict}</p>}
          <EventMap detail={d} />
        </section>
      )}

      <section className="detail__section">
        <h3>{w.detail.fields}</h3>
        <dl className="fields" data-testid="detail-fields">
          <dt>{w.detail.description}</dt>
          <dd className="pre">{e.description || '—'}</dd>
          <dt>{w.detail.address}</dt>
          <dd>{e.address ?? '—'}</dd>
          <dt>{w.detail.place}</dt>
          <dd>
            {domain.placeName(wf.area)} <span className="mono muted">{wf.area.gridCode ?? ''}</span>
          </dd>
          <dt>{w.detail.coordinates}</dt>
          <dd className="mono">
            {e.location ? `${e.location[0].toFixed(6)}, ${e.location[1].toFixed(6)}` : '—'}
            {e.sourceLocation && e.sourceLocation.system !== 'wgs84' && (
              <span className="muted">
                {' '}
                · {w.detail.sourceCoordinates(e.sourceLocation.system.toUpperCase())} {e.sourceLocation.lon.toFixed(6)}, {e.sourceLocation.lat.toFixed(6)}
              </span>
            )}
          </dd>
          <dt>{w.detail.category}</dt>
          <dd>
            {domain.categoryPath(wf.categoryCode) || '—'} <span className="mono muted">{wf.categoryCode ?? ''}</span>
          </dd>
          <dt>{w.detail.source}</dt>
          <dd>{w.sources[e.source]}</dd>
          <dt>{w.detail.externalRef}</dt>
          <dd className="mono" data-testid="external-ref">
            {e.externalRef ? `${e.externalRef.system} · ${e.externalRef.id}` : '—'}
          </dd>
          <dt>{w.detail.reporter}</dt>
          <dd>{e.reporter ? [e.reporter.name, e.reporter.phone, e.reporter.organisation].filter(Boolean).join(' · ') || '—' : '—'}</dd>
          <dt>{w.detail.urgency}</dt>
          <dd>{w.urgencies[e.urgency]}</dd>
          <dt>{w.detail.reportedAt}</dt>
          <dd className="mono">{shortTime(wf.reportedAt)}</dd>
          <dt>{w.detail.createdAt}</dt>
          <dd className="mono">{shortTime(e.createdAt)}</dd>
          <dt>{w.detail.leadUnit}</dt>
          <dd>
            {wf.leadUnitId ? domain.unitName(wf.leadUnitId) : '—'}
            {lead?.signedAt && <span className="muted"> · {w.detail.signedAt} {shortTime(lead.signedAt)}</span>}
            {lead?.handledAt && <span className="muted"> · {w.detail.handledAt} {shortTime(lead.handledAt)}</span>}
          </dd>
          <dt>{w.detail.assisting}</dt>
          <dd>{wf.assistingUnitIds.length ? wf.assistingUnitIds.map((u) => domain.unitName(u)).join('、') : '—'}</dd>
          {wf.feedback && (
            <>
              <dt>{w.detail.feedback}</dt>
              <dd className="pre">{wf.feedback.text}</dd>
            </>
          )}
          {wf.evaluation && (
            <>
              <dt>{w.detail.evaluation}</dt>
              <dd>
                {w.satisfaction[wf.evaluation.level]} · {w.satisfaction.score(wf.evaluation.score)}
                {wf.evaluation.callbackNote ? ` · ${wf.evaluation.callbackNote}` : ''}
              </dd>
            </>
          )}
        </dl>
      </section>

      <section className="detail__section">
        <h3>{w.detail.attachments}</h3>
        {e.attachments.length === 0 ? (
          <p className="muted">{w.detail.noAttachments}</p>
        ) : (
          <ul className="attachments" data-testid="attachments">
            {e.attachments.map((a) => (
              <li key={a.id} className="attachment">
                {a.url && a.mediaType.startsWith('image/') && canShowInline(a.url) ? (
                  <img src={a.url} alt={a.name} loading="lazy" />
                ) : (
                  <span className="attachment__icon" aria-hidden="true">
                    {a.mediaType.startsWith('image/') ? '▣' : '▤'}
                  </span>
                )}
                {a.url ? (
                  <a href={a.url} target="_blank" rel="noreferrer">
                    {a.name}
                  </a>
                ) : (
                  <span>{a.name}</span>
                )}
                {a.sizeBytes !== undefined && <span className="muted small">{formatNumber(Math.round(a.sizeBytes / 1024))} KB</span>}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="detail__section">
        <h3>{w.detail.duplicates}</h3>
        {d.duplicates.length === 0 ? (
          <p className="muted">{w.detail.noDuplicates}</p>
        ) : (
          <ul className="related" data-testid="duplicates">
            {d.duplicates.map((r) => (
              <li key={r.id} data-id={r.id}>
                <button type="button" className="link-button" onClick={() => props.onOpenEvent(r.id)}>
                  <span className="mono">{r.caseNo}</span> {r.title}
                </button>
                <Badge tone={statusTone(r.status)}>{w.statuses[r.status]}</Badge>
                {props.actions.some((a) => a.type === 'merge') && (
                  <button type="button" className="button button--small" data-testid="merge-into" onClick={() => props.onMerge(r.id)}>
                    {w.detail.mergeInto}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      {d.recentSimilar.length > 0 && (
        <section className="detail__section">
          <h3>{w.detail.recent}</h3>
          <ul className="related" data-testid="recent-similar">
            {d.recentSimilar.map((r) => (
              <li key={r.id}>
                <button type="button" className="link-button" onClick={() => props.onOpenEvent(r.id)}>
                  <span className="mono">{shortTime(r.reportedAt)}</span> {r.title}
                </button>
                <Badge tone={statusTone(r.status)}>{w.statuses[r.status]}</Badge>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section className="detail__section">
        <h3>{w.detail.workers}</h3>
        {d.nearbyWorkers.length === 0 ? (
          <p className="muted">{w.detail.noWorkers}</p>
        ) : (
          <ul className="related" data-testid="workers">
            {d.nearbyWorkers.map((x) => (
              <li key={`${x.id}-${x.gridCode}`}>
                <span>{x.name}</span> <span className="mono">{x.phone}</span>
                <span className="muted">
                  {x.gridCode.slice(-3)}
                  {x.distanceMetres !== null ? ` · ${w.detail.metres(formatNumber(x.distanceMetres))}` : ''}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="detail__section">
        <h3>{w.detail.timeline}</h3>
        <AuditTimeline entries={d.audit} />
      </section>
    </section>
  );
});
