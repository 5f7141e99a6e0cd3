/**
 * One keeper per scope and images folder: an exclusive lock file, `.keeper-<scope>.lock` in the images folder,
 * taken by startKeeper before it cleans or writes anything there. Two keepers of one scope on one folder would
 * share the temp names (`.<scope>.export.sqlite`, `.<scope>.json.tmp`), delete each other's exports in progress
 * as "leftovers" at start and older images under each other's feet. Keepers of other scopes may share the folder
 * (each touches only its scope's files), so the lock is per scope.
 *
 * Node has no lock the OS drops at process death (no flock), so the file says who holds it — pid, host, the
 * process's start time, on Linux its start in clock ticks since boot and the boot id — and is created atomically
 * with its content (written to a temp file, fsynced, hard-linked to the lock's name: the link fails if the name
 * exists, and a reader never sees half a lock). A lock whose holder is gone is stale and taken over (logged): the
 * holder's host is this one and its pid is not running, or runs another process (its start ticks differ: the pid
 * was reused), or this machine booted since. A holder on another host (a shared file system) cannot be checked
 * from here: refused, with the file to delete if that keeper is gone.
 *
 * Taking over: the stale file is renamed aside (only one of two racing keepers gets it) and its content compared
 * with what was judged stale; if another keeper had meanwhile taken the lock, that lock is put back and this
 * keeper looks again (and is refused). Released on stop (only if it is still ours), and on a clean process exit.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { SyncScope } from '../../../core/index';
import type { Logger } from '../log';

export const imagesLockName = (scope: SyncScope): string => `.keeper-${scope}.lock`;

export const LockHolder = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  scope: z.string(),
  /** when the holding process started (ISO), for people */
  startedAt: z.string(),
  /** when it took the lock (ISO) */
  acquiredAt: z.string(),
  /** Linux: the process's start in clock ticks since boot (/proc/<pid>/stat field 22), to tell a reused pid */
  startTicks: z.string().nullable(),
  /** Linux: /proc/sys/kernel/random/boot_id, to tell a lock from before a reboot */
  bootId: z.string().nullable(),
  /** unique per lock: release removes the file only while it is still this one */
  token: z.string(),
});
export type LockHolder = z.infer<typeof LockHolder>;

/** The liveness checks, a port so that tests can play another host or a dead process. */
export interface ProcessProbe {
  host(): string;
  bootId(): string | null;
  /** true: a process with this pid exists (also one of another user) */
  exists(pid: number): boolean;
  startTicks(pid: number): string | null;
}

export const localProbe: ProcessProbe = {
  host: () => os.hostname(),
  bootId: () => readTrimmed('/proc/sys/kernel/random/boot_id'),
  exists(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      // EPERM: it exists, as another user's
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  startTicks(pid) {
    const stat = readTrimmed(`/proc/${pid}/stat`);
    if (stat === null) return null;
    // after the command name, which is in parentheses and may hold spaces and parentheses: fields 3…
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[22 - 3] ?? null;
  },
};

export class ImagesLockedError extends Error {
  override name = 'ImagesLockedError';
  constructor(
    message: string,
    readonly file: string,
    readonly holder: LockHolder | null,
  ) {
    super(message);
  }
}

export interface ImagesLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** removes the lock file if it is still ours; idempotent */
  release(): void;
}

/**
 * Takes the scope's lock of the images folder `dir` (which must exist), or throws ImagesLockedError naming the
 * keeper that holds it.
 */
