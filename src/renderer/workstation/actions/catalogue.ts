/**
 * Every workflow command as an action of the workstation: its shortcut, which
 * form asks for its details, and how it is grouped in the action bar. Which of
 * them the signed-in officer is offered for an event comes from the workflow
 * rules themselves: `allowedCommands(event, actor)` (role, scope, state), and
 * when the domain configuration is loaded, a probe through `decide` that also
 * hides what the command's own rules would refuse (an extension decision
 * without a request, supervision already at the officer's highest level,
 * closing before the required check…).
 */
import type { CommandInput, CommandType } from '../../../core/workflow/commands';
import { allowedCommands, decide, type DecideContext } from '../../../core/workflow/decide';
import type { WorkflowEvent } from '../../../core/workflow/event';
import type { Actor } from '../../../core/workflow/roles';

/** Which dialog collects the details. */
export type ActionForm =
  | 'confirm'
  | 'file'
  | 'reject'
  | 'merge'
  | 'dispatch'
  | 'units'
  | 'bounce'
  | 'handle'
  | 'request_extension'
  | 'grant_extension'
  | 'reason'
  | 'supervise'
  | 'escalate'
  | 'evaluate'
  | 'request_check';

export type ActionGroup = 'intake' | 'dispatch' | 'unit' | 'supervision' | 'closing' | 'other';

export interface ActionSpec {
  type: CommandType;
  /** single-key shortcut (none for rare unit-side steps: they are in the palette) */
  key?: string;
  form: ActionForm;
  group: ActionGroup;
  /** shown as a filled button */
  primary?: boolean;
  /** destructive or final: the button is drawn as a warning */
  danger?: boolean;
}

export const ACTIONS: readonly ActionSpec[] = [
  { type: 'verify', key: 'v', form: 'confirm', group: 'intake' },
  { type: 'file', key: 'f', form: 'file', group: 'intake', primary: true },
  { type: 'reject', key: 'x', form: 'reject', group: 'intake', danger: true },
  { type: 'merge', key: 'u', form: 'merge', group: 'intake' },
  { type: 'dispatch', key: 'd', form: 'dispatch', group: 'dispatch', primary: true },
  { type: 'force_assign', key: 'a', form: 'units', group: 'dispatch' },
  { type: 'reassign', key: 'r', form: 'units', group: 'dispatch' },
  { type: 'grant_extension', key: 'g', form: 'grant_extension', group: 'dispatch', primary: true },
  { type: 'refuse_extension', key: 'shift+g', form: 'reason', group: 'dispatch' },
  { type: 'sign', form: 'confirm', group: 'unit' },
  { type: 'start', form: 'confirm', group: 'unit' },
  { type: 'handle', form: 'handle', group: 'unit' },
  { type: 'bounce', form: 'bounce', group: 'unit' },
  { type: 'request_extension', form: 'request_extension', group: 'unit' },
  { type: 'supervise', key: 's', form: 'supervise', group: 'supervision' },
  { type: 'escalate', key: 'e', form: 'escalate', group: 'supervision' },
  { type: 'park', key: 'p', form: 'reason', group: 'supervision' },
  { type: 'unpark', key: 'shift+p', form: 'confirm', group: 'supervision' },
  { type: 'request_check', key: 'h', form: 'request_check', group: 'closing', primary: true },
  { type: 'check_pass', key: 'y', form: 'confirm', group: 'closing', primary: true },
  { type: 'check_fail', key: 'n', form: 'reason', group: 'closing', danger: true },
  { type: 'close', key: 'c', form: 'confirm', group: 'closing', primary: true },
  { type: 'evaluate', key: 'l', form: 'evaluate', group: 'closing', primary: true },
  { type: 'cancel', key: 'shift+c', form: 'reason', group: 'other', danger: true },
];

export function actionSpec(type: CommandType): ActionSpec {
  return ACTIONS.find((a) => a.type === type)!;
}

const PROBE_REASON = 'probe';

/** A command of this type filled in just enough for `decide` to judge whether the event allows it. */
export function probeCommand(type: CommandType, event: WorkflowEvent, mergeTarget: string | null): CommandInput {
  const reason = PROBE_REASON;
  switch (type) {
    case 'dispatch':
      return { type, leadUnitId: event.lastBounce?.unitId === 'probe-unit' ? 'probe-unit-2' : 'probe-unit', reason };
    case 'reassign':
      return { type, leadUnitId: event.leadUnitId === 'probe-unit' ? 'probe-unit-2' : 'probe-unit', assistingUnitIds: [], reason };
    case 'force_assign':
      return { type, leadUnitId: event.leadUnitId ?? 'probe-unit', assistingUnitIds: [], reason };
    case 'bounce':
      return { type, reasonCode: 'not_our_responsibility', reason };
    case 'handle':
      return { type, feedback: reason, reason };
    case 'request_extension':
      return { type, duration: { unit: 'working_hours', amount: 1 }, reason };
    case 'merge':
      return { type, intoEventId: mergeTarget ?? `${event.id}-other`, reason };
    case 'supervise':
      return { type, level: Math.min(3, (event.supervision?.level ?? 0) + 1) as 1 | 2 | 3, reason };
    case 'evaluate':
      return { type, satisfaction: 'satisfied', reason };
    default:
      return { type, reason } as CommandInput;
  }
}

export interface AvailabilityContext {
  /** compiled domain configuration; without it only role/scope/state are judged */
  ctx: DecideContext | null;
  now: Date;
  /** an open near-duplicate to merge into; merge is offered only when there is one */
  mergeTarget: string | null;
}

/** The actions to offer for an event, in catalogue order. */
export function availableActions(event: WorkflowEvent, actor: Actor | null, a: AvailabilityContext): ActionSpec[] {
  if (!actor) return [];
  const allowed = new Set(allowedCommands(event, actor));
  return ACTIONS.filter((spec) => {
    if (!allowed.has(spec.type)) return false;
    if (spec.type === 'merge' && a.mergeTarget === null) return false;
    if (!a.ctx) return true;
    const d = decide(event, probeCommand(spec.type, event, a.mergeTarget), actor, a.now, a.ctx);
    return d.ok || d.error.code === 'missing_reason';
  });
}
