/**
 * Pieces every action dialog shares: the preview of what the command will do
 * (run through `decide` for the signed-in officer, so the dialog shows the
 * next state or the refusal before anything is sent), the reason field with
 * its inline error, the footer, and the unit options of the pickers.
 */
import { useMemo, type ReactNode, type RefObject } from 'react';
import type { Unit } from '../../../core/org/types';
import type { CommandInput } from '../../../core/workflow/commands';
import { decide, type Decision } from '../../../core/workflow/decide';
import type { DomainConfig } from '../../../core/workflow/domain-config';
import type { WorkflowEvent } from '../../../core/workflow/event';
import type { Actor } from '../../../core/workflow/roles';
import type { ComboOption } from '../../components/Combobox';
import { useI18n } from '../../i18n';
import type { WorkstationMessages } from '../i18n/zh-cn';

/** decide's answer for the command as it stands, or null without configuration. */
export function usePreview(event: WorkflowEvent, command: CommandInput | null, actor: Actor | null, cfg: DomainConfig | null, now: Date): Decision | null {
  const key = JSON.stringify(command);
  return useMemo(
    () => (command && actor && cfg ? decide(event, command, actor, now, cfg) : null),
    // `now` is fixed while the dialog is open; the command is compared by value (key)
    [event, key, actor, cfg],
  );
}

export function PreviewLine({ preview, from }: { preview: Decision | null; from: WorkflowEvent['status'] }) {
  const { t, errorText } = useI18n();
  const w = t.workstation;
  if (!preview) return null;
  if (!preview.ok) {
    if (preview.error.code === 'missing_reason') return null;
    return (
      <p className="preview preview--refused" data-testid="preview" data-code={preview.error.code} role="alert">
        {w.dialog.wouldRefuse(errorText(preview.error.code))}
      </p>
    );
  }
  return (
    <p className="preview" data-testid="preview" data-to={preview.next.status}>
      {preview.next.status === from ? w.dialog.unchanged : w.dialog.preview(w.statuses[from], w.statuses[preview.next.status])}
    </p>
  );
}

export function ReasonField(props: {
  value: string;
  onChange: (v: string) => void;
  required: boolean;
  error: boolean;
  inputRef?: RefObject<HTMLTextAreaElement | null>;
  label?: string;
}) {
  const { t } = useI18n();
  const w = t.workstation.dialog;
  return (
    <label className={`field${props.error ? ' field--invalid' : ''}`}>
      <span className="field__label">
        {props.label ?? (props.required ? w.reason : w.reasonOptional)}
        {props.required && <span className="field__required">*</span>}
      </span>
      <textarea
        ref={props.inputRef}
        className="input"
        rows={2}
        value={props.value}
        data-testid="reason"
        aria-invalid={props.error || undefined}
        aria-required={props.required || undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.error && (
        <span className="field__error" role="alert" data-testid="field-error">
          {w.reasonRequired}
        </span>
      )}
    </label>
  );
}

export function DialogFooter(props: { onCancel: () => void; submitLabel: string; disabled?: boolean; submitRef?: RefObject<HTMLButtonElement | null>; extra?: ReactNode }) {
  const { t } = useI18n();
  const w = t.workstation.dialog;
  return (
    <>
      <span className="dialog__hint">{props.extra ?? w.submitHint}</span>
      <button type="button" className="button" onClick={props.onCancel}>
        {w.cancel}
      </button>
      <button ref={props.submitRef} type="submit" className="button button--primary" disabled={props.disabled} data-testid="dialog-submit">
        {props.submitLabel}
      </button>
    </>
  );
}

export function unitOptions(units: readonly Unit[], w: WorkstationMessages): ComboOption[] {
  return units.map((u) => ({ value: u.id, label: u.shortName, hint: `${w.unitKinds[u.kind]} · ${u.name}`, keywords: u.id }));
}
