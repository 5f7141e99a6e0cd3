/**
 * Gives a data center database a new sync epoch from the command line, for
 * the moment after a backup was restored and before the server starts again:
 * every desktop then re-snapshots instead of applying the live log on top of a
 * replica that is ahead of (or different from) the restored database.
 *
 *   npx tsx src/datacenter/sync/bump-epoch.ts --pg postgres://…   (or DATABASE_URL)
 *   npx tsx src/datacenter/sync/bump-epoch.ts --data .data/datacenter
 *
 * A running server does the same through `POST /api/v1/sync/epoch` (admin);
 * an embedded (PGlite) directory is locked while its server runs.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDatabase } from '../store/database';
import { bumpEpoch, readSyncHead } from './state';

export async function bumpEpochCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ before: string; after: string }> {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const pg = value('--pg') ?? (value('--data') ? undefined : env.DATABASE_URL);
  const dataDir = value('--data');
  if (!pg && !dataDir) throw new Error('usage: bump-epoch (--pg URL | --data DIR)');
  const store = await openDatabase(pg ? { pg } : { dataDir: dataDir! });
  try {
    const before = (await readSyncHead(store.db)).epoch;
    const after = await bumpEpoch(store.db);
    return { before, after };
  } finally {
    await store.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  bumpEpochCli(process.argv.slice(2)).then(
    ({ before, after }) => {
      console.log(`sync epoch ${before} → ${after}: every client will re-snapshot`);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
