/**
 * Starts the embedded data center (PGlite, demo district) in its own
 * utilityProcess, entry out/main/datacenter.js built from
 * src/datacenter/process.ts. Protocol with that child:
 *
 *   child → main   { type: 'migration', phase: 'start' | 'done',  before / after each schema migration
 *                    id, name, index, count }
 *                  { type: 'ready', url }                       listening; url is its HTTP base
 *                  { type: 'error', code, message, exitCode }   could not start (then exits)
 *   main → child   { type: 'shutdown' }                         stop, then exit
 *
 * Used only when no other data center is configured (config.ts). No electron
 * import: the fork function is passed in.
 *
 * The ready timeout counts only while the child is not migrating its store: a
 * migration may take minutes on a large store (0008: ~6 min on PGlite for a
 * 10^6-event district, docs/datacenter.md) and holds the child's event loop
 * meanwhile, and killing it there would undo the migration, so that every
 * later start would be killed the same way.
 */
import type { UtilityChildLike } from './utility-child';
import { describeMigrationStep, migrationStepOf, type MigrationStep } from '../core/store-migration';
import { pausableTimeout } from './service/clock';
export type { MigrationStep };

export interface EmbeddedDataCenter {
  /** HTTP base URL of the running data center, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stop(): Promise<void>;
}

export interface StartDataCenterOptions {
  fork(): UtilityChildLike;
  /**
   * Seeding the demo district on first start takes a while on slow machines (default 120 s). Not
   * counted while the child migrates its store (between its `migration` start and done messages).
   */
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  /** Called if the data center exits on its own after it was ready. */
  onUnexpectedExit?(code: number): void;
  /** where to say that the data center is migrating its store; default console.log with [main] */
  log?(message: string): void;
  /**
   * Called for each migration start and done the child announces before it is ready, so that the
   * windows can say why they wait (index.ts → the supervisor's starting message).
   */
  onMigration?(step: MigrationStep): void;
}

/** A `{ type: 'migration', phase, id, name, index, count }` message of the child (src/datacenter/process.ts). */
function migrationStep(message: unknown): MigrationStep | null {
  if (typeof message !== 'object' || message === null || (message as { type?: unknown }).type !== 'migration') return null;
  return migrationStepOf((message as { phase?: unknown }).phase, message);
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
  const log = opts.log ?? ((message: string) => console.log(`[main] ${message}`));

  return new Promise((resolve, reject) => {
    const child = opts.fork();
    let url: string | null = null;
    let startError: string | null = null;
    let exited = false;
    let stopping = false;
    const exitWaiters: (() => void)[] = [];
    /** the store migration the child announced and has not finished yet */
    let migrating: MigrationStep | null = null;

    // the ready timeout, stopped while the child migrates
    let gaveUp = false;
    const deadline = pausableTimeout(readyTimeoutMs, () => {
      gaveUp = true;
      child.kill();
      reject(new Error(`the embedded data center did not report ready within ${readyTimeoutMs / 1000} s`));
    });

    child.on('exit', (code) => {
      exited = true;
      deadline.clear();
      for (const w of exitWaiters.splice(0)) w();
      if (url === null) {
        const during = migrating ? ` while migrating its store (migration ${migrating.id} ${migrating.name})` : '';
        reject(new Error(startError ?? `the embedded data center exited with code ${code} before it was ready${during} (see its log above)`));
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
      const step = migrationStep(message);
      if (step && url === null && !exited && !gaveUp) {
        const what = describeMigrationStep(step);
        if (step.phase === 'start') {
          migrating = step;
          deadline.pause();
          log(`the embedded data center is migrating its store (${what}); this can take minutes on a large store — waiting for it without a time limit`);
        } else {
          migrating = null;
          deadline.resume();
          log(`the embedded data center finished migrating its store (${what})`);
        }
        try {
          opts.onMigration?.(step);
        } catch (err) {
          // a display detail: the start goes on
          log(`onMigration threw: ${err instanceof Error ? err.message : String(err)}`);
        }
        return;
      }
      const ready = readyUrl(message);
      if (!ready || url !== null) return;
      url = ready;
      deadline.clear();
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
