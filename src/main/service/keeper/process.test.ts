/**
 * The keeper's utilityProcess side (./process.ts) with an in-memory parent port and real keepers whose data
 * center does not answer: the settings from the environment (named by variable when missing), `ready` once the
 * keeper runs, `shutdown` stops it (its lock released) and exits 0 — also while it is still starting; a keeper
 * that cannot start says `fatal` and exits 1 (its sign-in fails), or with a code main does not retry (its folder is
 * another keeper's, its settings are bad); SIGTERM stops it as shutdown does, or exits after a grace; the password
 * leaves the environment once read.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../log';
import { acquireImagesLock, imagesLockName } from './images-lock';
import { startKeeper, type KeeperOptions } from './keeper';
import { KEEPER_EXIT } from './exit-codes';
import { keeperOptionsFromEnv, runKeeperProcess, type FromKeeperMessage, type KeeperParentPort } from './process';

const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-keeper-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
// nothing listens on port 9 of 127.0.0.1
const env = (name: string) => ({
  HUYING_KEEPER_DATACENTER_URL: 'http://127.0.0.1:9',
  HUYING_KEEPER_IMAGES_DIR: path.join(dir, `${name}-images`),
  HUYING_KEEPER_DATA_DIR: path.join(dir, `${name}-data`),
  HUYING_KEEPER_USER: 'wall',
  HUYING_KEEPER_PASSWORD: 'huying-demo',
});
const sync = { retryInitialMs: 1000, retryMaxMs: 5000, requestTimeoutMs: 1000 };

class Port implements KeeperParentPort {
  readonly posted: FromKeeperMessage[] = [];
  private listener: ((e: { data: unknown }) => void) | null = null;
  on(_event: 'message', listener: (e: { data: unknown }) => void) {
    this.listener = listener;
  }
  postMessage(message: FromKeeperMessage) {
    this.posted.push(structuredClone(message));
  }
  send(data: unknown) {
    this.listener?.({ data });
  }
}

function run(port: Port, e: Record<string, string | undefined>, start: (o: KeeperOptions) => ReturnType<typeof startKeeper>, terminateGraceMs?: number) {
  const codes: number[] = [];
  let exited!: () => void;
  const exitedP = new Promise<void>((r) => (exited = r));
  let terminate: (() => void) | null = null;
  const running = runKeeperProcess(port, e, {
    startKeeper: start,
    logger: quiet,
    exit: (code) => {
      codes.push(code);
      exited();
    },
    onTerminate: (listener) => (terminate = listener),
    ...(terminateGraceMs !== undefined ? { terminateGraceMs } : {}),
  });
  return { running, exited: exitedP, code: () => codes.at(-1) ?? null, codes, sigterm: () => terminate?.() };
}

/** the real keeper, with a fixed token instead of the password: it starts without a data center */
const withToken = (o: KeeperOptions) => startKeeper({ ...o, credentials: { token: 'a-token' }, sync });

