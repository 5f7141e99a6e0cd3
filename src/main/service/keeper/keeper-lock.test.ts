/**
 * startKeeper and its images folder lock (./images-lock.ts), with real keepers (their data service and replica)
 * whose data center does not answer: a second keeper of the scope on the folder is refused at start, naming the
 * holder, and touches nothing there (not even the first one's export in progress); a keeper of another scope
 * shares the folder; stop() releases the lock and the next keeper takes it; a crashed keeper's stale lock is
 * taken over (logged) and its leftovers cleaned; a keeper that fails to start releases the lock.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../log';
import { imagesLockName, LockHolder } from './images-lock';
import { startKeeper, type Keeper, type KeeperOptions } from './keeper';

const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-keeper-lock-'));
const images = path.join(dir, 'images');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const running: Keeper[] = [];
afterEach(async () => {
  for (const k of running.splice(0)) await k.stop();
});

const said: string[] = [];
const log: Logger = { debug: () => {}, info: (_o, msg) => void said.push(String(msg)), warn: (_o, msg) => void said.push(String(msg)), error: () => {} };
// nothing listens on port 9 of 127.0.0.1: the keepers stay offline, which is all the lock needs
const start = async (over: Partial<KeeperOptions> & { dataDir: string }) => {
  const k = await startKeeper({
    imagesDir: images,
    dataCenterUrl: 'http://127.0.0.1:9',
    credentials: { token: 'a-token' },
    logger: log,
    sync: { retryInitialMs: 1000, retryMaxMs: 5000, requestTimeoutMs: 1000 },
    ...over,
    dataDir: path.join(dir, over.dataDir),
  });
  running.push(k);
  return k;
};
const lockOf = (scope = 'district') => path.join(images, imagesLockName(scope));
const holderOf = (scope = 'district') => LockHolder.parse(JSON.parse(readFileSync(lockOf(scope), 'utf8')));

describe('image keeper: one per scope and images folder', () => {
  it('refuses a second keeper of the scope naming the holder, touching nothing; lets another scope share the folder; releases on stop', async () => {
    const first = await start({ dataDir: 'first' });
    const holder = holderOf();
    expect(holder).toMatchObject({ pid: process.pid, scope: 'district' });
    // the first keeper's export in progress, which a second keeper's start-up would clean away as a leftover
    writeFileSync(path.join(images, '.district.export.sqlite.partial'), 'an export in progress');
    const listing = readdirSync(images).sort();

    const second = start({ dataDir: 'second' });
    await expect(second).rejects.toThrow(`the images folder ${images} is kept for scope district by another keeper: pid ${process.pid}, started ${holder.startedAt}`);
    expect(readdirSync(images).sort()).toEqual(listing);
    expect(holderOf()).toEqual(holder);
    // refused before its data service was opened
    expect(existsSync(path.join(dir, 'second'))).toBe(false);

    const town = await start({ dataDir: 'town', scope: '440114001000' });
    expect(holderOf('440114001000').scope).toBe('440114001000');
    await town.stop();
    expect(existsSync(lockOf('440114001000'))).toBe(false);

    await first.stop();
    expect(existsSync(lockOf())).toBe(false);
    // and the next keeper takes the folder
    const third = await start({ dataDir: 'first' });
    expect(holderOf().token).not.toBe(holder.token);
    await third.stop();
  });

  it("takes over a crashed keeper's stale lock, logs it, and cleans that keeper's leftovers", async () => {
    mkdirSync(images, { recursive: true });
    // a keeper process that died (its pid is free now) in the middle of an export
    const pid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const stale: LockHolder = { pid, host: os.hostname(), scope: 'district', startedAt: '2026-11-28T08:00:00.000Z', acquiredAt: '2026-11-28T08:00:02.000Z', startTicks: null, bootId: null, token: 'crashed' };
    writeFileSync(lockOf(), JSON.stringify(stale));
    writeFileSync(path.join(images, '.district.export.sqlite.partial'), 'half an export');
    said.length = 0;

    const k = await start({ dataDir: 'after-crash' });
    expect(holderOf()).toMatchObject({ pid: process.pid });
    expect(said).toContain('took over the images folder lock of a keeper that is gone');
    expect(said.indexOf('took over the images folder lock of a keeper that is gone')).toBeLessThan(said.indexOf('removed a temp file an earlier keeper left'));
    expect(readdirSync(images)).toEqual([imagesLockName('district')]);
    await k.stop();
    expect(readdirSync(images)).toEqual([]);
  });

  it('releases the lock when it fails to start', async () => {
    // a data folder that cannot be one: a file
    writeFileSync(path.join(dir, 'not-a-folder'), '');
    await expect(start({ dataDir: 'not-a-folder' })).rejects.toThrow();
    expect(existsSync(lockOf())).toBe(false);
  });
});
