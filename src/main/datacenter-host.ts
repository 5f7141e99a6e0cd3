/**
 * Starts the embedded data center (PGlite, demo district) in its own
 * utilityProcess, entry out/main/datacenter.js built from
 * src/datacenter/process.ts. Protocol with that child:
 *
 *   child → main   { type: 'ready', url }                       listening; url is its HTTP base
 *                  { type: 'error', code, message, exitCode }   could not start (then exits)
 *   main → child   { type: 'shutdown' }                         stop, then exit
 *
 * Used only when no other data center is configured (config.ts). No electron
 * import: the fork function is passed in.
 */
import type { UtilityChildLike } from './service-host';

export interface EmbeddedDataCenter {
  /** HTTP base URL of the running data center, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stop(): Promise<void>;
}

export interface StartDataCenterOptions {
  fork(): UtilityChildLike;
  /** Seeding the demo district on first start takes a while on slow machines. */
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  /** Called if the data center exits on its own after it was ready. */
  onUnexpectedExit?(code: number): void;
}

function readyUrl(message: unknown): string | null {
  if (typeof message !== 'object' || message === null) return null;
  const m = message as { type?: unknown; url?: unknown };
  if (m.type !== 'ready' || typeof m.url !== 'string') return null;
  try {
    const u = new URL(m.url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? m.url : null;
  } catch {
    return null;
  }
}

function startFailure(message: unknown): string | null {
  if (typeof message !== 'object' || message === null) return null;
  const m = message as { type?: unknown; code?: unknown; message?: unknown };
  if (m.type !== 'error') return null;
  return `${typeof m.message === 'string' ? m.message : 'unknown error'}${typeof m.code === 'string' ? ` (${m.code})` : ''}`;
}

export function startEmbeddedDataCenter(opts: StartDataCenterOptions): Promise<EmbeddedDataCenter> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;

  return new Promise((resolve, reject) => {
    const child = opts.fork();
    let url: string | null = null;
    let startError: string | null = null;
    let exited = false;
    let stopping = false;
    const exitWaiters: (() => void)[] = [];

    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the embedded data center did not report ready within ${readyTimeoutMs / 1000} s`));
    }, readyTimeoutMs);

    child.on('exit', (code) => {
      exited = true;
      clearTimeout(timer);
      for (const w of exitWaiters.splice(0)) w();
      if (url === null) {
        reject(new Error(startError ?? `the embedded data center exited with code ${code} before it was ready (see its log above)`));
      } else if (!stopping) {
        opts.onUnexpectedExit?.(code);
      }
    });

    child.on('message', (message) => {
      const failure = startFailure(message);
      if (failure && url === null) {
        // it exits next; reject then, with its own words
        startError = failure;
        return;
      }
      const ready = readyUrl(message);
      if (!ready || url !== null) return;
      url = ready;
      clearTimeout(timer);
      resolve({
        url,
        stop() {
          if (exited) return Promise.resolve();
          stopping = true;
          return new Promise<void>((done) => {
            const kill = setTimeout(() => {
              child.kill();
              done();
            }, stopTimeoutMs);
            exitWaiters.push(() => {
              clearTimeout(kill);
              done();
            });
            child.postMessage({ type: 'shutdown' });
          });
        },
      });
    });
  });
}
