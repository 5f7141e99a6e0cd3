/**
 * The dialog of every action other than dispatch: the fields its command
 * needs (category to file under, merge target, units, bounce reason, feedback,
 * extension, supervision level, ladder rung, satisfaction…), a reason where
 * the rules demand one, and the preview from `decide`. Enter submits from any
 * single-line field, Ctrl+Enter from a text box, Esc cancels.
 */
import { useMemo, useRef, useState, type FormEvent } from 'react';
import type { WorkingCalendar } from '../../../core/calendar/calendar';
import type { EventDetail } from '../../../core/rpc/queries';
import { clockState, type SlaClock } from '../../../core/sla/clock';
import type { SlaUnit } from '../../../core/sla/policy';
import { effectiveRules } from '../../../core/taxonomy/tree';
import { REASON_REQUIRED, type BounceReasonCode, type CommandInput, type SatisfactionLevel } from '../../../core/workflow/commands';
import { RUNG_ORDER, rungIndex, type EscalationRung } from '../../../core/workflow/supervision';
import { Combobox } from '../../components/Combobox';
import { Dialog } from '../../components/Dialog';
import { useI18n } from '../../i18n';
import { categoryOptions, useDomain } from '../domain';
import { useOutbox } from '../outbox';
import { useSession } from '../session';
import { parseDistrictDateTime } from '../../shell/district-time';
import { currentTime } from '../time';
import type { ActionSpec } from './catalogue';
import { DialogFooter, PreviewLine, ReasonField, unitOptions, usePreview } from './command-form';
import { formatDeadline } from './DispatchDialog';
import { planDispatch } from './dispatch-plan';

const SLA_UNITS: SlaUnit[] = ['working_days', 'working_hours', 'calendar_days', 'calendar_hours'];
const SATISFACTION: SatisfactionLevel[] = ['satisfied', 'basically_satisfied', 'dissatisfied'];

