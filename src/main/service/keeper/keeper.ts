/**
 * The image keeper: the desktop's data service run headless next to the data center, with a replica of
 * one scope kept live by the same sync client, which it exports now and then as a replica image
 * (store/replica-image.ts) into a folder the data center serves from (`--images DIR`,
 * src/datacenter/sync/image-route.ts). A new desktop downloads that file and switches it in whole instead
 * of taking the row snapshot (docs/image-keeper.md, docs/sync-client.md "A replica image switched in whole").
 *
 * The folder, per scope (core/sync/image.ts is the contract):
 * - `<scope>-<v>-<sha256 first 12>.sqlite`: an image, written by exportReplicaImage under the temp name
 *   `.<scope>.export.sqlite` (itself first written as `….partial`), fsynced, then renamed to its unique
 *   name and the folder fsynced;
 * - `<scope>.json`: the manifest naming the current image, written after the image as
 *   `.<scope>.json.tmp`, fsynced, renamed into place, the folder fsynced. A reader that sees a manifest
 *   sees its whole file; names with a leading dot are never served.
 * Older images of the scope are deleted `graceMs` after a newer manifest is in place: the data center
 * opens the file right after reading the manifest, and a download that has it open keeps reading it
 * after the unlink (POSIX: the file lives until its last descriptor closes), so the grace only covers
 * a reader between the manifest and the open. Temp leftovers and images no manifest names are deleted
 * at start, once signed in (a keeper with wrong credentials started on a working one's folder deletes
 * nothing); an image of another replica schema stays, named by its manifest, until the first export
 * replaces it.
 *
 * One keeper per scope and folder: before it cleans or writes the folder the keeper takes the scope's lock file
 * `.keeper-<scope>.lock` there (./images-lock.ts); a second keeper of the scope is refused at start naming the
 * holder, a crashed keeper's stale lock is taken over (logged), stop() releases it.
 *
 * The keeper's session (its refresh token) is kept in memory, never in its replica: every image is a copy
 * of that replica, served to any account that may read the scope (exportReplicaImage also leaves no
 * deleted byte in the file).
 *
 * When: the first image as soon as the replica holds a snapshot and is live; then again when the
 * replica's cursor has moved and the image is older than `renewMs` (default 5 min), or at once when the
 * epoch changed (the data center does not serve an image of another epoch); and once more, at once, when the
 * replica's full-text index becomes complete while the image in place was exported with a partial one. After
 * its own row snapshot the keeper builds that index in background chunks (sync/fts-builder.ts, minutes of a
 * core at 10^6 events), so its first image carries part of it, and every desktop that switched that image in
 * would build the rest itself: the image with the whole index replaces it as soon as the build ends, without
 * waiting `renewMs`. Whether an image's index is complete is read from the image file itself (its `ftsIndex`
 * mark, store/replica-writes.ts `ftsBuiltThrough`), after the export and, for the image in place, at start; it
 * is logged with `image written` (`ftsComplete`). One export at a time; an
 * export holds this process's thread for its copy and check (seconds at 10^5 events), which is why the
 * keeper is a process of its own and not part of the data center's event loop. Stopping waits for a
 * running export to finish and publish.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SyncScope } from '../../../core/index';
import type { Session } from '../../../core/rpc/session';
import { ImageManifest, imageManifestName, replicaSchemaIdOf } from '../../../core/sync/image';
import { staticToken } from '../auth';
import { memorySecretStore, preferencesSecretStore } from '../auth/secret-store';
import { createDataService, type DataService, type DataServiceOptions, type Logger } from '../index';
import { migrations } from '../store/migrations';
import { exportReplicaImage, fsyncFile, fsyncFolder } from '../store/replica-image';
import { ftsBuiltThrough } from '../store/replica-writes';
import { acquireImagesLock, type ProcessProbe } from './images-lock';
import { readSyncState, type SyncStateRow } from '../store/sync-state';
import { LEGACY_EPOCH } from '../sync/sync-client';

export const DEFAULT_RENEW_MS = 5 * 60_000;
export const DEFAULT_GRACE_MS = 60_000;

/** how the keeper signs in: an account (its session is refreshed by the service), or a fixed access token */
export type KeeperCredentials = { login: string; password: string } | { token: string };

