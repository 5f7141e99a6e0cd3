/**
 * A replica image: the replicated tables of a live replica, with their
 * indexes, the FTS index and the sync state (scope and cursor), as one
 * SQLite file that another data folder switches in whole instead of
 * snapshotting row by row (docs/sync-client.md, "A replica image switched in
 * whole"). A row snapshot spends the desktop's one thread on reading,
 * staging and index builds (~3× a raw insert's CPU); an image is built once
 * elsewhere (a keeper replica kept live by this same code) and the desktop
 * only copies pages.
 *
 * Every table of the schema is in exactly one class (TABLE_CLASS), checked
 * on both sides so that a migration adding a table cannot slip through:
 * - `image`: what the image brings (replicated tables, `events_doc`, the FTS
 *   index, `sync_state`, `schema_migrations`);
 * - `local`: what belongs to the data folder and is carried from the live
 *   store into the image at the switch (`outbox`, `pending_overlay`,
 *   `preferences` but the ones that describe the replica, `sqlite_sequence`
 *   so that a mutation id is never reused);
 * - `emptied`: neither (the `stage_` twins, `kpi_facts`: a cache of the
 *   replica's events by rid, refilled on demand).
 *
 * The switch (`switchInReplicaImage`) uses SQLite's backup API with the image
 * as the source and the live file as the destination, through a connection
 * of its own: SQLite holds ONE write transaction on the destination from the
 * first step to the last and commits it at the end, so the replica is the
 * old one or the new one, never a mix — also after an exception (the backup
 * is finished early: the transaction rolls back) or a SIGKILL (its WAL
 * frames were never committed). The service's connection stays open: the
 * backup bumps the schema cookie, so its prepared statements re-prepare by
 * themselves, and WAL readers see the old replica until the commit. The
 * local tables are copied into the image right after the first step, i.e.
 * once the write lock is held, so no write of the service can fall between
 * the copy and the commit.
 *
 * `renameInReplicaImage` does without the copy (docs/sync-client.md, "Rename
 * instead of copy, as built"): the checked image, the local tables carried
 * into it, becomes the replica's file by rename and the service's connection
 * is reopened (store/connection.ts); the copy stays for where the file cannot
 * be renamed (another connection holds it, Windows refuses the rename).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Cursor, SyncScope } from '../../../core/index';
import { migrations as allMigrations, type Migration } from './migrations';
import { ReplicaFailed, type Replica } from './open';
import { FTS_AUTOMERGE_DEFAULT, FTS_PREFERENCE, setFtsAutomerge } from './replica-writes';
import { readSyncState } from './sync-state';

/** how a table of the replica's schema travels in an image */
export type TableClass = 'image' | 'local' | 'emptied';

/** Every table of the schema, by class; a table missing here refuses both export and switch (classify it). */
export const TABLE_CLASS: Readonly<Record<string, TableClass>> = {
  areas: 'image',
  grids: 'image',
  units: 'image',
  workers: 'image',
  config: 'image',
  events: 'image',
  events_doc: 'image',
  audit: 'image',
  wall: 'image',
  events_fts: 'image',
  events_fts_config: 'image',
  events_fts_data: 'image',
  events_fts_docsize: 'image',
  events_fts_idx: 'image',
  sync_state: 'image',
  schema_migrations: 'image',
  outbox: 'local',
  pending_overlay: 'local',
  preferences: 'local',
  sqlite_sequence: 'local',
  kpi_facts: 'emptied',
  stage_areas: 'emptied',
  stage_grids: 'emptied',
  stage_units: 'emptied',
  stage_workers: 'emptied',
  stage_config: 'emptied',
  stage_events: 'emptied',
  stage_events_doc: 'emptied',
  stage_audit: 'emptied',
  stage_wall: 'emptied',
};

/**
 * Preferences that describe the replicated content rather than the data folder: the FTS index's build mark
 * comes with the image (it says how far the image's index is built); the KPI facts' state
 * (queries/stats/facts.ts STATE_KEY) goes with `kpi_facts`, which is emptied.
 */
const IMAGE_PREFERENCES: readonly string[] = [FTS_PREFERENCE];
const DROPPED_PREFERENCES: readonly string[] = ['kpiFacts'];

/** local tables in the order they are filled (pending_overlay references outbox) */
const LOCAL_TABLES = ['sqlite_sequence', 'preferences', 'outbox', 'pending_overlay'] as const;

