/**
 * The images folder lock (./images-lock.ts) on a real folder: one holder per scope, other scopes beside it, the
 * holder named when refused, a lock of a process that is gone (dead pid, reused pid, an earlier boot) taken over and
 * logged, another host's refused, an unreadable one refused, released only while still ours, and two keepers racing
 * for a stale lock: one wins.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../log';
import { acquireImagesLock, imagesLockName, ImagesLockedError, LockHolder, localProbe, stateOf, type ImagesLock, type ProcessProbe } from './images-lock';

let dir: string;
const held: ImagesLock[] = [];
const said: { msg: string; obj: object }[] = [];
const log: Logger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => void said.push({ obj, msg: String(msg) }),
  error: (obj, msg) => void said.push({ obj, msg: String(msg) }),
};
const take = (scope: 'district' | '440114001000' = 'district', probe?: ProcessProbe) => {
  const lock = acquireImagesLock({ dir, scope, log, ...(probe ? { probe } : {}) });
  held.push(lock);
  return lock;
};
const lockFile = (scope: 'district' | '440114001000' = 'district') => path.join(dir, imagesLockName(scope));
const onDisk = (scope: 'district' | '440114001000' = 'district') => LockHolder.parse(JSON.parse(readFileSync(lockFile(scope), 'utf8')));

/** the pid of a process that has exited (reaped): no process has it for now */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-images-lock-'));
  said.length = 0;
});
afterEach(() => {
  for (const l of held.splice(0)) l.release();
  rmSync(dir, { recursive: true, force: true });
});

