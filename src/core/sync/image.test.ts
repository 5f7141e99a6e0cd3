import { describe, expect, it } from 'vitest';
import { formatImageCursor, ImageManifest, ImageQuery, parseImageCursor, replicaSchemaIdOf } from './image';

describe('replica image contract', () => {
  it('names a schema by its migration count and last migration', () => {
    expect(replicaSchemaIdOf([{ id: 1, name: 'reference-data' }, { id: 2, name: 'replication' }])).toBe('2-replication');
    expect(() => replicaSchemaIdOf([])).toThrow(/at least one migration/);
  });

  it('round-trips a cursor through its header and refuses malformed ones', () => {
    const c = { epoch: '4f1c2a9e-7b1d-4c3e-9a55-0e7e3f2b1a11', v: 123456 };
    expect(parseImageCursor(formatImageCursor(c))).toEqual(c);
    for (const bad of [undefined, '', 'abc', ':12', 'e:', 'e:-1', 'e:1.5', 'e:12x']) expect(parseImageCursor(bad)).toBeNull();
  });

  it('parses a query and refuses a bad scope, schema or page size', () => {
    expect(ImageQuery.parse({ scope: 'district', schema: '10-drop-unused-indexes', pageSize: '16384' })).toEqual({
      scope: 'district',
      schema: '10-drop-unused-indexes',
      pageSize: 16384,
    });
    expect(ImageQuery.safeParse({ scope: 'district', schema: '10-x', pageSize: '3000' }).success).toBe(false);
    expect(ImageQuery.safeParse({ scope: 'town', schema: '10-x', pageSize: '4096' }).success).toBe(false);
    expect(ImageQuery.safeParse({ scope: 'district', schema: '../etc', pageSize: '4096' }).success).toBe(false);
  });

  it('refuses a manifest whose file leaves the images folder', () => {
    const base = {
      format: 1,
      scope: 'district',
      schema: '10-drop-unused-indexes',
      pageSize: 16384,
      file: 'district-1.sqlite',
      bytes: 4096,
      sha256: 'a'.repeat(64),
      cursor: { epoch: 'e', v: 1 },
      builtAt: '2026-11-28T08:00:00.000Z',
    };
    expect(ImageManifest.safeParse(base).success).toBe(true);
    for (const file of ['../replica.sqlite', '/tmp/x.sqlite', '.hidden.sqlite', 'a/b.sqlite', 'x.json']) {
      expect(ImageManifest.safeParse({ ...base, file }).success, file).toBe(false);
    }
  });
});