export type ImageRefusal = 'not_sqlite' | 'truncated' | 'digest' | 'corrupt' | 'page_size' | 'migrations' | 'schema' | 'no_cursor' | 'scope' | 'not_a_file' | 'busy';

/** The image was not switched in; the live replica is as it was (but the image file: see switchInReplicaImage). */
export class ReplicaImageRefused extends Error {
  constructor(
    readonly code: ImageRefusal,
    message: string,
  ) {
    super(`replica image refused (${code}): ${message}`);
    this.name = 'ReplicaImageRefused';
  }
}

/**
 * The switch COMMITTED — the live replica holds the image's content — but what followed the commit failed: the
 * live replica does not show the image's sync state, or its `snapshot_at` could not be renewed (so the query
 * layer's caches may still hold the old replica's answers). Not a refusal: the old replica is gone; the caller
 * must not fall back as if nothing happened (reopen the replica, or restart the service).
 */
export class ReplicaImageCommitted extends Error {
  readonly committed = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(`replica image switched in, then: ${message}`, options);
    this.name = 'ReplicaImageCommitted';
  }
}

export interface ImageInfo {
  file: string;
  bytes: number;
  pageSize: number;
  pages: number;
  scope: SyncScope;
  cursor: Cursor;
  /** hex SHA-256 of the file, for the desktop to check what it received */
  sha256: string;
}

export interface ExportOptions {
  /**
   * how the live replica is copied: SQLite's backup API (pages as they are, free ones too: the copy is VACUUMed once
   * emptied) or VACUUM INTO (rebuilt, compact); default 'backup'
   */
  method?: 'backup' | 'vacuum';
  /** `PRAGMA quick_check` of the copy before it is published (once per image, on the keeper); default true */
  check?: boolean;
}

/**
 * Writes a consistent copy of a live replica to `file` as an image: the copy is made under a read transaction of
 * the replica (either method), its local and emptied tables are emptied (securely: no byte of them, nor of any
 * free page or deleted row of the source, is left in the file), it is put in rollback-journal mode (one file) and,
 * checked, fsynced and renamed into place (the folder fsynced after) — a reader of `file` never sees a
 * half-written image, nor, after a power cut, a damaged one under the digest it was published with. The scope and
 * cursor returned are the copy's own (the backup yields to the event loop: a batch applied meanwhile is in it).
 */
