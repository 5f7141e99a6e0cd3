import { describe, expect, it } from 'vitest';
import calendar from '../../../resources/config/calendar-cn.json';
import responsibility from '../../../resources/config/responsibility-demo.json';
import taxonomy from '../../../resources/config/taxonomy-demo.json';
import workflow from '../../../resources/config/workflow-demo.json';
import huadu from '../../../resources/demo/huadu.json';
import { suggestLeadUnit } from '../taxonomy';
import { parseDomainConfig } from './index';

const known = new Set([...huadu.departments.map((d) => d.id), ...huadu.towns.map((t) => `town-${t.code}`)]);

describe('parseDomainConfig', () => {
  it('loads the shipped demo configuration against the demo district', () => {
    const r = parseDomainConfig({ calendar, taxonomy, responsibility, workflow }, known);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.calendar.holidays.size).toBeGreaterThan(50);
    expect(r.value.config.ladder).toHaveLength(5);
    expect(suggestLeadUnit(r.value, '040101', '440114001001001')?.leadUnitId).toBe('dept-cg');
  });

  it('names the file and field of every problem', () => {
    const badCalendar = { ...calendar, makeUpWorkdays: [{ date: '2025-09-29', for: '国庆节、中秋节' }] };
    const badWorkflow = { ...workflow, ladder: [...workflow.ladder].reverse() };
    const r = parseDomainConfig({ calendar: badCalendar, taxonomy, responsibility, workflow: badWorkflow }, new Set(['dept-cg']));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = (r.error.details as { field: string }[]).map((d) => d.field);
    expect(fields).toContain('calendar:makeUpWorkdays.0.date');
    expect(fields).toContain('workflow:ladder.1.rung');
    expect(fields).toContain('responsibility:entries.0.leadUnitId');
    expect(fields.some((f) => f.startsWith('taxonomy:'))).toBe(true);
  });
});