export interface KeeperOptions {
  /** the keeper's own data folder (its replica) */
  dataDir: string;
  /** the folder the data center serves images from (its `--images`) */
  imagesDir: string;
  dataCenterUrl: string;
  /** default 'district' */
  scope?: SyncScope;
  credentials: KeeperCredentials;
  /** renew the image when the cursor moved and the image is at least this old; default 5 min */
  renewMs?: number;
  /** how often the cursor is looked at; default min(renewMs, 10 s) */
  checkEveryMs?: number;
  /** older images are deleted this long after a newer one is published; default 60 s */
  graceMs?: number;
  /** how the replica is copied (exportReplicaImage); default 'backup' */
  method?: 'backup' | 'vacuum';
  logger: Logger;
  /** passed to the data service */
  sync?: DataServiceOptions['sync'];
  fetch?: typeof fetch;
  /** told after each image is published (`ftsComplete`: the image holds the whole full-text index) */
  onImage?: (manifest: ImageManifest, ms: number, image: { ftsComplete: boolean }) => void;
  /** better-sqlite3's `nativeBinding` for the replica (the Electron build, in the app's keeper utilityProcess) */
  sqliteBinding?: string;
  /** how the images folder lock tells whether its holder still runs (tests); default this machine's */
  lockProbe?: ProcessProbe;
}

export interface Keeper {
  readonly scope: SyncScope;
  readonly service: DataService;
  /** the manifest of the image in place, null before the first */
  manifest(): ImageManifest | null;
  /** whether the image in place holds the whole full-text index: null before the first (or when it could not be read) */
  imageFtsComplete(): boolean | null;
  /** exports and publishes an image now if the replica holds a live snapshot (waits for a running export); null if it does not */
  exportNow(): Promise<ImageManifest | null>;
  /** stops: a running export finishes and is published, older images are deleted, the service closes */
  stop(): Promise<void>;
}

