/**
 * Main's side of the image keeper utilityProcess (entry out/main/image-keeper.js, built from
 * src/main/service/keeper/process.ts; protocol there): the keeper next to the embedded demo data center, which
 * serves its replica images from `<userData>/images` so that a data service needing a snapshot downloads one
 * SQLite file instead of the rows (docs/image-keeper.md).
 *
 * Images are an optimisation, so nothing here may stop the app or the data center: a keeper that fails to start
 * (its sign-in refused, say) or exits is logged and forked again after a backoff (1 s, 2 s, 4 s … capped at 5 min;
 * back to 1 s once a keeper has stayed up a minute) through the restart loop of ./utility-child.ts. Incomplete
 * settings are not retried, as a restart would fail the same way (./service/keeper/exit-codes.ts): logged once, as an
 * error, and the keeper stays down. An images folder kept by another keeper that runs (an operator's keeper CLI on
 * the same folder, say) is logged once, as an error, and tried again every `maxBackoffMs` (5 min), quietly: the other
 * keeper does the work meanwhile, and once it stops this one takes the folder over (logged when it is ready).
 *
 * A keeper not ready after `readyTimeoutMs` is logged once and left running, as the web host's is
 * (web-host/embedded-datacenter.ts): it says ready only once its replica is open, migrations included, and a
 * migration of a large replica may take longer than any deadline; killing it would roll the migration back and
 * start it over, forever. (A 'migrating' message re-arming the timer would need the data service's migration
 * progress reported through startKeeper; a keeper hung before ready is rare enough to leave to the user's quit.)
 *
 * Its first start waits for the app's own data service to be live once
 * (`startWhenLive`), so that the two first snapshots do not share the cores (as the web host does).
 *
 * No electron import: the fork function is passed in, so tests drive it with in-memory children and fake timers.
 */
import type { DataServicePort } from '../core/rpc/wire';
import { DEMO_KEEPER_ACCOUNT } from './service/keeper/demo-account';
import { KEEPER_EXIT } from './service/keeper/exit-codes';
import type { FromKeeperMessage } from './service/keeper/process';
import { superviseUtilityChild, type UtilityChildLike } from './utility-child';

/**
 * The keeper child's environment (read by src/main/service/keeper/process.ts): its settings on top of main's own;
 * signed in as the demo wall account unless told otherwise (the embedded data center is seeded with the demo).
 */
export function keeperEnv(
  base: Record<string, string | undefined>,
  o: { dataCenterUrl: string; imagesDir: string; dataDir: string; account?: { login: string; password: string } },
): Record<string, string | undefined> {
  const account = o.account ?? DEMO_KEEPER_ACCOUNT;
  return {
    ...base,
    HUYING_KEEPER_DATACENTER_URL: o.dataCenterUrl,
    HUYING_KEEPER_IMAGES_DIR: o.imagesDir,
    HUYING_KEEPER_DATA_DIR: o.dataDir,
    HUYING_KEEPER_USER: account.login,
    // in the environment, never on a command line (visible to every user in `ps`)
    HUYING_KEEPER_PASSWORD: account.password,
  };
}

/**
 * down: to be forked again after its backoff; locked: the folder is kept by another keeper, tried again every
 * `maxBackoffMs`; failed: not retried (bad settings)
 */
export type KeeperState = 'idle' | 'waiting' | 'starting' | 'ready' | 'down' | 'locked' | 'failed' | 'stopped';

export interface KeeperSupervisorOptions {
  /** forks a new keeper child (utilityProcess.fork in Electron) */
  fork(): UtilityChildLike;
  log(message: string): void;
  /** a failure that is not retried; default `log` */
  error?(message: string): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** uptime after which a crash counts as a first failure again */
  stableAfterMs?: number;
  /** a keeper not ready by then (signed in, its replica open and migrated, its folder locked and cleaned) is logged, once, and left running */
  readyTimeoutMs?: number;
  /** how long stop() waits for a clean exit (a running export finishes first) before killing */
  stopTimeoutMs?: number;
}

export interface KeeperSupervisor {
  readonly state: KeeperState;
  /** how many times the keeper has been forked again after a failure */
  readonly restarts: number;
  start(): void;
  /**
   * Starts the keeper once `subscribe`'s `sync/status` first says `live` (the app's data service has its
   * snapshot); returns at once.
   */
  startWhenLive(service: Pick<DataServicePort, 'subscribe'>): void;
  stop(): Promise<void>;
}

