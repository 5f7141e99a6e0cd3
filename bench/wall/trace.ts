/**
 * What a page's renderer spends on the CPU, from a Chrome trace (bench:wall).
 *
 * On software GL (SwiftShader, this machine) a frame of the map costs the GPU
 * process a second or more, and the page's main thread waits for it at every
 * commit (the compositor reads the WebGL canvas back): wall-clock task times
 * (CDP Performance.getMetrics TaskDuration, a trace's `dur`) count that wait,
 * and it swings with whatever else the machine runs. A trace's `tdur` is the
 * thread's own CPU time (CLOCK_THREAD_CPUTIME_ID): a main thread blocked on the
 * GPU process, or preempted by another process, does not accumulate it. So:
 *
 * - the page's main-thread CPU = Σ tdur of the outermost slices on
 *   `CrRendererMain` (tasks — `ThreadControllerImpl::RunTask` — and the frame's
 *   own phases, which are not inside one: FireAnimationFrame, PrePaint, Paint,
 *   Layerize, Commit…);
 * - `Commit` is its own part: on software compositing the main thread copies
 *   the WebGL canvas back there (and waits for SwiftShader's frame, which costs
 *   no CPU time); a GPU wall does not do it, so the target's figure leaves it out;
 * - split by what ran: the V8 sampling profiler's samples inside each task
 *   are classified by their stack (map: deck.gl, luma.gl, maplibre and the
 *   wall's map code; panels: ECharts/zrender and the panel components; React
 *   without a component on the stack; the wall view itself; GC; native work
 *   outside JS — style, layout, paint, commit) and the task's tdur is shared
 *   out in proportion to the samples' wall time.
 *
 * The renderer is built unminified with deck.gl, maplibre, ECharts and React
 * each in its own chunk (bench/wall/run.ts), so a stack frame's script tells
 * the library and an app frame's function name tells the component.
 */

export interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  id?: string;
  args?: Record<string, unknown>;
}

export type Category = 'map' | 'panels' | 'react' | 'view' | 'gc' | 'native' | 'other' | 'commit' | 'tracing';
export const CATEGORIES: readonly Category[] = ['map', 'panels', 'react', 'view', 'gc', 'native', 'other', 'commit', 'tracing'];
/** what a GPU wall would not spend on the main thread: the commit's read-back of the WebGL canvas for software compositing */
export const SOFTWARE_ONLY: readonly Category[] = ['commit'];

export interface CallFrame {
  functionName: string;
  url: string;
}

/** Panel components of the wall (anything they call is the panels' cost). */
const PANEL_FUNCTIONS = new Set([
  'KpiPanel',
  'CategoryChart',
  'SourceChart',
  'TownChart',
  'HourlyChart',
  'Ticker',
  'LinkStatus',
  'AlertBanner',
  'PlaybackBar',
  'Panel',
  'EChart',
  'MapLegend',
  'LayerPanel',
  'MapCard',
  'WallSignIn',
  'Kpi',
]);
/** The wall's map code outside the deck.gl and maplibre chunks. */
const MAP_FUNCTIONS = new Set(['WallMap', 'DistrictMap', 'WallLayerBuilder', 'EventStore', 'LiveFeed', 'GridFillController', 'buildDistrictLayers']);
const VIEW_FUNCTIONS = new Set(['WallScreen', 'WallView', 'App']);

/**
 * Which part of the page a sampled stack (leaf first) belongs to. `chunkOf`
 * names the library of a script URL (`deck`, `maplibre`, `echarts`, `react`,
 * `bare` for the baseline page's single bundle, or null for app code).
 */
export function classify(stack: readonly CallFrame[], chunkOf: (url: string) => string | null): Category {
  if (stack.length === 0) return 'other';
  const leaf = stack[0]!.functionName;
  if (leaf === '(garbage collector)') return 'gc';
  if (leaf === '(program)' || leaf === '(idle)') return 'native';
  let react = false;
  let view = false;
  for (const f of stack) {
    const chunk = f.url ? chunkOf(f.url) : null;
    if (chunk === 'deck' || chunk === 'maplibre' || chunk === 'bare') return 'map';
    if (chunk === 'echarts') return 'panels';
    if (chunk === 'react') {
      react = true;
      continue;
    }
    if (PANEL_FUNCTIONS.has(f.functionName)) return 'panels';
    if (MAP_FUNCTIONS.has(f.functionName)) return 'map';
    if (VIEW_FUNCTIONS.has(f.functionName)) view = true;
  }
  if (view) return 'view';
  if (react) return 'react';
  return 'other';
}

export interface ThreadCpu {
  pid: number;
  tid: number;
  tasks: number;
  /** Σ wall time of the top-level tasks, ms (what Performance.getMetrics TaskDuration counts) */
  wallMs: number;
  /** Σ thread CPU time of the outermost slices, ms, less the tracing's own (`byCategory.tracing`) */
  cpuMs: number;
  /** cpuMs shared out by the sampled stacks */
  byCategory: Record<Category, number>;
  /** the most expensive functions by CPU (self time, sampled), for profiling */
  topSelf: { name: string; ms: number }[];
  /** the native part by the trace slice it was spent in (Receive mojo message, Layout, Paint…), ms, largest first */
  nativeBySlice: { name: string; ms: number }[];
  /** WebSocket messages the page's script handled (`onmessage` calls) in the window */
  messages: number;
  samples: number;
}

