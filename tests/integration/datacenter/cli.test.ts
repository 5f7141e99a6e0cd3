/**
 * The data center as a process, the way other processes use it: spawned with
 * node and tsx's loader, waited for by its one "data center ready" log line, stopped by a
 * signal (or, in Electron, by a message on its parent port). Bad arguments
 * exit 2 with a message, a database it cannot reach exits 1, a clean stop
 * exits 0 — and a restart on the same PGlite directory keeps its data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HuyingError } from '../../../src/core';
import { HealthResponse } from '../../../src/datacenter/http/app';
import { openDatabase } from '../../../src/datacenter/store/database';
import { migrations } from '../../../src/datacenter/store/migrations';
import { migrationStep } from '../../../src/main/web-host/embedded-datacenter';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'src/datacenter/cli.ts');
const PARENT_PORT_ENTRY = path.join(__dirname, 'fixtures/fake-parent-port.ts');

interface LogLine {
  msg: string;
  level: number;
  [key: string]: unknown;
}

class Proc {
  readonly lines: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly messages: unknown[] = [];
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        if (line.startsWith('{')) this.lines.push(JSON.parse(line) as LogLine);
      }
      this.wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    child.on('message', (m) => {
      this.messages.push(m);
      this.wake();
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => (this.wake(), resolve(code))));
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** resolves with the first value `pick` returns, or rejects after `ms` or when the process exits first */
  async until<T>(pick: () => T | undefined, ms: number, what: string): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = pick();
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${what}: not seen (exit ${this.child.exitCode})\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  line(msg: string): LogLine | undefined {
    return this.lines.find((l) => l.msg === msg);
  }
}