describe('images folder lock', () => {
  it('is taken with who holds it, refuses a second keeper of the scope naming the holder, lets other scopes in', () => {
    const first = take();
    const holder = onDisk();
    expect(holder).toMatchObject({ pid: process.pid, host: os.hostname(), scope: 'district', token: first.holder.token });
    if (process.platform === 'linux') expect(holder.startTicks).toBe(localProbe.startTicks(process.pid));
    // no temp file left beside it
    expect(readdirSync(dir)).toEqual([imagesLockName('district')]);

    let refused: unknown;
    try {
      take();
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ImagesLockedError);
    expect((refused as ImagesLockedError).holder).toEqual(holder);
    expect((refused as Error).message).toContain(`is kept for scope district by another keeper: pid ${process.pid}, started ${holder.startedAt}`);
    expect((refused as Error).message).toContain(`on this host (${os.hostname()}); stop it, or give this keeper another images folder`);
    // the holder's lock is untouched
    expect(onDisk()).toEqual(holder);

    // a town's keeper on the same folder
    const town = take('440114001000');
    expect(town.file).toBe(lockFile('440114001000'));
    expect(readdirSync(dir).sort()).toEqual([imagesLockName('440114001000'), imagesLockName('district')].sort());
  });

  it('is released by its holder, and a released folder is taken again', () => {
    const first = take();
    first.release();
    expect(existsSync(lockFile())).toBe(false);
    first.release();
    const second = take();
    expect(onDisk().token).toBe(second.holder.token);
    expect(said).toEqual([]);
  });

  it('leaves a lock that is no longer its own', () => {
    const first = take();
    // as if another keeper had taken the folder over meanwhile
    const other = { ...first.holder, token: 'someone-else' };
    writeFileSync(lockFile(), JSON.stringify(other));
    first.release();
    expect(onDisk()).toEqual(other);
    expect(said.map((s) => s.msg)).toEqual(["the images folder lock is no longer this keeper's: left in place"]);
  });

  it('takes over the lock of a keeper that is gone, and logs it', () => {
    const pid = deadPid();
    const stale: LockHolder = { pid, host: os.hostname(), scope: 'district', startedAt: '2026-11-28T09:00:00.000Z', acquiredAt: '2026-11-28T09:00:01.000Z', startTicks: null, bootId: null, token: 'stale' };
    writeFileSync(lockFile(), JSON.stringify(stale));
    const lock = take();
    expect(onDisk().token).toBe(lock.holder.token);
    expect(said).toEqual([{ msg: 'took over the images folder lock of a keeper that is gone', obj: { file: lockFile(), holder: { pid, host: os.hostname(), startedAt: stale.startedAt, acquiredAt: stale.acquiredAt } } }]);
    // nothing set aside is left
    expect(readdirSync(dir)).toEqual([imagesLockName('district')]);
  });

  it('tells a reused pid and an earlier boot from the holder, a holder on another host is not judged', () => {
    const me = take().holder;
    const probe = (over: Partial<ProcessProbe>): ProcessProbe => ({ host: () => me.host, bootId: () => 'boot-1', exists: () => true, startTicks: () => '100', ...over });
    const holder = { ...me, bootId: 'boot-1', startTicks: '100' };
    expect(stateOf(holder, probe({}))).toBe('alive');
    // the pid now runs a process started later: the holder is gone
    expect(stateOf(holder, probe({ startTicks: () => '250' }))).toBe('gone');
    // the machine booted since the lock was taken
    expect(stateOf(holder, probe({ bootId: () => 'boot-2' }))).toBe('gone');
    expect(stateOf(holder, probe({ exists: () => false }))).toBe('gone');
    // no start ticks known (not Linux): the pid's existence decides
    expect(stateOf({ ...holder, startTicks: null }, probe({ startTicks: () => '250' }))).toBe('alive');
    expect(stateOf(holder, probe({ host: () => 'another-host', exists: () => false }))).toBe('elsewhere');
  });

  it.runIf(process.platform === 'linux')('takes over a lock whose pid now runs another process (this one, started later than the lock says)', () => {
    const reused: LockHolder = { pid: process.pid, host: os.hostname(), scope: 'district', startedAt: '2026-11-28T09:00:00.000Z', acquiredAt: '2026-11-28T09:00:01.000Z', startTicks: '1', bootId: localProbe.bootId(), token: 'reused' };
    writeFileSync(lockFile(), JSON.stringify(reused));
    const lock = take();
    expect(onDisk().token).toBe(lock.holder.token);
    expect(said.map((s) => s.msg)).toEqual(['took over the images folder lock of a keeper that is gone']);
  });

  it('refuses a lock held on another host, and one that does not say who holds it', () => {
    const elsewhere: LockHolder = { pid: deadPid(), host: 'keeper-box-2', scope: 'district', startedAt: '2026-11-28T09:00:00.000Z', acquiredAt: '2026-11-28T09:00:01.000Z', startTicks: null, bootId: null, token: 'remote' };
    writeFileSync(lockFile(), JSON.stringify(elsewhere));
    expect(() => take()).toThrow(`pid ${elsewhere.pid}, started ${elsewhere.startedAt}, holding it since ${elsewhere.acquiredAt}, on host keeper-box-2, another machine: whether it still runs cannot be checked from here; if it does not, delete ${lockFile()}`);
    expect(onDisk()).toEqual(elsewhere);

    writeFileSync(lockFile(), '');
    expect(() => take()).toThrow(`holds a lock file for scope district that does not say who holds it (${lockFile()}); if no keeper of that scope runs on this folder, delete the file`);
    expect(readFileSync(lockFile(), 'utf8')).toBe('');
  });

  it('lets one of two keepers racing for a stale lock have it', () => {
    const stale: LockHolder = { pid: deadPid(), host: os.hostname(), scope: 'district', startedAt: '2026-11-28T09:00:00.000Z', acquiredAt: '2026-11-28T09:00:01.000Z', startTicks: null, bootId: null, token: 'stale' };
    writeFileSync(lockFile(), JSON.stringify(stale));
    // the other keeper judges the same stale lock and takes it over between our judgement and our move: its
    // probe runs our whole acquisition at the moment ours asks whether the stale holder exists
    let theirs: ImagesLock | null = null;
    const racing: ProcessProbe = {
      ...localProbe,
      exists: (pid) => {
        if (pid === stale.pid && !theirs) theirs = acquireImagesLock({ dir, scope: 'district', log });
        return localProbe.exists(pid);
      },
    };
    expect(() => take('district', racing)).toThrow(/is kept for scope district by another keeper/);
    expect(theirs).not.toBeNull();
    held.push(theirs!);
    expect(onDisk().token).toBe(theirs!.holder.token);
    expect(readdirSync(dir)).toEqual([imagesLockName('district')]);
  });
});
