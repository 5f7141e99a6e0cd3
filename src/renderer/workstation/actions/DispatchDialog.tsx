/**
 * 派遣 (and re-dispatch after a bounce), designed for the common case: the
 * responsibility matrix's lead and assisting units are already chosen and the
 * focus sits on the submit button, so accepting the suggestion is one Enter.
 * The officer sees why that unit (matrix entry, owner department or
 * territorial rule), a warning when it is the unit that just bounced the
 * event, and when each SLA clock will run out on the working calendar.
 */
import { useMemo, useRef, useState, type FormEvent } from 'react';
import type { EventRecord } from '../../../core/events/types';
import type { CommandInput } from '../../../core/workflow/commands';
import { Combobox } from '../../components/Combobox';
import { Dialog } from '../../components/Dialog';
import { useI18n } from '../../i18n';
import { useDomain } from '../domain';
import { useOutbox } from '../outbox';
import { useSession } from '../session';
import { districtFields } from '../../shell/district-time';
import { currentTime } from '../time';
import { DialogFooter, PreviewLine, ReasonField, unitOptions, usePreview } from './command-form';
import { planDispatch } from './dispatch-plan';

const two = (n: number) => String(n).padStart(2, '0');

/** "03-10 Tue 14:00" in the district's zone (see district-time.ts); `weekdays` Monday first. */
export function formatDeadline(d: Date, weekdays: readonly string[]): string {
  const f = districtFields(d.getTime());
  const isoWeekday = new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay() || 7;
  return `${two(f.month)}-${two(f.day)} ${weekdays[isoWeekday - 1]} ${two(f.hour)}:${two(f.minute)}`;
}

export function DispatchDialog(props: { record: EventRecord; onClose: () => void; returnFocus?: () => HTMLElement | null }) {
  const { record, onClose } = props;
  const { t } = useI18n();
  const w = t.workstation;
  const domain = useDomain();
  const { actor } = useSession();
  const outbox = useOutbox();
  const now = useMemo(() => currentTime(), []);
  const plan = useMemo(() => planDispatch(record, domain.cfg, actor, now), [record, domain.cfg, actor, now]);
  const [lead, setLead] = useState<string | null>(plan.leadUnitId);
  const [assisting, setAssisting] = useState<string[]>(plan.assistingUnitIds);
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const submitRef = useRef<HTMLButtonElement>(null);
  const leadRef = useRef<HTMLInputElement>(null);
  const options = useMemo(() => unitOptions(domain.units, w), [domain.units, w]);
  const redispatch = record.workflow.status === 'bounced';

  const command: CommandInput | null = lead
    ? { type: 'dispatch', leadUnitId: lead, assistingUnitIds: assisting.filter((u) => u !== lead), ...(reason.trim() ? { reason: reason.trim() } : {}) }
    : null;
  const preview = usePreview(record.workflow, command, actor, domain.cfg, now);
  const refused = preview !== null && !preview.ok;

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    setTried(true);
    if (!command || refused) return;
    void outbox.submit({ name: 'event/command', eventId: record.id, command }, { label: redispatch ? w.redispatch : w.commands.dispatch, caseNo: record.caseNo });
    onClose();
  };

  const s = plan.suggestion;
  return (
    <Dialog
      title={`${redispatch ? w.redispatch : w.commands.dispatch} · ${record.caseNo}`}
      onClose={onClose}
      closeLabel={w.dialog.close}
      initialFocus={lead ? submitRef : leadRef}
      returnFocus={props.returnFocus}
      testId="dispatch-dialog"
      size="large"
      onSubmitShortcut={submit}
    >
      <form onSubmit={submit} className="form" data-testid="dispatch-form">
        <p className="dialog__subject">
          <strong>{record.title}</strong>
          <span className="muted">
            {domain.categoryPath(record.workflow.categoryCode)} · {domain.placeName(record.workflow.area)}
          </span>
        </p>
        <div className={`field${tried && !lead ? ' field--invalid' : ''}`}>
          <span className="field__label">
            {w.dialog.leadUnit}
            <span className="field__required">*</span>
          </span>
          <Combobox
            label={w.dialog.leadUnit}
            testId="lead-unit"
            options={options}
            value={lead}
            onChange={setLead}
            emptyText={w.filters.noMatch}
            inputRef={leadRef}
            invalid={tried && !lead}
          />
          {s ? (
            <span className="suggestion" data-testid="suggestion" data-unit={s.leadUnitId} data-source={s.source}>
              {w.dialog.suggested}：{domain.unitName(s.leadUnitId)} · {w.dialog.suggestionSource[s.source]}
              {s.matchedArea ? ` · ${domain.areaByCode.get(s.matchedArea)?.name ?? s.matchedArea}` : ''} · {domain.categoryName(s.matchedCategory)}
            </span>
          ) : (
            <span className="suggestion suggestion--none">{w.dialog.noSuggestion}</span>
          )}
          {plan.bouncedBy && plan.bouncedBy === lead && <span className="warn-text">{w.dialog.bouncedBy(domain.unitName(plan.bouncedBy))}</span>}
          {domain.units.length === 0 && <span className="warn-text">{w.dialog.noUnits}</span>}
        </div>
        <div className="field">
          <span className="field__label">{w.dialog.assistingUnits}</span>
          <Combobox
            multiple
            label={w.dialog.assistingUnits}
            testId="assisting-units"
            options={options.filter((o) => o.value !== lead)}
            value={assisting}
            onChange={setAssisting}
            emptyText={w.filters.noMatch}
            removeLabel={(l) => `${w.dialog.cancel} ${l}`}
          />
        </div>
        <section className="deadline-preview" data-testid="deadline-preview">
          <h3>{plan.clocks.some((c) => c.origin === 'running') ? w.dialog.runningClocks : w.dialog.deadlinePreview}</h3>
          {plan.clocks.length === 0 ? (
            <p className="muted">{domain.cfg ? w.detail.noClocks : t.workstation.status.configMissing}</p>
          ) : (
            <table className="mini-table">
              <tbody>
                {plan.clocks.map((c) => (
                  <tr key={c.id} data-testid="deadline-row" data-kind={c.kind} data-deadline={c.deadline.toISOString()}>
                    <th>{w.clockKinds[c.kind]}</th>
                    <td className={c.origin === 'running' && c.status !== 'running' ? (c.status === 'overdue' ? 'bad-text' : 'warn-text') : undefined}>
                      {c.origin === 'running' ? w.clock[c.status] : c.policy ? w.slaAmount(c.policy.unit, c.policy.amount) : w.clock.sourceDeadline}
                    </td>
                    <td className="mono">
                      {w.clock.deadline} {formatDeadline(c.deadline, w.calendar.weekdays)}
                    </td>
                    <td className="mono muted">
                      {w.clock.warnFrom} {formatDeadline(c.warnFrom, w.calendar.weekdays)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {plan.clocks.some((c) => c.origin !== 'running') && <p className="muted small">{w.dialog.deadlineNote}</p>}
        </section>
        <ReasonField value={reason} onChange={setReason} required={false} error={false} />
        <PreviewLine preview={preview} from={record.workflow.status} />
        <footer className="dialog__footer">
          <DialogFooter onCancel={onClose} submitLabel={redispatch ? w.redispatch : w.commands.dispatch} disabled={refused} submitRef={submitRef} />
        </footer>
      </form>
    </Dialog>
  );
}