/** `node --import tsx src/datacenter/cli.ts …` in its own process group, as a terminal would run it */
function cli(args: string[], env: Record<string, string> = {}): Proc {
  const { DATABASE_URL: _ignored, ...base } = process.env;
  // as `npm run datacenter` does: node with tsx's loader, no tsx CLI wrapper (which SIGKILLs its child when the
  // child's signal report takes over 30 ms, e.g. on a loaded machine)
  return new Proc(spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
}

const started: Proc[] = [];
afterAll(() => {
  for (const p of started) {
    if (p.child.exitCode !== null || !p.child.pid) continue;
    try {
      process.kill(-p.child.pid, 'SIGKILL'); // its group: tsx and the node process under it
    } catch {
      p.child.kill('SIGKILL');
    }
  }
});

describe('data center CLI arguments', () => {
  it.each([
    [['--port', 'abc'], /--port must be a whole number/],
    [['--port', '70000'], /--port must be a whole number/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--pg', 'postgres://localhost/x', '--data', '/tmp/x'], /--pg and --data are exclusive/],
    [['--seed', 'maybe'], /--seed must be "demo" or "none"/],
    [['--pg', 'mysql://localhost/x'], /--pg must be a postgres:\/\//],
    [['stray'], /positional/i],
  ])('%j exits 2 with a clear message', async (args, message) => {
    const p = cli(args);
    expect(await p.exited).toBe(2);
    expect(p.stderr).toMatch(message);
    expect(p.stderr).toContain('usage: npm run datacenter');
    expect(p.stdout).not.toContain('data center ready');
  });

  it('--help prints the usage and exits 0', async () => {
    const p = cli(['--help']);
    expect(await p.exited).toBe(0);
    expect(p.stdout).toContain('--seed demo');
  });

  it('exits 1 with a fatal log line when PostgreSQL cannot be reached', async () => {
    const p = cli([], { DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/none' });
    expect(await p.exited).toBe(1);
    const fatal = p.lines.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(/cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/none/);
    expect(p.stdout).not.toContain('hunter2');
  });
});

describe('data center process on a PGlite directory', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'huying-dc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts, logs one ready line, refuses a second owner, stops on SIGTERM, and restarts on its data', async () => {
    const first = cli(['--data', dir, '--port', '0']);
    started.push(first);
    const ready = await first.until(() => first.line('data center ready'), 180_000, 'ready line');
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.line('reference data seeded')).toBeDefined();
    // each migration announced before it ran and after it committed, in lines the web host reads
    expect(first.stdout.split('\n').flatMap((l) => migrationStep(l) ?? []).map((s) => `${s.phase} ${s.id} ${s.index}/${s.count}`)).toEqual(
      migrations.flatMap((m, i) => [`start ${m.id} ${i + 1}/${migrations.length}`, `done ${m.id} ${i + 1}/${migrations.length}`]),
    );

    const health = HealthResponse.parse(await (await fetch(`${String(ready.url)}/healthz`)).json());
    expect(health).toMatchObject({ db: 'pglite', version: ready.version, epoch: ready.epoch });

    // PGlite is single-process: a second opener of the directory is refused, not let in to corrupt it
    const second = await openDatabase({ dataDir: dir }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(HuyingError);
    expect((second as HuyingError).message).toMatch(/in use by another data center \(pid \d+\)/);

    // a supervisor's SIGTERM to the data center process (its pid is on every log line)
    expect(ready.pid).toBe(first.child.pid);
    process.kill(Number(ready.pid), 'SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.line('shutting down')?.reason).toBe('SIGTERM');
    expect(first.line('data center stopped')).toBeDefined();
    expect(first.lines.filter((l) => l.msg === 'data center ready')).toHaveLength(1);
    expect(existsSync(path.join(dir, 'datacenter.lock'))).toBe(false);
    await expect(fetch(`${String(ready.url)}/healthz`)).rejects.toThrow();

    const again = cli(['--data', dir, '--port', '0']);
    started.push(again);
    const readyAgain = await again.until(() => again.line('data center ready'), 120_000, 'ready line after restart');
    expect(again.line('reference data already loaded; seed skipped')).toBeDefined();
    expect(again.line('reference data seeded')).toBeUndefined();
    expect(readyAgain.epoch).toBe(ready.epoch);
    expect(again.line('store migration started')).toBeUndefined();
    expect(readyAgain.version).toBe(ready.version);
    // Ctrl-C in a terminal: SIGINT to the whole process group
    process.kill(-again.child.pid!, 'SIGINT');
    expect(await again.exited).toBe(0);
    expect(again.line('shutting down')?.reason).toBe('SIGINT');
  }, 360_000);
});

describe('data center as an Electron utility process (fake parent port)', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('posts ready with its URL, serves, and stops on a shutdown message', async () => {
    const url = await cluster.createDatabase();
    const { DATABASE_URL: _ignored, ...base } = process.env;
    const p = new Proc(
      spawn(process.execPath, ['--import', 'tsx', PARENT_PORT_ENTRY, '--port', '0', '--seed', 'none'], {
        cwd: ROOT,
        env: { ...base, DATABASE_URL: url },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      }),
    );
    started.push(p);
    const ready = await p.until(
      () => p.messages.find((m): m is { type: 'ready'; url: string } => (m as { type?: string }).type === 'ready'),
      60_000,
      'ready message',
    );
    expect(ready.url).toBe(p.line('data center ready')?.url);
    // before it: each migration announced to the host, the way datacenter-host.ts reads it
    const steps = p.messages.filter((m) => (m as { type?: string }).type === 'migration');
    expect(steps).toEqual(
      migrations.flatMap((m, i) =>
        (['start', 'done'] as const).map((phase) => ({ type: 'migration', phase, id: m.id, name: m.name, index: i + 1, count: migrations.length })),
      ),
    );
    expect(p.messages.indexOf(ready)).toBeGreaterThan(p.messages.indexOf(steps.at(-1)));
    const health = HealthResponse.parse(await (await fetch(`${ready.url}/healthz`)).json());
    expect(health).toMatchObject({ db: 'postgres', version: null });

    p.child.send({ type: 'shutdown' });
    expect(await p.exited).toBe(0);
    expect(p.line('data center stopped')).toBeDefined();
  }, 120_000);

  it('asked to shut down while seeding, finishes the seed, then stops cleanly', async () => {
    const url = await cluster.createDatabase();
    const p = new Proc(
      spawn(process.execPath, ['--import', 'tsx', PARENT_PORT_ENTRY, '--port', '0', '--pg', url, '--seed', 'demo'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      }),
    );
    started.push(p);
    await p.until(() => p.line('database open'), 60_000, 'database open line');
    p.child.send({ type: 'shutdown' }); // the demo district takes seconds to draw and write: we are mid-seed
    expect(await p.exited).toBe(0);
    // (the migrations' lines, before 'database open', are checked by the tests above)
    const order = p.lines.map((l) => l.msg).filter((m) => !m.startsWith('Server listening') && !m.startsWith('store migration'));
    expect(order).toEqual([
      'database open',
      'stop requested during start-up: stopping once started',
      'reference data seeded',
      'data center ready',
      'shutting down',
      'data center stopped',
    ]);
    // never reported ready to a parent that is leaving (only the migrations, which came before it asked)
    expect(p.messages.filter((m) => (m as { type?: string }).type !== 'migration')).toEqual([]);
  }, 120_000);

  it('posts an error and exits 2 on bad arguments', async () => {
    const p = new Proc(spawn(process.execPath, ['--import', 'tsx', PARENT_PORT_ENTRY, '--port', 'x'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
    expect(await p.exited).toBe(2);
    expect(p.messages).toEqual([{ type: 'error', code: 'invalid_args', message: expect.stringMatching(/--port/), exitCode: 2 }]);
  }, 60_000);
});