export async function exportReplicaImage(db: Database.Database, file: string, opts: ExportOptions = {}): Promise<ImageInfo> {
  unclassified(db, 'the live replica');
  if (!readSyncState(db)) throw new Error('the replica holds no snapshot: nothing to export');
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  try {
    if (opts.method === 'vacuum') db.prepare('VACUUM INTO ?').run(partial);
    // one step: the copy is made under one read transaction of the source
    else await db.backup(partial, { progress: () => 0x7fffffff });
    const copy = new Database(partial, { fileMustExist: true });
    let state: ReturnType<typeof readSyncState>;
    try {
      copy.pragma('synchronous = OFF');
      copy.pragma('journal_mode = DELETE');
      // An image is served to every account that may read its scope, so no byte of what the export empties may
      // stay in the file: the keeper's preferences (a session's refresh token, when a data folder keeps one), its
      // outbox. SQLite does not erase what it deletes: a deleted cell stays in its page's free space and a freed
      // page in the freelist, both verbatim. secure_delete zeroes what these DELETEs free; but the backup API also
      // copies the source's own free pages and free space (a rotated-out token, a row deleted long ago), which no
      // DELETE here touches: a copy made by it, or one with any free page left, is VACUUMed — rebuilt from its
      // live rows only, so the image has no freelist page and no deleted cell content.
      copy.pragma('secure_delete = ON');
      copy.transaction(() => {
        emptyNonImageTables(copy);
        // a keeper's build in progress has FTS5's automerge off (store/replica-writes.ts buildFtsChunk): the image
        // does not carry that, since a desktop whose builder does not turn it back on (an older build, the same
        // schema) would keep it off for good; a builder that wants it off sets it again at its first chunk
        setFtsAutomerge(copy, FTS_AUTOMERGE_DEFAULT);
      })();
      const free = copy.pragma('freelist_count', { simple: true }) as number;
      if (opts.method !== 'vacuum' || free > 0) copy.exec('VACUUM');
      if (opts.check !== false) {
        const verdict = quickCheck(copy);
        if (verdict !== 'ok') throw new Error(`the exported image fails quick_check: ${verdict}`);
      }
      // what the copy holds, not what the replica held before the copy: a batch may have landed while it was made
      state = readSyncState(copy);
    } finally {
      copy.close();
    }
    if (!state) throw new Error('the exported image holds no snapshot');
    const header = readHeader(partial);
    const sha256 = await sha256Of(partial);
    // written with synchronous=OFF: on disk before it is published under its digest, and the rename on disk after
    fsyncFile(partial);
    renameSync(partial, file);
    fsyncFolder(path.dirname(path.resolve(file)));
    return { file, bytes: statSync(file).size, pageSize: header.pageSize, pages: header.pages, scope: state.scope, cursor: state.cursor, sha256 };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

export interface ImageExpectation {
  /** the scope the image must hold */
  scope: SyncScope;
  /** hex SHA-256 the image must have (the keeper's, from the answer that brought it) */
  sha256?: string;
}

export interface SwitchOptions {
  /**
   * how the image's pages are checked: 'quick' (`PRAGMA quick_check`, reads every page) or 'digest' (its SHA-256
   * equals `expect.sha256`, i.e. the very file the keeper checked when it exported it); default 'quick'
   */
  check?: 'quick' | 'digest';
  /**
   * the file's SHA-256 as computed over its bytes while they were written (sync/image-http.ts receiveImageBody):
   * compared with `expect.sha256` instead of reading the file again — same refusal (`digest`) when they differ
   */
  receivedSha256?: string;
  /** pages copied per step of the backup (the service's event loop runs between steps: reads see the old replica); default 4096 */
  pagesPerStep?: number;
  /** after each step of the copy but the last (the switch's promise says that one); a throw abandons the switch (the live replica keeps its content) */
  onProgress?: (p: { totalPages: number; remainingPages: number }) => void;
  /** checkpoint the WAL into the database file afterwards (TRUNCATE, as a snapshot does); default true */
  checkpoint?: boolean;
  /** the switch's time, ISO, written to `sync_state.snapshot_at` as a row snapshot's swap writes its own; default now */
  at?: string;
  /** this build's migrations (tests) */
  migrations?: readonly Migration[];
}

export interface SwitchResult {
  scope: SyncScope;
  cursor: Cursor;
  /** the image as received (its header, before its local and emptied tables were emptied and the local ones carried in) */
  pages: number;
  /** the image file's size as received (same) */
  bytes: number;
  /** the WAL checkpoint after the commit failed (the switch stands; the WAL keeps the image until a later checkpoint) */
  checkpointError?: Error;
  /** ms spent checking the image, copying it, checkpointing */
  ms: { verify: number; copy: number; checkpoint: number };
}

/** connections a switch is running on (one at a time: the switch saves and restores the connection's busy timeout) */
const switching = new WeakSet<object>();

/**
 * Switches the image `file` in as the live replica of `db` (the service's open connection, which stays open and
 * usable): checks the image, carries the live store's local tables into it, and replaces the live database's
 * content with it in one transaction, then stamps `sync_state.snapshot_at` on `db` itself (the commit is another
 * connection's: this is the change of its own that tells `db`'s caches — the query layer's `total_changes()`
 * memo, the KPI facts' basis — that the replica changed) and checkpoints the WAL.
 *
 * Before the commit, every failure leaves the live replica untouched: refusals throw ReplicaImageRefused (a second
 * switch on the same connection while one runs: `busy`), anything else (an I/O error, `onProgress` throwing) its
 * own error. After the commit nothing is thrown as if the switch had not happened: a failed checkpoint is
 * reported in the result (`checkpointError`), a live replica that does not show the image's sync state or a
 * failed `snapshot_at` stamp throws ReplicaImageCommitted.
 *
 * The image file is written to (its local and emptied tables emptied, the local tables carried in) and left for
 * the caller to delete: after a refusal that came late (the `busy` of another writer, a throw during the copy)
 * the same file no longer has the digest it was downloaded with, so a retry with check 'digest' is refused as
 * `digest` — the client falls back to the row snapshot rather than retrying the file.
 *
 * While the copy runs, other writes on `db` fail at once with SQLITE_BUSY (its busy timeout is 0 meanwhile: the
 * copy runs on this same thread, so waiting for it would only stall), reads see the old replica.
 */
export async function switchInReplicaImage(db: Database.Database, file: string, expect: ImageExpectation, opts: SwitchOptions = {}): Promise<SwitchResult> {
  if (db.memory || !db.open) throw new ReplicaImageRefused('not_a_file', `the live replica must be an open database file (got ${db.name})`);
  if (switching.has(db)) throw new ReplicaImageRefused('busy', 'another switch is running on this connection');
  switching.add(db);
  try {
    return await switchIn(db, file, expect, opts);
  } finally {
    switching.delete(db);
  }
}

async function switchIn(db: Database.Database, file: string, expect: ImageExpectation, opts: SwitchOptions): Promise<SwitchResult> {
  const t0 = performance.now();
  const header = readHeader(file);
  const check = opts.check ?? 'quick';
  await checkDigest(file, expect, check, opts.receivedSha256);
  const image = openImage(file);
  try {
    image.pragma('synchronous = OFF');
    image.pragma('journal_mode = MEMORY');
    const state = verifyImage(db, image, header, expect, opts.migrations ?? allMigrations, check);
    image.transaction(() => emptyNonImageTables(image))();
    const verified = performance.now();

    const step = Math.max(1, Math.min(0x7fffffff, Math.round(opts.pagesPerStep ?? 4096)));
    let carried = false;
    const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
    db.pragma('busy_timeout = 0');
    try {
      await image.backup(mainFile(db), {
        progress: (p) => {
          // the first step took the live file's write lock and copied nothing: what the service committed is final now
          if (!carried) {
            image.transaction(() => carryLocalTables(db, image))();
            carried = true;
            return step;
          }
          opts.onProgress?.(p);
          return step;
        },
      });
    } finally {
      db.pragma(`busy_timeout = ${busyTimeout}`);
    }
    // better-sqlite3 ends a backup whose first step met SQLITE_BUSY as if it were done: nothing was copied
    if (!carried) throw new ReplicaImageRefused('busy', 'another connection was writing the live replica; nothing was switched');
    // committed: from here on nothing is thrown as if the live replica were the old one
    const copied = performance.now();
    const after = readSyncState(db);
    if (!after || after.scope !== state.scope || after.cursor.epoch !== state.cursor.epoch || after.cursor.v !== state.cursor.v) {
      throw new ReplicaImageCommitted(`the live replica does not show the image's sync state (${after ? `${after.scope} ${after.cursor.epoch}:${after.cursor.v}` : 'none'}, the image's ${state.scope} ${state.cursor.epoch}:${state.cursor.v})`);
    }
    try {
      // as a row snapshot's swap does (store/replica-writes.ts swapInSnapshot: snapshotAt = the swap's time), and on db
      db.prepare('UPDATE sync_state SET snapshot_at = ?').run(opts.at ?? new Date().toISOString());
    } catch (err) {
      throw new ReplicaImageCommitted(`its snapshot_at could not be stamped on the service's connection: ${(err as Error).message}`, { cause: err });
    }
    let checkpointError: Error | undefined;
    if (opts.checkpoint !== false) {
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        checkpointError = err instanceof Error ? err : new Error(String(err));
      }
    }
    const done = performance.now();
    return {
      scope: state.scope,
      cursor: state.cursor,
      pages: header.pages,
      bytes: header.bytes,
      ...(checkpointError ? { checkpointError } : {}),
      ms: { verify: verified - t0, copy: copied - verified, checkpoint: done - copied },
    };
  } finally {
    image.close();
  }
}

export interface RenameOptions {
  /** as SwitchOptions' (default 'quick') */
  check?: 'quick' | 'digest';
  /** as SwitchOptions' */
  receivedSha256?: string;
  /** the switch's time, ISO, written to the image's `sync_state.snapshot_at` before it becomes the replica; default now */
  at?: string;
  /** this build's migrations (tests) */
  migrations?: readonly Migration[];
  /**
   * called at the switch's two points that matter to a crash (tests SIGKILL the process there): 'carried' — the
   * download holds the live replica's local tables and is on disk, the live replica is still in place; 'renamed' —
   * the download is `replica.sqlite`, the folder is synced, the service's connection is not open yet
   */
  onStage?: (stage: 'carried' | 'renamed') => void;
  /** right before the synchronous run (the image checked and on disk); a throw abandons the switch, the live replica as it was */
  beforeSwap?: () => void;
}

export interface RenameResult {
  scope: SyncScope;
  cursor: Cursor;
  /** the image as received (its header) */
  pages: number;
  /** the image file's size as received */
  bytes: number;
  /** the folder could not be fsynced after the rename (the switch stands; a power cut before it is on disk may undo it) */
  folderSyncError?: Error;
  /**
   * ms: checking the image (header, schema, sync state; the digest when it was not computed on receipt), fsyncing
   * the download (off the thread), the synchronous swap: carrying the local tables in and fsyncing them, leaving
   * WAL mode, closing, renaming, syncing the folder (`carry`), opening the new file (`reopen`)
   */
  ms: { verify: number; fsync: number; carry: number; reopen: number };
}

/**
 * The image could not be renamed into place, and nothing was switched: the live replica is as it was, open on a
 * connection of its own (another connection holds the file, the rename failed — Windows' EBUSY/EPERM while a
 * scanner holds a file —, an in-memory replica, an image outside the replica's folder). The caller copies it in
 * instead (switchInReplicaImage); the file may have been written (emptied, local tables carried in): not by its
 * digest again, the caller passes the digest it computed on receipt.
 */
export class ReplicaImageNotRenamed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`replica image not renamed into place: ${message}`, options);
    this.name = 'ReplicaImageNotRenamed';
  }
}

