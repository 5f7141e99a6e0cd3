/**
 * The web host's embedded data center with its image keeper child (what `npm run web` runs): once the host's
 * replica is live the keeper signs in as the demo wall account, replicates the district and writes its
 * first image into `<data>/images`; the data center serves it to a signed-in client, and a new desktop
 * replica switches it in instead of taking the row snapshot; closing the host stops the keeper (cleanly: its
 * "keeper stopped" line) and the data center.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_HEADERS, ImageManifest, imageManifestName } from '../../../src/core/sync/image';
import { createDataService } from '../../../src/main/service/index';
import { startKeeper } from '../../../src/main/service/keeper/keeper';
import { startWebHost, type WebHost } from '../../../src/main/web-host/index';
import { recordingLogger } from '../service/fixtures';

let dir: string;
let host: WebHost;
const keeperOutput: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-web-keeper-'));
  const renderer = path.join(dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><div id="root"></div>');
  host = await startWebHost({
    port: 0,
    dataDir: path.join(dir, 'data'),
    rendererDir: renderer,
    imageKeeper: true,
    logger: recordingLogger().logger,
    onDataCenterOutput: () => undefined,
    onKeeperOutput: (line) => void keeperOutput.push(line),
  });
}, 180_000);

afterAll(async () => {
  await host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('web host with an image keeper', () => {
  it('starts the keeper once its replica is live; the keeper writes an image the data center serves', async () => {
    expect(host.imagesDir).toBe(path.join(dir, 'data', 'images'));
    const manifestFile = path.join(host.imagesDir!, imageManifestName('district'));
    // the keeper's first image: tsx's compile, its sign-in, a full row snapshot of the demo and the export, on 2 cores
    // shared with whatever else runs (25 s was not always enough); within the test's 150 s
    const deadline = Date.now() + 120_000;
    while (!existsSync(manifestFile)) {
      if (Date.now() > deadline) throw new Error(`no image written; keeper said:\n${keeperOutput.slice(-20).join('\n')}`);
      await sleep(100);
    }
    await host.imageKeeper()!.ready;
    expect(keeperOutput.some((l) => l.includes('"msg":"keeper ready"'))).toBe(true);
    const manifest = ImageManifest.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
    // an image of the feed, not of the reference-only replica the keeper's service holds before it is signed in
    expect(manifest.cursor.epoch).not.toBe('legacy-reference');
    expect(keeperOutput.some((l) => l.includes('"msg":"image written"') && l.includes(manifest.sha256))).toBe(true);

    // a desktop signed in as the wall asks for it
    const login = await fetch(`${host.dataCenterUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'wall', password: 'huying-demo' }) });
    const { value } = (await login.json()) as { value: { accessToken: string } };
    const res = await fetch(`${host.dataCenterUrl}/api/v1/sync/image?scope=district&schema=${manifest.schema}&pageSize=${manifest.pageSize}`, {
      headers: { authorization: `Bearer ${value.accessToken}` },
    });
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    expect(res.headers.get(IMAGE_HEADERS.cursor)).toBe(`${manifest.cursor.epoch}:${manifest.cursor.v}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(manifest.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.sha256);
    // without a token: 401, as the snapshot
    expect((await fetch(`${host.dataCenterUrl}/api/v1/sync/image?scope=district&schema=${manifest.schema}&pageSize=${manifest.pageSize}`)).status).toBe(401);
  }, 150_000);

  it('a new desktop replica takes the image instead of the row snapshot', async () => {
    const manifest = ImageManifest.parse(JSON.parse(readFileSync(path.join(host.imagesDir!, imageManifestName('district')), 'utf8')));
    const log = recordingLogger();
    const desk = await createDataService({ shell: 'web', dataDir: path.join(dir, 'desk'), dataCenterUrl: host.dataCenterUrl, logger: log.logger, sync: { autoStart: false } });
    try {
      await desk.handlers['auth/login']({ login: 'wall', password: 'huying-demo' });
      expect(await desk.syncNow()).toBe('live');
      const messages = log.entries.map((e) => e.msg);
      expect(messages).toContain('replica image switched in');
      expect(messages).not.toContain('snapshot applied');
      const cursor = desk.syncStatus().cursor!;
      expect(cursor.epoch).toBe(manifest.cursor.epoch);
      expect(cursor.v).toBeGreaterThanOrEqual(manifest.cursor.v);
      const tree = await desk.handlers['areas/tree']({});
      expect(tree.district.gridCount).toBe(1401);
    } finally {
      await desk.close();
    }
  }, 60_000);

  it('a keeper refuses to start with a wrong password, or an account that may not replicate its scope', async () => {
    // a folder of their own: the host's keeper holds the lock of the district's images in the host's (one keeper
    // per scope and folder), which would refuse them before they try to sign in
    const base = { imagesDir: path.join(dir, 'other-images'), dataCenterUrl: host.dataCenterUrl, logger: recordingLogger().logger };
    await expect(startKeeper({ ...base, dataDir: path.join(dir, 'k1'), credentials: { login: 'wall', password: 'wrong' } })).rejects.toThrow(/could not sign in as wall/);
    // the demo town officer may replicate its town only
    await expect(startKeeper({ ...base, dataDir: path.join(dir, 'k2'), scope: 'district', credentials: { login: 'town', password: 'huying-demo' } })).rejects.toThrow(/may replicate town \d{12} only, not district/);
  });

  it('stops the keeper and the data center with the host', async () => {
    const keeperPid = host.imageKeeper()!.pid;
    const dcPid = host.dataCenterPid!;
    await host.close();
    expect(alive(keeperPid)).toBe(false);
    expect(alive(dcPid)).toBe(false);
    expect(keeperOutput.some((l) => l.includes('"msg":"keeper stopped"'))).toBe(true);
  });
});