export async function startKeeper(opts: KeeperOptions): Promise<Keeper> {
  const log = opts.logger;
  const scope: SyncScope = opts.scope ?? 'district';
  const renewMs = opts.renewMs ?? DEFAULT_RENEW_MS;
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const schema = replicaSchemaIdOf(migrations);
  const dir = path.resolve(opts.imagesDir);
  mkdirSync(dir, { recursive: true });
  const manifestFile = path.join(dir, imageManifestName(scope));
  const tempImage = path.join(dir, `.${scope}.export.sqlite`);
  const tempManifest = path.join(dir, `.${scope}.json.tmp`);
  // before anything in the folder is read, cleaned or written: another keeper of the scope there refuses this one
  const lock = acquireImagesLock({ dir, scope, log, ...(opts.lockProbe ? { probe: opts.lockProbe } : {}) });

  let service: DataService;
  try {
    service = await openService(opts, scope);
  } catch (err) {
    lock.release();
    throw err;
  }
  /** the manifest of our schema in place (null: none, or another schema's) */
  let current: ImageManifest | null;
  /** the image the manifest on disk names, whichever schema: never deleted while it is named */
  let named: string | null;
  /** whether `current`'s file holds the whole full-text index (null: no current image, or its file could not be read) */
  let currentFtsComplete: boolean | null = null;
  try {
    // a session an earlier build kept in the replica's preferences goes (and is no longer exported: see exportReplicaImage)
    preferencesSecretStore(service.replica.sqlite).write(null);
    if ('login' in opts.credentials) await signIn(service, opts.credentials, scope);
    // only now that the credentials are known to work: a misconfigured keeper started on the folder of a working one
    // must not delete that one's export in progress or its images
    removeTemps(dir, scope, log);
    current = readManifest(manifestFile, scope, log);
    named = current?.file ?? null;
    if (current && current.schema !== schema) {
      // kept, with its file, until the first export's manifest replaces it: desktops of that schema go on receiving
      // it meanwhile, and the data center never finds a manifest whose file is gone (a 404 no_file per request)
      log.info({ file: current.file, schema: current.schema, ours: schema }, 'the image in place is of another replica schema: it will be replaced');
      current = null;
    }
    if (current) currentFtsComplete = imageFtsComplete(path.join(dir, current.file), opts.sqliteBinding, log);
    removeImagesBut(dir, scope, named, log);
  } catch (err) {
    await service.close().finally(() => lock.release());
    throw err;
  }
  // starts the sync loop, which then runs until the service closes (its outcome is the status's business)
  void service.syncNow();

  let stopped = false;
  let exporting: Promise<ImageManifest | null> | null = null;
  /** when the last export failed: the next try waits a while (a full disk must not cost an export every check) */
  let failedAt = 0;
  const retryAfterFailureMs = Math.min(renewMs, 60_000);
  const deletions = new Set<NodeJS.Timeout>();

  /** exports, renames into place, writes the manifest, schedules the older images' deletion */
  const exportOnce = async (): Promise<ImageManifest | null> => {
    if (!exportable(readSyncState(service.replica.sqlite)) || service.syncStatus().state !== 'live') return null;
    const t0 = performance.now();
    const info = await exportReplicaImage(service.replica.sqlite, tempImage, { method: opts.method ?? 'backup' });
    if (info.scope !== scope) {
      rmSync(tempImage, { force: true });
      throw new Error(`the keeper's replica holds scope ${info.scope}, not ${scope}: not published`);
    }
    // what the copy holds, not what the replica held when the export began: FTS chunks may run while it is made
    // (a copy whose mark cannot be read is taken to hold what the replica holds now: never an export per check)
    const ftsComplete = imageFtsComplete(tempImage, opts.sqliteBinding, log) ?? ftsBuiltThrough(service.replica.sqlite) === null;
    const file = `${scope}-${info.cursor.v}-${info.sha256.slice(0, 12)}.sqlite`;
    renameSync(tempImage, path.join(dir, file));
    fsyncFolder(dir);
    const manifest = ImageManifest.parse({
      format: 1,
      scope,
      schema,
      pageSize: info.pageSize,
      file,
      bytes: info.bytes,
      sha256: info.sha256,
      cursor: info.cursor,
      builtAt: new Date().toISOString(),
    } satisfies ImageManifest);
    writeFileSync(tempManifest, `${JSON.stringify(manifest, null, 2)}\n`);
    fsyncFile(tempManifest);
    renameSync(tempManifest, manifestFile);
    fsyncFolder(dir);
    current = manifest;
    named = manifest.file;
    currentFtsComplete = ftsComplete;
    const ms = Math.round(performance.now() - t0);
    log.info({ scope, file, bytes: manifest.bytes, cursor: manifest.cursor, sha256: manifest.sha256, ms, ftsComplete }, 'image written');
    opts.onImage?.(manifest, ms, { ftsComplete });
    const later = setTimeout(() => {
      deletions.delete(later);
      removeImagesBut(dir, scope, named, log);
    }, graceMs);
    later.unref();
    deletions.add(later);
    return manifest;
  };

  const exportNow = (): Promise<ImageManifest | null> => {
    if (stopped) return Promise.resolve(null);
    exporting ??= exportOnce().finally(() => {
      exporting = null;
      // a check right after: the full-text index may have been completed while this export copied a partial one (its
      // background build goes on between the export's steps), and that image is due at once, not at the next tick
      if (!stopped) setImmediate(check);
    });
    return exporting;
  };

  /** renews the image when it is due */
  const check = () => {
    if (stopped || exporting || Date.now() - failedAt < retryAfterFailureMs) return;
    if (service.syncStatus().state !== 'live') return;
    const state = readSyncState(service.replica.sqlite);
    if (!exportable(state)) return;
    const due =
      !current ||
      current.cursor.epoch !== state.cursor.epoch ||
      (current.cursor.v !== state.cursor.v && Date.now() - Date.parse(current.builtAt) >= renewMs) ||
      // the image in place has part of the full-text index and the replica now has all of it: at once, once (the
      // next image holds the whole index, unless a new snapshot began meanwhile: then its own completion does)
      (currentFtsComplete !== true && ftsBuiltThrough(service.replica.sqlite) === null);
    if (!due) return;
    exportNow().catch((err: unknown) => {
      failedAt = Date.now();
      log.error({ err, scope, retryInMs: retryAfterFailureMs }, 'image export failed; the image in place stays');
    });
  };
  const timer = setInterval(check, opts.checkEveryMs ?? Math.min(renewMs, 10_000));
  timer.unref();
  // the first image as soon as the replica is live
  const offStatus = service.subscribe('sync/status', (s) => {
    if (s.state === 'live') setImmediate(check);
  });

  log.info(
    { scope, imagesDir: dir, dataDir: opts.dataDir, dataCenterUrl: opts.dataCenterUrl, schema, renewMs, image: current?.file ?? null, imageFtsComplete: currentFtsComplete },
    'keeper ready',
  );

  let stopping: Promise<void> | null = null;
  return {
    scope,
    service,
    manifest: () => current,
    imageFtsComplete: () => currentFtsComplete,
    exportNow,
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        clearInterval(timer);
        offStatus();
        await exporting?.catch(() => {});
        for (const t of deletions) clearTimeout(t);
        deletions.clear();
        try {
          removeImagesBut(dir, scope, named, log);
          removeTemps(dir, scope, log);
          await service.close();
        } finally {
          // the folder is left as it should be (or as a crash would have left it): the next keeper may take it
          lock.release();
        }
        log.info({ scope }, 'keeper stopped');
      })()),
  };
}

