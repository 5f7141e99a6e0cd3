/**
 * Main's view of the data service running in a utilityProcess: a
 * DataServicePort whose handlers post `{ t: 'req' }` messages to the child
 * (protocol in src/main/service/process.ts), plus supervision.
 *
 * Supervision: when the child exits unexpectedly, pending requests fail with
 * `unavailable`, subscribers of `sync/status` get an `offline` status with a
 * message, and the child is forked again after an exponential backoff (reset
 * once a child has stayed up for `stableAfterMs`). Event subscriptions are
 * re-sent to every new child. While the child is down, requests fail at once
 * (`sync/status` answers the offline status); before start() and while it
 * starts they wait (windows open before the embedded data center is up), and
 * before start() `sync/status` answers `connecting` with the starting message,
 * which main may change meanwhile (setStartingMessage: the embedded data center
 * migrating its store); each change is pushed to the `sync/status` subscribers.
 *
 * No electron import: the fork function is passed in, so tests drive it with
 * in-memory children and fake timers.
 */
import { HuyingError } from '../core/errors';
import { isEventName, requests, type EventName, type Handlers, type RequestName, type SyncStatus } from '../core/rpc/contract';
import { ServerFrame, type DataServicePort, type Reply } from '../core/rpc/wire';
import type { FromServiceMessage, ToServiceMessage } from './service/process';
import { superviseUtilityChild, type UtilityChildLike } from './utility-child';

export { backoffDelay, type UtilityChildLike } from './utility-child';

export type SupervisorState = 'idle' | 'starting' | 'ready' | 'down' | 'stopped';

export interface ServiceSupervisorOptions {
  /** Forks a new data-service child (utilityProcess.fork in Electron). */
  fork(): UtilityChildLike;
  dataCenterUrl: string;
  /** Text of the `sync/status` message pushed while the service is down (already translated). */
  offlineMessage: string;
  /** Text of the `sync/status` answered before start() (already translated). */
  startingMessage?: string;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Uptime after which a crash counts as a first failure again. */
  stableAfterMs?: number;
  requestTimeoutMs?: number;
  /** A child that has not said `ready` by then is killed and restarted. */
  readyTimeoutMs?: number;
  /** How long stop() waits for a clean exit before killing. */
  stopTimeoutMs?: number;
  log?: (message: string, detail?: unknown) => void;
}

export interface ServiceSupervisor extends DataServicePort {
  readonly state: SupervisorState;
  /** How many times the child has been forked again after a crash. */
  readonly restarts: number;
  start(): void;
  stop(): Promise<void>;
  /**
   * Changes the message of the `connecting` status answered before start() (already translated;
   * null: back to `startingMessage`) and, before start(), pushes that status to the `sync/status`
   * subscribers. After start() the data service speaks for itself: only remembered.
   */
  setStartingMessage(message: string | null): void;
}

interface Pending {
  message: Extract<ToServiceMessage, { t: 'req' }>;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  settle(reply: Reply): void;
}

