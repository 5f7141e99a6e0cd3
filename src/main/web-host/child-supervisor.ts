/**
 * One Node child process of the web host, supervised: the embedded data center and the image keeper
 * (embedded-datacenter.ts) are both this, with their own ready line and policy on top.
 *
 * - **Spawn**: `node ARGS` (this Node), its own process group (Ctrl-C in the terminal reaches the host,
 *   which stops the child in order instead of both racing to exit), stdin closed, no colours.
 * - **Output**: stdout and stderr read as lines; the last 40 are kept and quoted (the last 15) in every
 *   error about the child, so a crash trace says why it died.
 * - **Ready**: the first stdout line `readyFrom` makes something of resolves `ready`. `ready` rejects if the
 *   child exits first (with its exit and output), cannot be spawned, or says nothing for `readyTimeoutMs`
 *   of the deadline's time; the caller may `pause`/`resume` that deadline (the data center's migrations).
 *   A deadline that passes does not kill the child: whether to stop it is the caller's choice.
 * - **Gone**: `exited` resolves once the process has exited AND its output has been read — Node's
 *   'exit' can come before the last lines (a crash trace, the keeper's "keeper stopped") are read, its
 *   'close' only after both pipes end. A grandchild that inherited the pipes would hold 'close' back for
 *   as long as it lives, so 'close' is waited for at most DRAIN_MS after 'exit', then the pipes are cut.
 * - **Stop**: SIGTERM to the child's process group (the child and whatever it started, as Ctrl-C in a
 *   terminal would), then SIGKILL to the group after `stopTimeoutMs`; resolves when it is gone. Idempotent. If this process exits first (an uncaught error, process.exit), the group
 *   is SIGKILLed from its 'exit' handler, which is removed again once the child is gone — its output read or cut,
 *   not at its own exit: a grandchild still holding the pipes during the drain is in the group and goes too.
 * - **Died on its own** after `ready` settled (or while starting up past a missed deadline): logged
 *   (error, with the tail) and `onUnexpectedExit` called, once. An exit that rejects `ready` is said
 *   there instead, not twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pausableTimeout, systemClock, type Clock } from '../service/clock';
import type { Logger } from '../service/index';

export type OutputStream = 'stdout' | 'stderr';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildSupervisorOptions<R> {
  /** how logs and errors name it, e.g. "the embedded data center" */
  name: string;
  /** Node's arguments (the script and its switches); run with this process's Node */
  args: readonly string[];
  /** added to this process's environment */
  env?: NodeJS.ProcessEnv;
  /** the ready value in a stdout line, undefined for any other line; asked until it answers */
  readyFrom(line: string): R | undefined;
  readyTimeoutMs: number;
  /** grace between SIGTERM and SIGKILL */
  stopTimeoutMs: number;
  log: Logger;
  /** every line it prints, in order, before `readyFrom` sees it */
  onLine?(line: string, stream: OutputStream): void;
  /** more words for an error about a child that did not get ready, e.g. " while migrating its store (…)" */
  context?(): string;
  /** it exited without being asked to (after `ready` settled); the description is also logged */
  onUnexpectedExit?(description: string, exit: ChildExit): void;
  /** the ready deadline's and the stop grace's time (tests: a manual clock); default the system's */
  clock?: Clock;
}

export interface SupervisedChild<R> {
  /** undefined if it could not be spawned */
  readonly pid: number | undefined;
  readonly ready: Promise<R>;
  /** exited and its output read */
  readonly exited: Promise<ChildExit>;
  /** the ready deadline: stopped and resumed by the caller, e.g. while the child migrates its store */
  readonly readyDeadline: { pause(): void; resume(): void };
  /** its last lines, oldest first */
  tail(): string[];
  /** SIGTERM, SIGKILL after stopTimeoutMs; resolves once it is gone */
  stop(): Promise<ChildExit>;
}

export const TAIL_LINES = 40;
/** how long after 'exit' the pipes may stay open (a grandchild holding them) before they are cut */
export const DRAIN_MS = 2_000;
/** a longer line (a huge JSON log line) is kept cut to this in the tail */
const TAIL_LINE_CHARS = 2_000;