/** The keeper's data service: its own data folder and scope, its session in memory, its sync started once signed in. */
function openService(opts: KeeperOptions, scope: SyncScope): Promise<DataService> {
  return createDataService({
    dataDir: opts.dataDir,
    dataCenterUrl: opts.dataCenterUrl,
    shell: 'web',
    scope,
    logger: opts.logger,
    appName: 'Huying image keeper',
    ...('token' in opts.credentials ? { auth: staticToken(opts.credentials.token) } : {}),
    // the session (its refresh token) in memory only, never in the replica: images are copies of the replica, served
    // to every account that may read the scope, and a keeper signs in with its password at every start anyway
    sessionStore: memorySecretStore(),
    // the sync starts once signed in (startKeeper): started before, its first attempt would find no token and
    // replicate the public reference data only, then wait a poll interval (30 s) before the snapshot
    // and from the data center's rows, never from an image (its own last one, after a restart): a keeper's replica
    // is where images come from, so a defect in one would otherwise be handed on from image to image
    sync: { images: false, ...opts.sync, autoStart: false },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.sqliteBinding ? { sqliteBinding: opts.sqliteBinding } : {}),
  });
}

/**
 * A replica worth an image: one that holds a snapshot of the feed — not the reference-only replica the sync
 * client makes while it is not signed in yet (epoch LEGACY_EPOCH, no events), which no data center serves.
 */
function exportable(state: SyncStateRow | null): state is SyncStateRow {
  return state !== null && state.cursor.epoch !== LEGACY_EPOCH;
}

/** Signs the service in; refuses an account that may not replicate the scope (the service would switch to the account's town). */
async function signIn(service: DataService, credentials: { login: string; password: string }, scope: SyncScope): Promise<void> {
  let session: Session;
  try {
    session = await service.handlers['auth/login']({ login: credentials.login, password: credentials.password });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new Error(`the keeper could not sign in as ${credentials.login}: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`);
  }
  const user = session.user;
  if (!user) throw new Error(`the keeper could not sign in as ${credentials.login}`);
  const own = user.scope.level === 'district' ? null : `${user.scope.code.slice(0, 9)}000`;
  if (own !== null && own !== scope) throw new Error(`the account ${user.login} may replicate town ${own} only, not ${scope}`);
}

/**
 * Whether the image `file` holds the whole full-text index: its `ftsIndex` mark (store/replica-writes.ts
 * `ftsBuiltThrough`), which the export keeps; null when the file cannot be read (logged).
 */
function imageFtsComplete(file: string, sqliteBinding: string | undefined, log: Logger): boolean | null {
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, ...(sqliteBinding ? { nativeBinding: sqliteBinding } : {}) });
    return ftsBuiltThrough(db) === null;
  } catch (err) {
    log.warn({ file, err }, "could not read an image's full-text index mark");
    return null;
  } finally {
    db?.close();
  }
}

/** The scope's manifest in the folder, or null (none, or one that does not parse: logged). */
export function readManifest(file: string, scope: SyncScope, log: Logger): ImageManifest | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    raw = null;
  }
  const parsed = ImageManifest.safeParse(raw);
  if (!parsed.success || parsed.data.scope !== scope) {
    log.warn({ file }, 'the image manifest in place does not parse: it will be replaced');
    return null;
  }
  return parsed.data;
}

/** the scope's temp files (`.<scope>.…`): an export or manifest a stopped or killed keeper left */
function removeTemps(dir: string, scope: SyncScope, log: Logger): void {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`.${scope}.`)) continue;
    rmSync(path.join(dir, name), { force: true, recursive: true });
    log.info({ file: name }, 'removed a temp file an earlier keeper left');
  }
}

/** the scope's images other than `keep` */
function removeImagesBut(dir: string, scope: SyncScope, keep: string | null, log: Logger): void {
  const pattern = new RegExp(`^${scope}-\\d+-[0-9a-f]{12}\\.sqlite$`);
  for (const name of readdirSync(dir)) {
    if (name === keep || !pattern.test(name)) continue;
    try {
      rmSync(path.join(dir, name), { force: true });
      log.info({ file: name }, 'removed an older image');
    } catch (err) {
      // Windows: a file being downloaded cannot be deleted; the next renewal or start tries again
      log.warn({ file: name, err }, 'could not remove an older image');
    }
  }
}

