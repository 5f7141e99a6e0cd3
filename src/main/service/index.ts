/**
 * The desktop data service: the one implementation of the RPC contract's
 * handlers, over a SQLite replica of the data center. The same code runs in
 * Electron's utility process and inside the web host's Node process; the
 * shells only carry its messages.
 *
 * Start-up order: open the replica and migrate it (before any request is
 * answered), then answer from whatever it holds — offline included — while
 * the sync client (snapshot + live tail) brings it up to date and the
 * outbox pusher sends queued commands, both in the background.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DataServicePort, EventName, EventPayload, Handlers, OutboxEntry, SyncScope, SyncStatus } from '../../core/index';
import { createAppHandlers } from './app/app-handlers';
import { createAreasHandlers } from './areas/areas-handlers';
import type { AccessTokenSource } from './auth';
import { systemClock, type Clock } from './clock';
import { EventHub } from './events';
import { createGridsHandlers } from './grids/grids-handlers';
import { createLogger, type Logger } from './log';
import { createOutboxHandlers } from './outbox/outbox-handlers';
import { createQueryHandlers } from './queries/index';
import { createSessionHandlers } from './auth/session-handlers';
import { preferencesSecretStore } from './auth/secret-store';
import { scopeOfUser, SessionManager, type SecretStore } from './auth/session';
import { OutboxStore } from './outbox/outbox-store';
import { OutboxPusher, type PushOutcome } from './outbox/pusher';
import { ReferenceView } from './reference/reference-view';
import { openReplica, type Replica } from './store/open';
import { clientIdOf, readPreference, writePreference } from './store/preferences';
import { RowWriter } from './store/replicated-rows';
import { readSyncState } from './store/sync-state';
import { baseUrl, fetchAfterHeldWrites } from './sync/http';
import type { LiveTransport } from './sync/live-transport';
import { SyncClient, type SyncOutcome } from './sync/sync-client';
import { createSyncHandlers } from './sync/sync-handlers';

export type { Clock } from './clock';
export { createLogger, type Logger } from './log';
export { staticToken, type AccessTokenSource } from './auth';
export type { SyncOutcome } from './sync/sync-client';
export type { PushOutcome } from './outbox/pusher';
export type { Replica } from './store/open';

/** The replica's file name inside `dataDir`. */
export const REPLICA_FILE = 'replica.sqlite';

export interface DataServiceOptions {
  /** folder of the replica (created if missing) */
  dataDir: string;
  /** base URL of the data center, e.g. http://127.0.0.1:8701 */
  dataCenterUrl: string;
  shell: 'electron' | 'web';
  /**
   * What to replicate: the whole district (default; walls) or one town. The
   * choice is kept in the data folder; `sync/set-scope` changes it later,
   * and an explicit option here wins over the stored one.
   */
  scope?: SyncScope;
  /**
   * where the access token comes from; default: the officer's session (auth/login, kept by
   * ./auth/session.ts). A fixed token (kiosk service account, tests) replaces it.
   */
  auth?: AccessTokenSource;
  /** where the remembered session (refresh token) is kept; default the replica's preferences */
  sessionStore?: SecretStore;
  /** better-sqlite3's `nativeBinding`: the .node file built for Electron's ABI */
  sqliteBinding?: string;
  fetch?: typeof fetch;
  clock?: Clock;
  /** 0 ≤ x < 1, for backoff jitter */
  random?: () => number;
  logger?: Logger;
  /**
   * The service cannot go on: its replica's file did not open again after an image was renamed over it, or after
   * the rename failed (store/open.ts ReplicaFailed; a full disk, no descriptors left). Logged first. Default: the
   * process exits with code 1, and its host starts the service again on the same folder (a fresh open) — rather
   * than every request and sync attempt failing on a closed connection. The Electron entry (./process.ts) tells
   * main before it exits.
   */
  onFatal?: (err: Error) => void;
  /** reported by `app/info`; defaults 'Huying', '0.0.0', 'zh-CN' */
  appName?: string;
  appVersion?: string;
  locale?: string;
  sync?: {
    /** data centers without the sync feed: between version checks; default 30 s */
    pollIntervalMs?: number;
    /** backoff after failures: first delay and cap; defaults 1 s and 30 s */
    retryInitialMs?: number;
    retryMaxMs?: number;
    /** to open a snapshot or live connection, and per command push; default 30 s */
    requestTimeoutMs?: number;
    /** how long a request waits for the first snapshot of an empty replica; default 20 s */
    readyTimeoutMs?: number;
    /** no live frame for this long: reconnect; default 45 s */
    heartbeatTimeoutMs?: number;
    /** no snapshot frame for this long: give the snapshot up and retry; default 300 s */
    snapshotIdleTimeoutMs?: number;
    /** no frame at all this long after connecting: the replica is current (live); default 1.5 s */
    quietCaughtUpMs?: number;
    /** snapshot rows per staging transaction; default 5000 */
    stageChunkRows?: number;
    /** events per chunk of the full-text index built after a snapshot's swap (default 1000) */
    ftsChunkRows?: number;
    /** where a snapshot is parsed: 'inline' (default: the service's thread), 'worker' (a worker thread), 'auto' (the worker for a large one) */
    snapshotParser?: 'auto' | 'worker' | 'inline';
    /** try the scope's replica image before the row snapshot (docs/sync-client.md, "A replica image switched in whole"); default true */
    images?: boolean;
    /** pages per step of a replica image's copy into the replica; default the switch's (4096) */
    imagePagesPerStep?: number;
    /** a replica image renamed into place, the replica reopened (default), or copied into the live file (docs/sync-client.md, "Rename instead of copy") */
    imageSwitch?: 'rename' | 'copy';
    /** live transports in order of preference; default WebSocket, then SSE */
    transports?: LiveTransport[];
    /** a sent command without an ack for this long is pushed again; default 60 s */
    resendAfterMs?: number;
    /** false: do not start syncing or pushing (tests drive `syncNow` and `pushNow`) */
    autoStart?: boolean;
  };
}

