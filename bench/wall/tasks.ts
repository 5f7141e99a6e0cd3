/**
 * What the wall's and the bare page's main threads spent their CPU on, by kind of task, from the round
 * traces bench:wall kept (`--trace-dir DIR`, or `--keep DIR`'s trace-round-N.json):
 *
 *   npx tsx bench/wall/tasks.ts DIR|FILE… [--top 20] [--merge]
 *
 * Per kind (bench/wall/trace.ts `taskKind`: a frame, a timer and its function, a socket message, a mojo
 * message by interface, a data pipe's watcher…, and where the task was posted from), each page's ms per
 * second of its traced window and the wall's native and `other` parts; largest difference first.
 * `--merge`: kinds by what ran only. Then each page's socket messages by the thread's state when they came
 * (ThreadCpu.messageTasks: queued behind other work, or waking a free thread).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchChunkOf, benchPages, kindTable, threadCpu, type ThreadCpu, type TraceEvent } from './trace';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' }, merge: { type: 'boolean', default: false } } });
const files = positionals.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => /^trace-round-\d+\.json$/.test(f))
        .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
        .map((f) => path.join(p, f))
    : [p],
);
const rounds: { wall: ThreadCpu; bare: ThreadCpu; wallSeconds: number; bareSeconds: number }[] = [];
for (const file of files) {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const pages = benchPages(events);
  if (!pages?.wall.window || !pages.bare.window) {
    console.error(`${file}: the pages or their marks are not in the trace; left out`);
    continue;
  }
  const cpu = (p: typeof pages.wall) => threadCpu(events, p.pid, p.tid, benchChunkOf, ...p.window!);
  rounds.push({ wall: cpu(pages.wall), bare: cpu(pages.bare), wallSeconds: (pages.wall.window[1] - pages.wall.window[0]) / 1e6, bareSeconds: (pages.bare.window[1] - pages.bare.window[0]) / 1e6 });
}
const sum = (f: (r: (typeof rounds)[number]) => number) => rounds.reduce((s, r) => s + f(r), 0);
const less = (c: ThreadCpu) => c.cpuMs - c.byCategory.commit;
console.log(`${rounds.length} rounds; CPU less commit: wall ${(sum((r) => less(r.wall)) / sum((r) => r.wallSeconds)).toFixed(2)} ms/s, bare ${(sum((r) => less(r.bare)) / sum((r) => r.bareSeconds)).toFixed(2)} ms/s`);
console.log('wall − bare, by kind of task (largest difference first):');
for (const line of kindTable(rounds, Number(values.top), values.merge)) console.log(`  ${line}`);
for (const which of ['wall', 'bare'] as const) {
  const q = { tasks: sum((r) => r[which].messageTasks.queued.tasks), ms: sum((r) => r[which].messageTasks.queued.ms) };
  const w = { tasks: sum((r) => r[which].messageTasks.woke.tasks), ms: sum((r) => r[which].messageTasks.woke.ms) };
  console.log(
    `${which} socket messages: ${q.tasks} queued behind other work (${(q.ms / Math.max(1, q.tasks)).toFixed(3)} ms each, ${q.ms.toFixed(0)} ms), ${w.tasks} on a free thread (${(w.ms / Math.max(1, w.tasks)).toFixed(3)} ms each with the header task, ${w.ms.toFixed(0)} ms)`,
  );
}
