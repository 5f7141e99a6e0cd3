/**
 * The data service against the real data center (startDataCenter on
 * in-memory PGlite, seeded with the demo district): the first sync takes the
 * whole district, a second one finds nothing to fetch, and after the data
 * center is gone a new service on the same folder serves the district offline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import { createDataService } from '../../../src/main/service/index';
import { recordingLogger } from './fixtures';

let dc: DataCenter;
let dir: string;
beforeAll(async () => {
  dc = await startDataCenter({ port: 0, seed: 'demo' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-real-dc-'));
}, 120_000);
afterAll(async () => {
  await dc?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('data service ← real data center', () => {
  it('replicates the demo district, then finds nothing new', async () => {
    const svc = await createDataService({ shell: 'web', dataDir: dir, dataCenterUrl: dc.url, logger: recordingLogger().logger, sync: { autoStart: false } });
    try {
      expect(await svc.syncNow()).toBe('applied');
      expect(svc.syncStatus()).toMatchObject({ state: 'live', version: dc.version });

      const tree = await svc.handlers['areas/tree']({});
      expect(tree.district.code).toBe('440114');
      expect(tree.district.children).toHaveLength(10);
      expect(tree.district.children.flatMap((t) => t.children)).toHaveLength(252);
      expect(tree.district.gridCount).toBe(1401);
      expect(tree.district.children.reduce((n, t) => n + t.gridCount, 0)).toBe(1401);

      const geo = await svc.handlers['grids/geometry']({});
      expect(geo.grids).toHaveLength(1401);
      expect(geo.grids.filter((g) => g.kind === 'community')).toHaveLength(791);
      expect(geo.grids.filter((g) => g.kind === 'rural')).toHaveLength(610);
      expect(geo.grids.every((g) => g.workers.length > 0)).toBe(true);
      expect(geo.boundaries.filter((b) => b.level === 'town')).toHaveLength(10);
      expect(geo.boundaries.filter((b) => b.level === 'village')).toHaveLength(252);

      expect(await svc.syncNow()).toBe('unchanged');
    } finally {
      await svc.close();
    }
  });

  it('serves the replica offline once the data center is gone', async () => {
    const url = dc.url;
    await dc.close();
    const svc = await createDataService({ shell: 'web', dataDir: dir, dataCenterUrl: url, logger: recordingLogger().logger, sync: { autoStart: false } });
    try {
      const geo = await svc.handlers['grids/geometry']({});
      expect(geo.grids).toHaveLength(1401);
      expect(await svc.syncNow()).toBe('unavailable');
      expect(svc.syncStatus()).toMatchObject({ state: 'offline' });
      expect(svc.syncStatus().version).toBe(geo.version);
    } finally {
      await svc.close();
    }
  });
});