/**
 * Switches the image `file` in as the replica by RENAMING it over the replica's file (docs/sync-client.md,
 * "Rename instead of copy"): the image is checked as switchInReplicaImage checks it, emptied of its local and
 * emptied tables and fsynced (off the thread: the bulk of the download); then, in ONE synchronous run — no other
 * code of this process runs in it, so no write of the service can fall between the carry and the rename, and no
 * read meets a closed connection —
 *   1. the live connection leaves WAL mode (`journal_mode = DELETE`): the WAL is checkpointed into the live file
 *      and deleted, and this fails when another connection has the file open (ReplicaImageNotRenamed: the WAL
 *      and its index are shared by name, so a connection left on the old file would write into the new one's);
 *   2. the live store's local tables are carried into the image, `snapshot_at` stamped, the image fsynced;
 *   3. `replica.reopen`: the connection closed, no `-wal`/`-shm`/`-journal` left beside the file (a WAL does not
 *      name its database: one left there would be replayed into the renamed file), the image renamed over the
 *      replica's file, the folder fsynced, the file opened again (WAL mode, the service's pragmas) — every holder
 *      of the handle sees the new connection (store/connection.ts).
 * Crash: before the rename the replica is the old one whole (its WAL checkpointed or not) and the download a
 * leftover the client deletes at start; after it, the new one whole, with the local tables carried. The outbox
 * is in exactly one of them.
 *
 * Refusals before the swap throw ReplicaImageRefused, the live replica untouched; a swap that cannot rename throws
 * ReplicaImageNotRenamed with the live replica reopened as it was; after the rename, a file that does not open or
 * does not show the image's sync state throws ReplicaImageCommitted.
 */
