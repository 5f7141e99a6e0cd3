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
 * `feed` for the app's modules the bare page runs too — transport, RPC client,
 * store, feed, layer builders —, `bare` for the baseline page's single bundle,
 * or null for other app code).
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
    if (chunk === 'deck' || chunk === 'maplibre' || chunk === 'bare' || chunk === 'feed') return 'map';
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
  /**
   * the CPU by kind of top-level task (`taskKind`: a frame, a timer and its function, a socket message,
   * a mojo message by interface, GC…), each split into the categories above (slices without a sample
   * shared out as everywhere else), ms; with the number of tasks
   */
  byKind: Map<string, { tasks: number; byCategory: Record<Category, number> }>;
  /** WebSocket messages the page's script handled (`onmessage` calls) in the window */
  messages: number;
  /**
   * the tasks that handled them (`onmessage`), by the thread's state when the message came: `queued` —
   * the task began within 50 µs of the one before, which was not this message's own header (the message
   * waited in the queue, e.g. behind a commit); `woke` — the thread was free (or ran only the message's
   * mojo header task, its data coming later through the data pipe): tasks and their CPU (ms), a woken
   * message's header task counted with it
   */
  messageTasks: { queued: { tasks: number; ms: number }; woke: { tasks: number; ms: number } };
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
  event: TraceEvent;
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
    const slice: Slice = { name: e.name, ts: e.ts, end: e.ts + dur, dur, tdur: e.tdur ?? dur, self: 0, children: [], weights: new Map(), fixed, event: e };
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
  const share = (sl: Slice, kind: KindTally) => {
    for (const c of sl.children) share(c, kind);
    if (sl.fixed) {
      byCategory[sl.fixed] += sl.self / 1000;
      kind.byCategory[sl.fixed] += sl.self / 1000;
      return;
    }
    let total = 0;
    for (const w of sl.weights.values()) total += w;
    if (total === 0) {
      unsampled += sl.self / 1000;
      kind.unsampled += sl.self / 1000;
      unsampledBySlice.set(sl.name, (unsampledBySlice.get(sl.name) ?? 0) + sl.self / 1000);
      return;
    }
    for (const [c, w] of sl.weights) {
      byCategory[c] += (sl.self * (w / total)) / 1000;
      kind.byCategory[c] += (sl.self * (w / total)) / 1000;
      sampled.set(c, (sampled.get(c) ?? 0) + (sl.self * (w / total)) / 1000);
      if (c === 'native') nativeBy.set(sl.name, (nativeBy.get(sl.name) ?? 0) + (sl.self * (w / total)) / 1000);
    }
  };
  let unsampled = 0;
  const unsampledBySlice = new Map<string, number>();
  const nativeBy = new Map<string, number>();
  const sampled = new Map<Category, number>();
  type KindTally = { tasks: number; byCategory: Record<Category, number>; unsampled: number };
  const kinds = new Map<string, KindTally>();
  for (const t of tasks) {
    wall += t.dur;
    cpu += t.tdur;
    const name = taskKind(t);
    let kind = kinds.get(name);
    if (!kind) kinds.set(name, (kind = { tasks: 0, byCategory: Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>, unsampled: 0 }));
    kind.tasks++;
    share(t, kind);
  }
  // slices too short for a sample (most are the handling of one message) share out like the sampled ones
  let sampledTotal = 0;
  for (const v of sampled.values()) sampledTotal += v;
  if (sampledTotal > 0) for (const [c, v] of sampled) byCategory[c] += unsampled * (v / sampledTotal);
  else byCategory.native += unsampled;
  const byKind = new Map<string, { tasks: number; byCategory: Record<Category, number> }>();
  for (const [name, k] of kinds) {
    if (sampledTotal > 0) for (const [c, v] of sampled) k.byCategory[c] += k.unsampled * (v / sampledTotal);
    else k.byCategory.native += k.unsampled;
    byKind.set(name, { tasks: k.tasks, byCategory: k.byCategory });
  }
  const nativeShare = sampledTotal > 0 ? (sampled.get('native') ?? 0) / sampledTotal : 1;
  for (const [name, ms] of unsampledBySlice) nativeBy.set(name, (nativeBy.get(name) ?? 0) + ms * nativeShare);
  // the tracing's own cost is not the page's
  cpu -= byCategory.tracing * 1000;
  const topSelf = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([name, us]) => ({ name, ms: us / 1000 }));
  const nativeBySlice = [...nativeBy.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms }));
  const messageTasks = messageTaskStates(tasks);
  return { pid, tid, tasks: tasks.length, wallMs: wall / 1000, cpuMs: cpu / 1000, byCategory, topSelf, nativeBySlice, byKind, messages, messageTasks, samples };
}

