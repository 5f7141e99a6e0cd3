/**
 * Replica images: an image exported from a replica with data (a snapshot and a live batch on it) and switched
 * into another replica that has a queued command, its overlay, preferences, KPI facts and an older snapshot
 * leaves the replicated rows, the FTS index and the cursor of the source and the outbox, overlays, mutation
 * ids and preferences of the target, on the target's own open connection (a statement prepared before still
 * works); each refusal (not SQLite, cut short, wrong digest, damaged pages, other migrations, another schema,
 * no cursor, another scope, a writer holding the file) says why and leaves the target as it was; so does an
 * exception in the middle of the copy, during which the target's reads see the old replica and its writes
 * fail at once, and so does a SIGKILL of the process in the middle of the copy (with uncommitted pages of the
 * image in the WAL); a SIGKILL right after the copy's commit, before the checkpoint, leaves the new replica.
 * An export returns the cursor its image holds when a batch lands during the copy; a command committed while
 * the switch checks the digest is carried, one attempted during the copy fails, and the switch stamps
 * snapshot_at on the target's own connection (its total_changes() moves); a second switch on a connection
 * one runs on is refused as busy.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Mutation } from '../../../core/index';
import { preferencesSecretStore } from '../auth/secret-store';
import type { StoredSession } from '../auth/session';
import { OutboxStore } from '../outbox/outbox-store';
import { eventDoc, iso, T0 } from './migrations/test-docs';
import { openReplica, ReplicaFailed, type OpenReplicaOptions, type Replica } from './open';
import { clientIdOf, readPreference, writePreference } from './preferences';
import { applyBatch, buildFtsChunk, FTS_AUTOMERGE_DEFAULT, FTS_PREFERENCE, ftsAutomerge, ftsBuiltThrough, stageRows, swapInSnapshot } from './replica-writes';
import {
  exportReplicaImage,
  fsyncFile,
  fsyncFolder,
  renameInReplicaImage,
  ReplicaImageCommitted,
  ReplicaImageNotRenamed,
  ReplicaImageRefused,
  sha256Of,
  switchInReplicaImage,
  TABLE_CLASS,
} from './replica-image';
import { RowWriter } from './replicated-rows';
import { readSyncState } from './sync-state';

const dirs: string[] = [];
const open: Replica[] = [];
afterEach(() => {
  // close() on a closed or failed handle does nothing
  for (const r of open.splice(0)) r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'huying-replica-image-'));
  dirs.push(d);
  return d;
}
function replicaAt(file: string, opts: Partial<OpenReplicaOptions> = {}): Replica {
  const r = openReplica({ file, ...opts });
  open.push(r);
  return r;
}

const AT = iso(T0);
const area = (code: string, parent: string | null) => ({ key: code, v: 1, row: { code, name: `区${code}`, level: parent ? 'town' : 'district', parentCode: parent } });
const withText = (n: number, status: string) => ({ ...eventDoc(n, { status, townCode: '440114001000' }), title: `井盖缺失${n}`, description: `建设北路第${n}处` });

/** a snapshot of `events` at `{ epoch, v }`, its FTS index built inside the swap or after it (deferred, mark at 0) */
function snapshot(r: Replica, epoch: string, v: number, events: unknown[], opts: { deferFts?: boolean } = {}): void {
  const writer = new RowWriter(r.sqlite);
  stageRows(r.sqlite, writer, 'areas', [area('440114', null), area('440114001000', '440114')]);
  stageRows(r.sqlite, writer, 'events', events.map((row, i) => ({ key: (row as { id: string }).id, v: i + 1, row })));
  stageRows(r.sqlite, writer, 'audit', [{ key: 'e1:1', v: 1, row: { eventId: 'e1', seq: 1, at: AT, kind: 'reported' } }]);
  swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch, v }, referenceVersion: `${epoch}:${v}`, checksum: null, at: AT }, opts);
}

/** the keeper: 40 events, then a live batch (one upsert, one delete) that moves its cursor to v 42 */
function source(dir: string): Replica {
  const r = replicaAt(path.join(dir, 'keeper.sqlite'));
  snapshot(
    r,
    'k1',
    40,
    Array.from({ length: 40 }, (_, i) => withText(i + 1, i % 3 === 0 ? 'closed' : 'in_progress')),
  );
  const writer = new RowWriter(r.sqlite);
  applyBatch(
    r.sqlite,
    writer,
    {
      from: { epoch: 'k1', v: 40 },
      checkpoint: { epoch: 'k1', v: 42 },
      ops: [
        { table: 'events', op: 'upsert', key: 'e7', v: 41, row: { ...withText(7, 'parked'), title: '井盖缺失7 已挂账' } },
        { table: 'events', op: 'delete', key: 'e8', v: 42 },
      ],
      acks: [],
    },
    () => ({ changed: false, eventId: null }),
    AT,
  );
  // what a keeper has of its own, which must not travel
  clientIdOf(r.sqlite);
  writePreference(r.sqlite, 'ui.keeper', { mine: true });
  r.sqlite.prepare("INSERT INTO outbox (client_id, created_at, mutation, event_id, state, updated_at) VALUES ('keeper', ?, '{}', null, 'queued', ?)").run(AT, AT);
  return r;
}

const unpark: Mutation = { name: 'event/command', eventId: 'e1', command: { type: 'unpark', attachments: [] } };

