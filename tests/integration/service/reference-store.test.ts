/**
 * The replica's reference tables: what goes in comes out, a new version
 * replaces the old set completely, and a set that breaks a constraint is
 * refused as a whole (old rows and old version kept).
 */
import { describe, expect, it } from 'vitest';
import { openReplica } from '../../../src/main/service/store/open';
import { readAreas, readGrids, readScopeState, readUnits, replaceReferenceData } from '../../../src/main/service/store/reference-store';
import { makeDistrict } from './fixtures';

const byCode = <T extends { code: string }>(xs: T[]) => [...xs].sort((a, b) => a.code.localeCompare(b.code));
const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));

describe('reference store', () => {
  it('reads back exactly what was written, with workers in order and shared workers stored once', () => {
    const replica = openReplica({ file: ':memory:' });
    const d = makeDistrict();
    replaceReferenceData(replica, d, '2025-01-01T00:00:00.000Z');
    expect(readAreas(replica)).toEqual(byCode(d.areas));
    expect(readGrids(replica)).toEqual(byCode(d.grids));
    expect(readUnits(replica)).toEqual(byId(d.units));
    expect(readScopeState(replica)).toEqual({ version: 'v1', syncedAt: '2025-01-01T00:00:00.000Z' });
    expect(replica.sqlite.prepare('SELECT count(*) FROM workers').pluck().get()).toBe(3);
    replica.close();
  });

  it('replaces the whole set with a new version', () => {
    const replica = openReplica({ file: ':memory:' });
    replaceReferenceData(replica, makeDistrict(), 't1');
    const v2 = makeDistrict({ version: 'v2', withoutGrid: '440114001001002', extraGrid: true, renameTown: '新华街道' });
    replaceReferenceData(replica, v2, 't2');
    const codes = readGrids(replica).map((g) => g.code);
    expect(codes).toContain('440114002001003');
    expect(codes).not.toContain('440114001001002');
    expect(readAreas(replica).find((a) => a.code === '440114001000')?.name).toBe('新华街道');
    expect(readScopeState(replica)).toEqual({ version: 'v2', syncedAt: 't2' });
    // w-002 now serves only 440114001002001; no orphan links remain
    expect(replica.sqlite.prepare('SELECT count(*) FROM grid_workers').pluck().get()).toBe(
      v2.grids.reduce((n, g) => n + g.workers.length, 0),
    );
    replica.close();
  });

  it('refuses a set that breaks a foreign key and keeps the old rows and version', () => {
    const replica = openReplica({ file: ':memory:' });
    const v1 = makeDistrict();
    replaceReferenceData(replica, v1, 't1');
    const broken = makeDistrict({ version: 'v2', extraGrid: true });
    broken.grids.at(-1)!.villageCode = '440114009009'; // no such village
    expect(() => replaceReferenceData(replica, broken, 't2')).toThrow(/FOREIGN KEY/);
    expect(readGrids(replica)).toEqual(byCode(v1.grids));
    expect(readAreas(replica)).toEqual(byCode(v1.areas));
    expect(readScopeState(replica)).toEqual({ version: 'v1', syncedAt: 't1' });
    replica.close();
  });

  it('refuses a set with a duplicate code', () => {
    const replica = openReplica({ file: ':memory:' });
    replaceReferenceData(replica, makeDistrict(), 't1');
    const dup = makeDistrict({ version: 'v2' });
    dup.grids.push({ ...dup.grids[0]! });
    expect(() => replaceReferenceData(replica, dup, 't2')).toThrow(/UNIQUE/);
    expect(readScopeState(replica)?.version).toBe('v1');
    expect(readGrids(replica)).toHaveLength(6);
    replica.close();
  });
});