interface Slice {
  name: string;
  ts: number;
  end: number;
  dur: number;
  tdur: number;
  /** thread CPU not in a child slice */
  self: number;
  children: Slice[];
  /** sampled wall time in this slice's own time, by category */
  weights: Map<Category, number>;
  /** a category the slice's name decides (Commit, GC) for itself and what it holds */
  fixed: Category | null;
}

const GC_SLICE = /^(MajorGC|MinorGC|V8\.GC_|BlinkGC)/;
/** the profiler's own start (V8 logs every code object through an API interrupt): the measurement's cost, not the page's */
const TRACING_SLICE = new Set(['V8.InvokeApiInterruptCallbacks']);

/** The renderer main threads of a trace: pid → tid of CrRendererMain. */
export function rendererMainThreads(events: readonly TraceEvent[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name' && (e.args as { name?: string } | undefined)?.name === 'CrRendererMain') out.set(e.pid, e.tid);
  }
  return out;
}

/** Script URLs a process ran (from its profile nodes and FunctionCall events): to tell the pages apart. */
export function scriptUrls(events: readonly TraceEvent[], pid: number): Set<string> {
  const urls = new Set<string>();
  for (const e of events) {
    if (e.pid !== pid) continue;
    if (e.name === 'FunctionCall') {
      const u = (e.args as { data?: { url?: string } } | undefined)?.data?.url;
      if (u) urls.add(u);
    } else if (e.name === 'ProfileChunk') {
      const nodes = (e.args as { data?: { cpuProfile?: { nodes?: { callFrame: CallFrame }[] } } }).data?.cpuProfile?.nodes ?? [];
      for (const n of nodes) if (n.callFrame.url) urls.add(n.callFrame.url);
    }
  }
  return urls;
}

/**
 * The main thread's CPU of one renderer process between `from` and `to`
 * (trace µs; tasks that start in the window count whole).
 */