export async function renameInReplicaImage(replica: Replica, file: string, expect: ImageExpectation, opts: RenameOptions = {}): Promise<RenameResult> {
  const db = replica.sqlite;
  if (db.memory || !replica.file) throw new ReplicaImageNotRenamed(`the live replica is not a file (${db.name})`);
  if (!db.open) throw new ReplicaImageRefused('not_a_file', 'the live replica is closed');
  if (switching.has(db) || switching.has(replica)) throw new ReplicaImageRefused('busy', 'another switch is running on this replica');
  switching.add(db).add(replica);
  try {
    return await renameIn(replica, db, file, expect, opts);
  } finally {
    switching.delete(db);
    switching.delete(replica);
  }
}

async function renameIn(replica: Replica, db: Database.Database, file: string, expect: ImageExpectation, opts: RenameOptions): Promise<RenameResult> {
  const t0 = performance.now();
  const live = path.resolve(replica.file);
  const image = path.resolve(file);
  if (path.dirname(image) !== path.dirname(live)) throw new ReplicaImageNotRenamed(`the image ${image} is not in the replica's folder`);
  const header = readHeader(image);
  const check = opts.check ?? 'quick';
  await checkDigest(image, expect, check, opts.receivedSha256);
  let idb: Database.Database | null = openImage(image);
  try {
    idb.pragma('synchronous = OFF');
    idb.pragma('journal_mode = MEMORY');
    const state = verifyImage(db, idb, header, expect, opts.migrations ?? allMigrations, check);
    idb.transaction(() => emptyNonImageTables(idb!))();
    const verified = performance.now();
    // the download's pages on disk off the thread; the fsync in the synchronous run below has little left to write
    await fsyncAsync(image);
    const synced = performance.now();
    opts.beforeSwap?.();
    if (replica.sqlite !== db || !db.open) throw new ReplicaImageNotRenamed('the replica was reopened or closed meanwhile');

    // ── one synchronous run from here to the reopen ──
    let mode: unknown;
    try {
      mode = db.pragma('journal_mode = DELETE', { simple: true });
    } catch (err) {
      throw new ReplicaImageNotRenamed(`the live replica cannot leave WAL mode (another connection has it open?): ${(err as Error).message}`, { cause: err });
    }
    if (mode !== 'delete') throw new ReplicaImageNotRenamed(`the live replica cannot leave WAL mode (journal mode ${String(mode)})`);
    try {
      const image = idb;
      image.transaction(() => {
        carryLocalTables(db, image);
        image.prepare('UPDATE sync_state SET snapshot_at = ?').run(opts.at ?? new Date().toISOString());
      })();
      image.close();
      idb = null;
      fsyncFile(file);
    } catch (err) {
      db.pragma('journal_mode = WAL');
      throw err;
    }
    opts.onStage?.('carried');
    const carried = performance.now();
    let renamed = false;
    let folderSyncError: Error | undefined;
    try {
      replica.reopen(() => {
        for (const side of ['-wal', '-journal']) {
          const f = `${live}${side}`;
          if (existsSync(f) && statSync(f).size > 0) throw new ReplicaImageNotRenamed(`${f} is left beside the closed replica`);
        }
        rmSync(`${live}-wal`, { force: true });
        rmSync(`${live}-shm`, { force: true });
        rmSync(`${live}-journal`, { force: true });
        // the WAL's deletion on disk before the rename: SQLite deletes it without syncing the folder, and a WAL of
        // the old file that came back beside the new one after a power cut would be replayed into it
        fsyncFolder(path.dirname(live));
        try {
          renameSync(image, live);
        } catch (err) {
          throw new ReplicaImageNotRenamed(`the rename failed: ${(err as Error).message}`, { cause: err });
        }
        renamed = true;
        try {
          fsyncFolder(path.dirname(live));
        } catch (err) {
          // the rename stands (a power cut before the folder reaches the disk may undo it: the old replica, whole)
          folderSyncError = err instanceof Error ? err : new Error(String(err));
        }
        opts.onStage?.('renamed');
      });
    } catch (err) {
      // the file did not open again: the handle is failed and the service exits (store/open.ts) — no copy, no re-snapshot
      if (err instanceof ReplicaFailed) throw err;
      if (!renamed) throw err instanceof ReplicaImageNotRenamed ? err : new ReplicaImageNotRenamed((err as Error).message, { cause: err });
      throw new ReplicaImageCommitted(`the renamed replica could not be opened: ${(err as Error).message}`, { cause: err });
    }
    const reopened = performance.now();
    const after = readSyncState(replica.sqlite);
    if (!after || after.scope !== state.scope || after.cursor.epoch !== state.cursor.epoch || after.cursor.v !== state.cursor.v) {
      throw new ReplicaImageCommitted(`the renamed replica does not show the image's sync state (${after ? `${after.scope} ${after.cursor.epoch}:${after.cursor.v}` : 'none'})`);
    }
    return {
      scope: state.scope,
      cursor: state.cursor,
      pages: header.pages,
      bytes: header.bytes,
      ...(folderSyncError ? { folderSyncError } : {}),
      ms: { verify: verified - t0, fsync: synced - verified, carry: carried - synced, reopen: reopened - carried },
    };
  } finally {
    idb?.close();
  }
}

