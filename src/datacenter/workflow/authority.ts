/**
 * The workflow authority: one command on one event, decided and persisted inside the caller's
 * replicated transaction.
 *
 *   lock the event row (SELECT … FOR UPDATE) → complete the command (default clocks on the first
 *   dispatch) → core `decide(event, command, actor, now, ctx)` → the command's cross-event rules
 *   (merge target) → write the next record, the audit entry and the scheduler's next check, and
 *   report both rows to the change log
 *
 * Errors are data (`{ ok: false, error: { code, message } }`) with decide's stable codes, plus
 * `not_found` for an unknown event. Every check runs before the first write, so a refusal leaves
 * nothing behind and the caller may still commit (the command endpoint stores its rejection).
 * Because the row is locked for the whole decision, two commands on one event are decided one
 * after the other, the second on the state the first left.
 *
 * The actor is always the caller's (the authenticated account, or the SLA scheduler's system
 * actor); nothing in a command names who issues it.
 */
import { inArray } from 'drizzle-orm';
import type { RpcError } from '../../core/errors';
import type { EventRecord } from '../../core/events/types';
import { slaPoliciesFor } from '../../core/taxonomy/tree';
import type { AppealTypeCode } from '../../core/taxonomy/schema';
import { ClockSpec, Command } from '../../core/workflow/commands';
import { decide } from '../../core/workflow/decide';
import type { DomainConfig } from '../../core/workflow/domain-config';
import type { AuditEntry } from '../../core/workflow/event';
import { scopeCovers, type Actor } from '../../core/workflow/roles';
import { isOpen } from '../../core/workflow/states';
import { fieldErrors, formatZodError } from '../../core/errors';
import type { ReplicationOut, Tx } from '../events/replication';
import { updateEventWithAudit } from '../events/create';
import { auditKey, eventScope, nextCheckAt } from '../events/rows';
import { events, type EventIntakeFacts } from '../store/events-schema';

export interface CommandInput {
  eventId: string;
  /** the command as received (parsed here, so a bad one gets `invalid_command` with field errors) */
  command: unknown;
  actor: Actor;
  now: Date;
  ctx: DomainConfig;
}

export interface CommandApplied {
  record: EventRecord;
  audit: AuditEntry;
  /** other events the command changed (the target of a merge) */
  also: { record: EventRecord; audit: AuditEntry }[];
}

export type CommandResult = { ok: true; value: CommandApplied } | { ok: false; error: RpcError };

const refuse = (code: RpcError['code'], message: string, details?: unknown): CommandResult =>
  details === undefined ? { ok: false, error: { code, message } } : { ok: false, error: { code, message, details } };

interface LockedEvent {
  record: EventRecord;
  facts: EventIntakeFacts;
}

async function lockEvents(tx: Tx, ids: readonly string[]): Promise<Map<string, LockedEvent>> {
  // one statement, ordered by id: two transactions locking the same pair cannot deadlock
  const rows = await tx
    .select({ id: events.id, doc: events.doc, intake: events.intake })
    .from(events)
    .where(inArray(events.id, [...new Set(ids)]))
    .orderBy(events.id)
    .for('update');
  return new Map(rows.map((r) => [r.id, { record: r.doc, facts: r.intake }]));
}

/**
 * The clocks a first dispatch starts when the dispatcher names none: the source's own (the 12345
 * work order's deadline or appeal-type limit), then the taxonomy's policy for every other clock
 * kind of the event's category.
 */
export function defaultDispatchClocks(record: EventRecord, facts: EventIntakeFacts, ctx: DomainConfig): ClockSpec[] {
  const specs: ClockSpec[] = [];
  const ids = new Set<string>();
  const add = (spec: ClockSpec) => {
    const id = spec.id ?? ('policy' in spec ? spec.policy.clock : spec.kind);
    if (ids.has(id)) return;
    ids.add(id);
    specs.push(spec);
  };
  for (const c of facts.sourceClocks) {
    const parsed = ClockSpec.safeParse(c);
    if (parsed.success) add(parsed.data);
  }
  const code = record.workflow.categoryCode;
  if (code) {
    const appeal = (facts.appealType ?? null) as AppealTypeCode | null;
    for (const policy of slaPoliciesFor(ctx.taxonomy, code, appeal)) add({ policy });
  }
  return specs;
}

async function persist(tx: Tx, out: ReplicationOut, record: EventRecord, entry: AuditEntry, ctx: DomainConfig, now: Date): Promise<void> {
  const scope = eventScope(record);
  const v = out.v;
  await updateEventWithAudit(tx, record, v, nextCheckAt(record.workflow, now, ctx), entry, scope);
  out.upsert('events', record.id, scope, record);
  out.upsert('audit', auditKey(entry), scope, entry);
}

/** Decides and persists one command in the caller's replicated transaction. */
export async function applyEventCommand(tx: Tx, out: ReplicationOut, input: CommandInput): Promise<CommandResult> {
  const { actor, now, ctx } = input;
  const parsed = Command.safeParse(input.command);
  if (!parsed.success) return refuse('invalid_command', formatZodError(parsed.error), fieldErrors(parsed.error));
  let command = parsed.data;

  const mergeTarget = command.type === 'merge' ? command.intoEventId : null;
  const locked = await lockEvents(tx, mergeTarget ? [input.eventId, mergeTarget] : [input.eventId]);
  const current = locked.get(input.eventId);
  if (!current) return refuse('not_found', `no event ${input.eventId}`);

  if (command.type === 'dispatch' && command.clocks.length === 0 && current.record.workflow.firstDispatchedAt === null) {
    command = { ...command, clocks: defaultDispatchClocks(current.record, current.facts, ctx) };
  }

  const decision = decide(current.record.workflow, command, actor, now, ctx);
  if (!decision.ok) return { ok: false, error: decision.error };

  const record: EventRecord = { ...current.record, workflow: decision.next };
  const also: CommandApplied['also'] = [];

  if (command.type === 'merge' && mergeTarget) {
    const target = locked.get(mergeTarget);
    if (!target) return refuse('invalid_target', `no event ${mergeTarget} to merge into`);
    const tw = target.record.workflow;
    if (!isOpen(tw.status) && tw.status !== 'closed') return refuse('invalid_target', `event ${target.record.caseNo} is ${tw.status}: merge into an event that is still being handled`);
    if (actor.role !== 'unit_operator' && actor.role !== 'system' && !scopeCovers(actor.scope, tw.area)) {
      return refuse('out_of_scope', `event ${target.record.caseNo} is outside the ${actor.scope.level} scope ${actor.scope.code}`);
    }
    // the target's trail records what was merged into it; its suggestions drop the duplicate
    const at = now.toISOString();
    const targetNext: EventRecord = {
      ...target.record,
      duplicateCandidates: target.record.duplicateCandidates.filter((id) => id !== record.id),
      workflow: { ...tw, version: tw.version + 1, updatedAt: at },
    };
    const targetEntry: AuditEntry = {
      eventId: tw.id,
      seq: tw.version + 1,
      at,
      actorId: actor.id,
      actorName: actor.name,
      role: actor.role,
      organisationId: actor.organisationId,
      command: 'merge_in',
      from: tw.status,
      to: tw.status,
      reason: decision.audit.reason,
      reasonCode: null,
      attachments: [],
      payload: { duplicateEventId: record.id, duplicateCaseNo: record.caseNo },
    };
    also.push({ record: targetNext, audit: targetEntry });
  }

  await persist(tx, out, record, decision.audit, ctx, now);
  for (const a of also) await persist(tx, out, a.record, a.audit, ctx, now);
  return { ok: true, value: { record, audit: decision.audit, also } };
}