export function threadCpu(events: readonly TraceEvent[], pid: number, tid: number, chunkOf: (url: string) => string | null, from = -Infinity, to = Infinity): ThreadCpu {
  // the slices of the thread as a tree (longest first at equal start, so a parent precedes its children)
  const raw = events
    .filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.dur !== undefined && e.ts >= from && e.ts < to)
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  let messages = 0;
  for (const e of raw) if (e.name === 'FunctionCall' && /onmessage$/.test((e.args as { data?: { functionName?: string } } | undefined)?.data?.functionName ?? '')) messages++;
  const tasks: Slice[] = [];
  const open: Slice[] = [];
  for (const e of raw) {
    const dur = e.dur ?? 0;
    while (open.length && open[open.length - 1]!.end <= e.ts) open.pop();
    const parent = open[open.length - 1] ?? null;
    if (parent && e.ts + dur > parent.end) continue; // overlaps its parent's end: a clock artefact, skip
    const fixed = parent?.fixed ?? (e.name === 'Commit' ? 'commit' : GC_SLICE.test(e.name) ? 'gc' : TRACING_SLICE.has(e.name) ? 'tracing' : null);
    const slice: Slice = { name: e.name, ts: e.ts, end: e.ts + dur, dur, tdur: e.tdur ?? dur, self: 0, children: [], weights: new Map(), fixed };
    if (parent) parent.children.push(slice);
    else tasks.push(slice);
    open.push(slice);
  }
  const settle = (sl: Slice) => {
    let inChildren = 0;
    for (const c of sl.children) {
      settle(c);
      inChildren += c.tdur;
    }
    sl.self = Math.max(0, sl.tdur - inChildren);
  };
  for (const t of tasks) settle(t);

  // the sampling profiler's samples of this thread
  const profiles = new Map<string, { start: number; nodes: Map<number, { frame: CallFrame; parent?: number }>; last: number }>();
  const selfUs = new Map<string, number>();
  let samples = 0;
  const stackOf = (p: { nodes: Map<number, { frame: CallFrame; parent?: number }> }, id: number): CallFrame[] => {
    const stack: CallFrame[] = [];
    let n = p.nodes.get(id);
    let guard = 0;
    while (n && guard++ < 500) {
      if (n.frame.functionName !== '(root)') stack.push(n.frame);
      n = n.parent !== undefined ? p.nodes.get(n.parent) : undefined;
    }
    return stack;
  };
  const classified = new Map<string, Category>();
  for (const e of events) {
    if (e.pid !== pid || e.ph !== 'P') continue;
    const data = (e.args as { data?: Record<string, unknown> } | undefined)?.data;
    if (!data || !e.id) continue;
    if (e.name === 'Profile') {
      if (e.tid !== tid) continue;
      profiles.set(e.id, { start: Number(data.startTime ?? e.ts), nodes: new Map(), last: Number(data.startTime ?? e.ts) });
      continue;
    }
    if (e.name !== 'ProfileChunk') continue;
    const p = profiles.get(e.id);
    if (!p) continue;
    const cpu = data.cpuProfile as { nodes?: { id: number; callFrame: CallFrame; parent?: number }[]; samples?: number[] } | undefined;
    for (const n of cpu?.nodes ?? []) p.nodes.set(n.id, { frame: n.callFrame, ...(n.parent !== undefined ? { parent: n.parent } : {}) });
    const ids = cpu?.samples ?? [];
    const deltas = (data.timeDeltas as number[] | undefined) ?? [];
    for (let i = 0; i < ids.length; i++) {
      const t = p.last + (deltas[i] ?? 0);
      p.last = t;
      const id = ids[i]!;
      // the wall time this sample stands for: up to the next one (or a millisecond at most)
      const next = i + 1 < deltas.length ? deltas[i + 1]! : 1000;
      const weight = Math.min(Math.max(next, 0), 5000);
      if (t < from || t >= to) continue;
      let task = enclosing(tasks, t);
      if (!task) continue;
      for (let inner = enclosing(task.children, t); inner; inner = enclosing(inner.children, t)) task = inner;
      const key = `${e.id}:${id}`;
      let cat = classified.get(key);
      const stack = stackOf(p, id);
      if (!cat) classified.set(key, (cat = classify(stack, chunkOf)));
      if (stack[0]?.functionName === '(idle)') continue;
      task.weights.set(cat, (task.weights.get(cat) ?? 0) + weight);
      samples++;
      const leaf = stack[0];
      if (leaf) {
        const name = `${leaf.functionName || '(anonymous)'} ${leaf.url ? (chunkOf(leaf.url) ?? 'app') : ''}`.trim();
        // CPU share of this sample: the task's CPU over its wall time
        selfUs.set(name, (selfUs.get(name) ?? 0) + (weight * task.self) / Math.max(1, selfWall(task)));
      }
    }
  }

  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  let wall = 0;
  let cpu = 0;
  // each slice's own CPU goes to the categories of the samples in its own time; slices without a
  // sample (short tasks, mostly one message each) share out as the sampled ones do
  const share = (sl: Slice) => {
    for (const c of sl.children) share(c);
    if (sl.fixed) {
      byCategory[sl.fixed] += sl.self / 1000;
      return;
    }
    let total = 0;
    for (const w of sl.weights.values()) total += w;
    if (total === 0) {
      unsampled += sl.self / 1000;
      unsampledBySlice.set(sl.name, (unsampledBySlice.get(sl.name) ?? 0) + sl.self / 1000);
      return;
    }
    for (const [c, w] of sl.weights) {
      byCategory[c] += (sl.self * (w / total)) / 1000;
      sampled.set(c, (sampled.get(c) ?? 0) + (sl.self * (w / total)) / 1000);
      if (c === 'native') nativeBy.set(sl.name, (nativeBy.get(sl.name) ?? 0) + (sl.self * (w / total)) / 1000);
    }
  };
  let unsampled = 0;
  const unsampledBySlice = new Map<string, number>();
  const nativeBy = new Map<string, number>();
  const sampled = new Map<Category, number>();
  for (const t of tasks) {
    wall += t.dur;
    cpu += t.tdur;
    share(t);
  }
  // slices too short for a sample (most are the handling of one message) share out like the sampled ones
  let sampledTotal = 0;
  for (const v of sampled.values()) sampledTotal += v;
  if (sampledTotal > 0) for (const [c, v] of sampled) byCategory[c] += unsampled * (v / sampledTotal);
  else byCategory.native += unsampled;
  const nativeShare = sampledTotal > 0 ? (sampled.get('native') ?? 0) / sampledTotal : 1;
  for (const [name, ms] of unsampledBySlice) nativeBy.set(name, (nativeBy.get(name) ?? 0) + ms * nativeShare);
  // the tracing's own cost is not the page's
  cpu -= byCategory.tracing * 1000;
  const topSelf = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([name, us]) => ({ name, ms: us / 1000 }));
  const nativeBySlice = [...nativeBy.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms }));
  return { pid, tid, tasks: tasks.length, wallMs: wall / 1000, cpuMs: cpu / 1000, byCategory, topSelf, nativeBySlice, messages, samples };
}

/** The task (sorted, not overlapping) that holds time t, or null. */
function enclosing(tasks: readonly Slice[], t: number): Slice | null {
  let lo = 0;
  let hi = tasks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = tasks[mid]!;
    if (t < k.ts) hi = mid - 1;
    else if (t > k.end) lo = mid + 1;
    else return k;
  }
  return null;
}

/** Wall time of a slice not in a child slice. */
function selfWall(sl: Slice): number {
  let inChildren = 0;
  for (const c of sl.children) inChildren += c.dur;
  return Math.max(1, sl.dur - inChildren);
}
