import { describe, expect, it } from 'vitest';
import { createCategoryResolver } from '../categories';
import { adaptIntake, createIntakeContext, foldOpen311Attributes } from './index';
import { expectFieldError, NOW, ok } from './test-helpers';

const ctx = createIntakeContext({
  now: NOW,
  categories: createCategoryResolver({ nodes: [{ code: '04', name: '城市管理' }, { code: '040202', name: '路灯不亮' }] }),
});

/** A form-encoded body as fastify's parser hands it over: every value a string. */
const form = {
  api_key: 'xyz',
  service_code: '040202',
  lat: '23.3902',
  long: '113.2201',
  address_string: '新华街天贵路 16 号',
  email: 'resident@example.cn',
  first_name: '小明',
  last_name: '黄',
  phone: '13600001234',
  description: '天贵路 16 号门口路灯不亮已经一周',
  media_url: 'https://img.example.cn/a/lamp.png',
  'attribute[POLE_NO]': 'TG-016',
  'attribute[TAGS][]': 'night',
};

describe('Open311 GeoReport v2 requests', () => {
  it('folds attribute[code] form fields like a JSON client sends them', () => {
    expect(foldOpen311Attributes({ a: 1, 'attribute[X]': 'y', 'attribute[T][]': ['p', 'q'] })).toEqual({ a: 1, attribute: { X: 'y', T: ['p', 'q'] } });
  });

  it('maps a form-encoded request', () => {
    const d = ok(adaptIntake('open311', form, ctx));
    expect(d).toMatchObject({
      source: 'open311',
      externalRef: null,
      categoryCode: '040202',
      title: '路灯不亮：天贵路 16 号门口路灯不亮已经一周',
      location: [113.2201, 23.3902],
      sourceLocation: { system: 'wgs84' },
      address: '新华街天贵路 16 号',
      reporter: { name: '黄小明', phone: '13600001234', organisation: null },
      reportedAt: NOW.toISOString(),
      sourceFields: { email: 'resident@example.cn', 'attribute.POLE_NO': 'TG-016', 'attribute.TAGS': 'night' },
    });
    expect(d.attachments).toEqual([expect.objectContaining({ url: 'https://img.example.cn/a/lamp.png', mediaType: 'image/png' })]);
  });

  it('maps a JSON request with only an address, and a GCJ-02 position via the coordinate_system extension', () => {
    const byAddress = ok(adaptIntake('open311', { service_code: '04', address_string: '秀全街', description: '' }, ctx));
    expect(byAddress.location).toBeNull();
    expect(byAddress.title).toBe('城市管理');
    const gcj = ok(adaptIntake('open311', { service_code: '04', lat: 23.3874147, long: 113.225356, coordinate_system: 'gcj02' }, ctx));
    expect(gcj.location![0]).toBeCloseTo(113.22, 5);
    expect(gcj.sourceLocation?.system).toBe('gcj02');
  });

  it.each([
    ['service_code', { service_code: undefined }, /required/],
    ['service_code', { service_code: '9999' }, /unknown category/],
    ['lat', { lat: undefined, long: undefined, address_string: '' }, /a location is required/],
    ['long', { long: '' }, /come together/],
    ['lat', { lat: 'north' }, /number/],
    ['lat', { lat: '95', long: '113.2' }, /between -90 and 90/],
    ['email', { email: 'nobody' }, /e-mail/],
    ['media_url', { media_url: 'javascript:alert(1)' }, /http/],
    ['description', { description: 'x'.repeat(4001) }, /at most 4000/],
  ])('names the bad field %s', (field, patch, message) => {
    expectFieldError(adaptIntake('open311', { ...form, ...patch }, ctx), field, message);
  });
});
