/**
 * The workflow authority's rules as one pure function:
 * `decide(event, command, actor, now, ctx)` → the next event state and the
 * audit entry, or a stable error code. The data center runs it inside the
 * command's transaction; the desktop runs it to show what an action would do
 * and which buttons to offer. Nothing here reads a clock or a database.
 *
 * Checks run in a fixed order so the same mistake always gets the same code:
 * command schema (`invalid_command`) → role (`forbidden_role`) → scope
 * (`out_of_scope`, or for unit operators `not_assigned_unit`/`not_lead_unit`)
 * → state (`illegal_transition`) → reason (`missing_reason`) → the command's
 * own rules.
 */
import { fieldErrors, formatZodError } from '../errors';
import { type WorkingCalendar } from '../calendar/calendar';
import {
  clockState,
  extendClock,
  pauseClock,
  restartClock,
  resumeClock,
  startClock,
  startClockWithDeadline,
  stopClock,
  type SlaClock,
} from '../sla/clock';
import { addDuration } from '../sla/policy';
import { Command, REASON_REQUIRED, normaliseSatisfaction, type CommandInput, type CommandType, COMMAND_TYPES } from './commands';
import { type WorkflowErrorCode, type WorkflowError } from './errors';
import { type AuditEntry, type UnitProgress, type WorkflowEvent } from './event';
import { scopeCovers, type Actor, type ActorRole } from './roles';
import { OPEN_STATES, TERMINAL_STATES, WORKING_STATES, type EventStatus } from './states';
import { ladderRung, nextRung, rungIndex, type WorkflowConfig } from './supervision';

export interface DecideContext {
  calendar: WorkingCalendar;
  config: WorkflowConfig;
}

export type Decision = { ok: true; next: WorkflowEvent; audit: AuditEntry } | { ok: false; error: WorkflowError };

const DESK: readonly ActorRole[] = ['admin', 'duty_officer'];

/** Which roles may issue each command (before scope and state are considered). */
export const COMMAND_ROLES: Readonly<Record<CommandType, readonly ActorRole[]>> = {
  verify: [...DESK, 'intake_agent'],
  file: [...DESK, 'intake_agent'],
  reject: [...DESK, 'intake_agent'],
  dispatch: DESK,
  reassign: [...DESK, 'supervisor'],
  force_assign: [...DESK, 'supervisor'],
  // a duty officer may record a unit's signing or feedback given by phone (代签收/代反馈)
  sign: [...DESK, 'unit_operator'],
  bounce: ['admin', 'unit_operator'],
  start: [...DESK, 'unit_operator'],
  handle: [...DESK, 'unit_operator'],
  request_extension: ['admin', 'unit_operator'],
  grant_extension: [...DESK, 'supervisor'],
  refuse_extension: [...DESK, 'supervisor'],
  park: [...DESK, 'supervisor'],
  unpark: [...DESK, 'supervisor'],
  request_check: [...DESK, 'supervisor'],
  check_pass: [...DESK, 'supervisor'],
  check_fail: [...DESK, 'supervisor'],
  close: [...DESK, 'supervisor'],
  evaluate: [...DESK, 'intake_agent'],
  merge: [...DESK, 'intake_agent'],
  cancel: [...DESK, 'supervisor'],
  // duty officers up to level 1 (checked in decide)
  supervise: [...DESK, 'supervisor', 'system'],
  escalate: [...DESK, 'supervisor', 'system'],
};

const UNIT_WORK: readonly EventStatus[] = ['dispatched', 'signed', 'in_progress', 'rework'];

