import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../service/index';
import { DEMO_KEEPER_ACCOUNT, logLevel, logMessage, migrationStep, readyUrl, startEmbeddedDataCenter, startImageKeeperChild } from './embedded-datacenter';
import { manualClock } from './test/manual-clock';

describe('reading the data center child’s output', () => {
  it('finds the URL in the ready line only', () => {
    expect(readyUrl('{"level":30,"msg":"data center ready","url":"http://127.0.0.1:40163"}')).toBe('http://127.0.0.1:40163');
    expect(readyUrl('{"level":30,"msg":"database open"}')).toBeNull();
    expect(readyUrl('{"msg":"data center ready"}')).toBeNull();
    expect(readyUrl('data center ready http://x')).toBeNull();
    expect(readyUrl('{not json')).toBeNull();
  });

  it('reads pino levels, and nothing from other lines', () => {
    expect(logLevel('{"level":50,"msg":"boom"}')).toBe(50);
    expect(logLevel('{"level":"info"}')).toBeNull();
    expect(logLevel('    at Object.<anonymous> (file.ts:1:1)')).toBeNull();
  });

  it('reads the store migration lines, and nothing from other lines', () => {
    expect(migrationStep('{"level":30,"msg":"store migration started","migration":{"id":8,"name":"sync-rows-text","index":1,"count":2},"note":"…"}')).toEqual({
      phase: 'start',
      id: 8,
      name: 'sync-rows-text',
      index: 1,
      count: 2,
    });
    expect(migrationStep('{"level":30,"msg":"store migration finished","migration":{"id":8,"name":"sync-rows-text","index":1,"count":2,"applied":true,"ms":38000}}')).toEqual({
      phase: 'done',
      id: 8,
      name: 'sync-rows-text',
      index: 1,
      count: 2,
      ms: 38000,
    });
    expect(migrationStep('{"level":30,"msg":"store migration started"}')).toBeNull();
    expect(migrationStep('{"level":30,"msg":"database open","migration":{"id":8,"name":"x"}}')).toBeNull();
    expect(migrationStep('store migration started')).toBeNull();
  });
});

/**
 * A stand-in for the data center's CLI, run by the host like the real one (`node --import tsx FILE
 * --port 0 --data DIR --seed demo`): it says what FAKE_SCRIPT tells it, and waits for `DIR/go` before
 * the rest, so a test decides when it gets ready.
 */
