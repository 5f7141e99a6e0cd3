/**
 * The desktop data service: the one implementation of the RPC contract's
 * handlers, over a SQLite replica of the data center. The same code runs in
 * Electron's utility process and inside the web host's Node process; the
 * shells only carry its messages.
 *
 * Start-up order: open the replica and migrate it (before any request is
 * answered), then answer from whatever it holds — offline included — while
 * the reference sync brings it up to date in the background.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DataServicePort, EventName, EventPayload, Handlers, SyncStatus } from '../../core/index';
import { createAppHandlers } from './app/app-handlers';
import { createAreasHandlers } from './areas/areas-handlers';
import { systemClock, type Clock } from './clock';
import { EventHub } from './events';
import { createGridsHandlers } from './grids/grids-handlers';
import { createQueryHandlers } from './queries/index';
import { createSessionHandlers } from './auth/session-handlers';
import { createLogger, type Logger } from './log';
import { ReferenceView } from './reference/reference-view';
import { openReplica } from './store/open';
import { ReferenceSync, type RoundOutcome } from './sync/reference-sync';
import { createSyncHandlers } from './sync/sync-handlers';

export type { Clock } from './clock';
export { createLogger, type Logger } from './log';
export type { RoundOutcome } from './sync/reference-sync';

/** The replica's file name inside `dataDir`. */
export const REPLICA_FILE = 'replica.sqlite';

export interface DataServiceOptions {
  /** folder of the replica (created if missing) */
  dataDir: string;
  /** base URL of the data center, e.g. http://127.0.0.1:8701 */
  dataCenterUrl: string;
  shell: 'electron' | 'web';
  /** better-sqlite3's `nativeBinding`: the .node file built for Electron's ABI */
  sqliteBinding?: string;
  fetch?: typeof fetch;
  clock?: Clock;
  /** 0 ≤ x < 1, for backoff jitter */
  random?: () => number;
  logger?: Logger;
  /** reported by `app/info`; defaults 'Huying', '0.0.0', 'zh-CN' */
  appName?: string;
  appVersion?: string;
  locale?: string;
  sync?: {
    /** between checks of the reference version while the link is up; default 30 s */
    pollIntervalMs?: number;
    /** backoff after failures: first delay and cap; defaults 1 s and 30 s */
    retryInitialMs?: number;
    retryMaxMs?: number;
    /** per HTTP request; default 60 s */
    requestTimeoutMs?: number;
    /** how long a request waits for the first sync of an empty replica; default 20 s */
    readyTimeoutMs?: number;
    /** false: do not start polling (tests drive `syncNow`) */
    autoStart?: boolean;
  };
}

export interface DataService extends DataServicePort {
  /** the current sync status (also pushed as `sync/status`) */
  syncStatus(): SyncStatus;
  /** checks the data center now instead of at the next poll */
  syncNow(): Promise<RoundOutcome>;
  /**
   * For a host that supervises the data center (the web host's embedded
   * child): report it gone, so the status says why before the next poll does.
   */
  reportDataCenterDown(reason: string): void;
  /** stops syncing and closes the replica; pending requests fail */
  close(): Promise<void>;
}

export async function createDataService(opts: DataServiceOptions): Promise<DataService> {
  const log = opts.logger ?? createLogger('data-service');
  const clock = opts.clock ?? systemClock;
  mkdirSync(opts.dataDir, { recursive: true });
  const file = path.join(opts.dataDir, REPLICA_FILE);
  const replica = openReplica({ file, ...(opts.sqliteBinding ? { nativeBinding: opts.sqliteBinding } : {}) });
  if (replica.migration.applied.length > 0) log.info({ file, applied: replica.migration.applied }, 'replica migrated');

  const hub = new EventHub(log);
  let view: ReferenceView | null = null;
  const sync = new ReferenceSync({
    replica,
    dataCenterUrl: opts.dataCenterUrl,
    fetch: opts.fetch ?? globalThis.fetch,
    clock,
    random: opts.random ?? Math.random,
    log,
    ...pick(opts.sync ?? {}, ['pollIntervalMs', 'retryInitialMs', 'retryMaxMs', 'requestTimeoutMs']),
    onStatus: (status) => hub.emit('sync/status', status),
    onApplied: () => view?.invalidate(),
  });
  view = new ReferenceView(replica, sync, clock, opts.sync?.readyTimeoutMs ?? 20_000);

  const handlers: Handlers = {
    ...createAppHandlers({
      name: opts.appName ?? 'Huying',
      version: opts.appVersion ?? '0.0.0',
      shell: opts.shell,
      dataCenterUrl: opts.dataCenterUrl,
      locale: opts.locale ?? 'zh-CN',
    }),
    ...createAreasHandlers(view),
    ...createGridsHandlers(view),
    ...createSyncHandlers(sync),
    ...createQueryHandlers(),
    ...createSessionHandlers(),
  };

  let closed: Promise<void> | null = null;
  if (opts.sync?.autoStart !== false) sync.start();

  return {
    handlers,
    subscribe<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void) {
      return hub.subscribe(name, listener);
    },
    syncStatus: () => sync.status(),
    syncNow: () => sync.syncNow(),
    reportDataCenterDown: (reason) => sync.reportDataCenterDown(reason),
    close() {
      closed ??= (async () => {
        await sync.stop();
        hub.clear();
        replica.close();
      })();
      return closed;
    },
  };
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
