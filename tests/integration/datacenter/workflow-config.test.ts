/**
 * The domain configuration on PGlite and PostgreSQL: the bundled documents are loaded once (two
 * servers starting together write them once), replicated as `config` rows; a replacement is
 * validated as a whole set against the store's units and written all or nothing, with field
 * errors naming file and path; a version guard refuses a stale edit; and the workflow authority
 * decides with the new documents at once.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import type { FieldError } from '../../../src/core/errors';
import { bundledConfigDocuments } from '../../../src/datacenter/config/bundled';
import { createDomainConfigService } from '../../../src/datacenter/config/service';
import { actors, expectCreated, HARNESS_TIMEOUT_MS, openHarness, patrolReport, realWrite, type Harness } from './events-fixtures';
import { forEachBackend } from './backends';

async function refusal(p: Promise<unknown>): Promise<{ code: string; fields: string[] }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code: string; details?: unknown };
    return { code: e.code, fields: Array.isArray(e.details) ? (e.details as FieldError[]).map((d) => d.field) : [] };
  }
  throw new Error('expected a refusal');
}

forEachBackend('domain configuration', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(backend);
  }, HARNESS_TIMEOUT_MS);

  const stored = async () => h.rows<{ key: string; v: string; updated_by: string }>(sql`select key, v, updated_by from config order by key`);

  it('loads the bundled documents once, replicated district-wide', async () => {
    const rows = await stored();
    expect(rows.map((r) => [r.key, r.updated_by])).toEqual([
      ['calendar', 'bundled'],
      ['responsibility', 'bundled'],
      ['taxonomy', 'bundled'],
      ['workflow', 'bundled'],
    ]);
    const synced = await h.rows<{ key: string; scope: string | null; row: unknown }>(sql`select key, scope, row::jsonb as row from sync_rows where table_name = 'config' order by key`);
    const bundled = bundledConfigDocuments();
    expect(synced.map((s) => [s.key, s.scope])).toEqual(rows.map((r) => [r.key, null]));
    expect(synced.find((s) => s.key === 'taxonomy')!.row).toEqual(bundled.taxonomy);
    // a second server (and a third, at the same time) finds them and writes nothing
    const more = [1, 2].map(() => createDomainConfigService({ db: h.store.db, writeReplicated: realWrite }));
    expect(await Promise.all(more.map((s) => s.ensureLoaded()))).toEqual([[], []]);
    expect(await stored()).toEqual(rows);
    expect((await h.config.list()).problems).toEqual([]);
  });

  it('refuses bad documents with field errors per file and path, writing nothing', async () => {
    const before = await stored();
    const docs = bundledConfigDocuments() as Record<string, Record<string, unknown>>;
    const calendar = docs.calendar as { makeUpWorkdays: { date: string }[]; holidays: { from: string }[] };
    const badCalendar = { ...calendar, makeUpWorkdays: [{ ...calendar.makeUpWorkdays[0]!, date: '2025-09-29' }, ...calendar.makeUpWorkdays.slice(1)] };
    // a Monday is no make-up day (and no longer near the holiday it was for)
    const cal = await refusal(h.config.replace({ calendar: badCalendar }, { by: 'u-admin' }));
    expect(cal.code).toBe('invalid_args');
    expect(cal.fields).toContain('calendar:makeUpWorkdays.0.date');
    expect(cal.fields.every((f) => f.startsWith('calendar:makeUpWorkdays.0.'))).toBe(true);

    const matrix = docs.responsibility as { entries: { leadUnitId: string }[] };
    const badMatrix = { ...matrix, entries: matrix.entries.map((e, i) => (i === 2 ? { ...e, leadUnitId: 'dept-nowhere' } : e)) };
    const r = await refusal(h.config.replace({ responsibility: badMatrix }, { by: 'u-admin' }));
    expect(r.code).toBe('invalid_args');
    expect(r.fields).toEqual(['responsibility:entries.2.leadUnitId']);

    // two documents together, one of them bad: neither is written
    const goodWorkflow = { ...docs.workflow, version: 'never-written' };
    const both = await refusal(h.config.replace({ workflow: goodWorkflow, calendar: { ...calendar, weekendDays: [8] } }, { by: 'u-admin' }));
    expect(both.code).toBe('invalid_args');
    expect(both.fields.every((f) => f.startsWith('calendar:'))).toBe(true);
    expect(await stored()).toEqual(before);
    expect((await h.config.get('workflow'))!.document).toEqual(docs.workflow);
  });

  it('guards against a stale edit, validates a dry run without writing, and decides with a replacement at once', async () => {
    const wf = (await h.config.get('workflow'))!;
    const doc = wf.document as { ladder: { rung: string; countdown: { unit: string; amount: number } }[] };
    const faster = { ...doc, version: 'site-1', ladder: doc.ladder.map((r) => (r.rung === 'grid' ? { ...r, countdown: { unit: 'calendar_hours', amount: 1 } } : r)) };
    expect((await refusal(h.config.replace({ workflow: faster }, { by: 'u-admin', expectedVersions: { workflow: wf.v + 5 } }))).code).toBe('conflict');
    expect(await h.config.replace({ workflow: faster }, { by: 'u-admin', dryRun: true })).toEqual([{ name: 'workflow', v: wf.v, updatedAt: wf.updatedAt, updatedBy: 'bundled' }]);
    expect((await h.config.get('workflow'))!.v).toBe(wf.v);

    const [written] = await h.config.replace({ workflow: faster }, { by: 'u-admin', expectedVersions: { workflow: wf.v } });
    expect(written).toMatchObject({ name: 'workflow', updatedBy: 'u-admin' });
    expect(written!.v).toBeGreaterThan(wf.v);
    const logged = await h.rows<{ v: string }>(sql`select v from change_log where table_name = 'config' and key = 'workflow' order by v desc limit 1`);
    expect(Number(logged[0]!.v)).toBe(written!.v);

    // the grid rung now answers within one calendar hour
    const id = expectCreated(await h.submit('grid_patrol', patrolReport('GP-CONFIG-1'))).eventId;
    const now = new Date('2025-11-26T02:30:00.000Z');
    expect((await h.command(id, { type: 'escalate', reason: '网格呼' }, actors.desk, now)).ok).toBe(true);
    expect((await h.events.getEvent(id))!.workflow.escalation).toMatchObject({ rung: 'grid', deadline: '2025-11-26T03:30:00.000Z' });
  });
});