const FAKE_CHILD = `
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
const dir = process.argv[process.argv.indexOf('--data') + 1];
writeFileSync(dir + '/pid', String(process.pid));
const line = (obj) => console.log(JSON.stringify({ level: 30, time: Date.now(), ...obj }));
const step = { id: 8, name: 'sync-rows-text', index: 1, count: 1 };
if (process.env.FAKE_SCRIPT === 'migrate') line({ msg: 'store migration started', migration: step });
while (!existsSync(dir + '/go')) await new Promise((r) => setTimeout(r, 20));
if (process.env.FAKE_SCRIPT === 'migrate') line({ msg: 'store migration finished', migration: { ...step, applied: true, ms: 2500 } });
const server = createServer((_, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
  line({ msg: 'data center ready', url: 'http://127.0.0.1:' + server.address().port });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Entry {
  level: string;
  msg: string;
}

function recordingLog(): { log: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  const at = (level: string) => (_obj: object, msg?: string) => void entries.push({ level, msg: msg ?? '' });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

describe('waiting for the data center child', () => {
  const dirs: string[] = [];
  afterEach(() => {
    delete process.env.FAKE_SCRIPT;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function fakeChild(script: 'migrate' | 'silent'): { cliPath: string; dataDir: string } {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-dc-child-'));
    dirs.push(dir);
    const cliPath = path.join(dir, 'fake-cli.mjs');
    writeFileSync(cliPath, FAKE_CHILD);
    process.env.FAKE_SCRIPT = script;
    const dataDir = path.join(dir, 'data');
    mkdirSync(dataDir);
    return { cliPath, dataDir };
  }

  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((r) => setTimeout(r, 20));
  };
  /** long enough for a settled promise's handlers to have run */
  const tick = () => new Promise((r) => setTimeout(r, 50));

  /**
   * The ready deadline runs on a manual clock here: it starts at the spawn, and on a loaded 2-core machine
   * the child's start-up (node, tsx's loader) took longer than the 1.5 s the test once gave it, so it timed
   * out before the child could announce its migration. Every step is still the real one (process, lines,
   * pause); only the deadline's time moves when the test says, after the child has spoken.
   */
  it('does not kill a child that is migrating its store past the ready timeout, and waits for its ready line', async () => {
    const { cliPath, dataDir } = fakeChild('migrate');
    const { log, entries } = recordingLog();
    const lines: string[] = [];
    const readyTimeoutMs = 1500;
    const clock = manualClock();
    const starting = startEmbeddedDataCenter({ dataDir, cliPath, seed: null, log, readyTimeoutMs, stopTimeoutMs: 2000, clock, onOutput: (l) => void lines.push(l) });
    let settled = false;
    void starting.then(
      () => (settled = true),
      () => (settled = true),
    );
    const migrating =
      'the embedded data center is migrating its store (migration 8 sync-rows-text, 1 of 1); this can take minutes on a large store — waiting for it without a time limit';
    await until(() => settled || entries.some((e) => e.msg === migrating));
    expect(settled).toBe(false);
    expect(lines.some((l) => l.includes('"msg":"store migration started"'))).toBe(true);
    // well past the ready timeout (a hundred of them), the child still migrating
    clock.advance(readyTimeoutMs * 100);
    await tick();
    expect(settled).toBe(false);
    expect(alive(Number(readFileSync(path.join(dataDir, 'pid'), 'utf8')))).toBe(true);
    writeFileSync(path.join(dataDir, 'go'), '');
    const dc = await starting;
    expect(dc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(dc.url)).status).toBe(200);
    expect(entries.map((e) => e.msg)).toContain('the embedded data center finished migrating its store (migration 8 sync-rows-text, 1 of 1, 2.5 s)');
    await dc.stop();
    expect(alive(dc.pid)).toBe(false);
    expect(lines.some((l) => l.includes('"msg":"data center ready"'))).toBe(true);
  });

  it('still gives up on a child that stays silent, at its deadline, and stops it', async () => {
    const { cliPath, dataDir } = fakeChild('silent');
    const { log } = recordingLog();
    const clock = manualClock();
    const starting = startEmbeddedDataCenter({ dataDir, cliPath, seed: null, log, readyTimeoutMs: 1000, stopTimeoutMs: 2000, clock, onOutput: () => undefined });
    let settled = false;
    void starting.then(
      () => (settled = true),
      () => (settled = true),
    );
    // the child is up (its pid written), however long that took; then the deadline's time passes
    const pidFile = path.join(dataDir, 'pid');
    await until(() => settled || existsSync(pidFile));
    clock.advance(999);
    await tick();
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(starting).rejects.toThrow(/did not report ready within 1000 ms/);
    // and stopped
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });
});

/**
 * A stand-in for the keeper's CLI: says it is ready with what it was given, and stops on SIGTERM with its last
 * line; with FAKE_KEEPER=refused it fails to sign in as the real one does (a fatal line, exit code 1).
 */
const FAKE_KEEPER = `
const line = (obj) => console.log(JSON.stringify({ level: 30, time: Date.now(), ...obj }));
if (process.env.FAKE_KEEPER === 'refused') {
  line({ level: 60, msg: 'the keeper failed to start: could not sign in as wall' });
  process.exit(1);
}
const timer = setInterval(() => {}, 1000);
// the handler before the ready line, as the real CLI: a SIGTERM right after it must not find the default action
process.on('SIGTERM', () => {
  clearInterval(timer);
  line({ msg: 'keeper stopped' });
  process.exit(0);
});
line({ msg: 'keeper ready', argv: process.argv.slice(2), password: process.env.HUYING_KEEPER_PASSWORD ?? null });
`;

describe('the image keeper child', () => {
  it('reads JSON log messages only', () => {
    expect(logMessage('{"level":30,"msg":"keeper ready"}')).toBe('keeper ready');
    expect(logMessage('{"level":30}')).toBeNull();
    expect(logMessage('keeper ready')).toBeNull();
  });

  it('signs in as the demo wall with the password in the environment, waits for its ready line, and stops it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-keeper-child-'));
    try {
      const cliPath = path.join(dir, 'fake-keeper.mjs');
      writeFileSync(cliPath, FAKE_KEEPER);
      const lines: string[] = [];
      const { log } = recordingLog();
      const keeper = startImageKeeperChild({ dataCenterUrl: 'http://127.0.0.1:1', imagesDir: path.join(dir, 'images'), dataDir: path.join(dir, 'keeper'), cliPath, log, onOutput: (l) => void lines.push(l) });
      await keeper.ready;
      const ready = JSON.parse(lines.find((l) => l.includes('"keeper ready"'))!) as { argv: string[]; password: string | null };
      expect(ready.argv).toEqual(['--datacenter', 'http://127.0.0.1:1', '--images', path.join(dir, 'images'), '--data', path.join(dir, 'keeper'), '--user', DEMO_KEEPER_ACCOUNT.login]);
      expect(ready.password).toBe(DEMO_KEEPER_ACCOUNT.password);
      expect(alive(keeper.pid)).toBe(true);
      await keeper.stop();
      expect(alive(keeper.pid)).toBe(false);
      expect(lines.filter((l) => l.startsWith('{')).at(-1)).toContain('"keeper stopped"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs a keeper that fails to start once, with its last output, and goes on without it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-keeper-child-'));
    process.env.FAKE_KEEPER = 'refused';
    try {
      const cliPath = path.join(dir, 'fake-keeper.mjs');
      writeFileSync(cliPath, FAKE_KEEPER);
      const { log, entries } = recordingLog();
      const keeper = startImageKeeperChild({ dataCenterUrl: 'http://127.0.0.1:1', imagesDir: path.join(dir, 'images'), dataDir: path.join(dir, 'keeper'), cliPath, log, onOutput: () => undefined });
      await expect(keeper.ready).rejects.toThrow(/^the image keeper exited before it was ready \(code 1\); last output:\n.*could not sign in as wall/);
      await expect.poll(() => entries.filter((e) => e.level === 'error').map((e) => e.msg)).toEqual(['the image keeper did not start; desktops take the row snapshot']);
      expect(alive(keeper.pid)).toBe(false);
      await keeper.stop();
    } finally {
      delete process.env.FAKE_KEEPER;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