describe('image keeper process', () => {
  it('reads its settings from the environment, naming the variables main must set', () => {
    const e = env('settings');
    expect(keeperOptionsFromEnv({ ...e, HUYING_KEEPER_RENEW_MINUTES: '2', HUYING_KEEPER_SCOPE: '440114001000' })).toEqual({
      ok: true,
      options: { dataCenterUrl: 'http://127.0.0.1:9', imagesDir: e.HUYING_KEEPER_IMAGES_DIR, dataDir: e.HUYING_KEEPER_DATA_DIR, scope: '440114001000', credentials: { login: 'wall', password: 'huying-demo' }, renewMs: 120_000 },
    });
    expect(keeperOptionsFromEnv({ ...e, HUYING_KEEPER_IMAGES_DIR: '' })).toEqual({ ok: false, message: "the image keeper's settings are incomplete: HUYING_KEEPER_IMAGES_DIR DIR is required" });
    expect(keeperOptionsFromEnv({ ...e, HUYING_KEEPER_PASSWORD: undefined })).toEqual({ ok: false, message: "the image keeper's settings are incomplete: HUYING_KEEPER_USER needs a password: HUYING_KEEPER_PASSWORD" });
  });

  it('says ready once the keeper runs, and stops it on shutdown: lock released, exit 0', async () => {
    const e = env('ready');
    const port = new Port();
    const p = run(port, e, withToken);
    await p.running;
    expect(port.posted).toEqual([{ t: 'ready', scope: 'district', imagesDir: e.HUYING_KEEPER_IMAGES_DIR, image: null }]);
    const lock = path.join(e.HUYING_KEEPER_IMAGES_DIR, imagesLockName('district'));
    expect(existsSync(lock)).toBe(true);
    port.send({ t: 'shutdown' });
    await p.exited;
    expect(p.code()).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it('stops a keeper told to shut down while it was starting, once it has started', async () => {
    const e = env('early');
    const port = new Port();
    const p = run(port, e, withToken);
    port.send({ t: 'shutdown' });
    await p.running;
    await p.exited;
    expect(p.code()).toBe(0);
    expect(port.posted).toEqual([]);
    expect(existsSync(path.join(e.HUYING_KEEPER_IMAGES_DIR, imagesLockName('district')))).toBe(false);
  });

  it('says fatal and exits 1 when the keeper cannot start: sign-in refused, folder kept by another keeper', async () => {
    const port = new Port();
    const p = run(port, env('signin'), (o) => startKeeper({ ...o, sync }));
    await p.exited;
    expect(p.code()).toBe(1);
    expect(port.posted).toEqual([{ t: 'fatal', message: expect.stringMatching(/^the keeper could not sign in as wall: /) }]);

    const e = env('locked');
    mkdirSync(e.HUYING_KEEPER_IMAGES_DIR, { recursive: true });
    const other = acquireImagesLock({ dir: e.HUYING_KEEPER_IMAGES_DIR, scope: 'district', log: quiet });
    try {
      const refused = new Port();
      const q = run(refused, e, withToken);
      await q.exited;
      expect(q.code()).toBe(KEEPER_EXIT.locked);
      expect(refused.posted).toEqual([{ t: 'fatal', message: expect.stringContaining(`is kept for scope district by another keeper: pid ${process.pid}`) }]);
    } finally {
      other.release();
    }

    const bad = new Port();
    const r = run(bad, { ...e, HUYING_KEEPER_DATACENTER_URL: undefined }, withToken);
    await r.exited;
    expect(r.code()).toBe(KEEPER_EXIT.settings);
    expect(bad.posted).toEqual([{ t: 'fatal', message: "the image keeper's settings are incomplete: HUYING_KEEPER_DATACENTER_URL URL is required" }]);
  });

  it('stops on SIGTERM as on shutdown: lock released, exit 0; exits 1 after the grace if the keeper does not stop', async () => {
    const e = env('sigterm');
    const port = new Port();
    const p = run(port, e, withToken);
    await p.running;
    const lock = path.join(e.HUYING_KEEPER_IMAGES_DIR, imagesLockName('district'));
    expect(existsSync(lock)).toBe(true);
    p.sigterm();
    await p.exited;
    expect(p.codes).toEqual([0]);
    expect(existsSync(lock)).toBe(false);
    // the grace's timer is cleared by the exit
    await new Promise((r) => setTimeout(r, 80));
    expect(p.codes).toEqual([0]);

    // still starting (a long migration): the kill ends it anyway
    const stuck = run(new Port(), env('stuck'), () => new Promise(() => {}), 50);
    stuck.sigterm();
    await stuck.exited;
    expect(stuck.codes).toEqual([1]);
  });

  it('deletes the password from the environment once read', async () => {
    const e: Record<string, string | undefined> = env('password');
    const p = run(new Port(), e, withToken);
    await p.running;
    expect('HUYING_KEEPER_PASSWORD' in e).toBe(false);
    expect(e.HUYING_KEEPER_USER).toBe('wall');
    p.sigterm();
    await p.exited;
  });
});