/** `2026-03-10T14:00` typed in a datetime-local field, read in the district's zone. */
function localToIso(v: string): string | undefined {
  if (!v) return undefined;
  const ms = parseDistrictDateTime(v);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function CommandDialog(props: { spec: ActionSpec; detail: EventDetail; onClose: () => void; returnFocus?: () => HTMLElement | null }) {
  const { spec, detail, onClose } = props;
  const record = detail.event;
  const event = record.workflow;
  const { t, locale } = useI18n();
  const w = t.workstation;
  const domain = useDomain();
  const { actor } = useSession();
  const outbox = useOutbox();
  const now = useMemo(() => currentTime(), []);
  const type = spec.type;

  const units = useMemo(() => unitOptions(domain.units, w), [domain.units, w]);
  const suggestion = useMemo(() => planDispatch(record, domain.cfg, actor, now), [record, domain.cfg, actor, now]);
  const [reason, setReason] = useState('');
  const [category, setCategory] = useState<string | null>(event.categoryCode);
  const [requiresCheck, setRequiresCheck] = useState(event.requiresCheck);
  const [mergeInto, setMergeInto] = useState<string | null>(detail.duplicates[0]?.id ?? null);
  const [lead, setLead] = useState<string | null>(type === 'force_assign' ? event.leadUnitId : (suggestion.leadUnitId !== event.leadUnitId ? suggestion.leadUnitId : null));
  const [assisting, setAssisting] = useState<string[]>(event.assistingUnitIds);
  const [bounceCode, setBounceCode] = useState<BounceReasonCode>('not_our_responsibility');
  const [feedback, setFeedback] = useState('');
  const [amount, setAmount] = useState(event.pendingExtension?.duration.amount ?? 1);
  const [unit, setUnit] = useState<SlaUnit>(event.pendingExtension?.duration.unit ?? 'working_days');
  const [grantOther, setGrantOther] = useState(false);
  const currentLevel = event.supervision?.level ?? 0;
  const levels = ([1, 2, 3] as const).filter((l) => l > currentLevel && (actor?.role !== 'duty_officer' || l === 1));
  const [level, setLevel] = useState<1 | 2 | 3>(levels[0] ?? 1);
  const [dueAt, setDueAt] = useState('');
  const cfgLadder = domain.cfg?.config.ladder ?? [];
  const rungs = (cfgLadder.length ? cfgLadder.map((r) => r.rung) : RUNG_ORDER).filter((r) => event.escalation === null || rungIndex(r) > rungIndex(event.escalation.rung));
  const [rung, setRung] = useState<EscalationRung | null>(rungs[0] ?? null);
  const [satisfaction, setSatisfaction] = useState<SatisfactionLevel>('satisfied');
  const [callbackNote, setCallbackNote] = useState('');
  const [checker, setChecker] = useState<string>('');
  const [tried, setTried] = useState(false);
  const firstRef = useRef<HTMLTextAreaElement>(null);
  const submitRef = useRef<HTMLButtonElement>(null);

  const r = reason.trim() ? { reason: reason.trim() } : {};
  const command: CommandInput | null = (() => {
    switch (spec.form) {
      case 'file':
        return { type: 'file', ...(category ? { categoryCode: category } : {}), requiresCheck, ...r };
      case 'merge':
        return mergeInto ? { type: 'merge', intoEventId: mergeInto, ...r } : null;
      case 'units':
        if (type === 'reassign') return lead ? { type: 'reassign', leadUnitId: lead, assistingUnitIds: assisting.filter((u) => u !== lead), ...r } : null;
        return { type: 'force_assign', ...(lead ? { leadUnitId: lead, assistingUnitIds: assisting.filter((u) => u !== lead) } : {}), ...r };
      case 'bounce':
        return { type: 'bounce', reasonCode: bounceCode, ...r };
      case 'handle':
        return feedback.trim() ? { type: 'handle', feedback: feedback.trim(), ...r } : null;
      case 'request_extension':
        return { type: 'request_extension', duration: { unit, amount }, ...r };
      case 'grant_extension':
        return { type: 'grant_extension', ...(grantOther ? { duration: { unit, amount } } : {}), ...r };
      case 'supervise':
        return { type: 'supervise', level, ...(localToIso(dueAt) ? { dueAt: localToIso(dueAt) } : {}), ...r };
      case 'escalate':
        return { type: 'escalate', ...(rung ? { toRung: rung } : {}), ...r };
      case 'evaluate':
        return { type: 'evaluate', satisfaction, ...(callbackNote.trim() ? { callbackNote: callbackNote.trim() } : {}), ...r };
      case 'request_check':
        return { type: 'request_check', ...(checker ? { checkerId: checker } : {}), ...r };
      default:
        return { type, ...r } as CommandInput;
    }
  })();
  const preview = usePreview(event, command, actor, domain.cfg, now);
  const needsReason = REASON_REQUIRED.has(type) || (type === 'bounce' && bounceCode === 'other');
  const reasonMissing = needsReason && !reason.trim();
  const refused = preview !== null && !preview.ok && preview.error.code !== 'missing_reason';

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    setTried(true);
    if (!command || reasonMissing || refused) return;
    void outbox.submit({ name: 'event/command', eventId: record.id, command }, { label: w.commands[type], caseNo: record.caseNo });
    onClose();
  };

  const newDeadlines = preview?.ok && (type === 'grant_extension' || type === 'escalate') ? preview.next : null;
  const cats = useMemo(() => categoryOptions(domain.cfg, locale === 'en'), [domain.cfg, locale]);

  return (
    <Dialog
      title={`${w.commands[type]} · ${record.caseNo}`}
      onClose={onClose}
      closeLabel={w.dialog.close}
      returnFocus={props.returnFocus}
      initialFocus={spec.form === 'confirm' || spec.form === 'request_check' || spec.form === 'evaluate' ? submitRef : needsReason && spec.form === 'reason' ? firstRef : undefined}
      testId="command-dialog"
      size="medium"
      onSubmitShortcut={submit}
    >
      <form onSubmit={submit} className="form" data-testid={`command-form-${type}`} data-command={type}>
        <p className="dialog__subject">
          <strong>{record.title}</strong>
          <span className="muted">{w.statuses[event.status]}</span>
        </p>

        {spec.form === 'file' && (
          <>
            <div className="field">
              <span className="field__label">{w.dialog.category}</span>
              <Combobox
                label={w.dialog.category}
                testId="file-category"
                options={cats}
                value={category}
                onChange={(c) => {
                  setCategory(c);
                  if (c && domain.cfg) setRequiresCheck(effectiveRules(domain.cfg.taxonomy, c)?.requiresCheck ?? true);
                }}
                emptyText={w.filters.noMatch}
              />
            </div>
            <label className="check">
              <input type="checkbox" checked={requiresCheck} onChange={(e) => setRequiresCheck(e.target.checked)} /> {w.dialog.requiresCheck}
            </label>
          </>
        )}

        {spec.form === 'merge' && (
          <fieldset className="field">
            <legend className="field__label">{w.dialog.mergeTarget}</legend>
            {detail.duplicates.map((d) => (
              <label key={d.id} className="radio-row">
                <input type="radio" name="merge" checked={mergeInto === d.id} onChange={() => setMergeInto(d.id)} />
                <span className="mono">{d.caseNo}</span> {d.title} <span className="muted">{w.statuses[d.status]}</span>
              </label>
            ))}
          </fieldset>
        )}

        {spec.form === 'units' && (
          <>
            <div className="field">
              <span className="field__label">{w.dialog.leadUnit}</span>
              <Combobox label={w.dialog.leadUnit} testId="lead-unit" options={units} value={lead} onChange={setLead} emptyText={w.filters.noMatch} invalid={tried && type === 'reassign' && !lead} />
              {suggestion.suggestion && (
                <span className="suggestion">
                  {w.dialog.suggested}：{domain.unitName(suggestion.suggestion.leadUnitId)} · {w.dialog.suggestionSource[suggestion.suggestion.source]}
                </span>
              )}
            </div>
            <div className="field">
              <span className="field__label">{w.dialog.assistingUnits}</span>
              <Combobox multiple label={w.dialog.assistingUnits} options={units.filter((o) => o.value !== lead)} value={assisting} onChange={setAssisting} emptyText={w.filters.noMatch} />
            </div>
          </>
        )}

        {spec.form === 'bounce' && (
          <label className="field">
            <span className="field__label">{w.dialog.bounceReason}</span>
            <select className="input" value={bounceCode} onChange={(e) => setBounceCode(e.target.value as BounceReasonCode)}>
              {(Object.keys(w.bounceReasons) as BounceReasonCode[]).map((c) => (
                <option key={c} value={c}>
                  {w.bounceReasons[c]}
                </option>
              ))}
            </select>
          </label>
        )}

        {spec.form === 'handle' && (
          <label className={`field${tried && !feedback.trim() ? ' field--invalid' : ''}`}>
            <span className="field__label">
              {w.dialog.feedback}
              <span className="field__required">*</span>
            </span>
            <textarea className="input" rows={3} value={feedback} onChange={(e) => setFeedback(e.target.value)} data-testid="feedback" />
            {tried && !feedback.trim() && <span className="field__error">{w.dialog.required}</span>}
          </label>
        )}

        {spec.form === 'grant_extension' && event.pendingExtension && (
          <p className="info-box" data-testid="pending-extension">
            {w.dialog.requested(w.slaAmount(event.pendingExtension.duration.unit, event.pendingExtension.duration.amount), event.pendingExtension.reason)}
          </p>
        )}
        {spec.form === 'grant_extension' && (
          <label className="check">
            <input type="checkbox" checked={grantOther} onChange={(e) => setGrantOther(e.target.checked)} /> {w.dialog.grantOther}
          </label>
        )}
        {(spec.form === 'request_extension' || (spec.form === 'grant_extension' && grantOther)) && (
          <div className="field-row">
            <label className="field">
              <span className="field__label">{w.dialog.amount}</span>
              <input className="input" type="number" min={1} step={1} value={amount} onChange={(e) => setAmount(Math.max(1, Number(e.target.value) || 1))} />
            </label>
            <label className="field">
              <span className="field__label">{w.dialog.unit}</span>
              <select className="input" value={unit} onChange={(e) => setUnit(e.target.value as SlaUnit)}>
                {SLA_UNITS.map((u) => (
                  <option key={u} value={u}>
                    {w.slaAmount(u, amount).replace(/^\d+\s*/, '')}
                  </option>
                ))}
              </select>
            </label>
          </div>
        )}
        {newDeadlines && type === 'grant_extension' && domain.cfg && (
          <ul className="plain-list" data-testid="new-deadlines">
            {newDeadlines.clocks
              .filter((c) => c.stoppedAt === null)
              .map((c) => {
                const before = detail.clocks.find((x) => x.id === c.id);
                const cal = domain.cfg!.calendar;
                const after = preview?.ok ? formatDeadline(new Date(clockDeadline(c, now, cal)), w.calendar.weekdays) : '';
                return (
                  <li key={c.id}>
                    {w.clockKinds[c.kind]}：{before ? formatDeadline(new Date(before.deadline), w.calendar.weekdays) : ''} → <strong>{after}</strong>
                  </li>
                );
              })}
          </ul>
        )}

        {spec.form === 'supervise' && (
          <>
            <fieldset className="field">
              <legend className="field__label">{w.dialog.level}</legend>
              <div className="segmented-inline">
                {levels.map((l) => (
                  <label key={l} className="radio-row">
                    <input type="radio" name="level" checked={level === l} onChange={() => setLevel(l)} /> {w.supervisionLevels[l]}
                  </label>
                ))}
              </div>
            </fieldset>
            <label className="field">
              <span className="field__label">{w.dialog.dueAt}</span>
              <input className="input" type="datetime-local" value={dueAt} onChange={(e) => setDueAt(e.target.value)} />
            </label>
          </>
        )}

        {spec.form === 'escalate' && (
          <label className="field">
            <span className="field__label">
              {w.dialog.toRung} <span className="muted">{w.dialog.currentRung(event.escalation ? w.rungs[event.escalation.rung] : w.dialog.notOnLadder)}</span>
            </span>
            <select className="input" value={rung ?? ''} onChange={(e) => setRung(e.target.value as EscalationRung)}>
              {rungs.map((x) => {
                const cfgRung = cfgLadder.find((l) => l.rung === x);
                return (
                  <option key={x} value={x}>
                    {w.rungs[x]}
                    {cfgRung ? ` · ${locale === 'en' && cfgRung.labelEn ? cfgRung.labelEn : cfgRung.label} · ${w.slaAmount(cfgRung.countdown.unit, cfgRung.countdown.amount)}` : ''}
                  </option>
                );
              })}
            </select>
          </label>
        )}

        {spec.form === 'evaluate' && (
          <>
            <fieldset className="field">
              <legend className="field__label">{w.dialog.satisfaction}</legend>
              <div className="segmented-inline">
                {SATISFACTION.map((s) => (
                  <label key={s} className="radio-row">
                    <input type="radio" name="satisfaction" value={s} checked={satisfaction === s} onChange={() => setSatisfaction(s)} /> {w.satisfaction[s]}
                  </label>
                ))}
              </div>
            </fieldset>
            <label className="field">
              <span className="field__label">{w.dialog.callbackNote}</span>
              <textarea className="input" rows={2} value={callbackNote} onChange={(e) => setCallbackNote(e.target.value)} data-testid="callback-note" />
            </label>
          </>
        )}

        {spec.form === 'request_check' && detail.nearbyWorkers.length > 0 && (
          <label className="field">
            <span className="field__label">{w.dialog.checker}</span>
            <select className="input" value={checker} onChange={(e) => setChecker(e.target.value)}>
              <option value="">{w.dialog.anyChecker}</option>
              {detail.nearbyWorkers.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name} {x.phone}
                </option>
              ))}
            </select>
          </label>
        )}

        <ReasonField value={reason} onChange={setReason} required={needsReason} error={tried && reasonMissing} inputRef={firstRef} />
        <PreviewLine preview={preview} from={event.status} />
        <footer className="dialog__footer">
          <DialogFooter onCancel={onClose} submitLabel={w.commands[type]} disabled={refused} submitRef={submitRef} />
        </footer>
      </form>
    </Dialog>
  );
}

function clockDeadline(c: SlaClock, now: Date, cal: WorkingCalendar): number {
  return clockState(c, now, cal).deadline.getTime();
}
