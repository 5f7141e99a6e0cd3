/**
 * The two database engines every data-center integration suite runs on:
 * embedded PGlite (in memory) and a real PostgreSQL cluster the test starts
 * itself (tests/support/pg-cluster.ts). A suite is written once, as
 * `forEachBackend((backend) => { … })`, and runs once per engine.
 *
 * PGlite takes seconds to start, so a suite opens one database per engine in
 * beforeAll and walks it through its tests in order.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase, type DataCenterDb, type DbKind } from '../../../src/datacenter/store/database';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';

export interface Backend {
  kind: DbKind;
  /** a new, empty database (migrated unless `migrate: false`); closed after the suite */
  fresh(opts?: { migrate?: boolean }): Promise<DataCenterDb>;
  /** PostgreSQL only: the URL of a new, empty database */
  freshUrl(): Promise<string>;
}

export function forEachBackend(title: string, suite: (backend: Backend) => void): void {
  for (const kind of ['pglite', 'postgres'] as const) {
    describe(`${title} [${kind}]`, () => {
      let cluster: PgCluster | null = null;
      const opened: DataCenterDb[] = [];
      beforeAll(async () => {
        if (kind === 'postgres') cluster = await startPgCluster();
      });
      afterAll(async () => {
        for (const db of opened) await db.close().catch(() => {});
        await cluster?.stop();
      });
      const freshUrl = async () => {
        if (!cluster) throw new Error('the PostgreSQL cluster did not start (see the beforeAll error above)');
        return cluster.createDatabase();
      };
      suite({
        kind,
        freshUrl,
        async fresh(opts = {}) {
          const db = kind === 'pglite' ? await openDatabase({ migrate: opts.migrate ?? true }) : await openDatabase({ pg: await freshUrl(), migrate: opts.migrate ?? true });
          opened.push(db);
          return db;
        },
      });
    });
  }
}
