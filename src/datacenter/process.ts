/**
 * Entry of the data center when Electron's main process starts it in a
 * utilityProcess (`utilityProcess.fork(entry, args)`): the same arguments as
 * the CLI, plus a message port to the parent. It posts `{ type: 'migration',
 * phase: 'start' | 'done', id, name, index, count }` around each schema
 * migration (one may take minutes: the host stops its ready timeout meanwhile),
 * `{ type: 'ready', url }` once listening, `{ type: 'error', code, message, exitCode }` when it cannot
 * start, and stops gracefully on `{ type: 'shutdown' }` (or SIGTERM/SIGINT).
 *
 * This file must not import electron (the data center is plain Node), so the
 * shape of `process.parentPort` is declared here. Run without a parent port
 * (plain node/tsx) it behaves like the CLI.
 */
import { runDataCenterProcess } from './run';
import type { MigrationProgress } from './store/migration';

/** Messages this process posts to its parent. */
export type DataCenterProcessMessage =
  | ({ type: 'migration' } & Pick<MigrationProgress, 'phase' | 'id' | 'name' | 'index' | 'count'>)
  | { type: 'ready'; url: string }
  | { type: 'error'; code: string; message: string; exitCode: number };

/** Messages the parent may post. */
export type DataCenterControlMessage = { type: 'shutdown' };

/** The part of Electron's `process.parentPort` (a MessagePortMain) used here. */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: DataCenterProcessMessage): void;
}

function isShutdown(data: unknown): data is DataCenterControlMessage {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'shutdown';
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

const run = runDataCenterProcess(process.argv.slice(2), process.env, {
  onMigration: ({ phase, id, name, index, count }) => {
    if (!parentPort) return;
    parentPort.postMessage({ type: 'migration', phase, id, name, index, count });
    // one turn of the event loop to let the message out: on PGlite the migration's statement holds
    // this thread until it is done (0008 held it 35 s for 10^6 rows, docs/datacenter.md)
    return new Promise<void>((resolve) => setImmediate(resolve));
  },
  onReady: (dc) => parentPort?.postMessage({ type: 'ready', url: dc.url }),
  onFailure: (error, exitCode) => parentPort?.postMessage({ type: 'error', code: error.code, message: error.message, exitCode }),
});
// listening from the start: the app may quit while the demo district is still being seeded
parentPort?.on('message', (event) => {
  if (isShutdown(event.data)) run.shutdown('parent asked to shut down');
});

if (!(await run.started)) {
  const code = process.exitCode ?? 1;
  // give the error message time to cross to the parent before the process goes
  if (parentPort) setTimeout(() => process.exit(code), 100);
  else process.exit(code);
}
