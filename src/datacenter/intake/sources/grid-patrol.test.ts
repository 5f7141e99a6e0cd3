import { describe, expect, it } from 'vitest';
import { createCategoryResolver } from '../categories';
import { BASE_ITEMS, adaptIntake, createIntakeContext } from './index';
import { expectFieldError, NOW, ok } from './test-helpers';

const ctx = createIntakeContext({ now: NOW });

const report = {
  reportId: 'GP-20251126-0007',
  workerId: 'W440114001001-01',
  workerName: '陈网格',
  workerPhone: '13912345678',
  gridCode: '440114001001003',
  baseItem: '023',
  description: '天贵路与新华路交叉口东北角路面大面积污渍',
  location: { lon: 113.2201, lat: 23.3902 },
  photos: ['https://grid.example.cn/p/0007-1.jpg', { url: 'https://grid.example.cn/p/0007-2.heic', name: '近景' }],
  reportedAt: '2025-11-26T15:02:11+08:00',
};

describe('the 109 base items', () => {
  it('are numbered 001–109 with unique codes and names', () => {
    expect(BASE_ITEMS).toHaveLength(109);
    expect(BASE_ITEMS.map((b) => b.code)).toEqual(Array.from({ length: 109 }, (_, i) => String(i + 1).padStart(3, '0')));
    expect(new Set(BASE_ITEMS.map((b) => b.name)).size).toBe(109);
  });

  it('each map to a code of the 13 categories', () => {
    for (const b of BASE_ITEMS) {
      const top = Number(b.categoryCode.slice(0, 2));
      expect(top, b.name).toBeGreaterThanOrEqual(1);
      expect(top, b.name).toBeLessThanOrEqual(13);
      expect(b.categoryCode.length % 2, b.name).toBe(0);
    }
  });
});

describe('grid-worker patrol reports', () => {
  it('maps a report: worker, grid, base item → category, photos', () => {
    const d = ok(adaptIntake('grid_patrol', report, ctx));
    expect(BASE_ITEMS[22]!.name).toBe('道路不洁');
    expect(d).toMatchObject({
      source: 'grid_patrol',
      externalRef: { system: 'grid-app', id: 'GP-20251126-0007' },
      categoryCode: '040101',
      sourceCategory: '023 道路不洁',
      declaredGridCode: '440114001001003',
      location: [113.2201, 23.3902],
      sourceLocation: { lon: 113.2201, lat: 23.3902, system: 'wgs84' },
      reporter: { name: '陈网格', phone: '13912345678', organisation: null },
      reportedAt: '2025-11-26T07:02:11.000Z',
      sourceFields: { workerId: 'W440114001001-01', gridCode: '440114001001003', baseItem: '023', selfHandled: false },
    });
    expect(d.title).toMatch(/^道路不洁：/);
    expect(d.attachments.map((a) => a.mediaType)).toEqual(['image/jpeg', 'image/heic']);
  });

  it('accepts a base item as a number, and a report without a GPS fix (placed by its grid)', () => {
    const { location: _l, ...rest } = report;
    const d = ok(adaptIntake('grid_patrol', { ...rest, baseItem: 23 }, ctx));
    expect(d.location).toBeNull();
    expect(d.declaredGridCode).toBe('440114001001003');
    expect(d.categoryCode).toBe('040101');
  });

  it('leaves the category open when the loaded taxonomy lacks the base item\'s code', () => {
    const narrow = createIntakeContext({ now: NOW, categories: createCategoryResolver({ nodes: [{ code: '04', name: '城市管理' }] }) });
    expect(ok(adaptIntake('grid_patrol', report, narrow)).categoryCode).toBeNull();
  });

  it.each([
    ['workerId', { workerId: undefined }, /required/],
    ['gridCode', { gridCode: '4401140010' }, /15 digits/],
    ['baseItem', { baseItem: '110' }, /unknown base item/],
    ['baseItem', { baseItem: 'A1' }, /3 digits/],
    ['photos', { photos: [] }, /at least one/],
    ['photos.0.url', { photos: ['not a url'] }, /http/],
    ['description', { description: undefined }, /required/],
    ['location.lat', { location: { lon: 113.2 } }, /required/],
    ['workerPhone', { workerPhone: 'n/a' }, /phone/],
    ['reportedAt', { reportedAt: 1_900_000_000 }, /in the future/],
  ])('names the bad field %s', (field, patch, message) => {
    expectFieldError(adaptIntake('grid_patrol', { ...report, ...patch }, ctx), field, message);
  });

  it('reads epoch seconds and milliseconds', () => {
    expect(ok(adaptIntake('grid_patrol', { ...report, reportedAt: 1_764_140_531 }, ctx)).reportedAt).toBe('2025-11-26T07:02:11.000Z');
    expect(ok(adaptIntake('grid_patrol', { ...report, reportedAt: 1_764_140_531_000 }, ctx)).reportedAt).toBe('2025-11-26T07:02:11.000Z');
  });
});
