import { describe, expect, it } from 'vitest';
import huadu from '../../../resources/demo/huadu.json';
import responsibilityJson from '../../../resources/config/responsibility-demo.json';
import taxonomyJson from '../../../resources/config/taxonomy-demo.json';
import {
  areaChain,
  checkReferences,
  effectiveRules,
  flattenTaxonomy,
  indexTaxonomy,
  lineage,
  parseResponsibilityMatrix,
  parseTaxonomy,
  slaPoliciesFor,
  suggestLeadUnit,
  type ResponsibilityContext,
} from './index';

const tax = parseTaxonomy(taxonomyJson);
const matrix = parseResponsibilityMatrix(responsibilityJson);
if (!tax.ok) throw new Error(tax.error.message);
if (!matrix.ok) throw new Error(matrix.error.message);
const index = indexTaxonomy(tax.value);
const ctx: ResponsibilityContext = { taxonomy: index, matrix: matrix.value };

const XINHUA_GRID = '440114001001001'; // a grid in 新华街 (subdistrict)
const HUADONG_VILLAGE = '440114105201'; // a village in 花东镇 (town)

describe('the demo taxonomy', () => {
  it('has the 13 categories and 36 trigger situations of 有呼必应', () => {
    const nodes = flattenTaxonomy(index);
    expect(nodes.filter((n) => n.depth === 0)).toHaveLength(13);
    expect(nodes.filter((n) => n.node.kind === 'situation')).toHaveLength(36);
    expect(nodes.filter((n) => n.depth === 1).every((n) => n.node.kind === 'situation')).toBe(true);
  });

  it('gives every node an internal clock and a lead unit in every town', () => {
    const towns = huadu.towns.map((t) => t.code);
    for (const { node } of flattenTaxonomy(index)) {
      expect(effectiveRules(index, node.code)!.slaPolicies.some((p) => p.clock === 'internal'), node.code).toBe(true);
      for (const town of towns) expect(suggestLeadUnit(ctx, node.code, `${town.slice(0, 9)}001`), `${node.code} in ${town}`).not.toBeNull();
    }
  });

  it('names only units the demo district has', () => {
    const known = new Set<string>([...huadu.departments.map((d) => d.id), ...huadu.towns.map((t) => `town-${t.code}`)]);
    expect(checkReferences(index, matrix.value, known)).toEqual([]);
    for (const { node } of flattenTaxonomy(index)) {
      for (const town of huadu.towns) {
        const s = suggestLeadUnit(ctx, node.code, `${town.code.slice(0, 9)}201`);
        if (s) expect(known.has(s.leadUnitId), `${node.code}: ${s.leadUnitId}`).toBe(true);
      }
    }
  });

  it('spans urban-management limits from 5 working hours (dirty road) to 15 working days (illegal construction)', () => {
    const urban = flattenTaxonomy(index)
      .flatMap((n) => (n.node.slaPolicies ?? []).filter((p) => p.clock === 'urban'))
      .map((p) => (p.unit === 'working_hours' ? p.amount / 7 : p.amount));
    expect(Math.min(...urban)).toBeCloseTo(5 / 7);
    expect(Math.max(...urban)).toBe(15);
    expect(effectiveRules(index, '040101')!.slaPolicies).toContainEqual(expect.objectContaining({ clock: 'urban', unit: 'working_hours', amount: 5 }));
    expect(effectiveRules(index, '060101')!.slaPolicies).toContainEqual(expect.objectContaining({ clock: 'urban', unit: 'working_days', amount: 15 }));
  });
});

describe('inheritance', () => {
  it('takes each rule from the nearest node that has it', () => {
    const r = effectiveRules(index, '040101')!;
    expect(r.path).toEqual(['城市管理', '市容环境', '道路不洁']);
    expect(r.closingCondition).toBe('路面无明显垃圾、污渍，现场照片为证');
    expect(r.filingCondition).toMatch(/数字城管/);
    expect(r.requiresCheck).toBe(true);
    // urban from the class, internal from the category
    expect(r.slaPolicies.map((p) => [p.clock, p.unit, p.amount])).toEqual([
      ['urban', 'working_hours', 5],
      ['internal', 'working_days', 5],
    ]);
    expect(effectiveRules(index, '0202')!.requiresCheck).toBe(false);
    expect(effectiveRules(index, 'nope')).toBeNull();
    expect(lineage(index, '040101').map((n) => n.code)).toEqual(['040101', '0401', '04']);
  });

  it('sets the hotline clock from the 12345 appeal type', () => {
    expect(slaPoliciesFor(index, '0202', 'consultation').find((p) => p.clock === 'hotline')).toMatchObject({ unit: 'working_days', amount: 2 });
    expect(slaPoliciesFor(index, '040101', 'complaint').map((p) => p.clock).sort()).toEqual(['hotline', 'internal', 'urban']);
    expect(slaPoliciesFor(index, '0901', 'urgent').find((p) => p.clock === 'hotline')).toMatchObject({ unit: 'calendar_hours', amount: 2 });
    expect(slaPoliciesFor(index, '0901').some((p) => p.clock === 'hotline')).toBe(false);
  });
});

