/**
 * The event taxonomy (事项分类) as configuration: a tree of any depth (major →
 * minor → sub → detail), a hierarchical code per node (a child's code extends
 * its parent's), and per node the owner-department rule, the filing condition
 * (立案条件), the closing condition (结案条件) and SLA policies. Nodes inherit
 * what they leave out from their ancestors.
 *
 * Beside the tree, the 12345 appeal types (诉求类型: 咨询/求助/建议/投诉/举报/紧急)
 * set the hotline clock, whatever the category.
 */
import { z } from 'zod';
import { fieldErrors, type FieldError, type Result } from '../errors';
import { SlaPolicy } from '../sla/policy';

/**
 * Who leads when the responsibility matrix has no entry at this node:
 * a fixed unit (主责部门), or the government of the place (属地: the town or
 * village/community where the event is).
 */
export const OwnerRule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('unit'), unitId: z.string().min(1) }),
  z.object({ kind: z.literal('territorial'), level: z.enum(['town', 'village']) }),
]);
export type OwnerRule = z.infer<typeof OwnerRule>;

/** category 大类 / situation 触发情形 / class 小类 / item 细类 — a label only; depth is free. */
export const NodeKind = z.enum(['category', 'situation', 'class', 'item']);
export type NodeKind = z.infer<typeof NodeKind>;

export interface TaxonomyNodeInput {
  code: string;
  name: string;
  nameEn?: string;
  kind?: NodeKind;
  ownerRule?: OwnerRule;
  assistingUnitIds?: string[];
  filingCondition?: string;
  closingCondition?: string;
  requiresCheck?: boolean;
  slaPolicies?: z.input<typeof SlaPolicy>[];
  children?: TaxonomyNodeInput[];
}

export interface TaxonomyNode {
  code: string;
  name: string;
  nameEn?: string;
  kind?: NodeKind;
  ownerRule?: OwnerRule;
  /** 协办单位 usually involved */
  assistingUnitIds?: string[];
  /** 立案条件 */
  filingCondition?: string;
  /** 结案条件 */
  closingCondition?: string;
  /** closing needs an on-site check (核查); inherited, true at the root */
  requiresCheck?: boolean;
  /** at most one per clock kind; a child's policy for a clock replaces its ancestor's */
  slaPolicies?: SlaPolicy[];
  children: TaxonomyNode[];
}

export const TaxonomyNode: z.ZodType<TaxonomyNode, TaxonomyNodeInput> = z.object({
  code: z.string().regex(/^[0-9A-Za-z]+$/, 'codes are letters and digits'),
  name: z.string().min(1),
  nameEn: z.string().optional(),
  kind: NodeKind.optional(),
  ownerRule: OwnerRule.optional(),
  assistingUnitIds: z.array(z.string().min(1)).optional(),
  filingCondition: z.string().optional(),
  closingCondition: z.string().optional(),
  requiresCheck: z.boolean().optional(),
  slaPolicies: z.array(SlaPolicy).optional(),
  get children() {
    return z.array(TaxonomyNode).default([]);
  },
});

/** 12345 诉求类型 */
export const AppealTypeCode = z.enum(['consultation', 'help', 'suggestion', 'complaint', 'report', 'urgent']);
export type AppealTypeCode = z.infer<typeof AppealTypeCode>;

export const AppealType = z.object({
  code: AppealTypeCode,
  name: z.string().min(1),
  /** the hotline clock for this type (Guangdong 12345 defaults in the demo) */
  policy: SlaPolicy,
});
export type AppealType = z.infer<typeof AppealType>;

export const Taxonomy = z.object({
  version: z.string().min(1),
  name: z.string().min(1),
  appealTypes: z.array(AppealType),
  categories: z.array(TaxonomyNode).min(1),
  notes: z.array(z.string()).default([]),
});
export type Taxonomy = z.output<typeof Taxonomy>;

function checkTree(tax: Taxonomy): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Map<string, string>();
  const walk = (nodes: TaxonomyNode[], path: string, parent: TaxonomyNode | null) => {
    nodes.forEach((n, i) => {
      const here = `${path}.${i}`;
      const prior = seen.get(n.code);
      if (prior !== undefined) errors.push({ field: `${here}.code`, message: `code ${n.code} is already used at ${prior}` });
      else seen.set(n.code, here);
      if (parent && !(n.code.startsWith(parent.code) && n.code.length > parent.code.length)) {
        errors.push({ field: `${here}.code`, message: `code ${n.code} must extend its parent's code ${parent.code}` });
      }
      const kinds = new Set<string>();
      (n.slaPolicies ?? []).forEach((p, k) => {
        if (kinds.has(p.clock)) errors.push({ field: `${here}.slaPolicies.${k}.clock`, message: `a second ${p.clock} policy on ${n.code}` });
        kinds.add(p.clock);
      });
      walk(n.children, `${here}.children`, n);
    });
  };
  walk(tax.categories, 'categories', null);
  const types = new Set<string>();
  tax.appealTypes.forEach((a, i) => {
    if (types.has(a.code)) errors.push({ field: `appealTypes.${i}.code`, message: `appeal type ${a.code} is listed twice` });
    types.add(a.code);
  });
  return errors;
}

/** Validates a taxonomy document (resources/config/taxonomy-demo.json) with field-level errors. */
export function parseTaxonomy(input: unknown): Result<Taxonomy> {
  const parsed = Taxonomy.safeParse(input);
  const details = parsed.success ? checkTree(parsed.data) : fieldErrors(parsed.error);
  if (parsed.success && details.length === 0) return { ok: true, value: parsed.data };
  return { ok: false, error: { code: 'invalid_args', message: details.map((d) => `${d.field}: ${d.message}`).join('; '), details } };
}
