/**
 * How a source's own category becomes a taxonomy code. Sources either send our code
 * (`categoryCode`, checked against the taxonomy when one is loaded) or their own label: a 12345
 * classification, a 数字城管 minor class, a 基础事项 base item. Labels are matched by an explicit
 * table per source first, then by the taxonomy's own node names; an unmatched label is kept as
 * `sourceCategory` and the officer classifies the event when filing it (立案), so an unknown
 * label never rejects a report.
 */
import type { IntakeSourceName } from './draft';

export interface CategoryResolver {
  /** false only when a taxonomy is loaded and does not have the code */
  isKnown(code: string): boolean;
  /** the taxonomy code for a source's label, or null */
  fromLabel(source: IntakeSourceName, label: string): string | null;
  /** the taxonomy name of a code, when a taxonomy is loaded */
  nameOf(code: string): string | null;
}

export interface CategoryResolverOptions {
  /** every taxonomy code with its node name; omit to accept any code */
  nodes?: Iterable<{ code: string; name: string }>;
  /** label → code tables per source, checked before the taxonomy names */
  labels?: Partial<Record<IntakeSourceName, Record<string, string>>>;
  /** label → code table for every source */
  commonLabels?: Record<string, string>;
}

const normaliseLabel = (s: string) => s.replace(/[\s\u3000]+/g, '').toLowerCase();

export function createCategoryResolver(options: CategoryResolverOptions = {}): CategoryResolver {
  const codes = options.nodes ? new Set<string>() : null;
  const byName = new Map<string, string>();
  const names = new Map<string, string>();
  for (const n of options.nodes ?? []) {
    codes!.add(n.code);
    names.set(n.code, n.name);
    const key = normaliseLabel(n.name);
    // the first (shallowest, in depth-first order) node of a name wins
    if (!byName.has(key)) byName.set(key, n.code);
  }
  const tables = new Map<IntakeSourceName, Map<string, string>>();
  for (const [source, table] of Object.entries(options.labels ?? {}) as [IntakeSourceName, Record<string, string>][]) {
    tables.set(source, new Map(Object.entries(table).map(([k, v]) => [normaliseLabel(k), v])));
  }
  const common = new Map(Object.entries(options.commonLabels ?? {}).map(([k, v]) => [normaliseLabel(k), v]));
  const known = (code: string) => codes === null || codes.has(code);
  return {
    isKnown: known,
    nameOf: (code) => names.get(code) ?? null,
    fromLabel(source, label) {
      const key = normaliseLabel(label);
      if (key === '') return null;
      // a label written as a path (城市管理/市容环境/道路不洁) is matched by its most specific part
      const parts = label.split(/[/>＞|｜]/).map(normaliseLabel).filter(Boolean);
      const candidates = [key, ...parts.reverse()];
      for (const k of candidates) {
        const hit = tables.get(source)?.get(k) ?? common.get(k) ?? byName.get(k);
        if (hit !== undefined && known(hit)) return hit;
      }
      // a bare taxonomy code sent where a label was expected
      if (codes?.has(label.trim())) return label.trim();
      return null;
    },
  };
}

/**
 * Demo tables for the demo taxonomy (resources/config/taxonomy-demo.json). 数字城管 minor classes
 * are named as the city's urban-management system names them; the table is configuration a site
 * replaces.
 */
export const DEMO_URBAN_MANAGEMENT_CLASSES: Record<string, string> = {
  道路不洁: '040101',
  暴露垃圾: '040102',
  垃圾满溢: '040102',
  积存垃圾渣土: '040102',
  乱张贴: '040103',
  乱涂写: '040103',
  乱张贴乱涂写: '040103',
  占道经营: '040104',
  无照经营游商: '040104',
  店外经营: '040104',
  井盖缺失: '040201',
  井盖破损: '040201',
  井盖缺失破损: '040201',
  路灯不亮: '040202',
  路灯: '040202',
  道路破损: '040203',
  树木倒伏: '040301',
  绿地脏乱: '040302',
  私搭乱建: '060101',
  违法建设: '060101',
  在建违法建设: '060101',
  既有违法建设: '060102',
  噪声扰民: '0702',
  施工噪声: '0702',
  河涌污染: '0801',
  道路积水: '0802',
  消防通道堵塞: '1101',
};

/** 12345 classifications that are not spelled like a taxonomy node. */
export const DEMO_HOTLINE_LABELS: Record<string, string> = {
  噪音扰民: '0702',
  噪声扰民: '0702',
  违建: '0601',
  违章搭建: '0601',
  环境卫生: '0401',
  市容环境: '0401',
  占道经营: '040104',
  路灯不亮: '040202',
  水浸: '0802',
  内涝: '0802',
  停水: '0803',
  办事难: '0201',
  政策咨询: '0202',
  社保: '0303',
  养老: '0302',
  消防隐患: '11',
  企业诉求: '13',
};