/** Within this gap (µs) after the task before, a task was waiting in the queue: the thread did not go idle for it. */
const QUEUED_GAP_US = 50;

/** The socket-message tasks among top-level tasks (in order), by the thread's state when each came (ThreadCpu.messageTasks). */
function messageTaskStates(tasks: readonly Slice[]): ThreadCpu['messageTasks'] {
  const has = (sl: Slice, test: (e: TraceEvent) => boolean): boolean => test(sl.event) || sl.children.some((c) => has(c, test));
  const isMessage = (e: TraceEvent) => e.name === 'FunctionCall' && /onmessage$/.test((e.args as { data?: { functionName?: string } } | undefined)?.data?.functionName ?? '');
  const isSocketHeader = (e: TraceEvent) =>
    e.name === 'Receive mojo message' && /WebSocketClient/.test((e.args as { chrome_mojo_event_info?: { mojo_interface_tag?: string } } | undefined)?.chrome_mojo_event_info?.mojo_interface_tag ?? '');
  const out = { queued: { tasks: 0, ms: 0 }, woke: { tasks: 0, ms: 0 } };
  let prev: { end: number; header: boolean; tdur: number } | null = null;
  for (const t of tasks) {
    const message = has(t, isMessage);
    const header = !message && has(t, isSocketHeader);
    if (message) {
      const queued = prev !== null && !prev.header && t.ts - prev.end < QUEUED_GAP_US;
      const cell = queued ? out.queued : out.woke;
      cell.tasks++;
      cell.ms += (t.tdur + (prev?.header ? prev.tdur : 0)) / 1000;
    }
    prev = { end: t.end, header, tdur: t.tdur };
  }
  return out;
}

