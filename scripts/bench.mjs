// `npm run bench`: runs every benchmark (bench/<name>/run.ts, each writing bench/results/<name>.json)
// and lists the results.
//
//   npm run bench                  every bench/*/run.ts, in name order
//   npm run bench -- sync queries  only those
//   npm run bench -- --list        only list bench/results/*.json
//
// A results file is an array of figures { name, metric, value, baseline, ratio, unit, date, target?, met?, notes? }
// (bench/support/results.ts); files of the earlier shape { figures: [...] } are listed too.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_REQUIREMENTS, REQUIREMENTS, ensureSystemDeps } from './system-deps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(root, 'bench');
const resultsDir = path.join(benchDir, 'results');

const args = process.argv.slice(2);
const listOnly = args.includes('--list');
const wanted = args.filter((a) => !a.startsWith('--'));
const benches = readdirSync(benchDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(benchDir, d.name, 'run.ts')))
  .map((d) => d.name)
  .sort();

const failed = [];
if (!listOnly && !ensureSystemDeps({ requirements: [...REQUIREMENTS, ...BENCH_REQUIREMENTS] })) process.exit(1);
if (!listOnly) {
  for (const name of benches) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    console.log(`\n━━ bench ${name} ━━`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, name, 'run.ts')], { cwd: root, stdio: 'inherit' });
    const seconds = ((Date.now() - t0) / 1000).toFixed(0);
    if (r.status !== 0) {
      failed.push(name);
      console.error(`✗ bench ${name} failed (exit ${r.status ?? r.signal}) after ${seconds} s`);
    } else console.log(`✓ bench ${name} in ${seconds} s`);
  }
}

const fmt = (n) => (n === null || n === undefined ? '—' : typeof n === 'number' ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2)) : String(n));
if (existsSync(resultsDir)) {
  for (const file of readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort()) {
    let figures;
    try {
      const data = JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8'));
      figures = Array.isArray(data) ? data : data.figures;
    } catch (err) {
      console.log(`\n${file}: unreadable (${err.message})`);
      continue;
    }
    console.log(`\n${file} (${figures[0]?.date ?? 'no figures'})`);
    for (const f of figures) {
      const verdict = f.target ? ` — target ${f.target}${f.met === undefined ? '' : f.met ? ': met' : ': NOT met'}` : '';
      console.log(`  ${f.name}\n      ${fmt(f.value)} ${f.unit}  (baseline ${fmt(f.baseline)}, ratio ${fmt(f.ratio)})${verdict}`);
    }
  }
}
if (failed.length > 0) process.exit(1);
