/**
 * The real utility-process entry (src/main/service/process.ts) booting the
 * real data service: with a `process.parentPort` stand-in and the environment
 * main sets, it opens the replica, says `ready`, answers `app/info` as the
 * Electron shell, forwards `sync/status` (the data center is unreachable, so
 * the status goes offline), and closes on `shutdown`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FromServiceMessage } from '../../src/main/service/process';

const dirs: string[] = [];
afterEach(() => {
  delete (process as { parentPort?: unknown }).parentPort;
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('data-service utility entry', () => {
  it('boots the real service, answers, forwards events and exits 0 after shutdown', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'huying-entry-'));
    dirs.push(dataDir);
    vi.stubEnv('HUYING_DATA_DIR', dataDir);
    vi.stubEnv('HUYING_DATACENTER_URL', 'http://127.0.0.1:9');
    vi.stubEnv('HUYING_APP_VERSION', '1.2.3');
    vi.stubEnv('HUYING_SQLITE_BINDING', '');
    const exits: number[] = [];
    vi.spyOn(process, 'exit').mockImplementation(((code?: number) => void exits.push(code ?? 0)) as never);

    const posted: FromServiceMessage[] = [];
    let deliver: (e: { data: unknown }) => void = () => {};
    (process as { parentPort?: unknown }).parentPort = {
      on: (_event: 'message', listener: (e: { data: unknown }) => void) => (deliver = listener),
      postMessage: (m: FromServiceMessage) => posted.push(structuredClone(m)),
    };
    await import('../../src/main/service/process');

    await until(() => posted.some((m) => m.t === 'ready' || m.t === 'fatal'), 'ready');
    expect(posted.find((m) => m.t === 'fatal')).toBeUndefined();

    deliver({ data: { t: 'sub', name: 'sync/status' } });
    deliver({ data: { t: 'req', id: 1, name: 'app/info', args: {} } });
    await until(() => posted.some((m) => m.t === 'res'), 'the answer');
    expect(posted.find((m) => m.t === 'res')).toMatchObject({
      t: 'res',
      id: 1,
      reply: { ok: true, result: { shell: 'electron', version: '1.2.3', dataCenterUrl: 'http://127.0.0.1:9' } },
    });
    await until(() => posted.some((m) => m.t === 'evt' && (m.payload as { state: string }).state === 'offline'), 'an offline status');

    deliver({ data: { t: 'shutdown' } });
    await until(() => exits.length > 0, 'exit');
    expect(exits).toEqual([0]);
  });
});
