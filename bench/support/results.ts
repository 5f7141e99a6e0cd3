/**
 * The shared results format of the benchmarks (bench/datacenter, bench/sync,
 * bench/queries, …): bench/results/NAME.json holds an array of figures
 * `{ name, metric, value, baseline, ratio, unit, date }`,
 * every figure with a baseline measured in the same run on the same machine
 * (so a slow or busy machine moves both, and the ratio still means
 * something), plus the target when the issue sets one. `scripts/bench.mjs`
 * lists them.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Figure {
  name: string;
  /** what is measured, e.g. rows_per_second, latency_p95, peak_rss */
  metric: string;
  value: number;
  /** the same measure of the baseline named in `name` or `notes` (null: a figure without one, e.g. a setup cost) */
  baseline: number | null;
  /** value ÷ baseline, null without a baseline */
  ratio: number | null;
  unit: string;
  /** ISO time of the run */
  date: string;
  /** the target for this figure, when it sets one, e.g. "< 50 ms" */
  target?: string;
  /** whether the value meets the target */
  met?: boolean;
  /** what the baseline is, and anything needed to read the figure */
  notes?: string;
}

export const RESULTS_DIR = path.resolve(import.meta.dirname, '../results');

export function figure(f: Omit<Figure, 'ratio' | 'date' | 'baseline'> & { baseline: number | null; date?: string }): Figure {
  const baseline = f.baseline === null ? null : round(f.baseline);
  const ratio = f.baseline === null || f.baseline === 0 ? null : round(f.value / f.baseline, 3);
  return { ...f, value: round(f.value), baseline, ratio, date: f.date ?? new Date().toISOString() };
}

function round(n: number, digits = 2): number {
  const p = 10 ** digits;
  return Math.round(n * p) / p;
}

/** Writes bench/results/NAME.json (atomically: a .tmp file renamed into place). */
export function writeResults(name: string, figures: readonly Figure[]): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(figures, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

/** The figures of a results file (an array; files of an earlier format `{ figures: [...] }` are read too). */
export function readResults(name: string): Figure[] {
  const data = JSON.parse(readFileSync(path.join(RESULTS_DIR, `${name}.json`), 'utf8')) as Figure[] | { figures: Figure[] };
  return Array.isArray(data) ? data : data.figures;
}

/** The q-quantile (0–1) of samples, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A line saying how busy the machine was (benchmarks share it with whatever else runs). */
export function machineNote(): string {
  const [l1, l5] = os.loadavg();
  return `${os.cpus().length} cores, load average ${l1!.toFixed(1)} / ${l5!.toFixed(1)} (1 / 5 min), node ${process.version}`;
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${message}\n`);
}
