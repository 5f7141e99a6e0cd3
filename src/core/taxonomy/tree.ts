/**
 * Lookups over a validated taxonomy: find a node by code, its ancestry, and the
 * rules that apply to it after inheritance (nearest ancestor wins).
 */
import { type SlaPolicy } from '../sla/policy';
import { type AppealTypeCode, type OwnerRule, type Taxonomy, type TaxonomyNode } from './schema';

export interface IndexedNode {
  node: TaxonomyNode;
  parentCode: string | null;
  /** 0 for a category (大类) */
  depth: number;
}

export interface TaxonomyIndex {
  taxonomy: Taxonomy;
  byCode: ReadonlyMap<string, IndexedNode>;
}

export function indexTaxonomy(taxonomy: Taxonomy): TaxonomyIndex {
  const byCode = new Map<string, IndexedNode>();
  const walk = (nodes: TaxonomyNode[], parentCode: string | null, depth: number) => {
    for (const node of nodes) {
      byCode.set(node.code, { node, parentCode, depth });
      walk(node.children, node.code, depth + 1);
    }
  };
  walk(taxonomy.categories, null, 0);
  return { taxonomy, byCode };
}

export function findNode(index: TaxonomyIndex, code: string): TaxonomyNode | undefined {
  return index.byCode.get(code)?.node;
}

/** The node and its ancestors, the node first; empty for an unknown code. */
export function lineage(index: TaxonomyIndex, code: string): TaxonomyNode[] {
  const out: TaxonomyNode[] = [];
  let cur = index.byCode.get(code);
  while (cur) {
    out.push(cur.node);
    cur = cur.parentCode === null ? undefined : index.byCode.get(cur.parentCode);
  }
  return out;
}

/** Every node in depth-first order. */
export function flattenTaxonomy(index: TaxonomyIndex): IndexedNode[] {
  return [...index.byCode.values()];
}

export interface EffectiveRules {
  code: string;
  /** names from the category down, e.g. ['城市管理', '市容环境', '道路不洁'] */
  path: string[];
  ownerRule: OwnerRule | null;
  /** the code of the node that gave the owner rule */
  ownerRuleFrom: string | null;
  assistingUnitIds: string[];
  filingCondition: string | null;
  closingCondition: string | null;
  requiresCheck: boolean;
  /** one per clock kind, nearest node first */
  slaPolicies: SlaPolicy[];
}

/** The rules of a node after inheritance, or null for an unknown code. */
export function effectiveRules(index: TaxonomyIndex, code: string): EffectiveRules | null {
  const chain = lineage(index, code);
  if (chain.length === 0) return null;
  const first = <T>(pick: (n: TaxonomyNode) => T | undefined): { value: T; from: string } | null => {
    for (const n of chain) {
      const v = pick(n);
      if (v !== undefined) return { value: v, from: n.code };
    }
    return null;
  };
  const owner = first((n) => n.ownerRule);
  const policies = new Map<string, SlaPolicy>();
  for (const n of chain) for (const p of n.slaPolicies ?? []) if (!policies.has(p.clock)) policies.set(p.clock, p);
  return {
    code,
    path: chain.map((n) => n.name).reverse(),
    ownerRule: owner?.value ?? null,
    ownerRuleFrom: owner?.from ?? null,
    assistingUnitIds: first((n) => n.assistingUnitIds)?.value ?? [],
    filingCondition: first((n) => n.filingCondition)?.value ?? null,
    closingCondition: first((n) => n.closingCondition)?.value ?? null,
    requiresCheck: first((n) => n.requiresCheck)?.value ?? true,
    slaPolicies: [...policies.values()],
  };
}

/**
 * The clock policies for an event of this category: the category's own
 * (inherited) policies, with the hotline clock set by the 12345 appeal type
 * when there is one.
 */
export function slaPoliciesFor(index: TaxonomyIndex, code: string, appealType?: AppealTypeCode | null): SlaPolicy[] {
  const base = effectiveRules(index, code)?.slaPolicies ?? [];
  const appeal = appealType ? index.taxonomy.appealTypes.find((a) => a.code === appealType) : undefined;
  if (!appeal) return base;
  return [...base.filter((p) => p.clock !== appeal.policy.clock), appeal.policy];
}