export function createKeeperSupervisor(opts: KeeperSupervisorOptions): KeeperSupervisor {
  const initialBackoffMs = opts.initialBackoffMs ?? 1000;
  const maxBackoffMs = opts.maxBackoffMs ?? 5 * 60_000;
  const stableAfterMs = opts.stableAfterMs ?? 60_000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 15_000;
  const logWith = (write: (message: string) => void, message: string) => {
    try {
      write(message);
    } catch {
      // a log that throws must not take the keeper's supervision with it
    }
  };
  const log = (message: string) => logWith(opts.log, message);
  const logError = (message: string) => logWith(opts.error ?? opts.log, message);

  let state: KeeperState = 'idle';
  let unsubscribe: (() => void) | null = null;
  /** the last reason the child gave for not starting (its `fatal`), for the exit's log line */
  let fatal: string | null = null;
  /** the folder was found kept by another keeper (logged once until this keeper is ready) */
  let lockedLogged = false;

  const onMessage = (message: unknown) => {
    const m = message as FromKeeperMessage | null;
    if (!m || typeof m !== 'object') return;
    if (m.t === 'ready' && state === 'starting') {
      supervision.ready();
      state = 'ready';
      if (lockedLogged) log('the images folder is no longer kept by another keeper: this image keeper keeps it now');
      lockedLogged = false;
      log(`image keeper ready (scope ${m.scope}, images in ${m.imagesDir}${m.image ? `, serving ${m.image}` : ', no image yet'})`);
    } else if (m.t === 'image') {
      log(`image keeper published ${m.file} (${m.bytes} bytes, ${m.ms} ms)`);
    } else if (m.t === 'fatal') {
      fatal = m.message;
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
    onForkFailed: (err) => log(`could not fork the image keeper: ${err instanceof Error ? err.message : String(err)}`),
    onReadyTimeout: () => log(`the image keeper is not ready after ${readyTimeoutMs / 1000} s (migrating a large replica?); leaving it running`),
    onExit: (code, restartInMs) => {
      const why = fatal ? `: ${fatal}` : '';
      fatal = null;
      if (code === KEEPER_EXIT.locked) {
        state = 'locked';
        if (!lockedLogged) {
          logError(`the image keeper exited with code ${code}${why}; trying again every ${Math.round(maxBackoffMs / 1000)} s, quietly, to take the folder over once that keeper stops (desktops take its images meanwhile)`);
        }
        lockedLogged = true;
        return { restartInMs: maxBackoffMs };
      }
      if (code === KEEPER_EXIT.settings) {
        state = 'failed';
        logError(`the image keeper exited with code ${code}${why}; not starting it again, as it would fail the same way (desktops take the row snapshot)`);
        return 'give-up';
      }
      // a keeper that got past the lock and failed otherwise: a later lock is news again
      lockedLogged = false;
      state = 'down';
      log(`the image keeper exited with code ${code}${why}; starting it again in ${Math.round(restartInMs / 1000)} s (desktops take the row snapshot meanwhile)`);
      return 'restart';
    },
  });

  const start = () => {
    if (state !== 'idle' && state !== 'waiting') return;
    unsubscribe?.();
    unsubscribe = null;
    supervision.start();
  };

  return {
    get state() {
      return state;
    },
    get restarts() {
      return supervision.restarts;
    },
    start,
    startWhenLive(service) {
      if (state !== 'idle') return;
      state = 'waiting';
      unsubscribe = service.subscribe('sync/status', (status) => {
        // a microtask: a listener may be called before subscribe has returned its unsubscribe
        if (status.state === 'live') queueMicrotask(start);
      });
    },
    stop() {
      if (state === 'stopped') return Promise.resolve();
      state = 'stopped';
      unsubscribe?.();
      unsubscribe = null;
      const c = supervision.stop();
      if (!c) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log(`the image keeper did not stop within ${stopTimeoutMs / 1000} s; killing it`);
          c.kill();
          resolve();
        }, stopTimeoutMs);
        c.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        try {
          c.postMessage({ t: 'shutdown' });
        } catch {
          c.kill();
        }
      });
    },
  };
}