/** the desktop: an older snapshot (3 events, FTS half built), two queued commands (one with an overlay), a dismissed one, preferences, KPI facts */
function target(dir: string, opts: Partial<OpenReplicaOptions> = {}): { r: Replica; outbox: OutboxStore } {
  const r = replicaAt(path.join(dir, 'desktop.sqlite'), opts);
  snapshot(r, 'old', 3, [withText(1, 'parked'), withText(2, 'in_progress'), withText(3, 'closed')], { deferFts: true });
  const outbox = new OutboxStore(r.sqlite, clientIdOf(r.sqlite));
  writePreference(r.sqlite, 'scope', 'district');
  writePreference(r.sqlite, 'ui.savedViews', [{ name: '超期', filter: { queue: 'overdue' } }]);
  writePreference(r.sqlite, 'kpiFacts', { basis: 'old', highWater: 3, coveredFrom: 0 });
  outbox.submit(unpark, AT);
  outbox.submit({ name: 'wall/ack', alertId: 'a1' }, AT);
  const third = outbox.submit({ name: 'wall/ack', alertId: 'a2' }, AT).entry.mutationId;
  // an entry deleted outright: AUTOINCREMENT must still never hand its id out again
  r.sqlite.prepare('DELETE FROM outbox WHERE mutation_id = ?').run(third);
  r.sqlite
    .prepare("INSERT INTO kpi_facts (reported_at, rid, v, key, urgency, source, flags) VALUES (0, 1, 1, 'e1', 'normal', 'api', 0)")
    .run();
  return { r, outbox };
}

/** every row of every table, in a stable order */
function contents(db: Database.Database, tables: readonly string[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const t of tables) out[t] = db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).raw().all();
  return out;
}
const IMAGE_TABLES = Object.keys(TABLE_CLASS).filter((t) => TABLE_CLASS[t] === 'image' && t !== 'events_fts');
const ALL_TABLES = Object.keys(TABLE_CLASS).filter((t) => t !== 'events_fts');
const fts = (db: Database.Database, text: string) =>
  db.prepare("SELECT e.key FROM events_fts f JOIN events e ON e.rid = f.rowid WHERE events_fts MATCH ? ORDER BY e.key").pluck().all(`"${text}"`);

async function exported(dir: string, method: 'backup' | 'vacuum' = 'backup') {
  const keeper = source(dir);
  const info = await exportReplicaImage(keeper.sqlite, path.join(dir, `image-${method}.sqlite`), { method });
  return { keeper, info };
}

