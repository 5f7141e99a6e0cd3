/**
 * Each SLA clock of an event with a live countdown (one shared ticker), how
 * much of its limit is used, and the working calendar it counts by — office
 * hours, weekends, the next holidays and make-up working days — so an officer
 * can see why "2 working days" ends where it does.
 */
import type { WorkingCalendar } from '../../../core/calendar/calendar';
import type { ClockView } from '../../../core/rpc/queries';
import type { SlaUnit } from '../../../core/sla/policy';
import { Badge } from '../../components/Badge';
import { useI18n } from '../../i18n';
import { shortTime } from '../EventTable';
import { formatCountdown, useNow } from '../time';

export function ClockList({ clocks, calendar, extensions }: { clocks: readonly ClockView[]; calendar: WorkingCalendar | null; extensions: number }) {
  const { t } = useI18n();
  const w = t.workstation;
  const now = useNow();
  if (clocks.length === 0) return <p className="muted">{w.detail.noClocks}</p>;
  return (
    <div className="clocks">
      <ul className="clock-list" data-testid="clock-list">
        {clocks.map((c) => {
          const deadline = Date.parse(c.deadline);
          const live = !c.stopped && !c.paused;
          const status = live && now > deadline ? 'overdue' : c.status;
          const label = c.stopped ? (c.met ? w.clock.met : w.clock.missed) : c.paused ? w.clock.paused : w.clock[status];
          const tone = c.stopped ? (c.met ? 'ok' : 'bad') : c.paused ? 'muted' : status === 'overdue' ? 'bad' : status === 'warning' ? 'warn' : 'info';
          const used = Math.max(0, Math.min(1, c.usedFraction));
          return (
            <li key={c.id} className={`sla-clock sla-clock--${c.stopped ? 'stopped' : status}`} data-testid="clock" data-kind={c.kind} data-status={c.stopped ? 'stopped' : status}>
              <div className="sla-clock__head">
                <span className="sla-clock__kind">{w.clockKinds[c.kind]}</span>
                <Badge tone={tone}>{label}</Badge>
                <span className="sla-clock__countdown" data-testid="clock-countdown">
                  {live ? formatCountdown(deadline, now, w) : ''}
                </span>
              </div>
              <div className="sla-clock__bar" aria-hidden="true">
                <span style={{ width: `${used * 100}%` }} />
              </div>
              <div className="sla-clock__meta">
                <span>
                  {w.clock.deadline} <strong className="mono">{shortTime(c.deadline)}</strong>
                </span>
                <span>
                  {w.clock.limit} {c.limit ? w.slaAmount(c.limit.unit as SlaUnit, c.limit.amount) : w.clock.sourceDeadline}
                </span>
                <span className="muted">
                  {w.clock.started} {shortTime(c.startedAt)}
                </span>
              </div>
            </li>
          );
        })}
      </ul>
      {extensions > 0 && <p className="muted">{w.clock.extended(extensions)}</p>}
      {calendar && <CalendarSummary calendar={calendar} now={now} />}
    </div>
  );
}

const DAY = 86_400_000;

/** Office hours, weekend and the holidays / make-up days of the next 60 days. */
export function CalendarSummary({ calendar, now }: { calendar: WorkingCalendar; now: number }) {
  const { t, locale } = useI18n();
  const c = t.workstation.calendar;
  const hours = calendar.data.workingHours.map((p) => `${p.start}–${p.end}`).join('，');
  const weekend = [...calendar.weekendDays].map((d) => c.weekdays[d - 1]).join(' ');
  const today = new Date(now + calendar.offsetMs).toISOString().slice(0, 10);
  const horizon = new Date(now + calendar.offsetMs + 60 * DAY).toISOString().slice(0, 10);
  const holidays = calendar.data.holidays.filter((h) => h.to >= today && h.from <= horizon);
  const makeUps = calendar.data.makeUpWorkdays.filter((m) => m.date >= today && m.date <= horizon);
  const year = Number(today.slice(0, 4));
  return (
    <details className="calendar-summary" data-testid="calendar-summary">
      <summary>
        {c.title} · {calendar.data.name}
      </summary>
      <dl className="fields fields--compact">
        <dt>{c.hours}</dt>
        <dd>{hours}</dd>
        <dt>{c.weekend}</dt>
        <dd>{weekend}</dd>
        <dt>{c.holidays}</dt>
        <dd>{holidays.length ? holidays.map((h) => `${locale === 'en' && h.nameEn ? h.nameEn : h.name} ${h.from.slice(5)}–${h.to.slice(5)}`).join('；') : c.none}</dd>
        <dt>{c.makeUp}</dt>
        <dd>{makeUps.length ? makeUps.map((m) => m.date.slice(5)).join('，') : c.none}</dd>
      </dl>
      {!calendar.years.has(year) && <p className="warn-text">{c.notCovered(year)}</p>}
    </details>
  );
}
