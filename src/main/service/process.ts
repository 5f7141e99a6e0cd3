/**
 * Entry of the data service when it runs in an Electron utilityProcess
 * (built to out/main/data-service.js). Plain Node: it talks to main through
 * the global `process.parentPort` and never imports electron.
 *
 * Protocol with main (structured-clone messages, the same frames as the
 * WebSocket transport plus three lifecycle messages):
 *
 *   main → service   { t: 'req', id, name, args }    answer a request
 *                    { t: 'sub', name }              start forwarding an event
 *                    { t: 'unsub', name }            stop forwarding it
 *                    { t: 'shutdown' }               close the service, then exit 0
 *   service → main   { t: 'ready' }                  the service is open; send requests
 *                    { t: 'res', id, reply }         reply = { ok, result } | { ok: false, error }
 *                    { t: 'evt', name, payload }     a pushed event main subscribed to
 *                    { t: 'fatal', message }         could not start, or cannot go on (its replica did
 *                                                    not open again: store/open.ts ReplicaFailed); exits 1
 *
 * Configuration comes in the environment (set by main when it forks):
 * HUYING_DATA_DIR, HUYING_DATACENTER_URL, optionally HUYING_SQLITE_BINDING
 * (better-sqlite3 built for Electron's ABI, see scripts/prepare-electron-native.mjs),
 * HUYING_APP_VERSION and HUYING_LOCALE (for `app/info`).
 */
import { toRpcError } from '../../core/errors';
import { isEventName, type EventName } from '../../core/rpc/contract';
import { answer, ClientFrame, type DataServicePort, type ServerFrame } from '../../core/rpc/wire';

export type ToServiceMessage = ClientFrame | { t: 'shutdown' };
export type FromServiceMessage = ServerFrame | { t: 'ready' } | { t: 'fatal'; message: string };

/**
 * Electron's `process.parentPort`, declared here rather than imported: this
 * file must not see electron. (Messages arrive wrapped: `{ data }`.)
 */
export interface ParentPortLike {
  on(event: 'message', listener: (messageEvent: { data: unknown }) => void): unknown;
  postMessage(message: FromServiceMessage): void;
}

export interface ServedService extends DataServicePort {
  close(): Promise<void>;
}

/**
 * Answers main's messages with `service` until a shutdown; returns a promise
 * that settles once the service is closed after `{ t: 'shutdown' }`.
 */
export function serveParentPort(parentPort: ParentPortLike, service: ServedService): Promise<void> {
  const subscriptions = new Map<EventName, () => void>();
  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  const post = (message: FromServiceMessage) => {
    try {
      parentPort.postMessage(message);
    } catch (err) {
      // e.g. a result that cannot be cloned: answer with the error instead of dying
      if (message.t === 'res') parentPort.postMessage({ t: 'res', id: message.id, reply: { ok: false, error: toRpcError(err) } });
      else console.error('data service: could not post message', err);
    }
  };

  parentPort.on('message', ({ data }) => {
    if (closing) return;
    if (isShutdown(data)) {
      for (const off of subscriptions.values()) off();
      subscriptions.clear();
      closing = service.close().then(resolveClosed, (err: unknown) => {
        console.error('data service: close failed', err);
        resolveClosed();
      });
      return;
    }
    const frame = ClientFrame.safeParse(data);
    if (!frame.success) {
      console.error('data service: malformed message from main', data);
      return;
    }
    const msg = frame.data;
    switch (msg.t) {
      case 'req':
        void answer(service.handlers, msg.name, msg.args).then((reply) => post({ t: 'res', id: msg.id, reply }));
        return;
      case 'sub': {
        const name = msg.name;
        if (!isEventName(name)) {
          console.error(`data service: main subscribed to unknown event ${JSON.stringify(name)}`);
          return;
        }
        if (subscriptions.has(name)) return;
        subscriptions.set(
          name,
          service.subscribe(name, (payload) => post({ t: 'evt', name, payload })),
        );
        return;
      }
      case 'unsub': {
        const name = msg.name as EventName;
        subscriptions.get(name)?.();
        subscriptions.delete(name);
        return;
      }
    }
  });

  return closed;
}

function isShutdown(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { t?: unknown }).t === 'shutdown';
}

export interface ServiceEnvOptions {
  dataDir: string;
  dataCenterUrl: string;
  sqliteBinding?: string;
  appVersion?: string;
  locale?: string;
}

/** Reads the environment main set, or throws a clear error naming the missing variable. */
export function serviceOptionsFromEnv(env: Record<string, string | undefined>): ServiceEnvOptions {
  const dataDir = env.HUYING_DATA_DIR;
  const dataCenterUrl = env.HUYING_DATACENTER_URL;
  if (!dataDir) throw new Error('HUYING_DATA_DIR is not set: main must pass the data folder');
  if (!dataCenterUrl) throw new Error('HUYING_DATACENTER_URL is not set: main must pass the data center URL');
  const opts: ServiceEnvOptions = { dataDir, dataCenterUrl };
  if (env.HUYING_SQLITE_BINDING) opts.sqliteBinding = env.HUYING_SQLITE_BINDING;
  if (env.HUYING_APP_VERSION) opts.appVersion = env.HUYING_APP_VERSION;
  if (env.HUYING_LOCALE) opts.locale = env.HUYING_LOCALE;
  return opts;
}

async function boot(parentPort: ParentPortLike): Promise<void> {
  let service: ServedService;
  try {
    const opts = serviceOptionsFromEnv(process.env);
    // loaded here, not at the top: tests of serveParentPort need not open a database
    const { createDataService } = await import('./index');
    service = await createDataService({ ...opts, appName: 'Huying', shell: 'electron', onFatal: (err) => exitFatally(parentPort, err) });
  } catch (err) {
    console.error('data service: could not start', err);
    exitFatally(parentPort, err);
    return;
  }
  const closed = serveParentPort(parentPort, service);
  parentPort.postMessage({ t: 'ready' });
  await closed;
  process.exit(0);
}

/** tells main why, then exits 1: main's supervisor (src/main/service-host.ts) starts the service again */
function exitFatally(parentPort: ParentPortLike, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  parentPort.postMessage({ t: 'fatal', message });
  // give the message a moment to leave before the process goes
  setTimeout(() => process.exit(1), 200);
}

const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
if (parentPort) void boot(parentPort);
