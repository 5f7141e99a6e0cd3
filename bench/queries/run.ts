/**
 * Query latency on a replica of 10^6 events, without a data center: the
 * replica is filled through the sync client's own snapshot write path
 * (RowWriter → staging tables → swapInSnapshot, the same code a snapshot
 * runs) from bench/support/history.ts, then the query mix of
 * bench/support/query-mix.ts runs against the real handlers, each figure
 * with its baseline (the same SQL straight on better-sqlite3).
 *
 *   npx tsx bench/queries/run.ts [--events 1000000] [--rounds 15] [--keep DIR]
 *
 * `npm run bench:sync` measures the same mix on the replica its snapshot
 * built; this runs alone in a few minutes and is what to use while tuning.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateDemoDistrict } from '../../src/datacenter/demo';
import { openReplica } from '../../src/main/service/store/open';
import { RowWriter } from '../../src/main/service/store/replicated-rows';
import { stageRows, swapInSnapshot } from '../../src/main/service/store/replica-writes';
import taxonomy from '../../resources/config/taxonomy-demo.json';
import calendar from '../../resources/config/calendar-cn.json';
import { generateHistory, leafCategories } from '../support/history';
import { p95Of, probeOf, queryMix, runQueryMix } from '../support/query-mix';
import { figure, log, machineNote, quantile, writeResults, type Figure } from '../support/results';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '15' }, keep: { type: 'string' } } });
const N = Number(values.events);
const ROUNDS = Number(values.rounds);
const NOW = Date.parse('2026-11-26T08:00:00.000Z');

const dir = values.keep ?? mkdtempSync(path.join(os.tmpdir(), 'huying-bench-queries-'));
const file = path.join(dir, 'replica.sqlite');
const kept = values.keep !== undefined && existsSync(file);
const replica = openReplica({ file });
// a kept replica that a newer migration emptied (a replica is a cache: 0008 recreated the event
// tables and left them to the next snapshot) is built again, in place
const emptied = kept && (replica.sqlite.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n === 0;
if (emptied) log(`the kept replica in ${dir} has no events (a migration emptied it?): building it again`);
const reuse = kept && !emptied;
try {
  if (!reuse) {
    log(`building a replica of ${N} events through the snapshot write path`);
    const t0 = performance.now();
    const d = generateDemoDistrict();
    const writer = new RowWriter(replica.sqlite);
    const stage = (table: Parameters<typeof stageRows>[2], rows: { key: string; row: unknown }[]) => stageRows(replica.sqlite, writer, table, rows.map((r) => ({ ...r, v: 1 })));
    stage('areas', [d.district, ...d.towns, ...d.villages].map((a) => ({ key: a.code, row: a })));
    stage('grids', d.grids.map((g) => ({ key: `${g.code}:${g.validFrom}`, row: g })));
    stage('units', d.units.map((u) => ({ key: u.id, row: u })));
    stage('config', [
      { key: 'calendar', row: calendar },
      { key: 'taxonomy', row: taxonomy },
    ]);
    let chunk: { key: string; row: unknown }[] = [];
    for (const { record } of generateHistory({ count: N, now: new Date(NOW), grids: d.grids, units: d.units, categories: leafCategories(taxonomy as never), supervisors: ['demo-supervisor', 'demo-duty', 'system'] })) {
      chunk.push({ key: record.id, row: record });
      if (chunk.length === 5_000) {
        stage('events', chunk);
        chunk = [];
      }
    }
    stage('events', chunk);
    swapInSnapshot(replica.sqlite, { scope: 'district', checkpoint: { epoch: 'bench', v: 1 }, referenceVersion: 'bench:1', checksum: null, at: new Date(NOW).toISOString() });
    log(`  built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const user = { id: 'demo-supervisor', login: 'supervisor', name: '督查员', role: 'supervisor' as const, organisationId: 'district-440114', scope: { level: 'district' as const, code: '440114' } };
  const cases = queryMix(NOW, probeOf(replica.sqlite));
  log(`running ${cases.length} requests × ${ROUNDS} rounds`);
  const timings = await runQueryMix(replica, NOW, cases, ROUNDS, user, (r) => log(`  round ${r + 1}`));
  const date = new Date().toISOString();
  const machine = machineNote();
  const figures: Figure[] = [
    figure({
      name: `events/list p95 on ${N.toLocaleString('en')} events (${cases.filter((c) => c.kind === 'list').length} queue and filter windows)`,
      metric: 'latency_p95',
      value: p95Of(timings, 'list', 'serviceMs'),
      baseline: p95Of(timings, 'list', 'sqlMs'),
      unit: 'ms',
      target: '< 50 ms',
      met: p95Of(timings, 'list', 'serviceMs') < 50,
      notes: `baseline: the same SQL statements replayed with better-sqlite3 on the same replica; ${ROUNDS} rounds; ${machine}`,
      date,
    }),
    figure({
      name: `aggregates p95 on ${N.toLocaleString('en')} events (counts, KPIs, map columns, density, grid stats, playback)`,
      metric: 'latency_p95',
      value: p95Of(timings, 'aggregate', 'serviceMs'),
      baseline: p95Of(timings, 'aggregate', 'sqlMs'),
      unit: 'ms',
      notes: `baseline: the same SQL statements replayed with better-sqlite3 on the same replica; ${ROUNDS} rounds; ${machine}`,
      date,
    }),
    ...timings.map((t) =>
      figure({
        name: `${t.kind === 'list' ? 'events/list' : 'aggregate'}: ${t.name}`,
        metric: 'latency_p95',
        value: quantile(t.serviceMs, 0.95),
        baseline: quantile(t.sqlMs, 0.95),
        unit: 'ms',
        notes: `p50 ${quantile(t.serviceMs, 0.5).toFixed(1)} ms (SQL ${quantile(t.sqlMs, 0.5).toFixed(1)} ms)`,
        date,
      }),
    ),
  ];
  const out = writeResults('queries', figures);
  for (const f of figures.slice(0, 2)) log(`${f.name}: ${f.value} ${f.unit} (baseline ${f.baseline}, ratio ${f.ratio})`);
  log(`wrote ${out}`);
} finally {
  replica.close();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
