/**
 * The adapter contract: one zod schema of the source's own payload and one pure function from
 * the parsed payload to an `IntakeDraft`. Schema problems and the checks that need context (a
 * category code the taxonomy does not have, a report time in the future) come back together as
 * field-level errors under the names the source itself uses, so its engineers can fix the sender.
 */
import type { z } from 'zod';
import { type FieldError, type Result, fieldErrors } from '../../../core/errors';
import { SlaPolicy } from '../../../core/sla/policy';
import { type CategoryResolver, createCategoryResolver, DEMO_HOTLINE_LABELS, DEMO_URBAN_MANAGEMENT_CLASSES } from '../categories';
import type { AppealType, IntakeDraft, IntakeSourceName } from '../draft';
import { BASE_ITEMS, type BaseItem } from './base-items';

/** Guangdong 12345 defaults: consultation 2, help/suggestion 10, complaint/report 15 working days; urgent 2 hours. */
export const GUANGDONG_12345_POLICIES: Readonly<Record<AppealType, SlaPolicy>> = {
  consultation: SlaPolicy.parse({ clock: 'hotline', unit: 'working_days', amount: 2, label: '12345 咨询类 2 个工作日' }),
  help: SlaPolicy.parse({ clock: 'hotline', unit: 'working_days', amount: 10, label: '12345 求助类 10 个工作日' }),
  suggestion: SlaPolicy.parse({ clock: 'hotline', unit: 'working_days', amount: 10, label: '12345 建议类 10 个工作日' }),
  complaint: SlaPolicy.parse({ clock: 'hotline', unit: 'working_days', amount: 15, label: '12345 投诉类 15 个工作日' }),
  report: SlaPolicy.parse({ clock: 'hotline', unit: 'working_days', amount: 15, label: '12345 举报类 15 个工作日' }),
  urgent: SlaPolicy.parse({ clock: 'hotline', unit: 'calendar_hours', amount: 2, warnAt: 0.5, label: '12345 紧急类 2 小时' }),
};

export interface IntakeContext {
  /** the data center's clock: received-at default and the "not in the future" check */
  now: Date;
  categories: CategoryResolver;
  /** the hotline clock per 12345 appeal type (a site's taxonomy may override the Guangdong defaults) */
  hotlinePolicies: Readonly<Record<AppealType, SlaPolicy>>;
  /** 基础事项 base items grid workers report against, by code */
  baseItems: ReadonlyMap<string, BaseItem>;
  /** how far ahead of `now` a source's clock may be before its report time is refused */
  clockSkewMs: number;
}

export function createIntakeContext(partial: Partial<IntakeContext> = {}): IntakeContext {
  return {
    now: partial.now ?? new Date(),
    categories:
      partial.categories ??
      createCategoryResolver({ labels: { urban_management: DEMO_URBAN_MANAGEMENT_CLASSES, hotline_12345: DEMO_HOTLINE_LABELS } }),
    hotlinePolicies: partial.hotlinePolicies ?? GUANGDONG_12345_POLICIES,
    baseItems: partial.baseItems ?? new Map(BASE_ITEMS.map((b) => [b.code, b])),
    clockSkewMs: partial.clockSkewMs ?? 10 * 60_000,
  };
}

export interface IntakeAdapter<S extends z.ZodType = z.ZodType> {
  /** the payload of `POST /api/v1/intake/{source}` for this adapter */
  readonly schema: S;
  /**
   * The draft for a parsed payload, or field errors. `source` is the path segment it came in on
   * (the generic adapter serves several systems).
   */
  toDraft(payload: z.output<S>, ctx: IntakeContext, source: IntakeSourceName): IntakeDraft | FieldError[];
}

export function defineAdapter<S extends z.ZodType>(adapter: IntakeAdapter<S>): IntakeAdapter<S> {
  return adapter;
}

export function invalid(details: FieldError[]): Result<never> {
  return {
    ok: false,
    error: { code: 'invalid_args', message: details.map((d) => `${d.field}: ${d.message}`).join('; '), details },
  };
}

/** Parses and maps one payload; every problem comes back as `invalid_args` with field-level details. */
export function runAdapter(adapter: IntakeAdapter, payload: unknown, ctx: IntakeContext, source: IntakeSourceName): Result<IntakeDraft> {
  const parsed = adapter.schema.safeParse(payload);
  if (!parsed.success) return invalid(fieldErrors(parsed.error));
  const out = adapter.toDraft(parsed.data, ctx, source);
  return Array.isArray(out) ? invalid(out) : { ok: true, value: out };
}

/** Collects context checks that the schema cannot make. */
export class FieldChecks {
  readonly errors: FieldError[] = [];
  constructor(private readonly ctx: IntakeContext) {}

  /** A report time later than now (beyond clock skew) is refused: it would sort above everything. */
  notInFuture(iso: string, field: string): void {
    if (Date.parse(iso) > this.ctx.now.getTime() + this.ctx.clockSkewMs) {
      this.errors.push({ field, message: `${iso} is in the future (data center time ${this.ctx.now.toISOString()})` });
    }
  }

  /** A given taxonomy code must exist when a taxonomy is loaded. */
  knownCategory(code: string | undefined, field: string): void {
    if (code !== undefined && !this.ctx.categories.isKnown(code)) this.errors.push({ field, message: `unknown category code ${code}` });
  }

  result(draft: IntakeDraft): IntakeDraft | FieldError[] {
    return this.errors.length > 0 ? this.errors : draft;
  }
}

/** The category code of a draft: the given code, else the source's label mapped, else null. */
export function resolveCategory(ctx: IntakeContext, source: IntakeSourceName, code: string | undefined, label: string | undefined): string | null {
  if (code !== undefined) return code;
  if (label !== undefined) return ctx.categories.fromLabel(source, label);
  return null;
}
