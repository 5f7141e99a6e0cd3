/**
 * SIGKILL of the data service's process (./service-runner.ts, the real
 * createDataService in a child) in the middle of a snapshot and in the
 * middle of a stream of large live batches, with commands in its outbox;
 * then a restart on the same data folder. Afterwards the replica is
 * consistent (integrity check, the FTS index matches the events), it resumed
 * (no second snapshot after a kill in the live tail), holds exactly the
 * server's rows, and every command was applied once by the server and
 * confirmed once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeFeed, type FakeFeedServer } from './fake-feed-server';
import { eventChange, makeEvent, referenceChanges, tempDir, workflowHandler } from './feed-fixtures';


const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const RUNNER = path.join(import.meta.dirname, 'service-runner.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Runner {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  waitFor(pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function run(dir: string, url: string, env: Record<string, string> = {}): Runner {
  const child = spawn(process.execPath, ['--import', TSX, RUNNER], {
    env: { ...process.env, HUYING_DATA_DIR: dir, HUYING_DATACENTER_URL: url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not ours
      }
      for (const w of waiters) w();
    }
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  return {
    child,
    lines,
    exited,
    waitFor(pred, what, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

async function kill9(r: Runner): Promise<void> {
  r.child.kill('SIGKILL');
  await r.exited;
}

async function stop(r: Runner): Promise<void> {
  r.child.kill('SIGTERM');
  expect(await r.exited).toBe(0);
}

/** Events in the FTS index up to its build mark, or all of them when it is complete: equals the events counted the same way. */
function ftsIndexed(db: Database.Database): number {
  const pref = db.prepare("SELECT value FROM preferences WHERE key = 'ftsIndex'").pluck().get() as string | undefined;
  const through = pref === undefined ? null : (JSON.parse(pref) as { through: number | null }).through;
  if (through === null) return db.prepare('SELECT count(*) FROM events_fts').pluck().get() as number;
  const fts = db.prepare('SELECT count(*) FROM events_fts WHERE rowid <= ?').pluck().get(through) as number;
  expect(fts).toBe(db.prepare('SELECT count(*) FROM events WHERE rid <= ?').pluck().get(through));
  return fts + (db.prepare('SELECT count(*) FROM events WHERE rid > ?').pluck().get(through) as number);
}

/** key, v and document of a replicated table's rows (an event's document is apart, in events_doc: migration 0008) */
const rowsSql = (t: string) => (t === 'events' ? 'SELECT e.key, e.v, d.doc FROM events e JOIN events_doc d ON d.rid = e.rid' : `SELECT key, v, doc FROM ${t}`);

/** The replica file after the runner is gone: rows, integrity, FTS. */
function inspect(dir: string) {
  const db = new Database(path.join(dir, 'replica.sqlite'), { readonly: true });
  try {
    const rows = new Map<string, { v: number; row: unknown }>();
    for (const t of ['areas', 'grids', 'units', 'workers', 'config', 'events', 'audit', 'wall']) {
      for (const r of db.prepare(rowsSql(t)).all() as { key: string; v: number; doc: string }[]) rows.set(`${t}\u0000${r.key}`, { v: r.v, row: JSON.parse(r.doc) });
    }
    return {
      rows,
      integrity: db.prepare('PRAGMA integrity_check').pluck().get(),
      events: db.prepare('SELECT count(*) FROM events').pluck().get() as number,
      // the FTS index is built after a snapshot's swap, in chunks: every event up to its mark is indexed
      // (all of them once complete), whatever the moment of the kill
      fts: ftsIndexed(db),
      staged: db.prepare('SELECT count(*) FROM stage_events').pluck().get() as number,
      state: db.prepare('SELECT scope, epoch, v FROM sync_state').get() as { scope: string; epoch: string; v: number } | undefined,
      outbox: db.prepare('SELECT mutation_id, state FROM outbox ORDER BY mutation_id').all() as { mutation_id: number; state: string }[],
    };
  } finally {
    db.close();
  }
}