describe('replica image', () => {
  it('names every table of this build in exactly one class', () => {
    const r = replicaAt(path.join(tempDir(), 'fresh.sqlite'));
    const tables = r.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(Object.keys(TABLE_CLASS).sort());
  });

  it.each(['backup', 'vacuum'] as const)('exports (%s) the replicated tables, indexes, FTS and cursor, and none of the keeper\'s own rows', async (method) => {
    const dir = tempDir();
    const { keeper, info } = await exported(dir, method);
    expect(info).toMatchObject({ scope: 'district', cursor: { epoch: 'k1', v: 42 }, pageSize: 16_384 });
    expect(info.sha256).toBe(await sha256Of(info.file));
    expect(info.bytes).toBe(info.pages * info.pageSize);
    // one file, published whole
    expect(existsSync(`${info.file}-wal`) || existsSync(`${info.file}.partial`)).toBe(false);
    const image = new Database(info.file, { readonly: true });
    try {
      expect(image.pragma('journal_mode', { simple: true })).toBe('delete');
      expect(contents(image, IMAGE_TABLES.filter((t) => t !== 'preferences'))).toEqual(contents(keeper.sqlite, IMAGE_TABLES.filter((t) => t !== 'preferences')));
      expect(image.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
      expect(image.prepare('SELECT key FROM preferences').pluck().all()).toEqual([FTS_PREFERENCE]);
      expect(fts(image, '井盖缺失7 已挂账')).toEqual(['e7']);
      expect(image.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().get()).toBe(
        keeper.sqlite.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().get(),
      );
    } finally {
      image.close();
    }
  });

  it.each(['backup', 'vacuum'] as const)('exports (%s) no byte of the keeper\'s session, its outbox or a row it deleted earlier (free pages, deleted cells)', async (method) => {
    const dir = tempDir();
    const keeper = source(dir);
    // enough rows that a few free pages stay under 1% of the file (the old export VACUUMed only above that)
    const writer = new RowWriter(keeper.sqlite);
    applyBatch(
      keeper.sqlite,
      writer,
      {
        from: { epoch: 'k1', v: 42 },
        checkpoint: { epoch: 'k1', v: 43 },
        ops: Array.from({ length: 600 }, (_, i) => ({ table: 'events', op: 'upsert' as const, key: `e${1000 + i}`, v: 43, row: { ...withText(1000 + i, 'in_progress'), description: `长描述${i} ${'路'.repeat(2000)}` } })),
        acks: [],
      },
      () => ({ changed: false, eventId: null }),
      AT,
    );
    const rotated = `hyr_PLANTED_ROTATED_${'r'.repeat(32)}`;
    const deletedCell = `hyr_PLANTED_DELETED_${'d'.repeat(32)}`;
    const live = `hyr_PLANTED_LIVE_${'l'.repeat(32)}`;
    const outboxed = `hyr_PLANTED_OUTBOX_${'o'.repeat(32)}`;
    // an earlier session, its token at the end of a value long enough to spill into an overflow page: rewritten, that page goes to the freelist as it was
    writePreference(keeper.sqlite, 'session', { pad: 'x'.repeat(20_000), refreshToken: rotated });
    writePreference(keeper.sqlite, 'session', { refreshToken: live, refreshTokenExpiresAt: AT });
    // a row deleted in the source: its cell stays in its page's free space
    writePreference(keeper.sqlite, 'ui.note', { refreshToken: deletedCell });
    keeper.sqlite.prepare("DELETE FROM preferences WHERE key = 'ui.note'").run();
    keeper.sqlite.prepare("INSERT INTO outbox (client_id, created_at, mutation, event_id, state, updated_at) VALUES ('keeper', ?, ?, null, 'queued', ?)").run(AT, JSON.stringify({ token: outboxed }), AT);
    keeper.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    // the premise: SQLite keeps deleted content in the file, and the free pages are under 1% of it
    const sourceBytes = readFileSync(path.join(dir, 'keeper.sqlite'));
    for (const secret of [rotated, deletedCell, live, outboxed]) expect(sourceBytes.indexOf(secret), secret).toBeGreaterThanOrEqual(0);
    const free = keeper.sqlite.pragma('freelist_count', { simple: true }) as number;
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual((keeper.sqlite.pragma('page_count', { simple: true }) as number) / 100);

    const info = await exportReplicaImage(keeper.sqlite, path.join(dir, `image-${method}.sqlite`), { method });
    const bytes = readFileSync(info.file);
    for (const secret of ['hyr_PLANTED', rotated, deletedCell, live, outboxed]) expect(bytes.indexOf(secret), secret).toBe(-1);
    const image = new Database(info.file, { readonly: true });
    try {
      expect(image.pragma('freelist_count', { simple: true })).toBe(0);
      expect(image.prepare("SELECT count(*) FROM events WHERE key LIKE 'e1___'").pluck().get()).toBe(600);
      expect(readSyncState(image)?.cursor).toEqual({ epoch: 'k1', v: 43 });
    } finally {
      image.close();
    }
  });

  it('returns the cursor the image holds, also when a batch lands while the copy is being made', async () => {
    const dir = tempDir();
    const keeper = source(dir);
    const pending = exportReplicaImage(keeper.sqlite, path.join(dir, 'image.sqlite'));
    // the export now waits for its backup's first step (better-sqlite3 runs it from setImmediate): a live batch lands first
    applyBatch(
      keeper.sqlite,
      new RowWriter(keeper.sqlite),
      { from: { epoch: 'k1', v: 42 }, checkpoint: { epoch: 'k1', v: 99 }, ops: [{ table: 'events', op: 'delete', key: 'e9', v: 99 }], acks: [] },
      () => ({ changed: false, eventId: null }),
      AT,
    );
    const info = await pending;
    const image = new Database(info.file, { readonly: true });
    try {
      expect(readSyncState(image)?.cursor).toEqual({ epoch: 'k1', v: 99 });
      expect(image.prepare("SELECT count(*) FROM events WHERE key = 'e9'").pluck().get()).toBe(0);
    } finally {
      image.close();
    }
    expect(info.cursor).toEqual({ epoch: 'k1', v: 99 });
  });

  it('switches an image in: the source\'s rows, FTS and cursor, the target\'s outbox, overlays, ids and preferences, on the same connection', async () => {
    const dir = tempDir();
    const { keeper, info } = await exported(dir);
    const { r, outbox } = target(dir);
    const clientId = outbox.clientId;
    const before = contents(r.sqlite, ['outbox', 'pending_overlay', 'sqlite_sequence']);
    const savedViews = readPreference(r.sqlite, 'ui.savedViews');
    // prepared before the switch: must read the new replica after it (the backup bumps the schema cookie)
    const countEvents = r.sqlite.prepare('SELECT count(*) FROM events').pluck();
    expect(countEvents.get()).toBe(3);

    const progress: number[] = [];
    const res = await switchInReplicaImage(r.sqlite, info.file, { scope: 'district', sha256: info.sha256 }, { pagesPerStep: 4, at: '2026-11-28T07:20:00.000Z', onProgress: (p) => progress.push(p.remainingPages) });

    expect(res).toMatchObject({ scope: 'district', cursor: { epoch: 'k1', v: 42 }, pages: info.pages });
    // a call per step but the last (the promise's resolution says that one), remaining pages falling
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => b - a));
    expect(countEvents.get()).toBe(39);
    const replicated = IMAGE_TABLES.filter((t) => t !== 'preferences' && t !== 'sync_state');
    expect(contents(r.sqlite, replicated)).toEqual(contents(keeper.sqlite, replicated));
    // the image's sync state, but snapshot_at: the switch's time, as a row snapshot's swap stamps its own
    expect({ ...readSyncState(r.sqlite), snapshotAt: null }).toEqual({ ...readSyncState(keeper.sqlite), snapshotAt: null });
    expect(readSyncState(r.sqlite)?.snapshotAt).toBe('2026-11-28T07:20:00.000Z');
    expect(fts(r.sqlite, '已挂账')).toEqual(['e7']);
    expect(fts(r.sqlite, '建设北路第8处')).toEqual([]);
    expect(readSyncState(r.sqlite)).toMatchObject({ scope: 'district', cursor: { epoch: 'k1', v: 42 } });
    // the target's own
    expect(contents(r.sqlite, ['outbox', 'pending_overlay', 'sqlite_sequence'])).toEqual(before);
    expect(readPreference(r.sqlite, 'clientId')).toBe(clientId);
    expect(readPreference(r.sqlite, 'scope')).toBe('district');
    expect(readPreference(r.sqlite, 'ui.savedViews')).toEqual(savedViews);
    expect(readPreference(r.sqlite, 'ui.keeper')).toBeUndefined();
    // the FTS mark is the image's (complete: the keeper built it inside its swap); the KPI cache is gone
    expect(readPreference(r.sqlite, FTS_PREFERENCE)).toEqual({ through: null });
    expect(readPreference(r.sqlite, 'kpiFacts')).toBeUndefined();
    expect(r.sqlite.prepare('SELECT count(*) FROM kpi_facts').pluck().get()).toBe(0);
    // the connection goes on: a new command gets the next id (3 was deleted, never reused), WAL mode kept, the file sound
    expect(outbox.submit(unpark, AT).entry.mutationId).toBe(4);
    expect(outbox.overlays(['e1']).map((o) => o.mutationId)).toEqual([1, 4]);
    expect(r.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(r.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    r.close();
    // and a fresh open (migrations, page size) finds the switched replica
    const reopened = replicaAt(r.sqlite.name);
    expect(reopened.migration.applied).toEqual([]);
    expect(readSyncState(reopened.sqlite)?.cursor).toEqual({ epoch: 'k1', v: 42 });
    expect(reopened.sqlite.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(3);
  });

  it('carries a command committed while the switch checks the digest; a write during the copy fails and is nowhere; the service\'s connection sees a change of its own', async () => {
    const dir = tempDir();
    const { info } = await exported(dir);
    const { r, outbox } = target(dir);
    const snapshotAtBefore = readSyncState(r.sqlite)?.snapshotAt;
    // the keeper's snapshot and the target's were taken at the same time: only a new stamp tells the caches apart
    expect(snapshotAtBefore).toBe(AT);
    const changes = r.sqlite.prepare('SELECT total_changes()').pluck();
    let writeDuring: unknown = null;
    const switching = switchInReplicaImage(
      r.sqlite,
      info.file,
      { scope: 'district', sha256: info.sha256 },
      {
        check: 'digest',
        pagesPerStep: 4,
        at: '2026-11-28T07:30:00.000Z',
        onProgress: () => {
          if (writeDuring) return;
          try {
            outbox.submit({ name: 'wall/ack', alertId: 'during-copy' }, AT);
            writeDuring = { ok: true };
          } catch (e) {
            writeDuring = { code: (e as { code?: string }).code };
          }
        },
      },
    );
    // the switch is reading the image for its digest: the write lock is not taken yet, this commits
    const early = outbox.submit({ name: 'wall/ack', alertId: 'during-digest' }, AT).entry.mutationId;
    expect(early).toBe(4);
    const before = contents(r.sqlite, ['outbox', 'pending_overlay', 'sqlite_sequence']);
    const changesBefore = changes.get() as number;
    const res = await switching;
    expect(res.cursor).toEqual({ epoch: 'k1', v: 42 });
    expect(res.checkpointError).toBeUndefined();
    expect(writeDuring).toEqual({ code: 'SQLITE_BUSY' });
    expect(contents(r.sqlite, ['outbox', 'pending_overlay', 'sqlite_sequence'])).toEqual(before);
    expect(r.sqlite.prepare('SELECT mutation_id FROM outbox ORDER BY 1').pluck().all()).toEqual([1, 2, 4]);
    expect(readSyncState(r.sqlite)?.snapshotAt).toBe('2026-11-28T07:30:00.000Z');
    expect(changes.get() as number).toBeGreaterThan(changesBefore);
    expect(outbox.submit(unpark, AT).entry.mutationId).toBe(5);
  });

  it('refuses a second switch on the same connection while one runs, and leaves its busy timeout as it was', async () => {
    const dir = tempDir();
    const { keeper, info } = await exported(dir);
    const { r } = target(dir);
    const first = switchInReplicaImage(r.sqlite, info.file, { scope: 'district', sha256: info.sha256 }, { check: 'digest', pagesPerStep: 4 });
    const second = await switchInReplicaImage(r.sqlite, info.file, { scope: 'district' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(second).toBeInstanceOf(ReplicaImageRefused);
    expect((second as ReplicaImageRefused).code).toBe('busy');
    expect((second as ReplicaImageRefused).message).toMatch(/another switch is running on this connection/);
    await expect(first).resolves.toMatchObject({ cursor: { epoch: 'k1', v: 42 } });
    expect(r.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
    // and once it is done, the connection takes another
    const info2 = await exportReplicaImage(keeper.sqlite, path.join(dir, 'again.sqlite'));
    await expect(switchInReplicaImage(r.sqlite, info2.file, { scope: 'district' })).resolves.toMatchObject({ cursor: { epoch: 'k1', v: 42 } });
  });

  it.each(['backup', 'vacuum'] as const)('exports (%s) mid-build with FTS5\'s automerge back on in the image only; the keeper\'s build goes on', async (method) => {
    const dir = tempDir();
    const keeper = replicaAt(path.join(dir, 'keeper.sqlite'));
    snapshot(keeper, 'k2', 40, Array.from({ length: 40 }, (_, i) => withText(i + 1, 'in_progress')), { deferFts: true });
    expect(buildFtsChunk(keeper.sqlite, 10)).toBe(false);
    const through = ftsBuiltThrough(keeper.sqlite);
    expect(through).toBeGreaterThan(0);
    expect(ftsAutomerge(keeper.sqlite)).toBe(0);
    const info = await exportReplicaImage(keeper.sqlite, path.join(dir, 'image.sqlite'), { method });
    // the image: its mark as the keeper had it, automerge FTS5's default (an older desktop's builder never sets it),
    // and the digest published is the file's with that change in it
    expect(await sha256Of(info.file)).toBe(info.sha256);
    const image = new Database(info.file, { readonly: true });
    try {
      expect(image.prepare("SELECT v FROM events_fts_config WHERE k = 'automerge'").pluck().get()).toBe(FTS_AUTOMERGE_DEFAULT);
      expect(readPreference(image, FTS_PREFERENCE)).toEqual({ through });
    } finally {
      image.close();
    }
    // the keeper's own index: still off, and its build goes on to the end, which turns it on
    expect(ftsAutomerge(keeper.sqlite)).toBe(0);
    expect(ftsBuiltThrough(keeper.sqlite)).toBe(through);
    while (!buildFtsChunk(keeper.sqlite, 10)) expect(ftsAutomerge(keeper.sqlite)).toBe(0);
    expect(ftsAutomerge(keeper.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
    expect(fts(keeper.sqlite, '建设北路')).toHaveLength(40);
    // a desktop of this build switches the image in and its builder turns automerge off again at its first chunk
    const { r } = target(dir);
    await switchInReplicaImage(r.sqlite, info.file, { scope: 'district' }, { check: 'quick' });
    expect(ftsAutomerge(r.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
    expect(buildFtsChunk(r.sqlite, 10)).toBe(false);
    expect(ftsAutomerge(r.sqlite)).toBe(0);
    while (!buildFtsChunk(r.sqlite, 10));
    expect(ftsAutomerge(r.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
    r.sqlite.exec("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')");
    expect(fts(r.sqlite, '建设北路')).toHaveLength(40);
  });

  it('carries an image\'s unfinished FTS mark, so the target goes on building it', async () => {
    const dir = tempDir();
    const keeper = replicaAt(path.join(dir, 'keeper.sqlite'));
    snapshot(keeper, 'k2', 5, [1, 2, 3, 4, 5].map((n) => withText(n, 'in_progress')), { deferFts: true });
    const info = await exportReplicaImage(keeper.sqlite, path.join(dir, 'image.sqlite'), { method: 'vacuum' });
    const { r } = target(dir);
    writePreference(r.sqlite, FTS_PREFERENCE, { through: null });
    await switchInReplicaImage(r.sqlite, info.file, { scope: 'district' }, { check: 'quick' });
    expect(readPreference(r.sqlite, FTS_PREFERENCE)).toEqual({ through: 0 });
  });

  describe('refusals leave the target as it was', () => {
    async function refused(mangle: (file: string, dir: string) => void | Promise<void>, expect_: { scope?: string; sha256?: boolean; check?: 'quick' | 'digest' } = {}) {
      const dir = tempDir();
      const { info } = await exported(dir);
      await mangle(info.file, dir);
      const { r } = target(dir);
      const before = contents(r.sqlite, ALL_TABLES);
      const err = await switchInReplicaImage(
        r.sqlite,
        info.file,
        { scope: (expect_.scope ?? 'district') as 'district', ...(expect_.sha256 ? { sha256: info.sha256 } : {}) },
        { check: expect_.check ?? 'quick' },
      ).then(
        () => null,
        (e: unknown) => e,
      );
      expect(contents(r.sqlite, ALL_TABLES)).toEqual(before);
      expect(readSyncState(r.sqlite)?.cursor).toEqual({ epoch: 'old', v: 3 });
      expect(err).toBeInstanceOf(ReplicaImageRefused);
      return err as ReplicaImageRefused;
    }
    const edit = (file: string, sql: string) => {
      const d = new Database(file);
      d.exec(sql);
      d.close();
    };

    it('a file that is not SQLite', async () => {
      const err = await refused((file) => writeFileSync(file, '{"t":"begin"}\n'.repeat(1000)));
      expect(err.code).toBe('not_sqlite');
      expect(err.message).toMatch(/is not a SQLite database/);
    });

    it('a file cut short (a download that ended early)', async () => {
      const err = await refused((file) => truncateSync(file, Math.floor(readFileSync(file).length / 2)));
      expect(err.code).toBe('truncated');
      expect(err.message).toMatch(/bytes, its header says \d+ pages of 16384/);
    });

    it('a file whose digest is not the keeper\'s', async () => {
      const err = await refused((file) => edit(file, "UPDATE events SET title = 'x' WHERE key = 'e1'"), { sha256: true, check: 'digest' });
      expect(err.code).toBe('digest');
      expect(err.message).toMatch(/SHA-256 is [0-9a-f]{64}, expected [0-9a-f]{64}/);
    });

    it('damaged pages (quick_check)', async () => {
      const err = await refused((file) => {
        const bytes = readFileSync(file);
        const d = new Database(file, { readonly: true });
        // the root page of events' key index: a b-tree page of the table the switch would bring
        const root = d.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events_case_no'").pluck().get() as number;
        d.close();
        bytes.fill(0xff, (root - 1) * 16_384 + 8, (root - 1) * 16_384 + 400);
        writeFileSync(file, bytes);
      });
      expect(err.code).toBe('corrupt');
      expect(err.message).toMatch(/quick_check/);
    });

    it('another build\'s migrations', async () => {
      const err = await refused((file) => edit(file, "UPDATE schema_migrations SET name = 'something-else' WHERE id = 10"));
      expect(err.code).toBe('migrations');
      expect(err.message).toMatch(/10 something-else/);
      const newer = await refused((file) => edit(file, "INSERT INTO schema_migrations (id, name, applied_at) VALUES (11, 'from-the-future', 'x')"));
      expect(newer.code).toBe('migrations');
    });

    it('another schema under the same migrations', async () => {
      const err = await refused((file) => edit(file, 'DROP INDEX events_case_no'));
      expect(err.code).toBe('schema');
      expect(err.message).toMatch(/the image lacks index events_case_no/);
      const table = await refused((file) => edit(file, 'CREATE TABLE extra (x)'));
      expect(table.code).toBe('schema');
    });

    it('an image with no cursor', async () => {
      const err = await refused((file) => edit(file, 'DELETE FROM sync_state'));
      expect(err.code).toBe('no_cursor');
    });

    it('an image of another scope', async () => {
      const err = await refused(() => undefined, { scope: '440114001000' });
      expect(err.code).toBe('scope');
      expect(err.message).toMatch(/holds scope district, expected 440114001000/);
    });

    it('a live file another connection is writing', async () => {
      const dir = tempDir();
      const { info } = await exported(dir);
      const { r } = target(dir);
      const before = contents(r.sqlite, ALL_TABLES);
      const other = new Database(r.sqlite.name);
      try {
        other.exec('BEGIN IMMEDIATE');
        other.prepare("INSERT INTO preferences (key, value, updated_at) VALUES ('other', '1', 'x')").run();
        await expect(switchInReplicaImage(r.sqlite, info.file, { scope: 'district' })).rejects.toMatchObject({ code: 'busy' });
        other.exec('ROLLBACK');
      } finally {
        other.close();
      }
      expect(contents(r.sqlite, ALL_TABLES)).toEqual(before);
    });
  });

  it('an exception in the middle of the copy leaves the old replica; meanwhile reads see it and writes fail at once', async () => {
    const dir = tempDir();
    const { info } = await exported(dir);
    const { r, outbox } = target(dir);
    const before = contents(r.sqlite, ALL_TABLES);
    let steps = 0;
    let readDuring: unknown = null;
    let writeDuring: unknown = null;
    const err = await switchInReplicaImage(
      r.sqlite,
      info.file,
      { scope: 'district' },
      {
        pagesPerStep: 3,
        onProgress: (p) => {
          steps += 1;
          if (steps === 1) {
            readDuring = r.sqlite.prepare('SELECT count(*) FROM events').pluck().get();
            const t = performance.now();
            try {
              outbox.submit({ name: 'wall/ack', alertId: 'during' }, AT);
            } catch (e) {
              writeDuring = { code: (e as { code?: string }).code, ms: performance.now() - t };
            }
          }
          if (steps === 3) throw new Error(`stopped with ${p.remainingPages} of ${p.totalPages} pages left`);
        },
      },
    ).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/stopped with \d+ of \d+ pages left/);
    expect(readDuring).toBe(3);
    expect(writeDuring).toMatchObject({ code: 'SQLITE_BUSY' });
    expect((writeDuring as unknown as { ms: number }).ms).toBeLessThan(1000);
    expect(contents(r.sqlite, ALL_TABLES)).toEqual(before);
    expect(readSyncState(r.sqlite)?.cursor).toEqual({ epoch: 'old', v: 3 });
    expect(r.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
    // the connection writes again, and the same image goes in on a second try
    expect(outbox.submit({ name: 'wall/ack', alertId: 'after' }, AT).entry.mutationId).toBe(4);
    await switchInReplicaImage(r.sqlite, info.file, { scope: 'district' });
    expect(readSyncState(r.sqlite)?.cursor).toEqual({ epoch: 'k1', v: 42 });
    expect(r.sqlite.prepare('SELECT mutation_id FROM outbox ORDER BY 1').pluck().all()).toEqual([1, 2, 4]);
    expect(r.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  describe('renamed into place (renameInReplicaImage)', () => {
    /** the image as a download next to the target (a copy: the rename takes it away) */
    function download(dir: string, file: string): string {
      const to = path.join(dir, 'replica-image.download');
      copyFileSync(file, to);
      return to;
    }

    it('renames the image over the replica with its local tables carried in, reopens the connection, and leaves no WAL of the old file', async () => {
      const dir = tempDir();
      const { keeper, info } = await exported(dir);
      const { r } = target(dir);
      const outbox = new OutboxStore(r, clientIdOf(r.sqlite));
      const writer = new RowWriter(r);
      const secrets = preferencesSecretStore(r);
      const session = { user: { id: 'u1' }, refreshToken: 'rt-1', refreshTokenExpiresAt: AT } as unknown as StoredSession;
      secrets.write(session);
      // commits the checkpoint has not copied into the file yet: in the WAL only, carried all the same
      r.sqlite.pragma('wal_autocheckpoint = 0');
      r.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      const late = outbox.submit({ name: 'wall/ack', alertId: 'in-the-wal' }, AT).entry.mutationId;
      expect(late).toBe(4);
      expect(statSync(`${r.file}-wal`).size).toBeGreaterThan(0);
      const before = contents(r.sqlite, ['outbox', 'pending_overlay', 'sqlite_sequence']);
      const savedViews = readPreference(r.sqlite, 'ui.savedViews');
      const old = r.sqlite;
      const stages: string[] = [];
      const file = download(dir, info.file);

      const res = await renameInReplicaImage(r, file, { scope: 'district', sha256: info.sha256 }, { check: 'digest', receivedSha256: info.sha256, at: '2026-11-28T07:40:00.000Z', onStage: (s) => stages.push(s) });

      expect(res).toMatchObject({ scope: 'district', cursor: { epoch: 'k1', v: 42 }, pages: info.pages, bytes: info.bytes });
      expect(stages).toEqual(['carried', 'renamed']);
      // a new connection on the renamed file; the old one is closed
      expect(old.open).toBe(false);
      expect(r.sqlite).not.toBe(old);
      expect(r.generation).toBe(1);
      expect(existsSync(file)).toBe(false);
      const replicated = IMAGE_TABLES.filter((t) => t !== 'preferences' && t !== 'sync_state');
      expect(contents(r.sqlite, replicated)).toEqual(contents(keeper.sqlite, replicated));
      expect({ ...readSyncState(r.sqlite), snapshotAt: null }).toEqual({ ...readSyncState(keeper.sqlite), snapshotAt: null });
      expect(readSyncState(r.sqlite)?.snapshotAt).toBe('2026-11-28T07:40:00.000Z');
      expect(fts(r.sqlite, '已挂账')).toEqual(['e7']);
      // the target's own, the WAL's last command included, once
      expect(contents(r.sqlite, ['outbox', 'pending_overlay', 'sqlite_sequence'])).toEqual(before);
      expect(r.sqlite.prepare('SELECT mutation_id FROM outbox ORDER BY 1').pluck().all()).toEqual([1, 2, 4]);
      expect(readPreference(r.sqlite, 'ui.savedViews')).toEqual(savedViews);
      expect(readPreference(r.sqlite, 'ui.keeper')).toBeUndefined();
      expect(readPreference(r.sqlite, 'kpiFacts')).toBeUndefined();
      expect(r.sqlite.prepare('SELECT count(*) FROM kpi_facts').pluck().get()).toBe(0);
      // holders of the handle work on the new connection: the outbox (next id), the row writer (its statements prepared again)
      expect(outbox.submit(unpark, AT).entry.mutationId).toBe(5);
      r.sqlite.transaction(() => writer.upsert('events', 'e99', 43, withText(99, 'in_progress')))();
      expect(fts(r.sqlite, '井盖缺失99')).toEqual(['e99']);
      // the session store (auth/secret-store.ts): the session was carried, and is written on the new connection
      expect(secrets.read()).toEqual(session);
      secrets.write({ ...session, refreshToken: 'rt-2' });
      expect(readPreference<StoredSession>(r.sqlite, 'session')?.refreshToken).toBe('rt-2');
      expect(r.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(r.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(r.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      const name = r.file;
      r.close();
      const reopened = replicaAt(name);
      expect(readSyncState(reopened.sqlite)?.cursor).toEqual({ epoch: 'k1', v: 42 });
      expect(reopened.sqlite.prepare('SELECT mutation_id FROM outbox ORDER BY 1').pluck().all()).toEqual([1, 2, 4, 5]);
    });

    it('fsyncs the download through a descriptor open for writing (Windows refuses FlushFileBuffers on a read-only one)', async () => {
      // proves the flags asked for, not Windows' behaviour: POSIX fsync works with either
      const dir = tempDir();
      const { info } = await exported(dir);
      const { r } = target(dir);
      const file = download(dir, info.file);
      const opened = vi.spyOn(fsp, 'open');
      try {
        await renameInReplicaImage(r, file, { scope: 'district', sha256: info.sha256 }, { check: 'digest', receivedSha256: info.sha256 });
        const flags = opened.mock.calls.filter(([f]) => f === file).map(([, flags]) => flags);
        expect(flags).toEqual(['r+']);
      } finally {
        opened.mockRestore();
      }
      // the synchronous fsync of a file opens it for writing too: a folder cannot be (EISDIR), fsyncFolder's way can
      expect(() => fsyncFile(r.file)).not.toThrow();
      expect(() => fsyncFile(dir)).toThrow(/EISDIR/);
      expect(() => fsyncFolder(dir)).not.toThrow();
    });

    it('fails the handle when the renamed file does not open again: ReplicaFailed (no re-snapshot, no copy), onFailed told, every use throws it', async () => {
      const dir = tempDir();
      const { info } = await exported(dir);
      const failures: ReplicaFailed[] = [];
      const { r } = target(dir, { reopenRetryMs: [0, 0], onFailed: (err) => failures.push(err) });
      const file = download(dir, info.file);
      const err = await renameInReplicaImage(r, file, { scope: 'district', sha256: info.sha256 }, {
        check: 'digest',
        receivedSha256: info.sha256,
        onStage: (s) => {
          // a folder in the renamed file's place: its open fails every try, as on a full disk or out of descriptors
          if (s !== 'renamed') return;
          rmSync(r.file);
          mkdirSync(r.file);
        },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplicaFailed);
      expect(err).not.toBeInstanceOf(ReplicaImageCommitted);
      expect(failures).toEqual([err]);
      expect(() => r.sqlite).toThrow(err as Error);
    });

    it('is not renamed while another connection has the replica open: the replica as it was, open and writable', async () => {
      const dir = tempDir();
      const { info } = await exported(dir);
      const { r } = target(dir);
      const other = new Database(r.file);
      other.prepare('SELECT count(*) FROM events').get();
      const before = contents(r.sqlite, ALL_TABLES);
      const old = r.sqlite;
      const file = download(dir, info.file);
      const err = await renameInReplicaImage(r, file, { scope: 'district', sha256: info.sha256 }, { check: 'digest', receivedSha256: info.sha256 }).catch((e: unknown) => e);
      other.close();
      expect(err).toBeInstanceOf(ReplicaImageNotRenamed);
      expect(r.sqlite).toBe(old);
      expect(r.generation).toBe(0);
      expect(contents(r.sqlite, ALL_TABLES)).toEqual(before);
      expect(r.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(new OutboxStore(r, clientIdOf(r.sqlite)).submit(unpark, AT).entry.mutationId).toBe(4);
      // the copy takes it in instead, by the digest computed on receipt
      const res = await switchInReplicaImage(r.sqlite, file, { scope: 'district', sha256: info.sha256 }, { check: 'digest', receivedSha256: info.sha256 });
      expect(res.cursor).toEqual({ epoch: 'k1', v: 42 });
      expect(r.sqlite.prepare('SELECT mutation_id FROM outbox ORDER BY 1').pluck().all()).toEqual([1, 2, 4]);
    });

    it('refuses by the digest computed on receipt, without reading the file again; the replica as it was', async () => {
      const dir = tempDir();
      const { info } = await exported(dir);
      const { r } = target(dir);
      const before = contents(r.sqlite, ALL_TABLES);
      const file = download(dir, info.file);
      const err = await renameInReplicaImage(r, file, { scope: 'district', sha256: info.sha256 }, { check: 'digest', receivedSha256: '1'.repeat(64) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplicaImageRefused);
      expect((err as ReplicaImageRefused).code).toBe('digest');
      expect(r.generation).toBe(0);
      expect(contents(r.sqlite, ALL_TABLES)).toEqual(before);
      // the copy path takes the same: the file's own digest is not read when one was received
      const copied = await switchInReplicaImage(r.sqlite, file, { scope: 'district', sha256: info.sha256 }, { check: 'digest', receivedSha256: '1'.repeat(64) }).catch((e: unknown) => e);
      expect((copied as ReplicaImageRefused).code).toBe('digest');
    });

    /** renames `image` over `file` in a child process that SIGKILLs itself at `stage` */
    function killedRename(file: string, image: string, stage: 'carried' | 'renamed') {
      const code = `
        import { openReplica } from ${JSON.stringify(path.join(import.meta.dirname, 'open.ts'))};
        import { renameInReplicaImage } from ${JSON.stringify(path.join(import.meta.dirname, 'replica-image.ts'))};
        const r = openReplica({ file: process.env.LIVE });
        await renameInReplicaImage(r, process.env.IMAGE, { scope: 'district' }, {
          onStage: (s) => { if (s === process.env.KILL_AT) process.kill(process.pid, 'SIGKILL'); },
        });
      `;
      const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { env: { ...process.env, LIVE: file, IMAGE: image, KILL_AT: stage }, encoding: 'utf8', timeout: 60_000 });
      expect(res.signal, res.stderr).toBe('SIGKILL');
    }

    it('SIGKILL once the local tables are carried leaves the old replica and the download; once renamed, the new one', async () => {
      const dir = tempDir();
      const { keeper, info } = await exported(dir);
      const { r } = target(dir);
      const file = r.file;
      // a command in the WAL only
      r.sqlite.pragma('wal_autocheckpoint = 0');
      new OutboxStore(r, clientIdOf(r.sqlite)).submit({ name: 'wall/ack', alertId: 'in-the-wal' }, AT);
      const before = contents(r.sqlite, ALL_TABLES);
      r.close();

      const image = download(dir, info.file);
      killedRename(file, image, 'carried');
      // the download is still there (the client deletes it at start, sync-client.ts), the replica the old one, whole
      expect(existsSync(image)).toBe(true);
      const survived = replicaAt(file);
      expect(survived.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(contents(survived.sqlite, ALL_TABLES)).toEqual(before);
      survived.close();

      const again = download(dir, info.file);
      killedRename(file, again, 'renamed');
      expect(existsSync(again)).toBe(false);
      // no WAL of the old file beside the new one
      expect(existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0).toBe(false);
      const switched = replicaAt(file);
      expect(switched.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(readSyncState(switched.sqlite)?.cursor).toEqual({ epoch: 'k1', v: 42 });
      const replicated = IMAGE_TABLES.filter((t) => t !== 'preferences' && t !== 'sync_state');
      expect(contents(switched.sqlite, replicated)).toEqual(contents(keeper.sqlite, replicated));
      // the outbox once: the old replica's, the WAL's command included
      expect(contents(switched.sqlite, ['outbox', 'pending_overlay', 'sqlite_sequence'])).toEqual({ outbox: before.outbox, pending_overlay: before.pending_overlay, sqlite_sequence: before.sqlite_sequence });
    });
  });

  describe('SIGKILL', () => {
    /** a keeper whose image is ~24 MB: more than the backup connection's page cache (16 MB), so pages reach the WAL before the commit */
    async function bigImage(dir: string) {
      const keeper = replicaAt(path.join(dir, 'keeper.sqlite'));
      const writer = new RowWriter(keeper.sqlite);
      stageRows(keeper.sqlite, writer, 'config', Array.from({ length: 1200 }, (_, i) => ({ key: `pad-${i}`, v: 1, row: { name: `pad-${i}`, text: `${i}`.padEnd(20_000, '填') } })));
      stageRows(keeper.sqlite, writer, 'events', [1, 2].map((n) => ({ key: `e${n}`, v: 2, row: withText(n, 'in_progress') })));
      swapInSnapshot(keeper.sqlite, { scope: 'district', checkpoint: { epoch: 'big', v: 2 }, referenceVersion: 'big:2', checksum: null, at: AT }, { deferFts: true });
      return exportReplicaImage(keeper.sqlite, path.join(dir, 'big.sqlite'), { method: 'vacuum', check: false });
    }

    /** switches `image` into `file` in a child process that SIGKILLs itself after `killAtStep` steps of the copy (0: after its commit) */
    function killedSwitch(file: string, image: string, killAtStep: number) {
      const code = `
        import { openReplica } from ${JSON.stringify(path.join(import.meta.dirname, 'open.ts'))};
        import { switchInReplicaImage } from ${JSON.stringify(path.join(import.meta.dirname, 'replica-image.ts'))};
        const r = openReplica({ file: process.env.LIVE });
        const at = Number(process.env.KILL_AT);
        let steps = 0;
        await switchInReplicaImage(r.sqlite, process.env.IMAGE, { scope: 'district' }, {
          pagesPerStep: 64,
          checkpoint: false,
          onProgress: () => { if (++steps === at) process.kill(process.pid, 'SIGKILL'); },
        });
        process.kill(process.pid, 'SIGKILL');
      `;
      const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { env: { ...process.env, LIVE: file, IMAGE: image, KILL_AT: String(killAtStep) }, encoding: 'utf8', timeout: 60_000 });
      expect(res.signal, res.stderr).toBe('SIGKILL');
    }

    it('in the middle of the copy leaves the old replica; right after its commit, the new one', async () => {
      const dir = tempDir();
      const info = await bigImage(dir);
      expect(info.bytes).toBeGreaterThan(20 * 2 ** 20);
      const { r } = target(dir);
      const file = r.sqlite.name;
      const before = contents(r.sqlite, ALL_TABLES);
      r.close();

      // 20 steps of 64 pages (~20 MB) in, past the 16 MB cache: frames of the open transaction are in the WAL
      killedSwitch(file, info.file, 20);
      expect(existsSync(`${file}-wal`) && statSync(`${file}-wal`).size).toBeGreaterThan(2 ** 20);
      const survived = replicaAt(file);
      expect(survived.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(contents(survived.sqlite, ALL_TABLES)).toEqual(before);
      survived.close();

      killedSwitch(file, info.file, 0);
      const switched = replicaAt(file);
      expect(switched.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(readSyncState(switched.sqlite)?.cursor).toEqual({ epoch: 'big', v: 2 });
      expect(switched.sqlite.prepare('SELECT count(*) FROM config').pluck().get()).toBe(1200);
      expect(contents(switched.sqlite, ['outbox', 'pending_overlay', 'sqlite_sequence'])).toEqual({ outbox: before.outbox, pending_overlay: before.pending_overlay, sqlite_sequence: before.sqlite_sequence });
    });
  });
});