/** States each command may be issued from. */
export const COMMAND_FROM: Readonly<Record<CommandType, readonly EventStatus[]>> = {
  verify: ['reported'],
  file: ['reported', 'verifying'],
  reject: ['reported', 'verifying'],
  dispatch: ['filed', 'bounced'],
  reassign: UNIT_WORK,
  force_assign: ['dispatched', 'bounced'],
  sign: ['dispatched'],
  bounce: ['dispatched'],
  start: ['signed', 'rework'],
  handle: ['signed', 'in_progress', 'rework'],
  request_extension: UNIT_WORK,
  grant_extension: [...UNIT_WORK, 'parked'],
  refuse_extension: [...UNIT_WORK, 'parked'],
  park: UNIT_WORK,
  unpark: ['parked'],
  request_check: ['handled'],
  check_pass: ['checking'],
  check_fail: ['checking'],
  close: ['handled', 'checked'],
  evaluate: ['closed'],
  merge: ['reported', 'verifying', 'filed', 'dispatched', 'bounced'],
  cancel: ['reported', 'verifying', 'filed', 'dispatched', 'bounced', 'signed', 'in_progress', 'parked', 'rework'],
  supervise: OPEN_STATES,
  escalate: ['filed', 'dispatched', 'bounced', 'signed', 'in_progress', 'parked', 'rework'],
};

/** Unit-operator commands only the lead unit may issue; assisting units sign and feed back their own part. */
const LEAD_ONLY: ReadonlySet<CommandType> = new Set<CommandType>(['bounce', 'start', 'request_extension']);
/** States in which a pending extension request stays alive. */
const EXTENSION_STATES: readonly EventStatus[] = [...WORKING_STATES, 'parked'];

type Guard = { ok: true; asAssisting: boolean } | { ok: false; error: WorkflowError };

const err = (code: WorkflowErrorCode, message: string, details?: unknown): { ok: false; error: WorkflowError } =>
  details === undefined ? { ok: false, error: { code, message } } : { ok: false, error: { code, message, details } };

/** Role, scope and state checks of a command type for an actor, without the command's own rules. */
export function guardCommand(event: WorkflowEvent, type: CommandType, actor: Actor): Guard {
  if (!COMMAND_ROLES[type].includes(actor.role)) {
    return err('forbidden_role', `role ${actor.role} may not ${type}`);
  }
  let asAssisting = false;
  if (actor.role === 'unit_operator') {
    const unit = actor.organisationId;
    const isLead = event.leadUnitId === unit;
    const isAssisting = event.assistingUnitIds.includes(unit);
    if (!isLead && !isAssisting) return err('not_assigned_unit', `unit ${unit} is neither lead nor assisting on event ${event.id}`);
    if (!isLead && LEAD_ONLY.has(type)) return err('not_lead_unit', `only the lead unit may ${type}`);
    asAssisting = !isLead;
  } else if (actor.role !== 'system' && !scopeCovers(actor.scope, event.area)) {
    return err('out_of_scope', `event ${event.id} is outside the ${actor.scope.level} scope ${actor.scope.code}`);
  }
  const from = asAssisting ? UNIT_WORK : COMMAND_FROM[type];
  if (!from.includes(event.status)) {
    return err('illegal_transition', `cannot ${type} an event that is ${event.status}`);
  }
  return { ok: true, asAssisting };
}

/** Commands the actor could issue now, for offering buttons (a command's own rules may still refuse it). */
export function allowedCommands(event: WorkflowEvent, actor: Actor): CommandType[] {
  return COMMAND_TYPES.filter((t) => guardCommand(event, t, actor).ok);
}

type Applied = { ok: true; next: WorkflowEvent; reasonCode?: string } | { ok: false; error: WorkflowError };

const iso = (d: Date) => d.toISOString();