async function fsyncAsync(file: string): Promise<void> {
  // 'r+': Windows' FlushFileBuffers needs a handle with write access (EPERM on a read-only one)
  const handle = await fsp.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The digest check: the SHA-256 computed while the file was received when given, else the file's read again. */
async function checkDigest(file: string, expect: ImageExpectation, check: 'quick' | 'digest', received: string | undefined): Promise<void> {
  if (check === 'digest' && !expect.sha256) throw new Error("check 'digest' needs expect.sha256");
  if (!expect.sha256) return;
  const got = received?.toLowerCase() ?? (await sha256Of(file));
  if (got !== expect.sha256.toLowerCase()) throw new ReplicaImageRefused('digest', `the image's SHA-256 is ${got}, expected ${expect.sha256}`);
}

/** the live database's file, absolute (the connection's name is the path it was opened with, maybe relative) */
function mainFile(db: Database.Database): string {
  const main = (db.prepare('PRAGMA database_list').all() as { name: string; file: string }[]).find((d) => d.name === 'main');
  if (!main?.file) throw new ReplicaImageRefused('not_a_file', `the live replica has no file (${db.name})`);
  return main.file;
}

interface Header {
  pageSize: number;
  pages: number;
  bytes: number;
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * The 100-byte header of a SQLite file: the magic string, the page size, and the size in pages, which must agree
 * with the file's length — a cut download ends short of it (the in-header size is valid when bytes 92–95 equal
 * the change counter at 24–27, as every SQLite since 3.7.0 writes it).
 */
function readHeader(file: string): Header {
  const fd = openSync(file, 'r');
  try {
    const bytes = fstatSync(fd).size;
    const h = Buffer.alloc(100);
    const n = readSync(fd, h, 0, 100, 0);
    if (n < 100 || !h.subarray(0, 16).equals(MAGIC)) throw new ReplicaImageRefused('not_sqlite', `${file} is not a SQLite database`);
    const raw = h.readUInt16BE(16);
    const pageSize = raw === 1 ? 65_536 : raw;
    if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw new ReplicaImageRefused('not_sqlite', `${file} has no valid page size (${raw})`);
    const inHeader = h.readUInt32BE(28);
    const valid = inHeader > 0 && h.readUInt32BE(24) === h.readUInt32BE(92);
    const pages = valid ? inHeader : Math.floor(bytes / pageSize);
    if (bytes % pageSize !== 0 || bytes < pages * pageSize) {
      throw new ReplicaImageRefused('truncated', `${file} has ${bytes} bytes, its header says ${pages} pages of ${pageSize} (${pages * pageSize} bytes)`);
    }
    return { pageSize, pages, bytes };
  } finally {
    closeSync(fd);
  }
}

function openImage(file: string): Database.Database {
  try {
    return new Database(file, { fileMustExist: true });
  } catch (err) {
    throw new ReplicaImageRefused('not_sqlite', `${file} cannot be opened: ${(err as Error).message}`);
  }
}

/** The image's checks, cheapest first; its sync state when it passes. */
function verifyImage(db: Database.Database, image: Database.Database, header: Header, expect: ImageExpectation, migrations: readonly Migration[], check: 'quick' | 'digest') {
  const livePageSize = db.pragma('page_size', { simple: true }) as number;
  // the backup API cannot copy into a WAL database of another page size (SQLITE_READONLY)
  if (header.pageSize !== livePageSize) throw new ReplicaImageRefused('page_size', `the image has ${header.pageSize}-byte pages, the live replica ${livePageSize}-byte ones`);
  let done: { id: number; name: string }[];
  try {
    done = image.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all() as { id: number; name: string }[];
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new ReplicaImageRefused('corrupt', `the image cannot be read: ${(err as Error).message}`);
    throw new ReplicaImageRefused('migrations', `the image has no migration record: ${(err as Error).message}`);
  }
  const want = migrations.map((m) => `${m.id} ${m.name}`).join(', ');
  const got = done.map((m) => `${m.id} ${m.name}`).join(', ');
  if (got !== want) throw new ReplicaImageRefused('migrations', `the image's migrations are [${got}], this build's [${want}]`);
  const liveSchema = schemaOf(db);
  const imageSchema = schemaOf(image);
  const extra = [...imageSchema].find((x) => !liveSchema.has(x));
  const missing = [...liveSchema].find((x) => !imageSchema.has(x));
  if (extra !== undefined || missing !== undefined) {
    throw new ReplicaImageRefused('schema', `the image's schema differs from the live replica's (${extra !== undefined ? `the image has ${extra.slice(0, 120)}` : `the image lacks ${missing!.slice(0, 120)}`})`);
  }
  unclassified(image, 'the image');
  if (check === 'quick') {
    const verdict = quickCheck(image);
    if (verdict !== 'ok') throw new ReplicaImageRefused('corrupt', `quick_check: ${verdict}`);
  }
  const rows = image.prepare('SELECT count(*) FROM sync_state').pluck().get() as number;
  const state = rows === 1 ? readSyncState(image) : null;
  if (!state) throw new ReplicaImageRefused('no_cursor', `the image's sync_state has ${rows} rows, not one`);
  if (state.scope !== expect.scope) throw new ReplicaImageRefused('scope', `the image holds scope ${state.scope}, expected ${expect.scope}`);
  return state;
}

/**
 * The schema as a set of `type name: sql` lines, a table's CREATE statement with its name unquoted: a snapshot
 * swap renames each staging twin into place (store/replica-writes.ts), after which SQLite stores
 * `CREATE TABLE "events" (…` for what a fresh replica stores as `CREATE TABLE events (…` — the same table.
 */
function schemaOf(d: Database.Database): Set<string> {
  const rows = d.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex_%'").all() as { type: string; name: string; sql: string | null }[];
  return new Set(rows.map((r) => `${r.type} ${r.name}: ${(r.sql ?? '').replace(/^CREATE TABLE\s+"?([A-Za-z0-9_]+)"?\s*\(/, 'CREATE TABLE $1 (').replace(/\s+/g, ' ').trim()}`));
}

function quickCheck(d: Database.Database): string {
  try {
    return (d.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check).join('; ');
  } catch (err) {
    return (err as Error).message;
  }
}

/** Throws when the schema has a table TABLE_CLASS does not name (a migration added it: say how it travels). */
function unclassified(d: Database.Database, what: string): void {
  const tables = d.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  const unknown = tables.filter((t) => !(t in TABLE_CLASS));
  if (unknown.length > 0) throw new ReplicaImageRefused('schema', `${what} has tables no image class names: ${unknown.join(', ')} (store/replica-image.ts TABLE_CLASS)`);
}

/** Empties the local and emptied tables of an image (inside the caller's transaction), keeping the preferences that describe the replica. */
function emptyNonImageTables(image: Database.Database): void {
  for (const t of ['pending_overlay', ...Object.keys(TABLE_CLASS).filter((t) => TABLE_CLASS[t] !== 'image' && t !== 'pending_overlay' && t !== 'preferences')]) image.exec(`DELETE FROM ${t}`);
  image.prepare(`DELETE FROM preferences WHERE key NOT IN (${IMAGE_PREFERENCES.map(() => '?').join(', ')})`).run(...IMAGE_PREFERENCES);
}

/**
 * Copies the live store's local tables into the image (inside the image's transaction), values as stored
 * (integers as BigInt, so nothing is rounded), but the preferences that describe the replica.
 */
function carryLocalTables(db: Database.Database, image: Database.Database): void {
  const skip = [...IMAGE_PREFERENCES, ...DROPPED_PREFERENCES];
  for (const t of LOCAL_TABLES) {
    const cols = (db.prepare(`SELECT name FROM pragma_table_info('${t}')`).pluck().all() as string[]).map((c) => `"${c}"`);
    const where = t === 'preferences' ? ` WHERE key NOT IN (${skip.map(() => '?').join(', ')})` : '';
    const rows = db
      .prepare(`SELECT ${cols.join(', ')} FROM ${t}${where}`)
      .raw()
      .safeIntegers()
      .all(...(t === 'preferences' ? skip : [])) as unknown[][];
    const insert = image.prepare(`INSERT INTO ${t} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    for (const r of rows) insert.run(...r);
  }
}

/**
 * fsyncs a file by path, through a descriptor open for writing ('r+'): Windows' FlushFileBuffers refuses a
 * read-only handle (EPERM), POSIX does not care
 */
export function fsyncFile(file: string): void {
  fsyncPath(file, 'r+');
}

/**
 * makes a rename in `dir` durable: on POSIX through a read-only descriptor (a folder cannot be opened for
 * writing, EISDIR); not on Windows, where a folder cannot be opened for fsync and the rename is journaled by NTFS
 */
export function fsyncFolder(dir: string): void {
  if (process.platform === 'win32') return;
  fsyncPath(dir, 'r');
}

function fsyncPath(p: string, flags: 'r' | 'r+'): void {
  const fd = openSync(p, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** hex SHA-256 of a file */
export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
