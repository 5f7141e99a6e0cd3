/**
 * The responsibility matrix (责任清单): category × area → lead unit, so the
 * dispatch desk is offered the right unit ("统一派单、按责领单").
 *
 * Lookup, for an event of category C at a grid or village:
 * walk C's lineage from the most specific node up to its 大类; at each node,
 * first the matrix entries for that node from the most specific area up
 * (village → town → district), then the node's own owner rule. The first hit
 * wins. So a more specific category always beats a more general one, and at the
 * same category a site's matrix entry beats the taxonomy's default rule.
 */
import { z } from 'zod';
import { fieldErrors, type FieldError, type Result } from '../errors';
import { type OwnerRule } from './schema';
import { lineage, type TaxonomyIndex } from './tree';

export const ResponsibilityEntry = z.object({
  categoryCode: z.string().min(1),
  /** district (6 digits), town or village (12 digits) */
  areaCode: z.string().regex(/^\d{6}(\d{6})?$/, 'a 6-digit district or 12-digit town/village code'),
  leadUnitId: z.string().min(1),
  assistingUnitIds: z.array(z.string().min(1)).default([]),
  note: z.string().optional(),
});
export type ResponsibilityEntry = z.output<typeof ResponsibilityEntry>;

export const ResponsibilityMatrix = z
  .object({
    version: z.string().min(1),
    /** how a territorial (属地) rule names the government unit of an area; `{code}` is replaced */
    territorialUnitIds: z.object({
      town: z.string().includes('{code}'),
      village: z.string().includes('{code}'),
    }),
    entries: z.array(ResponsibilityEntry),
    notes: z.array(z.string()).default([]),
  })
  .superRefine((m, ctx) => {
    const seen = new Map<string, number>();
    m.entries.forEach((e, i) => {
      const key = `${e.categoryCode}@${e.areaCode}`;
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['entries', i], message: `category ${e.categoryCode} in area ${e.areaCode} is already mapped at entries.${seen.get(key)}` });
      } else seen.set(key, i);
      if (e.assistingUnitIds.includes(e.leadUnitId)) {
        ctx.addIssue({ code: 'custom', path: ['entries', i, 'assistingUnitIds'], message: 'the lead unit cannot also assist' });
      }
    });
  });
export type ResponsibilityMatrix = z.output<typeof ResponsibilityMatrix>;

/** Validates a responsibility matrix (resources/config/responsibility-demo.json) with field-level errors. */
export function parseResponsibilityMatrix(input: unknown): Result<ResponsibilityMatrix> {
  const parsed = ResponsibilityMatrix.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const details = fieldErrors(parsed.error);
  return { ok: false, error: { code: 'invalid_args', message: details.map((d) => `${d.field}: ${d.message}`).join('; '), details } };
}

/**
 * Cross-checks configuration against the taxonomy and the known units: every
 * matrix category exists, every unit id named by the matrix or an owner rule is
 * a known unit. Returns the problems (empty when consistent).
 */
export function checkReferences(index: TaxonomyIndex, matrix: ResponsibilityMatrix, knownUnitIds?: ReadonlySet<string>): FieldError[] {
  const errors: FieldError[] = [];
  matrix.entries.forEach((e, i) => {
    if (!index.byCode.has(e.categoryCode)) errors.push({ field: `entries.${i}.categoryCode`, message: `no category ${e.categoryCode} in the taxonomy` });
    if (knownUnitIds) {
      if (!knownUnitIds.has(e.leadUnitId)) errors.push({ field: `entries.${i}.leadUnitId`, message: `unknown unit ${e.leadUnitId}` });
      e.assistingUnitIds.forEach((u, k) => {
        if (!knownUnitIds.has(u)) errors.push({ field: `entries.${i}.assistingUnitIds.${k}`, message: `unknown unit ${u}` });
      });
    }
  });
  if (knownUnitIds) {
    for (const { node } of index.byCode.values()) {
      if (node.ownerRule?.kind === 'unit' && !knownUnitIds.has(node.ownerRule.unitId)) {
        errors.push({ field: `taxonomy:${node.code}.ownerRule.unitId`, message: `unknown unit ${node.ownerRule.unitId}` });
      }
      for (const u of node.assistingUnitIds ?? []) {
        if (!knownUnitIds.has(u)) errors.push({ field: `taxonomy:${node.code}.assistingUnitIds`, message: `unknown unit ${u}` });
      }
    }
  }
  return errors;
}