function assignUnits(
  event: WorkflowEvent,
  lead: string,
  assisting: readonly string[],
  now: Date,
): { ok: true; units: Pick<WorkflowEvent, 'leadUnitId' | 'assistingUnitIds' | 'unitProgress'> } | { ok: false; error: WorkflowError } {
  if (assisting.includes(lead)) return err('invalid_target', `unit ${lead} cannot be both lead and assisting`);
  if (new Set(assisting).size !== assisting.length) return err('invalid_target', 'an assisting unit is listed twice');
  const at = iso(now);
  const keep = (unitId: string): UnitProgress | undefined =>
    event.unitProgress.find((p) => p.unitId === unitId && p.role === 'assisting');
  const unitProgress: UnitProgress[] = [
    { unitId: lead, role: 'lead', assignedAt: at, signedAt: null, handledAt: null, feedback: null },
    ...assisting.map((u) => keep(u) ?? { unitId: u, role: 'assisting' as const, assignedAt: at, signedAt: null, handledAt: null, feedback: null }),
  ];
  return { ok: true, units: { leadUnitId: lead, assistingUnitIds: [...assisting], unitProgress } };
}

function updateProgress(event: WorkflowEvent, unitId: string, patch: Partial<UnitProgress>): UnitProgress[] {
  return event.unitProgress.map((p) => (p.unitId === unitId ? { ...p, ...patch } : p));
}

const mapClocks = (event: WorkflowEvent, f: (c: SlaClock) => SlaClock): SlaClock[] => event.clocks.map(f);