/** What a slice's trace event says about the work it holds, for `taskKind`; null: look inside. */
function workOf(e: TraceEvent): { rank: number; name: string } | null {
  const args = e.args as { data?: { functionName?: string; url?: string; lineNumber?: number }; chrome_mojo_event_info?: { mojo_interface_tag?: string; watcher_notify_interface_tag?: string } } | undefined;
  const fn = () => {
    const d = args?.data;
    const file = (d?.url ?? '').replace(/^.*\//, '').replace(/-[\w-]{8}\.js$/, '.js');
    return `${d?.functionName || '(anonymous)'}${file ? ` ${file}:${d?.lineNumber ?? '?'}` : ''}`;
  };
  if (e.name === 'FireAnimationFrame' || e.name === 'AnimationFrame' || e.name === 'BeginMainThreadFrame') return { rank: 0, name: 'frame' };
  if (e.name === 'TimerFire') return { rank: 1, name: 'timer' };
  if (e.name === 'FunctionCall' && /onmessage$/.test(args?.data?.functionName ?? '')) return { rank: 2, name: 'socket message' };
  if (e.name === 'FunctionCall') return { rank: 3, name: `script ${fn()}` };
  if (GC_SLICE.test(e.name)) return { rank: 4, name: 'gc' };
  if (e.name === 'Receive mojo message' || e.name === 'Receive mojo reply') return { rank: 5, name: `mojo ${args?.chrome_mojo_event_info?.mojo_interface_tag ?? '?'}` };
  if (e.name === 'SimpleWatcher::OnHandleReady') return { rank: 6, name: `pipe ${args?.chrome_mojo_event_info?.watcher_notify_interface_tag?.replace(/^.*\//, '') ?? '?'}` };
  return null;
}

/**
 * The kind of a top-level task, to tell what the main thread's time went to: what ran in it (a frame; a
 * timer and the function it called; a socket message, i.e. an `onmessage` call; other script by its
 * function; GC; a mojo message by interface; a data pipe's watcher by what it watches), the first found
 * in that order, and where the task was posted from (the scheduler's `src_file:src_func`), as
 * `what ← file:function`.
 */
export function taskKind(task: { event: TraceEvent; children: readonly { event: TraceEvent; children: readonly unknown[] }[] }): string {
  type Node = { event: TraceEvent; children: readonly Node[] };
  let best: { rank: number; name: string } | null = null;
  let timerFn: string | null = null;
  let posted: string | null = null;
  const visit = (n: Node, inTimer: boolean) => {
    const e = n.event;
    if (!posted && e.name === 'ThreadControllerImpl::RunTask') {
      const a = e.args as { src_file?: string; src_func?: string } | undefined;
      if (a?.src_file) posted = `${a.src_file.replace(/^.*\//, '')}:${a.src_func ?? '?'}`;
    }
    const work = workOf(e);
    if (work && (!best || work.rank < best.rank)) best = work;
    if (inTimer && !timerFn && e.name === 'FunctionCall') timerFn = workOf(e)!.name.replace(/^script /, '');
    for (const c of n.children) visit(c, inTimer || e.name === 'TimerFire');
  };
  visit(task as Node, false);
  const found = best as { rank: number; name: string } | null;
  const what = !found ? task.event.name : found.name === 'timer' ? `timer ${timerFn ?? '(no script)'}` : found.name;
  return posted ? `${what} ← ${posted}` : what;
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

/** A page of bench:wall in a round's trace: its renderer's main thread and the window between its marks. */
export interface BenchPage {
  pid: number;
  tid: number;
  /** trace µs from the page's `huying-bench-start` mark to its `huying-bench-end`; null when a mark is missing */
  window: readonly [number, number] | null;
}

/** The wall's and the bare page's renderers in a round's trace (told apart by the scripts they ran), null when not found. */
export function benchPages(events: readonly TraceEvent[]): { wall: BenchPage; bare: BenchPage } | null {
  const mains = rendererMainThreads(events);
  let wall: number | null = null;
  let bare: number | null = null;
  for (const pid of mains.keys()) {
    const urls = [...scriptUrls(events, pid)];
    if (urls.some((u) => u.includes('/bench-bare/'))) bare = pid;
    else if (urls.some((u) => /\/assets\/index-/.test(u))) wall = pid;
  }
  if (wall === null || bare === null) return null;
  const page = (pid: number): BenchPage => {
    const at = (m: string) => events.find((e) => e.pid === pid && e.name === 'TimeStamp' && (e.args as { data?: { message?: string } } | undefined)?.data?.message === m)?.ts;
    const from = at('huying-bench-start');
    const to = at('huying-bench-end');
    return { pid, tid: mains.get(pid)!, window: from === undefined || to === undefined ? null : [from, to] };
  };
  return { wall: page(wall), bare: page(bare) };
}

/** The library a script of bench:wall's renderer build belongs to (its chunk's name; `bare` for the bare page), null for app code. */
export function benchChunkOf(url: string): string | null {
  if (url.includes('/bench-bare/')) return 'bare';
  const m = /\/assets\/(echarts|react|deck|maplibre|feed)[-.]/.exec(url);
  return m ? m[1]! : null;
}

/**
 * The two pages' CPU by kind of task over some rounds, largest difference first: per kind, each page's
 * tasks and ms a second of traced window, and the wall's native and `other` parts (what the category
 * split leaves unexplained). Kinds merged by what ran, without where they were posted from, when `merge`.
 */
export function kindTable(rounds: readonly { wall: ThreadCpu; bare: ThreadCpu; wallSeconds: number; bareSeconds: number }[], top = 16, merge = false): string[] {
  const rows = new Map<string, { wall: { tasks: number; ms: number; native: number; other: number }; bare: { tasks: number; ms: number; native: number; other: number } }>();
  let wallSeconds = 0;
  let bareSeconds = 0;
  for (const r of rounds) {
    wallSeconds += r.wallSeconds;
    bareSeconds += r.bareSeconds;
    for (const which of ['wall', 'bare'] as const) {
      for (const [kind, k] of r[which].byKind) {
        const name = merge ? kind.replace(/ ← .*$/, '') : kind;
        let row = rows.get(name);
        if (!row) rows.set(name, (row = { wall: { tasks: 0, ms: 0, native: 0, other: 0 }, bare: { tasks: 0, ms: 0, native: 0, other: 0 } }));
        const cell = row[which];
        cell.tasks += k.tasks;
        for (const c of CATEGORIES) if (!SOFTWARE_ONLY.includes(c) && c !== 'tracing') cell.ms += k.byCategory[c];
        cell.native += k.byCategory.native;
        cell.other += k.byCategory.other;
      }
    }
  }
  const f = (x: number, d = 2) => x.toFixed(d);
  return [...rows.entries()]
    .map(([name, r]) => ({ name, r, diff: r.wall.ms / Math.max(1e-9, wallSeconds) - r.bare.ms / Math.max(1e-9, bareSeconds) }))
    .sort((a, b) => Math.abs(b.diff) - Math.abs(a.diff))
    .slice(0, top)
    .map(({ name, r, diff }) =>
      `${f(diff, 3).padStart(7)} ms/s  wall ${f(r.wall.ms / wallSeconds, 3)} ms/s (${r.wall.tasks} tasks, native ${f(r.wall.native, 0)} ms, other ${f(r.wall.other, 0)} ms)  bare ${f(r.bare.ms / bareSeconds, 3)} ms/s (${r.bare.tasks}, native ${f(r.bare.native, 0)}, other ${f(r.bare.other, 0)})  ${name}`,
    );
}