describe('suggestLeadUnit', () => {
  it.each([
    ['district matrix entry of the category', '040101', XINHUA_GRID, { leadUnitId: 'dept-cg', source: 'matrix', matchedCategory: '04', matchedArea: '440114' }],
    ['a town entry beats the district entry', '040101', HUADONG_VILLAGE, { leadUnitId: 'town-440114105000', source: 'matrix', matchedCategory: '0401', matchedArea: '440114105000' }],
    ['a more specific node rule beats a general matrix entry', '040203', XINHUA_GRID, { leadUnitId: 'dept-jt', source: 'unit_rule', matchedCategory: '040203' }],
    ['situation rule beats the category entry', '0303', XINHUA_GRID, { leadUnitId: 'dept-rs', source: 'unit_rule', matchedCategory: '0303' }],
    ['a subdistrict entry for illegal construction', '060101', XINHUA_GRID, { leadUnitId: 'dept-cg', assistingUnitIds: ['town-440114001000'], source: 'matrix', matchedCategory: '0601' }],
    ['territorial (属地) in a town, with inherited assisting units', '060101', HUADONG_VILLAGE, { leadUnitId: 'town-440114105000', assistingUnitIds: ['dept-cg'], source: 'territorial', matchedCategory: '06' }],
    ['enterprise requests in the airport zone', '13', HUADONG_VILLAGE, { leadUnitId: 'dept-swj', source: 'matrix', matchedArea: '440114105000' }],
    ['but market-order requests keep their own department', '1304', HUADONG_VILLAGE, { leadUnitId: 'dept-scjg', source: 'unit_rule' }],
  ])('%s', (_what, category, area, expected) => {
    expect(suggestLeadUnit(ctx, category, area)).toMatchObject(expected);
  });

  it('returns null when nothing applies', () => {
    expect(suggestLeadUnit(ctx, '01', '440114')).toBeNull(); // territorial, but no town known
    expect(suggestLeadUnit(ctx, '99', XINHUA_GRID)).toBeNull();
  });

  it('walks grid → village → town → district', () => {
    expect(areaChain('440114105201003')).toEqual(['440114105201', '440114105000', '440114']);
    expect(areaChain('440114105201')).toEqual(['440114105201', '440114105000', '440114']);
    expect(areaChain('440114105000')).toEqual(['440114105000', '440114']);
    expect(areaChain('440114')).toEqual(['440114']);
    expect(areaChain('x')).toEqual([]);
  });
});

describe('validation', () => {
  const base = {
    version: 't',
    name: 't',
    appealTypes: [],
    categories: [{ code: '01', name: 'a', slaPolicies: [{ clock: 'internal', unit: 'working_days', amount: 5 }], children: [{ code: '0101', name: 'b' }] }],
  };
  const fields = (input: unknown) => {
    const r = parseTaxonomy(input);
    if (r.ok) throw new Error('expected errors');
    return (r.error.details as { field: string }[]).map((d) => d.field);
  };

  it('accepts a minimal tree', () => {
    expect(parseTaxonomy(base).ok).toBe(true);
  });

  it('rejects duplicate codes, codes that do not extend the parent and a second policy for one clock', () => {
    const bad = {
      ...base,
      categories: [
        {
          code: '01',
          name: 'a',
          slaPolicies: [
            { clock: 'internal', unit: 'working_days', amount: 5 },
            { clock: 'internal', unit: 'working_hours', amount: 5 },
          ],
          children: [{ code: '0201', name: 'b' }],
        },
        { code: '01', name: 'c' },
      ],
    };
    expect(fields(bad).sort()).toEqual(['categories.0.children.0.code', 'categories.0.slaPolicies.1.clock', 'categories.1.code']);
  });

  it('names bad fields deep in the tree', () => {
    const bad = { ...base, categories: [{ code: '01', name: 'a', children: [{ code: '0101', name: 'b', slaPolicies: [{ clock: 'internal', unit: 'working_days', amount: 1.5 }] }] }] };
    expect(fields(bad)).toEqual(['categories.0.children.0.slaPolicies.0.amount']);
  });

  it('rejects a matrix that maps one category and area twice, or a unit that leads and assists', () => {
    const r = parseResponsibilityMatrix({
      version: 't',
      territorialUnitIds: { town: 'town-{code}', village: 'village-{code}' },
      entries: [
        { categoryCode: '04', areaCode: '440114', leadUnitId: 'dept-cg' },
        { categoryCode: '04', areaCode: '440114', leadUnitId: 'dept-zj', assistingUnitIds: ['dept-zj'] },
        { categoryCode: '04', areaCode: '44011', leadUnitId: 'dept-zj' },
      ],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect((r.error.details as { field: string }[]).map((d) => d.field).sort()).toEqual(['entries.1', 'entries.1.assistingUnitIds', 'entries.2.areaCode']);
  });

  it('cross-checks categories and units', () => {
    const m = parseResponsibilityMatrix({
      version: 't',
      territorialUnitIds: { town: 'town-{code}', village: 'village-{code}' },
      entries: [{ categoryCode: '99', areaCode: '440114', leadUnitId: 'dept-nope' }],
    });
    if (!m.ok) throw new Error(m.error.message);
    expect(checkReferences(index, m.value, new Set(['dept-cg'])).map((e) => e.field)).toEqual(
      expect.arrayContaining(['entries.0.categoryCode', 'entries.0.leadUnitId', 'taxonomy:0303.ownerRule.unitId']),
    );
  });
});