function apply(event: WorkflowEvent, cmd: Command, actor: Actor, now: Date, ctx: DecideContext, asAssisting: boolean, reason: string | null): Applied {
  const at = iso(now);
  const ok = (patch: Partial<WorkflowEvent>, reasonCode?: string): Applied => ({ ok: true, next: { ...event, ...patch }, reasonCode });
  switch (cmd.type) {
    case 'verify':
      return ok({ status: 'verifying' });
    case 'file':
      return ok({
        status: 'filed',
        categoryCode: cmd.categoryCode ?? event.categoryCode,
        requiresCheck: cmd.requiresCheck ?? event.requiresCheck,
      });
    case 'reject':
      return ok({ status: 'rejected' });
    case 'dispatch': {
      const units = assignUnits(event, cmd.leadUnitId, cmd.assistingUnitIds, now);
      if (!units.ok) return units;
      const clocks = [...event.clocks];
      const seen = new Set<string>();
      for (const spec of cmd.clocks) {
        const id = spec.id ?? ('policy' in spec ? spec.policy.clock : spec.kind);
        if (seen.has(id)) return err('invalid_target', `clock ${id} is given twice`);
        seen.add(id);
        // a re-dispatch keeps the clocks already running: they count from the first dispatch
        if (clocks.some((c) => c.id === id)) continue;
        clocks.push(
          'policy' in spec
            ? startClock(id, spec.policy, now, ctx.calendar)
            : startClockWithDeadline(id, spec.kind, now, new Date(spec.deadline), spec.warnAt),
        );
      }
      return ok({ status: 'dispatched', ...units.units, forcedAssignment: false, firstDispatchedAt: event.firstDispatchedAt ?? at, clocks });
    }
    case 'reassign': {
      const units = assignUnits(event, cmd.leadUnitId, cmd.assistingUnitIds ?? event.assistingUnitIds.filter((u) => u !== cmd.leadUnitId), now);
      if (!units.ok) return units;
      return ok({ status: 'dispatched', ...units.units, forcedAssignment: false });
    }
    case 'force_assign': {
      const lead = cmd.leadUnitId ?? event.leadUnitId;
      if (lead === null) return err('invalid_target', 'no unit to assign: name the lead unit');
      const units = assignUnits(event, lead, cmd.assistingUnitIds ?? event.assistingUnitIds.filter((u) => u !== lead), now);
      if (!units.ok) return units;
      return ok({ status: 'dispatched', ...units.units, forcedAssignment: true });
    }
    case 'sign': {
      const unit = asAssisting ? actor.organisationId : event.leadUnitId!;
      const progress = event.unitProgress.find((p) => p.unitId === unit);
      if (progress?.signedAt) return err('illegal_transition', `unit ${unit} has already signed`);
      return ok({ status: asAssisting ? event.status : 'signed', unitProgress: updateProgress(event, unit, { signedAt: at }) });
    }
    case 'bounce':
      if (event.forcedAssignment) return err('bounce_not_allowed', 'the event was assigned by force and may not be bounced');
      return ok(
        {
          status: 'bounced',
          bounceCount: event.bounceCount + 1,
          lastBounce: { unitId: event.leadUnitId!, reasonCode: cmd.reasonCode, reason, at },
        },
        cmd.reasonCode,
      );
    case 'start':
      return ok({ status: 'in_progress' });
    case 'handle': {
      if (asAssisting) {
        const mine = event.unitProgress.find((p) => p.unitId === actor.organisationId);
        if (mine?.handledAt) return err('illegal_transition', `unit ${actor.organisationId} has already fed back`);
        return ok({ unitProgress: updateProgress(event, actor.organisationId, { handledAt: at, feedback: cmd.feedback, signedAt: mine?.signedAt ?? at }) });
      }
      const lead = event.leadUnitId!;
      const mine = event.unitProgress.find((p) => p.unitId === lead);
      return ok({
        status: 'handled',
        unitProgress: updateProgress(event, lead, { handledAt: at, feedback: cmd.feedback, signedAt: mine?.signedAt ?? at }),
        feedback: { text: cmd.feedback, at, byActorId: actor.id },
        clocks: mapClocks(event, (c) => stopClock(c, now)),
      });
    }
    case 'request_extension': {
      if (event.pendingExtension) return err('extension_pending', 'an extension request is already waiting for a decision');
      const counting = event.clocks.filter((c) => c.stoppedAt === null);
      const ids = cmd.clockIds ?? counting.map((c) => c.id);
      if (ids.length === 0) return err('invalid_target', 'no running clock to extend');
      for (const id of ids) {
        const clock = counting.find((c) => c.id === id);
        if (!clock) return err('invalid_target', `no running clock ${id}`);
        const state = clockState(clock, now, ctx.calendar);
        if (state.status === 'overdue') {
          return err('deadline_passed', `clock ${id} passed its deadline ${iso(state.deadline)}; an extension must be requested before it`);
        }
      }
      return ok({
        pendingExtension: { requestedAt: at, requestedBy: actor.id, unitId: event.leadUnitId, duration: cmd.duration, clockIds: ids, reason: reason! },
      });
    }
    case 'grant_extension': {
      const pending = event.pendingExtension;
      if (!pending) return err('no_pending_extension', 'there is no extension request to grant');
      const duration = cmd.duration ?? pending.duration;
      return ok({
        pendingExtension: null,
        extensionsGranted: event.extensionsGranted + 1,
        clocks: mapClocks(event, (c) =>
          pending.clockIds.includes(c.id) && c.stoppedAt === null ? extendClock(c, duration, now, ctx.calendar, pending.reason) : c,
        ),
      });
    }
    case 'refuse_extension':
      if (!event.pendingExtension) return err('no_pending_extension', 'there is no extension request to refuse');
      return ok({ pendingExtension: null });
    case 'park':
      return ok({ status: 'parked', parkedFrom: event.status, clocks: mapClocks(event, (c) => pauseClock(c, now, 'parked')) });
    case 'unpark':
      return ok({ status: event.parkedFrom ?? 'dispatched', parkedFrom: null, clocks: mapClocks(event, (c) => resumeClock(c, now)) });
    case 'request_check':
      return ok({ status: 'checking' });
    case 'check_pass':
      return ok({ status: 'checked' });
    case 'check_fail': {
      const lead = event.leadUnitId;
      return ok({
        status: 'rework',
        reworkCount: event.reworkCount + 1,
        unitProgress: lead ? updateProgress(event, lead, { handledAt: null }) : event.unitProgress,
        clocks: mapClocks(event, (c) => restartClock(c, now, 'checking')),
      });
    }
    case 'close':
      if (event.status === 'handled' && event.requiresCheck) {
        return err('check_required', 'this category must pass an on-site check (核查) before closing');
      }
      return ok({ status: 'closed', closedAt: at });
    case 'evaluate': {
      const s = normaliseSatisfaction(cmd.satisfaction);
      return ok({ status: 'evaluated', evaluation: { score: s.score, level: s.level, callbackNote: cmd.callbackNote ?? null, at } });
    }
    case 'merge':
      if (cmd.intoEventId === event.id) return err('invalid_target', 'an event cannot be merged into itself');
      return ok({ status: 'merged', mergedInto: cmd.intoEventId });
    case 'cancel':
      return ok({ status: 'cancelled' });
    case 'supervise': {
      const current = event.supervision?.level ?? 0;
      if (cmd.level <= current) return err('invalid_target', `supervision is already at level ${current}; it can only be raised`);
      if (actor.role === 'duty_officer' && cmd.level > 1) return err('forbidden_role', 'a duty officer may raise supervision to level 1 only');
      return ok({ supervision: { level: cmd.level, since: at, reason: reason!, byActorId: actor.id, dueAt: cmd.dueAt ?? null } });
    }
    case 'escalate': {
      const current = event.escalation?.rung ?? null;
      const target = cmd.toRung ?? nextRung(ctx.config, current);
      if (target === null) return err('invalid_target', 'the event is already at the top of the ladder');
      if (current !== null && rungIndex(target) <= rungIndex(current)) {
        return err('invalid_target', `the event is at rung ${current}; it can only move up`);
      }
      const rung = ladderRung(ctx.config, target);
      return ok({
        escalation: { rung: target, since: at, deadline: rung ? iso(addDuration(ctx.calendar, now, rung.countdown)) : null, reason: reason! },
      });
    }
  }
}