/**
 * The areas a grid, village, town or district code lies in, most specific first:
 * a 15-digit grid → [village, town, district]; a village → [village, town, district];
 * a town (ends in 000) → [town, district]; a district → [district].
 */
export function areaChain(code: string): string[] {
  if (/^\d{15}$/.test(code)) return areaChain(code.slice(0, 12));
  if (/^\d{12}$/.test(code)) {
    const town = `${code.slice(0, 9)}000`;
    const district = code.slice(0, 6);
    return code === town ? [town, district] : [code, town, district];
  }
  if (/^\d{6}$/.test(code)) return [code];
  return [];
}

export interface LeadUnitSuggestion {
  leadUnitId: string;
  assistingUnitIds: string[];
  /** matrix entry, fixed unit of the taxonomy, or the place's own government (属地) */
  source: 'matrix' | 'unit_rule' | 'territorial';
  /** the taxonomy node whose entry or rule decided */
  matchedCategory: string;
  /** the area of the matrix entry or the territorial unit, null for a fixed unit */
  matchedArea: string | null;
}

export interface ResponsibilityContext {
  taxonomy: TaxonomyIndex;
  matrix: ResponsibilityMatrix;
}

const ENTRY_INDEX = new WeakMap<ResponsibilityMatrix, Map<string, ResponsibilityEntry>>();

/** entries keyed `category@area`, built once per matrix object */
function entryIndex(matrix: ResponsibilityMatrix): Map<string, ResponsibilityEntry> {
  let index = ENTRY_INDEX.get(matrix);
  if (!index) {
    index = new Map(matrix.entries.map((e) => [`${e.categoryCode}@${e.areaCode}`, e]));
    ENTRY_INDEX.set(matrix, index);
  }
  return index;
}

function fromRule(ctx: ResponsibilityContext, rule: OwnerRule, nodeCode: string, assisting: string[], areas: string[]): LeadUnitSuggestion | null {
  if (rule.kind === 'unit') {
    return { leadUnitId: rule.unitId, assistingUnitIds: assisting.filter((u) => u !== rule.unitId), source: 'unit_rule', matchedCategory: nodeCode, matchedArea: null };
  }
  const area = rule.level === 'town' ? areas.find((a) => a.length === 12 && a.endsWith('000')) : areas.find((a) => a.length === 12 && !a.endsWith('000'));
  if (!area) return null;
  const leadUnitId = ctx.matrix.territorialUnitIds[rule.level].replace('{code}', area);
  return { leadUnitId, assistingUnitIds: assisting.filter((u) => u !== leadUnitId), source: 'territorial', matchedCategory: nodeCode, matchedArea: area };
}

/**
 * The unit the dispatch desk should be offered as lead for an event of this
 * category at this grid/village/town (see the module comment for the order).
 * Null when the category is unknown or nothing applies.
 */
export function suggestLeadUnit(ctx: ResponsibilityContext, categoryCode: string, gridOrAreaCode: string): LeadUnitSuggestion | null {
  const areas = areaChain(gridOrAreaCode);
  const entries = entryIndex(ctx.matrix);
  for (const node of lineage(ctx.taxonomy, categoryCode)) {
    for (const area of areas) {
      const hit = entries.get(`${node.code}@${area}`);
      if (hit) {
        return { leadUnitId: hit.leadUnitId, assistingUnitIds: hit.assistingUnitIds, source: 'matrix', matchedCategory: node.code, matchedArea: area };
      }
    }
    if (node.ownerRule) {
      const assisting = lineage(ctx.taxonomy, categoryCode).find((n) => n.assistingUnitIds)?.assistingUnitIds ?? [];
      const s = fromRule(ctx, node.ownerRule, node.code, assisting, areas);
      if (s) return s;
    }
  }
  return null;
}
