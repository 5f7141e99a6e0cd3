/**
 * Supervision (督办) and the escalation ladder (四呼四应).
 *
 * Supervision is a flag with three levels that only goes up: 1 一般督办 general
 * (yellow), 2 重点督办 key (orange), 3 挂牌督办 listed (red, named in the district
 * bulletin). An overdue clock raises level 1 automatically.
 *
 * The ladder has five rungs: grid → village/community → town → department →
 * district leader. Putting an event on the ladder (the first 呼 "call") starts at
 * the grid rung unless a rung is named; each rung has its own countdown, and
 * when it runs out the scheduler moves the event one rung up.
 */
import { z } from 'zod';
import { fieldErrors, type Result } from '../errors';
import { SlaDuration } from '../sla/policy';

export const SupervisionLevel = z.union([z.literal(1), z.literal(2), z.literal(3)]);
export type SupervisionLevel = z.infer<typeof SupervisionLevel>;

export const EscalationRung = z.enum(['grid', 'village', 'town', 'department', 'district_leader']);
export type EscalationRung = z.infer<typeof EscalationRung>;

export const RUNG_ORDER: readonly EscalationRung[] = EscalationRung.options;

export function rungIndex(rung: EscalationRung): number {
  return RUNG_ORDER.indexOf(rung);
}

export const LadderRung = z.object({
  rung: EscalationRung,
  /** e.g. 网格呼、村（社区）应 */
  label: z.string().min(1),
  labelEn: z.string().optional(),
  /** how long this rung has to answer before the event moves up */
  countdown: SlaDuration,
});
export type LadderRung = z.infer<typeof LadderRung>;

export const SupervisionLevelInfo = z.object({
  level: SupervisionLevel,
  name: z.string().min(1),
  nameEn: z.string().optional(),
  /** wall colour, CSS hex */
  colour: z.string().regex(/^#[0-9a-fA-F]{6}$/),
});

export const WorkflowConfig = z
  .object({
    version: z.string().min(1),
    ladder: z.array(LadderRung).min(1),
    supervisionLevels: z.array(SupervisionLevelInfo).length(3),
    /** the level an overdue clock raises automatically */
    overdueSupervisionLevel: SupervisionLevel.default(1),
  })
  .superRefine((cfg, ctx) => {
    let last = -1;
    cfg.ladder.forEach((r, i) => {
      const idx = rungIndex(r.rung);
      if (idx <= last) ctx.addIssue({ code: 'custom', path: ['ladder', i, 'rung'], message: `rung ${r.rung} is out of ladder order or listed twice` });
      last = Math.max(last, idx);
    });
    const levels = cfg.supervisionLevels.map((l) => l.level).sort();
    if (levels.join() !== '1,2,3') ctx.addIssue({ code: 'custom', path: ['supervisionLevels'], message: 'levels 1, 2 and 3 must each be described once' });
  });
export type WorkflowConfig = z.output<typeof WorkflowConfig>;
export type WorkflowConfigInput = z.input<typeof WorkflowConfig>;

/** Validates workflow configuration (resources/config/workflow-demo.json) with field-level errors. */
export function parseWorkflowConfig(input: unknown): Result<WorkflowConfig> {
  const parsed = WorkflowConfig.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const details = fieldErrors(parsed.error);
  return { ok: false, error: { code: 'invalid_args', message: details.map((d) => `${d.field}: ${d.message}`).join('; '), details } };
}

export function ladderRung(cfg: WorkflowConfig, rung: EscalationRung): LadderRung | undefined {
  return cfg.ladder.find((r) => r.rung === rung);
}

/** The next rung above `rung` that the configured ladder has, or null at the top. */
export function nextRung(cfg: WorkflowConfig, rung: EscalationRung | null): EscalationRung | null {
  const from = rung === null ? -1 : rungIndex(rung);
  return cfg.ladder.map((r) => r.rung).find((r) => rungIndex(r) > from) ?? null;
}