function peek(dir: string, sql: string): unknown {
  const db = new Database(path.join(dir, 'replica.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).pluck().get();
  } finally {
    db.close();
  }
}

const sorted = (m: Map<string, unknown>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

async function feedWith(events: number): Promise<FakeFeedServer> {
  const f = await startFakeFeed({ onMutation: workflowHandler, pageRows: 100 });
  cleanups.push(() => f.close());
  f.commit(referenceChanges());
  for (let i = 0; i < events; i += 500) {
    f.commit(Array.from({ length: Math.min(500, events - i) }, (_, j) => eventChange(makeEvent(`e${i + j + 1}`, { status: 'filed', description: '路面坑洼'.repeat(20) }))));
  }
  return f;
}

describe('SIGKILL of the data service', () => {
  it('in the middle of a snapshot: the restart starts over and ends with exactly the server’s rows', async () => {
    const f = await feedWith(3000);
    f.snapshotPageDelayMs = 15;
    const dir = tempDir(cleanups, 'huying-kill-snap-');

    const first = run(dir, f.url, { RUNNER_STAGE_CHUNK: '200' });
    await first.waitFor((l) => l.t === 'status' && l.state === 'snapshot' && (l.rows as number) >= 1200, 'a snapshot half way');
    await kill9(first);
    const mid = inspect(dir);
    expect(mid.integrity).toBe('ok');
    expect(mid.state).toBeUndefined(); // the swap never happened
    expect(mid.events).toBe(0);
    expect(mid.staged).toBeGreaterThan(0); // staged rows were committed before the kill…

    f.snapshotPageDelayMs = 0;
    const second = run(dir, f.url);
    await second.waitFor((l) => l.t === 'status' && l.state === 'live', 'live after the restart');
    await stop(second);
    const after = inspect(dir);
    expect(after.integrity).toBe('ok');
    expect(after.staged).toBe(0); // …and the restart started the staging over
    expect(after.state).toEqual({ scope: 'district', epoch: 'epoch-1', v: f.head });
    expect(sorted(after.rows)).toEqual(sorted(f.rowsOf('district')));
    expect(after.fts).toBe(after.events);
  }, 90_000);

  it('in the middle of live batches with commands in flight: resumes from its cursor, no duplicates, every command applied and confirmed once', async () => {
    const f = await feedWith(40);
    f.split = () => 1; // one version per batch
    const dir = tempDir(cleanups, 'huying-kill-live-');

    const first = run(dir, f.url, { RUNNER_SUBMIT: '30' });
    await first.waitFor((l) => l.t === 'submitted', 'the commands submitted');
    await first.waitFor((l) => l.t === 'status' && l.state === 'live', 'live');
    const snapshotsBefore = f.hits.get('/api/v1/sync/snapshot');

    // big batches keep arriving: 1,000-row versions
    let n = 100_000;
    const stream = setInterval(() => {
      f.commit(Array.from({ length: 1000 }, () => eventChange(makeEvent(`e${++n}`, { title: `巡查上报${n}` }))));
    }, 60);
    cleanups.push(() => clearInterval(stream));
    await first.waitFor((l) => l.t === 'changed' && (l.n as number) >= 1000, 'a large batch applied');
    await new Promise((r) => setTimeout(r, 25 + Math.floor(Math.random() * 40)));
    await kill9(first);
    clearInterval(stream);

    const mid = inspect(dir);
    expect(mid.integrity).toBe('ok');
    expect(mid.fts).toBe(mid.events);
    const cursorAtKill = mid.state!.v;
    // the replica stands exactly at its cursor: every row it holds is the server's row as of some version ≤ cursor
    const serverRows = f.rowsOf('district');
    for (const [id, r] of mid.rows) {
      const server = serverRows.get(id);
      if (server && server.v <= cursorAtKill) expect(r.v).toBe(server.v);
      expect(r.v).toBeLessThanOrEqual(cursorAtKill);
    }

    const second = run(dir, f.url);
    await second.waitFor((l) => l.t === 'status' && l.state === 'live', 'live after the restart');
    await second.waitFor((l) => l.t === 'changed' && (l.checkpoint as { v: number } | null)?.v === f.head, 'the head applied', 20_000);
    await expect.poll(() => peek(dir, "SELECT count(*) FROM outbox WHERE state <> 'confirmed'"), { timeout: 20_000 }).toBe(0);
    await stop(second);

    const after = inspect(dir);
    expect(f.hits.get('/api/v1/sync/snapshot')).toBe(snapshotsBefore); // resumed, no second snapshot
    expect(after.integrity).toBe('ok');
    expect(sorted(after.rows)).toEqual(sorted(f.rowsOf('district')));
    expect(after.fts).toBe(after.events);
    expect(after.outbox.map((e) => e.mutation_id)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(f.results.size).toBe(30); // each applied once by the server
    const statuses = [...f.results.values()].map((r) => r.status);
    expect(statuses.every((s) => s === 'applied')).toBe(true);
  }, 120_000);
});
