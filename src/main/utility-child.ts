/**
 * The restart loop main's utilityProcess supervisors share (service-host.ts for the data service, keeper-host.ts
 * for the image keeper): fork, route the current child's messages and exit (a late event of an older child is
 * dropped), a ready deadline, and after an exit a fork again with an exponential backoff that starts over once a
 * child has stayed up `stableAfterMs` after saying ready. A fork that throws counts as an exit with code -1.
 *
 * What an exit means, what a missed deadline does and how to stop are the caller's: this only keeps the child,
 * the attempt count and the two timers.
 *
 * No electron import: the fork function is passed in, so tests drive it with in-memory children and fake timers.
 */

/** The part of Electron's UtilityProcess we use. */
export interface UtilityChildLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

/** Delay before restart number `attempt` (0-based): initial · 2^attempt, capped. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
}

export interface UtilityChildSupervisionOptions {
  fork(): UtilityChildLike;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** uptime after ready past which an exit counts as a first failure again */
  stableAfterMs: number;
  readyTimeoutMs: number;
  /** before each fork, the first and every restart */
  onStarting(): void;
  onMessage(message: unknown): void;
  onForkFailed(err: unknown): void;
  /** the current child has not called ready() within readyTimeoutMs: kill it, or let it be */
  onReadyTimeout(child: UtilityChildLike): void;
  /**
   * The current child exited (not after stop()); `restartInMs` is the backoff a restart would wait.
   * 'restart' forks again then, `{ restartInMs }` forks again after that delay instead (the backoff's count
   * unchanged), 'give-up' leaves the child down for good.
   */
  onExit(code: number, restartInMs: number): 'restart' | 'give-up' | { restartInMs: number };
}

export interface UtilityChildSupervision {
  /** the running child, or null (not started, down, stopped) */
  readonly child: UtilityChildLike | null;
  /** how many times a child has been forked again after an exit */
  readonly restarts: number;
  /** forks the first child */
  start(): void;
  /** the current child said it is ready: its deadline is off and its uptime counts from now */
  ready(): void;
  /** no more restarts nor deadline; returns the child still running, if any (the caller shuts it down) */
  stop(): UtilityChildLike | null;
}

export function superviseUtilityChild(opts: UtilityChildSupervisionOptions): UtilityChildSupervision {
  let child: UtilityChildLike | null = null;
  let attempt = 0;
  let restarts = 0;
  /** when the current child said ready, or null */
  let readyAt: number | null = null;
  let stopped = false;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  let readyTimer: ReturnType<typeof setTimeout> | undefined;

  const onExit = (code: number) => {
    clearTimeout(readyTimer);
    child = null;
    if (stopped) return;
    if (readyAt !== null && Date.now() - readyAt >= opts.stableAfterMs) attempt = 0;
    readyAt = null;
    const backoff = backoffDelay(attempt, opts.initialBackoffMs, opts.maxBackoffMs);
    const decision = opts.onExit(code, backoff);
    if (decision === 'give-up' || stopped) return;
    let delay = backoff;
    if (decision === 'restart') attempt++;
    else delay = decision.restartInMs;
    restartTimer = setTimeout(() => {
      restarts++;
      spawn();
    }, delay);
  };

  const spawn = () => {
    readyAt = null;
    opts.onStarting();
    let forked: UtilityChildLike;
    try {
      forked = opts.fork();
    } catch (err) {
      opts.onForkFailed(err);
      // like a crash, so that the backoff applies
      queueMicrotask(() => onExit(-1));
      return;
    }
    child = forked;
    forked.on('message', (message) => {
      if (child === forked) opts.onMessage(message);
    });
    forked.on('exit', (code) => {
      if (child === forked) onExit(code);
    });
    readyTimer = setTimeout(() => {
      if (child === forked && readyAt === null) opts.onReadyTimeout(forked);
    }, opts.readyTimeoutMs);
  };

  return {
    get child() {
      return child;
    },
    get restarts() {
      return restarts;
    },
    start: spawn,
    ready() {
      clearTimeout(readyTimer);
      readyAt = Date.now();
    },
    stop() {
      stopped = true;
      clearTimeout(restartTimer);
      clearTimeout(readyTimer);
      return child;
    },
  };
}