export function acquireImagesLock(opts: { dir: string; scope: SyncScope; log: Logger; probe?: ProcessProbe }): ImagesLock {
  const probe = opts.probe ?? localProbe;
  const file = path.join(opts.dir, imagesLockName(opts.scope));
  const me: LockHolder = {
    pid: process.pid,
    host: probe.host(),
    scope: opts.scope,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    acquiredAt: new Date().toISOString(),
    startTicks: probe.startTicks(process.pid),
    bootId: probe.bootId(),
    token: randomUUID(),
  };
  const text = `${JSON.stringify(me, null, 2)}\n`;
  // a few rounds: each one that does not end here saw the lock change hands (a stale lock taken over, by us or another)
  for (let round = 0; round < 5; round++) {
    if (createExclusive(file, text)) return held(file, me, opts.log);
    const seen = readLock(file);
    if (seen === null) continue;
    const { raw, holder } = seen;
    if (!holder) {
      throw new ImagesLockedError(
        `the images folder ${opts.dir} holds a lock file for scope ${opts.scope} that does not say who holds it (${file}); if no keeper of that scope runs on this folder, delete the file`,
        file,
        null,
      );
    }
    const verdict = stateOf(holder, probe);
    if (verdict !== 'gone') {
      const where =
        verdict === 'elsewhere'
          ? `on host ${holder.host}, another machine: whether it still runs cannot be checked from here; if it does not, delete ${file}`
          : `on this host (${holder.host}); stop it, or give this keeper another images folder`;
      throw new ImagesLockedError(
        `the images folder ${opts.dir} is kept for scope ${opts.scope} by another keeper: pid ${holder.pid}, started ${holder.startedAt}, holding it since ${holder.acquiredAt}, ${where}`,
        file,
        holder,
      );
    }
    if (setAside(file, raw)) {
      opts.log.warn({ file, holder: { pid: holder.pid, host: holder.host, startedAt: holder.startedAt, acquiredAt: holder.acquiredAt } }, 'took over the images folder lock of a keeper that is gone');
    }
  }
  throw new ImagesLockedError(`could not take the lock ${file}: it kept changing hands`, file, null);
}

function held(file: string, me: LockHolder, log: Logger): ImagesLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const seen = readLock(file);
    if (seen?.holder?.token !== me.token) {
      log.warn({ file }, 'the images folder lock is no longer this keeper\'s: left in place');
      return;
    }
    rmSync(file, { force: true });
  };
  // a clean exit without stop() (e.g. a signal while starting) leaves no lock behind; a crash leaves a stale one
  process.on('exit', release);
  return { file, holder: me, release };
}

/** Creates `file` with `text` if no file of that name exists; false if one does. */
function createExclusive(file: string, text: string): boolean {
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  writeSynced(temp, text, 'wx');
  try {
    linkSync(temp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // a file system without hard links: an exclusive create, then the content (a reader may see it empty meanwhile)
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      try {
        writeSynced(file, text, 'wx');
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    }
    throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

function writeSynced(file: string, text: string, flag: 'wx'): void {
  const fd = openSync(file, flag);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The lock file's text and holder (null: it does not parse); null when there is no file. */
function readLock(file: string): { raw: string; holder: LockHolder | null } | null {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let holder: LockHolder | null = null;
  try {
    const parsed = LockHolder.safeParse(JSON.parse(raw));
    if (parsed.success) holder = parsed.data;
  } catch {
    // not JSON: holder stays null
  }
  return { raw, holder };
}

/** 'alive' (or cannot be told from 'alive' on this host), 'gone', or 'elsewhere' (another host: unknown) */
export function stateOf(holder: LockHolder, probe: ProcessProbe): 'alive' | 'gone' | 'elsewhere' {
  if (holder.host !== probe.host()) return 'elsewhere';
  const boot = probe.bootId();
  if (boot !== null && holder.bootId !== null && boot !== holder.bootId) return 'gone';
  if (!probe.exists(holder.pid)) return 'gone';
  if (holder.startTicks !== null) {
    const ticks = probe.startTicks(holder.pid);
    if (ticks !== null && ticks !== holder.startTicks) return 'gone';
  }
  return 'alive';
}

/** Moves the stale lock (text `raw`) out of the way; false if it was gone or had changed hands meanwhile (then left as found). */
function setAside(file: string, raw: string): boolean {
  const aside = `${file}.stale-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    if (readFileSync(aside, 'utf8') === raw) return true;
    // another keeper took the stale lock over between our read and our rename: this is its live lock, put it back
    try {
      linkSync(aside, file);
    } catch {
      // a third one took the name meanwhile: the next round looks at that one
    }
    return false;
  } finally {
    rmSync(aside, { force: true });
  }
}

function readTrimmed(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