export function superviseChild<R>(opts: ChildSupervisorOptions<R>): SupervisedChild<R> {
  const clock = opts.clock ?? systemClock;
  const child = spawn(process.execPath, opts.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', ...opts.env },
    detached: process.platform !== 'win32',
  });
  const ownGroup = process.platform !== 'win32';
  const tail: string[] = [];
  let exit: ChildExit | null = null;
  let stopping: Promise<ChildExit> | null = null;

  // if this process ends without stop(), do not leave the child (or its children) behind
  const killOnExit = () => kill(child, 'SIGKILL', ownGroup);
  process.once('exit', killOnExit);

  let gone!: (e: ChildExit) => void;
  const exited = new Promise<ChildExit>((resolve) => (gone = resolve));
  let drain: NodeJS.Timeout | null = null;
  const finish = (e: ChildExit) => {
    if (exit) return;
    exit = e;
    if (drain) clearTimeout(drain);
    process.off('exit', killOnExit);
    gone(e);
  };
  let exitSeen: ChildExit | null = null;
  child.once('exit', (code, signal) => {
    exitSeen = { code, signal };
    // killOnExit stays until finish(): what holds the pipes now is a grandchild in the group
    drain = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, DRAIN_MS);
    drain.unref();
  });
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => finish(exitSeen ?? { code, signal }));

  // ready: the line, an early exit, a spawn failure or the deadline, whichever comes first
  let settled = false;
  let resolveReady!: (value: R) => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<R>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {}); // the caller's chain sees the rejection; none is unhandled if it has no chain
  const failure = (what: string) => new Error(`${opts.name} ${what}${opts.context?.() ?? ''}${tailText(tail)}`);
  const deadline = pausableTimeout(opts.readyTimeoutMs, () => fail(`did not report ready within ${opts.readyTimeoutMs} ms`), clock);
  /** settles `ready` unless it is settled; says whether it did */
  function settle(fn: () => void): boolean {
    if (settled) return false;
    settled = true;
    deadline.clear();
    fn();
    return true;
  }
  function fail(what: string): boolean {
    return settle(() => rejectReady(failure(what)));
  }

  child.on('error', (err) => {
    // a spawn failure ('exit' does not follow); any later one is a failed kill(), and it is gone or going
    if (child.pid !== undefined) return;
    fail(`could not be started (${err.message})`);
    finish({ code: null, signal: null });
  });

  void exited.then((e) => {
    if (fail(`exited before it was ready (${describeExit(e)})`) || stopping) return;
    const description = `${opts.name} exited unexpectedly (${describeExit(e)})`;
    opts.log.error({ pid: child.pid, ...e, tail: tail.slice(-10) }, description);
    opts.onUnexpectedExit?.(description, e);
  });

  const watch = (stream: NodeJS.ReadableStream, name: OutputStream) => {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      tail.push(line.length > TAIL_LINE_CHARS ? `${line.slice(0, TAIL_LINE_CHARS)}…` : line);
      if (tail.length > TAIL_LINES) tail.shift();
      opts.onLine?.(line, name);
      if (name !== 'stdout' || settled) return;
      const value = opts.readyFrom(line);
      if (value !== undefined) settle(() => resolveReady(value));
    });
  };
  if (child.stdout) watch(child.stdout, 'stdout');
  if (child.stderr) watch(child.stderr, 'stderr');

  const stop = (): Promise<ChildExit> =>
    (stopping ??= (async () => {
      if (exit) return exit;
      // the group, as Ctrl-C in a terminal would: what the child started is asked to stop too
      kill(child, 'SIGTERM', ownGroup);
      let cancel: () => void = () => {};
      const graceful = await Promise.race([exited.then(() => true), new Promise<false>((resolve) => (cancel = clock.setTimeout(() => resolve(false), opts.stopTimeoutMs)))]);
      cancel();
      if (!graceful) {
        opts.log.warn({ pid: child.pid, timeoutMs: opts.stopTimeoutMs }, `${opts.name} did not stop in time; killing it`);
        kill(child, 'SIGKILL', ownGroup);
      }
      return exited;
    })());

  return { pid: child.pid, ready, exited, readyDeadline: deadline, tail: () => [...tail], stop };
}

/**
 * Signals the child; `group`: its whole process group (it leads one, being spawned detached), so that
 * what it started goes too. Never throws: it may be gone already.
 */
function kill(child: ChildProcess, signal: NodeJS.Signals, group: boolean): void {
  if (child.pid === undefined) return;
  try {
    if (group) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // no such process (group): it is gone
  }
}

export function describeExit(e: ChildExit): string {
  return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
}

function tailText(tail: readonly string[]): string {
  return tail.length ? `; last output:\n${tail.slice(-15).join('\n')}` : '';
}
