/** The full audit trail of an event: every step with actor, role, organisation, time and reason. */
import type { AuditEntry } from '../../../core/workflow/event';
import { useI18n } from '../../i18n';
import { useDomain } from '../domain';
import { shortTime } from '../EventTable';

/** A unit's short name; a source system's actor (`source-<source>`) by the source's name; else the id. */
export function organisationName(id: string, unitName: (id: string) => string, sources: Readonly<Record<string, string>>): string {
  const source = id.startsWith('source-') ? id.slice('source-'.length) : null;
  if (source !== null && Object.hasOwn(sources, source)) return sources[source]!;
  const unit = unitName(id);
  return unit && unit !== id ? unit : id;
}

export function AuditTimeline({ entries }: { entries: readonly AuditEntry[] }) {
  const { t } = useI18n();
  const w = t.workstation;
  const domain = useDomain();
  if (entries.length === 0) return <p className="muted">{w.detail.noTimeline}</p>;
  const verb = (c: string) => (Object.hasOwn(w.commands, c) ? w.commands[c as keyof typeof w.commands] : (w.auditCommands[c] ?? c));
  return (
    <ol className="timeline" data-testid="timeline">
      {[...entries].reverse().map((a) => {
        const org = organisationName(a.organisationId, domain.unitName, w.sources);
        const bounce = a.reasonCode && Object.hasOwn(w.bounceReasons, a.reasonCode) ? w.bounceReasons[a.reasonCode as keyof typeof w.bounceReasons] : a.reasonCode;
        return (
          <li key={`${a.eventId}:${a.seq}`} className={`timeline__item timeline__item--${a.command}`} data-testid="timeline-entry" data-command={a.command} data-seq={a.seq}>
            <div className="timeline__head">
              <strong>{verb(a.command)}</strong>
              {a.from !== a.to && (
                <span className="muted">
                  {w.statuses[a.from]} → {w.statuses[a.to]}
                </span>
              )}
              <time className="mono muted" dateTime={a.at}>
                {shortTime(a.at)}
              </time>
            </div>
            <div className="timeline__actor" data-testid="timeline-actor">
              {w.detail.by(a.actorName, w.roles[a.role], org)}
            </div>
            {(a.reason || bounce) && <div className="timeline__reason">{[bounce, a.reason].filter(Boolean).join('：')}</div>}
            {a.attachments.length > 0 && (
              <ul className="timeline__files">
                {a.attachments.map((f) => (
                  <li key={f.id}>{f.url ? <a href={f.url}>{f.name}</a> : f.name}</li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
}
