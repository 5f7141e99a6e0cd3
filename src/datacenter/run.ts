/**
 * Runs a data center as a process: parse arguments, log JSON lines to stdout,
 * start, and shut down gracefully once on SIGINT/SIGTERM (or when the host
 * asks): stop listening, let in-flight requests finish, close the database,
 * exit 0. Another signal more than 2 s later, or a shutdown that hangs for
 * 15 s, exits 1 at once.
 *
 * Exit codes: 0 clean stop · 1 failed to start or to stop · 2 bad arguments.
 */
import pino, { type Logger } from 'pino';
import { toRpcError, type RpcError } from '../core';
import { parseDataCenterArgs, USAGE } from './options';
import { startDataCenter, type DataCenter } from './server';
import type { MigrationProgress } from './store/migration';

export const SHUTDOWN_TIMEOUT_MS = 15_000;
/** repeated stop signals within this window are the same request delivered twice */
const REPEAT_GRACE_MS = 2_000;

export interface RunHooks {
  /** after the "data center ready" line */
  onReady?(dc: DataCenter): void;
  /** after each "store migration started" / "finished" line, before the migration's first statement (awaited) */
  onMigration?(progress: MigrationProgress): void | Promise<void>;
  /** start-up failed (bad arguments: exitCode 2, else 1) */
  onFailure?(error: RpcError, exitCode: number): void;
}

export interface DataCenterRun {
  /** true once it serves; false when it did not start (process.exitCode is set: 0 help, 1 failure, 2 bad arguments) */
  started: Promise<boolean>;
  /** graceful stop, as on SIGTERM; asked during start-up, it stops as soon as it is up */
  shutdown(reason: string): void;
}

export function createLogger(env: Record<string, string | undefined>): Logger {
  // synchronous stdout: the ready line must be out before anyone acts on it, and nothing lost on exit
  return pino({ name: 'datacenter', level: env.LOG_LEVEL || 'info' }, pino.destination({ dest: 1, sync: true }));
}

export function runDataCenterProcess(argv: readonly string[], env: Record<string, string | undefined>, hooks: RunHooks = {}): DataCenterRun {
  const parsed = parseDataCenterArgs(argv, env);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = 0;
    return { started: Promise.resolve(false), shutdown: () => {} };
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`huying datacenter: ${parsed.message}\n\n${USAGE}\n`);
    hooks.onFailure?.({ code: 'invalid_args', message: parsed.message }, 2);
    process.exitCode = 2;
    return { started: Promise.resolve(false), shutdown: () => {} };
  }

  const log = createLogger(env);
  let dc: DataCenter | null = null;
  /** set while a stop asked during start-up waits for the start to finish */
  let deferred: string | null = null;
  let stopping = false;
  let stoppingSince = 0;

  const stop = (running: DataCenter, reason: string) => {
    log.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out: exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    running.close().then(
      () => {
        log.info('data center stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };

  const shutdown = (reason: string) => {
    if (stopping) {
      // one Ctrl-C reaches us several times (the terminal signals the whole group, npm and tsx relay it):
      // only a stop request well after the first one means "stop now"
      if (Date.now() - stoppingSince < REPEAT_GRACE_MS) return;
      log.warn({ reason }, 'second stop request: exiting now');
      process.exit(1);
    }
    stopping = true;
    stoppingSince = Date.now();
    if (dc) {
      stop(dc, reason);
    } else {
      // stopping mid-seed would waste the work and risk the embedded files: finish starting, then stop
      deferred = reason;
      log.info({ reason }, 'stop requested during start-up: stopping once started');
    }
  };
  // handlers first: a stop may come while the database opens or the demo is seeded
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const started = startDataCenter({ ...parsed.options, logger: log, onMigration: (progress) => hooks.onMigration?.(progress) }).then(
    (running) => {
      dc = running;
      if (deferred !== null) {
        stop(running, deferred);
        return true;
      }
      hooks.onReady?.(running);
      return true;
    },
    (err: unknown) => {
      const error = toRpcError(err);
      log.fatal({ err, code: error.code }, `data center failed to start: ${error.message}`);
      hooks.onFailure?.(error, 1);
      process.exitCode = 1;
      return false;
    },
  );
  return { started, shutdown };
}