export interface DataService extends DataServicePort {
  /** the current sync status (also pushed as `sync/status`) */
  syncStatus(): SyncStatus;
  /** starts syncing if needed, cuts a backoff short; resolves with the next attempt's outcome */
  syncNow(): Promise<SyncOutcome>;
  /** pushes queued commands now */
  pushNow(): Promise<PushOutcome>;
  /** this data folder's client id (the outbox pushes under it) */
  clientId: string;
  /**
   * For a host that supervises the data center (the web host's embedded
   * child): report it gone, so the status says why before the next attempt does.
   */
  reportDataCenterDown(reason: string): void;
  /** the open replica, for query modules and tests (read it; the sync client writes it) */
  replica: Replica;
  /** stops syncing and pushing and closes the replica; pending requests fail */
  close(): Promise<void>;
}

export async function createDataService(opts: DataServiceOptions): Promise<DataService> {
  const log = opts.logger ?? createLogger('data-service');
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const fetchFn = opts.fetch ?? globalThis.fetch;
  mkdirSync(opts.dataDir, { recursive: true });
  const file = path.join(opts.dataDir, REPLICA_FILE);
  const replica = openReplica({
    file,
    log,
    ...(opts.sqliteBinding ? { nativeBinding: opts.sqliteBinding } : {}),
    onFailed: (err) => {
      log.error({ err, file: replica.file }, 'the replica cannot be opened again; the data service stops (its host starts it again)');
      (opts.onFatal ?? exitFatally)(err);
    },
  });
  if (replica.migration.applied.length > 0) log.info({ file, applied: replica.migration.applied }, 'replica migrated');

  const clientId = clientIdOf(replica.sqlite);
  const storedScope = readPreference<SyncScope>(replica.sqlite, 'scope');
  const scope: SyncScope = opts.scope ?? storedScope ?? readSyncState(replica.sqlite)?.scope ?? 'district';
  if (scope !== storedScope) writePreference(replica.sqlite, 'scope', scope);

  const hub = new EventHub(log);
  // every holder gets the handle, not the connection: an image renamed into place reopens it (store/connection.ts)
  const writer = new RowWriter(replica);
  const outbox = new OutboxStore(replica, clientId);
  let view: ReferenceView | null = null;
  let pusher: OutboxPusher | null = null;

  const offline = () => sync.status().state === 'offline';
  const emitOutbox = (entries: OutboxEntry[]) => {
    if (entries.length > 0) hub.emit('outbox/changed', { entries, offline: offline() });
  };
  const emitOutboxIds = (ids: number[]) => emitOutbox(ids.map((id) => outbox.get(id)).filter((e): e is OutboxEntry => e !== null));
  const cursorNow = () => readSyncState(replica.sqlite)?.cursor ?? null;

  const autoStart = opts.sync?.autoStart !== false;
  // the session and the pusher write the replica when their answers come: those wait out a replica image switch
  const fetchAfterSwitch = fetchAfterHeldWrites(fetchFn, () => sync.writesHeld());
  const session = new SessionManager({
    dataCenterUrl: opts.dataCenterUrl,
    store: opts.sessionStore ?? preferencesSecretStore(replica),
    fetch: fetchAfterSwitch,
    clock,
    random,
    log,
    onChange: (s) => {
      hub.emit('auth/changed', s);
      if (!s.user || s.offline) return;
      // a town officer replicates their town (the feed refuses them the district)
      const own = scopeOfUser(s.user);
      if (own !== null && own !== sync.status().scope) {
        writePreference(replica.sqlite, 'scope', own);
        sync.setScope(own);
      }
      if (autoStart) {
        void sync.syncNow();
        void push.kick();
      }
    },
  });
  const auth: AccessTokenSource = opts.auth ?? session;

  const sync: SyncClient = new SyncClient({
    replica,
    writer,
    outbox,
    dataCenterUrl: opts.dataCenterUrl,
    scope,
    fetch: fetchFn,
    clock,
    random,
    log,
    auth,
    ...pick(opts.sync ?? {}, ['pollIntervalMs', 'retryInitialMs', 'retryMaxMs', 'requestTimeoutMs', 'heartbeatTimeoutMs', 'snapshotIdleTimeoutMs', 'quietCaughtUpMs', 'stageChunkRows', 'ftsChunkRows', 'snapshotParser', 'transports', 'images', 'imagePagesPerStep', 'imageSwitch']),
    ...(opts.sqliteBinding ? { sqliteBinding: opts.sqliteBinding } : {}),
    onStatus: (status) => hub.emit('sync/status', status),
    onEventsChanged: (ids, all, checkpoint) => hub.emit('events/changed', { ids, all, checkpoint }),
    onOutboxSettled: (ids) => emitOutboxIds(ids),
    onReferenceChanged: () => view?.invalidate(),
    onFeedConnected: () => pusher?.feedConnected(),
  });
  pusher = new OutboxPusher({
    sqlite: replica,
    outbox,
    base: baseUrl(opts.dataCenterUrl),
    fetch: fetchAfterSwitch,
    clock,
    random,
    log,
    auth,
    connectedCursor: () => sync.connectedCursor(),
    onChanged: (ids, eventIds) => {
      emitOutboxIds(ids);
      if (eventIds.length > 0) hub.emit('events/changed', { ids: eventIds, all: false, checkpoint: cursorNow() });
    },
    ...pick(opts.sync ?? {}, ['retryInitialMs', 'retryMaxMs', 'resendAfterMs', 'requestTimeoutMs']),
  });
  const push = pusher;
  view = new ReferenceView(replica, sync, clock, opts.sync?.readyTimeoutMs ?? 20_000, log);

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
    ...createSyncHandlers({
      status: () => sync.status(),
      setScope: (s) => {
        writePreference(replica.sqlite, 'scope', s);
        sync.setScope(s);
      },
    }),
    ...createOutboxHandlers({
      outbox,
      clock,
      offline,
      changed: (entries, eventIds) => {
        emitOutbox(entries);
        if (eventIds.length > 0) hub.emit('events/changed', { ids: eventIds, all: false, checkpoint: cursorNow() });
      },
      kick: () => {
        if (opts.sync?.autoStart !== false) void push.kick();
      },
      writesHeld: () => sync.writesHeld(),
    }),
    ...createQueryHandlers({ replica, clock, reference: view, user: () => session.currentUser(), log }),
    ...createSessionHandlers(session),
  };

  // wall/changed: re-read the wall state after anything that may touch the wall table or a queued
  // wall command, and push it when the alerts or the directive differ (the wall table is tiny)
  // (at most every 250 ms: the live feed may apply a hundred batches a second)
  let lastWall = '';
  let wallTimer: (() => void) | null = null;
  const checkWall = () => {
    wallTimer ??= clock.setTimeout(() => {
      wallTimer = null;
      readWall();
    }, 250);
  };
  const readWall = () => {
    void Promise.resolve(handlers['wall/state']({ wallId: 'main' }))
      .then((state) => {
        const key = JSON.stringify({ alerts: state.alerts, directive: state.directive });
        if (key === lastWall) return;
        lastWall = key;
        hub.emit('wall/changed', state);
      })
      .catch((err: unknown) => log.warn({ err }, 'could not read the wall state'));
  };
  hub.subscribe('events/changed', checkWall);
  hub.subscribe('outbox/changed', checkWall);

  let closed: Promise<void> | null = null;
  if (autoStart) {
    session.start();
    sync.start();
    void push.kick();
  }

  return {
    handlers,
    subscribe<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void) {
      const off = hub.subscribe(name, listener);
      if (name === 'sync/status') {
        // the status is state, not news: a new subscriber hears the current one at once
        let live = true;
        queueMicrotask(() => {
          if (live) (listener as (p: SyncStatus) => void)(sync.status());
        });
        return () => {
          live = false;
          off();
        };
      }
      return off;
    },
    clientId,
    replica,
    syncStatus: () => sync.status(),
    syncNow: () => sync.syncNow(),
    pushNow: () => push.kick(),
    reportDataCenterDown: (reason) => sync.reportDataCenterDown(reason),
    close() {
      closed ??= (async () => {
        session.stop();
        wallTimer?.();
        await push.stop();
        await sync.stop();
        hub.clear();
        replica.close();
      })();
      return closed;
    },
  };
}

/** the default of DataServiceOptions.onFatal: exit 1 once the log line is out (its logger writes synchronously) */
function exitFatally(): void {
  setTimeout(() => process.exit(1), 100);
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
