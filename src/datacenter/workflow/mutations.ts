/**
 * The workflow's mutations of `POST /api/v1/commands` (core `Mutation`):
 *
 * - `event/command` { eventId, command } → `applyEventCommand`: decided by core `decide` for the
 *   authenticated actor and persisted with its audit entry;
 * - `event/intake` { event } → `manualIntake`: a call entered by a duty officer or intake agent
 *   (source `manual`).
 *
 * Each handler runs inside the command endpoint's replicated transaction, with the actor the
 * auth hook took from the account's token — a mutation's payload never names its actor — and
 * answers errors as data (`{ ok: false, error: { code, message } }`); nothing is written before
 * a refusal, so the endpoint can store the rejection and move on.
 */
import type { Result } from '../../core/errors';
import type { Mutation } from '../../core/sync/protocol';
import type { Actor } from '../../core/workflow/roles';
import type { DomainConfigService } from '../config/service';
import type { ReplicationOut, Tx } from '../events/replication';
import { applyEventCommand } from './authority';
import { manualIntake, type ManualIntakeDeps } from './manual-intake';

// Handlers run inside the endpoint's transaction: every query goes through `tx` (embedded PGlite
// has one connection, and a query beside the open transaction would wait for it forever).

export type EventCommandMutation = Extract<Mutation, { name: 'event/command' }>;
export type EventIntakeMutation = Extract<Mutation, { name: 'event/intake' }>;

/** What an applied `event/command` answers (the ack's result). */
export interface EventCommandResult {
  eventId: string;
  caseNo: string;
  status: string;
  /** the event's workflow version after the command (= the audit entry's seq) */
  version: number;
}

/** What an applied `event/intake` answers. */
export interface EventIntakeResult {
  eventId: string;
  caseNo: string;
  status: string;
  outsideDistrict: boolean;
  duplicateCandidates: string[];
}

export type MutationHandler<M, R> = (tx: Tx, out: ReplicationOut, mutation: M, actor: Actor, now: Date) => Promise<Result<R>>;

export interface WorkflowMutationDeps extends ManualIntakeDeps {
  config: Pick<DomainConfigService, 'current'>;
}

export function eventCommandHandler(deps: WorkflowMutationDeps): MutationHandler<EventCommandMutation, EventCommandResult> {
  return async (tx, out, mutation, actor, now) => {
    const r = await applyEventCommand(tx, out, { eventId: mutation.eventId, command: mutation.command, actor, now, ctx: await deps.config.current(tx) });
    if (!r.ok) return r;
    const wf = r.value.record.workflow;
    return { ok: true, value: { eventId: wf.id, caseNo: r.value.record.caseNo, status: wf.status, version: wf.version } };
  };
}

export function eventIntakeHandler(deps: WorkflowMutationDeps): MutationHandler<EventIntakeMutation, EventIntakeResult> {
  return async (tx, out, mutation, actor, now) => {
    const r = await manualIntake(tx, out, deps, { payload: mutation.event, actor, now, ctx: await deps.config.current(tx) });
    if (!r.ok) return r;
    const { record, duplicateCandidates } = r.value;
    return {
      ok: true,
      value: {
        eventId: record.id,
        caseNo: record.caseNo,
        status: record.workflow.status,
        outsideDistrict: record.outsideDistrict,
        duplicateCandidates: duplicateCandidates.map((d) => d.eventId),
      },
    };
  };
}
