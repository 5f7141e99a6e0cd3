/**
 * Workflow commands, one zod schema each, as the desktop sends them to the data
 * center (`POST /api/v1/commands`) and as `decide` reads them. Every command may
 * carry a free-text reason and attachments; which commands require a reason is a
 * rule of `decide` (error `missing_reason`), not of the schema, so the UI gets
 * one stable code for it.
 */
import { z } from 'zod';
import { IsoInstant } from '../calendar/schema';
import { ClockKind, SlaDuration, SlaPolicy } from '../sla/policy';
import { EscalationRung, SupervisionLevel } from './supervision';

export const Attachment = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  mediaType: z.string().min(1),
  sizeBytes: z.number().int().nonnegative().optional(),
  url: z.string().optional(),
});
export type Attachment = z.infer<typeof Attachment>;

const common = {
  reason: z.string().trim().optional(),
  attachments: z.array(Attachment).default([]),
};

/** A clock to start on dispatch: from a policy, or with a deadline fixed by the source (12345). */
export const ClockSpec = z.union([
  z.object({ id: z.string().min(1).optional(), policy: SlaPolicy }),
  z.object({ id: z.string().min(1).optional(), kind: ClockKind, deadline: IsoInstant, warnAt: z.number().gt(0).lt(1).default(0.8) }),
]);
export type ClockSpec = z.output<typeof ClockSpec>;

/** 退单原因 why a unit returns an event */
export const BounceReasonCode = z.enum([
  /** 非本单位职责 */
  'not_our_responsibility',
  /** 地址不准确 */
  'wrong_location',
  /** 信息不全 */
  'insufficient_information',
  /** 重复派单 */
  'duplicate',
  /** 超出处置能力 */
  'beyond_capacity',
  /** 其他 (needs a reason) */
  'other',
]);
export type BounceReasonCode = z.infer<typeof BounceReasonCode>;

/** 满意度: a 1–5 score or the three-level answer of the call-back (满意/基本满意/不满意). */
export const Satisfaction = z.union([z.number().int().min(1).max(5), z.enum(['satisfied', 'basically_satisfied', 'dissatisfied'])]);
export type Satisfaction = z.infer<typeof Satisfaction>;

const unitId = z.string().min(1);

export const Command = z.discriminatedUnion('type', [
  /** 核实 start verifying a public or hotline report */
  z.object({ type: z.literal('verify'), ...common }),
  /** 立案 accept as a case */
  z.object({ type: z.literal('file'), categoryCode: z.string().min(1).optional(), requiresCheck: z.boolean().optional(), ...common }),
  /** 不予立案 */
  z.object({ type: z.literal('reject'), ...common }),
  /** 派遣 to a lead unit (主办) and assisting units (协办); starts the clocks on the first dispatch */
  z.object({
    type: z.literal('dispatch'),
    leadUnitId: unitId,
    assistingUnitIds: z.array(unitId).default([]),
    clocks: z.array(ClockSpec).default([]),
    ...common,
  }),
  /** 改派 change the units */
  z.object({ type: z.literal('reassign'), leadUnitId: unitId, assistingUnitIds: z.array(unitId).optional(), ...common }),
  /** 强制派单 the unit must take it and may not bounce it again */
  z.object({ type: z.literal('force_assign'), leadUnitId: unitId.optional(), assistingUnitIds: z.array(unitId).optional(), ...common }),
  /** 签收/领单 */
  z.object({ type: z.literal('sign'), ...common }),
  /** 退单 */
  z.object({ type: z.literal('bounce'), reasonCode: BounceReasonCode, ...common }),
  /** 开始处置 */
  z.object({ type: z.literal('start'), ...common }),
  /** 处置反馈 */
  z.object({ type: z.literal('handle'), feedback: z.string().trim().min(1), ...common }),
  /** 申请延期 (only before the deadline) */
  z.object({ type: z.literal('request_extension'), duration: SlaDuration, clockIds: z.array(z.string().min(1)).optional(), ...common }),
  /** 同意延期 (optionally for a different amount) */
  z.object({ type: z.literal('grant_extension'), duration: SlaDuration.optional(), ...common }),
  /** 不同意延期 */
  z.object({ type: z.literal('refuse_extension'), ...common }),
  /** 挂账 */
  z.object({ type: z.literal('park'), ...common }),
  /** 解除挂账 */
  z.object({ type: z.literal('unpark'), ...common }),
  /** 发起核查 */
  z.object({ type: z.literal('request_check'), checkerId: z.string().min(1).optional(), ...common }),
  /** 核查通过 */
  z.object({ type: z.literal('check_pass'), ...common }),
  /** 核查不通过 → 返工 */
  z.object({ type: z.literal('check_fail'), ...common }),
  /** 结案 */
  z.object({ type: z.literal('close'), ...common }),
  /** 回访评价 */
  z.object({ type: z.literal('evaluate'), satisfaction: Satisfaction, callbackNote: z.string().trim().optional(), ...common }),
  /** 合并 into another event as a duplicate */
  z.object({ type: z.literal('merge'), intoEventId: z.string().min(1), ...common }),
  /** 撤销 */
  z.object({ type: z.literal('cancel'), ...common }),
  /** 督办 raise supervision to a level */
  z.object({ type: z.literal('supervise'), level: SupervisionLevel, dueAt: IsoInstant.optional(), ...common }),
  /** 呼 move the event up the 四呼四应 ladder (first call: the grid rung) */
  z.object({ type: z.literal('escalate'), toRung: EscalationRung.optional(), ...common }),
]);
export type Command = z.output<typeof Command>;
export type CommandInput = z.input<typeof Command>;
export type CommandType = Command['type'];
export const COMMAND_TYPES = Command.options.map((o) => o.shape.type.value) as CommandType[];

/** Commands that must say why (a bounce with a code other than `other` is explained by its code). */
export const REASON_REQUIRED: ReadonlySet<CommandType> = new Set<CommandType>([
  'reject',
  'reassign',
  'force_assign',
  'request_extension',
  'refuse_extension',
  'park',
  'check_fail',
  'cancel',
  'supervise',
  'escalate',
]);

export type SatisfactionLevel = 'satisfied' | 'basically_satisfied' | 'dissatisfied';

/** Both forms of satisfaction as the indicators count them: 4–5 satisfied, 3 basically, 1–2 dissatisfied. */
export function normaliseSatisfaction(s: Satisfaction): { score: number; level: SatisfactionLevel } {
  if (typeof s === 'number') return { score: s, level: s >= 4 ? 'satisfied' : s === 3 ? 'basically_satisfied' : 'dissatisfied' };
  return { score: s === 'satisfied' ? 5 : s === 'basically_satisfied' ? 3 : 1, level: s };
}