/**
 * Decides a command. On success `next` is the whole next event (version + 1)
 * and `audit` the entry to append; on failure the event is unchanged and the
 * error carries a stable code. Never mutates its arguments.
 */
export function decide(event: WorkflowEvent, command: CommandInput | Command, actor: Actor, now: Date, ctx: DecideContext): Decision {
  const parsed = Command.safeParse(command);
  if (!parsed.success) return err('invalid_command', formatZodError(parsed.error), fieldErrors(parsed.error));
  const cmd = parsed.data;

  const guard = guardCommand(event, cmd.type, actor);
  if (!guard.ok) return guard;

  const reason = cmd.reason !== undefined && cmd.reason.length > 0 ? cmd.reason : null;
  if (reason === null && (REASON_REQUIRED.has(cmd.type) || (cmd.type === 'bounce' && cmd.reasonCode === 'other'))) {
    return err('missing_reason', `${cmd.type} needs a reason`);
  }

  const applied = apply(event, cmd, actor, now, ctx, guard.asAssisting, reason);
  if (!applied.ok) return applied;

  let next = applied.next;
  const ended = TERMINAL_STATES.includes(next.status) || next.status === 'closed';
  if (ended && next.clocks.some((c) => c.stoppedAt === null)) {
    next = { ...next, clocks: next.clocks.map((c) => stopClock(c, now)) };
  }
  if (next.pendingExtension && (!EXTENSION_STATES.includes(next.status) || next.leadUnitId !== event.leadUnitId)) {
    next = { ...next, pendingExtension: null };
  }
  next = { ...next, version: event.version + 1, updatedAt: iso(now) };

  const audit: AuditEntry = {
    eventId: event.id,
    seq: next.version,
    at: iso(now),
    actorId: actor.id,
    actorName: actor.name,
    role: actor.role,
    organisationId: actor.organisationId,
    command: cmd.type,
    from: event.status,
    to: next.status,
    reason,
    reasonCode: applied.reasonCode ?? null,
    attachments: cmd.attachments,
    payload: cmd as unknown as Record<string, unknown>,
  };
  return { ok: true, next, audit };
}
