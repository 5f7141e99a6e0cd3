/**
 * The workflow's view of one event: its state, units, clocks and flags — what
 * `decide` needs and changes. The audit trail is kept separately (append-only);
 * `version` counts accepted commands and numbers the audit entries.
 */
import { z } from 'zod';
import { IsoInstant } from '../calendar/schema';
import { SlaClock } from '../sla/clock';
import { SlaDuration } from '../sla/policy';
import { Attachment, BounceReasonCode } from './commands';
import { ActorRole, EventArea } from './roles';
import { EventStatus } from './states';
import { EscalationRung, SupervisionLevel } from './supervision';

export const UnitProgress = z.object({
  unitId: z.string().min(1),
  role: z.enum(['lead', 'assisting']),
  assignedAt: IsoInstant,
  signedAt: IsoInstant.nullable(),
  handledAt: IsoInstant.nullable(),
  feedback: z.string().nullable(),
});
export type UnitProgress = z.infer<typeof UnitProgress>;

export const Supervision = z.object({
  level: SupervisionLevel,
  since: IsoInstant,
  reason: z.string(),
  byActorId: z.string(),
  dueAt: IsoInstant.nullable(),
});
export type Supervision = z.infer<typeof Supervision>;

export const Escalation = z.object({
  rung: EscalationRung,
  since: IsoInstant,
  /** when this rung's countdown runs out; null when the ladder gives the rung none */
  deadline: IsoInstant.nullable(),
  reason: z.string(),
});
export type Escalation = z.infer<typeof Escalation>;

export const PendingExtension = z.object({
  requestedAt: IsoInstant,
  requestedBy: z.string(),
  unitId: z.string().nullable(),
  duration: SlaDuration,
  clockIds: z.array(z.string()),
  reason: z.string(),
});
export type PendingExtension = z.infer<typeof PendingExtension>;

export const WorkflowEvent = z.object({
  id: z.string().min(1),
  status: EventStatus,
  /** number of accepted commands; the audit entry of a command carries the new version */
  version: z.number().int().nonnegative(),
  area: EventArea,
  categoryCode: z.string().nullable(),
  /** the category's closing condition asks for an on-site check (核查) before closing */
  requiresCheck: z.boolean(),
  reportedAt: IsoInstant,
  updatedAt: IsoInstant,
  /** 主办单位 */
  leadUnitId: z.string().nullable(),
  /** 协办单位 */
  assistingUnitIds: z.array(z.string()),
  unitProgress: z.array(UnitProgress),
  /** 强制派单: the lead unit may not bounce */
  forcedAssignment: z.boolean(),
  firstDispatchedAt: IsoInstant.nullable(),
  clocks: z.array(SlaClock),
  supervision: Supervision.nullable(),
  escalation: Escalation.nullable(),
  pendingExtension: PendingExtension.nullable(),
  extensionsGranted: z.number().int().nonnegative(),
  bounceCount: z.number().int().nonnegative(),
  lastBounce: z.object({ unitId: z.string(), reasonCode: BounceReasonCode, reason: z.string().nullable(), at: IsoInstant }).nullable(),
  reworkCount: z.number().int().nonnegative(),
  /** the state to return to on unpark */
  parkedFrom: EventStatus.nullable(),
  feedback: z.object({ text: z.string(), at: IsoInstant, byActorId: z.string() }).nullable(),
  /** 结案时间 */
  closedAt: IsoInstant.nullable(),
  mergedInto: z.string().nullable(),
  evaluation: z
    .object({
      score: z.number().int().min(1).max(5),
      level: z.enum(['satisfied', 'basically_satisfied', 'dissatisfied']),
      callbackNote: z.string().nullable(),
      at: IsoInstant,
    })
    .nullable(),
});
export type WorkflowEvent = z.infer<typeof WorkflowEvent>;

/** 审计 one append-only audit record: who did what to which event, when and why. */
export const AuditEntry = z.object({
  eventId: z.string(),
  /** the event version this entry produced: 1, 2, 3… per event */
  seq: z.number().int().positive(),
  at: IsoInstant,
  actorId: z.string(),
  actorName: z.string(),
  role: ActorRole,
  organisationId: z.string(),
  command: z.string(),
  from: EventStatus,
  to: EventStatus,
  reason: z.string().nullable(),
  /** the bounce reason code, for 退单 */
  reasonCode: z.string().nullable(),
  attachments: z.array(Attachment),
  /** the command as accepted, for replay and inspection */
  payload: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export interface NewEventInput {
  id: string;
  area: EventArea;
  reportedAt: Date;
  categoryCode?: string | null;
  requiresCheck?: boolean;
}

/** A freshly reported event (state `reported`, version 0, no audit yet). */
export function newEvent(input: NewEventInput): WorkflowEvent {
  const at = input.reportedAt.toISOString();
  return {
    id: input.id,
    status: 'reported',
    version: 0,
    area: input.area,
    categoryCode: input.categoryCode ?? null,
    requiresCheck: input.requiresCheck ?? true,
    reportedAt: at,
    updatedAt: at,
    leadUnitId: null,
    assistingUnitIds: [],
    unitProgress: [],
    forcedAssignment: false,
    firstDispatchedAt: null,
    clocks: [],
    supervision: null,
    escalation: null,
    pendingExtension: null,
    extensionsGranted: 0,
    bounceCount: 0,
    lastBounce: null,
    reworkCount: 0,
    parkedFrom: null,
    feedback: null,
    closedAt: null,
    mergedInto: null,
    evaluation: null,
  };
}
