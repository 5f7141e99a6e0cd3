/**
 * The throwaway PostgreSQL cluster the integration suites run on: it says what
 * to install when PostgreSQL is missing, and it really starts and stops.
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { findPgBinDir, startPgCluster } from '../../support/pg-cluster';

describe('startPgCluster', () => {
  it('names the package to install when the server binaries are missing', () => {
    expect(() => findPgBinDir(['/nonexistent/bin'])).toThrow(/install the `postgresql` package/);
  });

  it('starts a loopback cluster with fresh databases, and removes it on stop', async () => {
    const cluster = await startPgCluster();
    expect(existsSync(cluster.dir)).toBe(true);
    const url = await cluster.createDatabase();
    expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/t\w+$/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ db: string; fsync: string; listen: string }>(
      "select current_database() as db, current_setting('fsync') as fsync, current_setting('listen_addresses') as listen",
    );
    await client.end();
    expect(rows[0]).toEqual({ db: url.split('/').pop(), fsync: 'off', listen: '127.0.0.1' });
    await cluster.stop();
    await cluster.stop(); // twice is fine
    const after = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await expect(after.connect()).rejects.toThrow();
    expect(existsSync(cluster.dir)).toBe(false);
  });
});