export function createServiceSupervisor(opts: ServiceSupervisorOptions): ServiceSupervisor {
  const initialBackoffMs = opts.initialBackoffMs ?? 500;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  const stableAfterMs = opts.stableAfterMs ?? 10_000;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 5_000;
  const log = opts.log ?? ((message, detail) => console.warn(`data service: ${message}`, detail ?? ''));

  let state: SupervisorState = 'idle';
  let nextId = 1;
  let lastStatus: SyncStatus | null = null;
  let offlineSince: string | null = null;
  let startingMessage = opts.startingMessage ?? null;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();

  const post = (message: ToServiceMessage) => {
    try {
      supervision.child?.postMessage(message);
    } catch (err) {
      log('could not post to the child', err);
    }
  };

  const deliver = (name: EventName, payload: unknown) => {
    if (name === 'sync/status') lastStatus = payload as SyncStatus;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        listener(payload as never);
      } catch (err) {
        log(`listener of ${name} threw`, err);
      }
    }
  };

  const offlineStatus = (): SyncStatus => ({
    state: 'offline',
    dataCenterUrl: opts.dataCenterUrl,
    offlineSince,
    lastBatchAt: lastStatus?.lastBatchAt ?? null,
    version: lastStatus?.version ?? null,
    progress: null,
    message: opts.offlineMessage,
  });

  const startingStatus = (): SyncStatus => ({
    state: 'connecting',
    dataCenterUrl: opts.dataCenterUrl,
    offlineSince: null,
    lastBatchAt: null,
    version: null,
    progress: null,
    message: startingMessage,
  });

  const failAll = (message: string) => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.settle({ ok: false, error: { code: 'unavailable', message } });
    }
  };

  const sendPending = () => {
    for (const p of pending.values()) {
      if (p.sent) continue;
      p.sent = true;
      post(p.message);
    }
  };

  const onReady = () => {
    supervision.ready();
    state = 'ready';
    offlineSince = null;
    for (const name of listeners.keys()) post({ t: 'sub', name });
    sendPending();
    if (supervision.restarts > 0 && listeners.has('sync/status')) {
      // subscribers last saw our `offline`: tell them where the new child stands
      void request('sync/status', {}).then(
        (status) => deliver('sync/status', status),
        (err: unknown) => log('could not read sync/status after restart', err),
      );
    }
  };

  const onMessage = (message: unknown) => {
    const m = message as FromServiceMessage | null;
    if (m && typeof m === 'object' && m.t === 'ready') return onReady();
    if (m && typeof m === 'object' && m.t === 'fatal') return log(`data service fatal (it exits; restarted with backoff): ${m.message}`);
    const frame = ServerFrame.safeParse(message);
    if (!frame.success) return log('malformed message from the child', message);
    if (frame.data.t === 'res') {
      const p = pending.get(frame.data.id);
      if (!p) return;
      clearTimeout(p.timer);
      pending.delete(frame.data.id);
      p.settle(frame.data.reply as Reply);
    } else if (isEventName(frame.data.name)) {
      deliver(frame.data.name, frame.data.payload);
    }
  };

  const supervision = superviseUtilityChild({
    fork: opts.fork,
    initialBackoffMs,
    maxBackoffMs,
    stableAfterMs,
    readyTimeoutMs,
    onStarting: () => {
      state = 'starting';
    },
    onMessage,
    onForkFailed: (err) => log('fork failed', err),
    onReadyTimeout: (child) => {
      log(`child not ready after ${readyTimeoutMs} ms; killing it`);
      child.kill();
    },
    onExit: (code) => {
      state = 'down';
      log(`child exited with code ${code}`);
      failAll(`the data service stopped (exit code ${code}); restarting`);
      offlineSince ??= new Date().toISOString();
      deliver('sync/status', offlineStatus());
      return 'restart';
    },
  });

  function request(name: RequestName, args: unknown): Promise<unknown> {
    if (state === 'down' && name === 'sync/status') return Promise.resolve(offlineStatus());
    if (state === 'idle' && name === 'sync/status') return Promise.resolve(startingStatus());
    if (state === 'down' || state === 'stopped') {
      return Promise.reject(new HuyingError('unavailable', `the data service is ${state === 'down' ? 'restarting' : 'not running'}`));
    }
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new HuyingError('timeout', `${name} got no answer from the data service in ${requestTimeoutMs} ms`));
      }, requestTimeoutMs);
      const p: Pending = {
        message: { t: 'req', id, name, args },
        sent: false,
        timer,
        settle: (reply) => (reply.ok ? resolve(reply.result) : reject(new HuyingError(reply.error.code, reply.error.message, reply.error.details))),
      };
      pending.set(id, p);
      if (state === 'ready') sendPending();
    });
  }

  const handlers = Object.fromEntries(
    (Object.keys(requests) as RequestName[]).map((name) => [name, (args: unknown) => request(name, args)]),
  ) as unknown as Handlers;

  return {
    handlers,
    get state() {
      return state;
    },
    get restarts() {
      return supervision.restarts;
    },
    subscribe(name, listener) {
      let set = listeners.get(name);
      if (!set) {
        listeners.set(name, (set = new Set()));
        if (state === 'ready') post({ t: 'sub', name });
      }
      const entry = (payload: never) => listener(payload);
      set.add(entry);
      return () => {
        if (!set.delete(entry) || set.size > 0) return;
        listeners.delete(name);
        if (state === 'ready') post({ t: 'unsub', name });
      };
    },
    start() {
      if (state !== 'idle') return;
      supervision.start();
    },
    setStartingMessage(message) {
      startingMessage = message ?? opts.startingMessage ?? null;
      if (state === 'idle') deliver('sync/status', startingStatus());
    },
    stop() {
      if (state === 'stopped') return Promise.resolve();
      state = 'stopped';
      const c = supervision.stop();
      failAll('the data service is shutting down');
      if (!c) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log(`child did not exit within ${stopTimeoutMs} ms; killing it`);
          c.kill();
          resolve();
        }, stopTimeoutMs);
        c.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        post({ t: 'shutdown' });
      });
    },
  };
}
