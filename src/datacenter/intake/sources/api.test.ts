import { describe, expect, it } from 'vitest';
import { createCategoryResolver } from '../categories';
import { adaptIntake, createIntakeContext } from './index';
import { expectFieldError, fieldsOf, NOW, ok } from './test-helpers';

const ctx = createIntakeContext({ now: NOW });

const valid = {
  externalRef: { system: 'laisui', id: 'LS-2025-000123' },
  title: '出租屋住户未登记',
  description: '新华街某出租屋新入住 6 人未登记',
  address: '新华街迎宾大道 88 号',
  location: { lon: '113.2253560', lat: 23.3874147, coordSystem: 'GCJ-02' },
  urgency: 'urgent',
  categoryCode: '0503',
  reporter: { name: '李四', phone: '020-86812345', organisation: '新华街来穗人员服务管理站' },
  attachments: ['https://files.example.cn/ls/123/photo.JPG', { url: 'https://files.example.cn/ls/123/form.pdf', name: '登记表' }],
  deadline: '2025-11-28 18:00:00',
  reportedAt: '2025-11-26T15:30:00+08:00',
};

describe('generic JSON API adapter', () => {
  it('maps a full payload, converting GCJ-02 and reading a zone-less time as UTC+8', () => {
    const d = ok(adaptIntake('migrant', valid, ctx));
    expect(d.source).toBe('migrant');
    expect(d.externalRef).toEqual({ system: 'laisui', id: 'LS-2025-000123' });
    expect(d.urgency).toBe('urgent');
    expect(d.categoryCode).toBe('0503');
    expect(d.location![0]).toBeCloseTo(113.22, 5);
    expect(d.location![1]).toBeCloseTo(23.39, 5);
    expect(d.sourceLocation).toEqual({ lon: 113.225356, lat: 23.3874147, system: 'gcj02' });
    expect(d.sourceDeadline).toBe('2025-11-28T10:00:00.000Z');
    expect(d.reportedAt).toBe('2025-11-26T07:30:00.000Z');
    expect(d.attachments).toHaveLength(2);
    expect(d.attachments[0]).toMatchObject({ name: 'photo.JPG', mediaType: 'image/jpeg', url: 'https://files.example.cn/ls/123/photo.JPG' });
    expect(d.attachments[1]).toMatchObject({ name: '登记表', mediaType: 'application/pdf' });
    expect(d.attachments[0]!.id).toMatch(/^att-[0-9a-f]{16}$/);
    expect(d.reporter).toEqual({ name: '李四', phone: '020-86812345', organisation: '新华街来穗人员服务管理站' });
  });

  it('gives the same attachment ids when the same payload comes again (quarantine replay)', () => {
    const a = ok(adaptIntake('api', valid, ctx));
    const b = ok(adaptIntake('api', structuredClone(valid), ctx));
    expect(a.attachments.map((x) => x.id)).toEqual(b.attachments.map((x) => x.id));
  });

  it('fills the defaults of a minimal payload', () => {
    const d = ok(adaptIntake('api', { externalRef: { system: 'sjzx', id: 42 }, title: '测试' }, ctx));
    expect(d).toMatchObject({
      source: 'api',
      externalRef: { system: 'sjzx', id: '42' },
      description: '',
      address: null,
      location: null,
      sourceLocation: null,
      urgency: 'normal',
      categoryCode: null,
      reporter: null,
      attachments: [],
      sourceDeadline: null,
      reportedAt: NOW.toISOString(),
    });
  });

  it('maps a category label through the taxonomy names when no code is given', () => {
    const withTaxonomy = createIntakeContext({
      now: NOW,
      categories: createCategoryResolver({ nodes: [{ code: '05', name: '平安建设' }, { code: '0503', name: '出租屋和来穗人员管理' }] }),
    });
    const { categoryCode: _omit, ...rest } = valid;
    const d = ok(adaptIntake('gov_service', { ...rest, category: '平安建设/出租屋和来穗人员管理' }, withTaxonomy));
    expect(d.categoryCode).toBe('0503');
    expect(d.sourceCategory).toBe('平安建设/出租屋和来穗人员管理');
    const unknown = ok(adaptIntake('gov_service', { ...rest, category: '其他事项' }, withTaxonomy));
    expect(unknown.categoryCode).toBeNull();
    expect(unknown.sourceCategory).toBe('其他事项');
    expectFieldError(adaptIntake('api', { ...valid, categoryCode: '99' }, withTaxonomy), 'categoryCode', /unknown category/);
  });

  it.each([
    ['externalRef.system', { externalRef: { id: 'x' } }, /required/],
    ['externalRef.id', { externalRef: { system: 'laisui', id: 'has space' } }, /letters, digits/],
    ['title', { title: '   ' }, /required/],
    ['title', { title: 'x'.repeat(201) }, /at most 200/],
    ['location.lon', { location: { lon: 'east', lat: 23.4 } }, /number/],
    ['location.lat', { location: { lon: 113.2, lat: 123.4 } }, /between -90 and 90/],
    ['location.lat', { location: { lon: 23.39, lat: 113.22 } }, /swapped/],
    ['location.lon', { location: { lon: 0, lat: 0 } }, /not in China/],
    ['location.coordSystem', { location: { lon: 113.2, lat: 23.4, coordSystem: 'mercator' } }, /unknown coordinate system/],
    ['urgency', { urgency: 'asap' }, /normal, urgent or critical/],
    ['reporter.phone', { reporter: { phone: 'call me' } }, /phone/],
    ['attachments.1.url', { attachments: ['https://a.cn/x.jpg', 'ftp://a.cn/y.jpg'] }, /http/],
    ['attachments.0.mediaType', { attachments: [{ url: 'https://a.cn/x', mediaType: 'jpeg' }] }, /media type/],
    ['deadline', { deadline: '2025-02-30 12:00' }, /not a real date/],
    ['reportedAt', { reportedAt: 'yesterday' }, /date-time/],
    ['reportedAt', { reportedAt: '2025-11-27T08:00:00Z' }, /in the future/],
  ])('names the bad field %s', (field, patch, message) => {
    expectFieldError(adaptIntake('api', { ...valid, ...patch }, ctx), field, message);
  });

  it('reports every bad field at once', () => {
    const fields = fieldsOf(adaptIntake('api', { externalRef: {}, location: { lat: 'x' } }, ctx)).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['externalRef.system', 'externalRef.id', 'title', 'location.lon', 'location.lat']));
  });

  it('refuses a payload that is not an object', () => {
    expectFieldError(adaptIntake('api', 'hello', ctx), '(root)');
    expectFieldError(adaptIntake('api', null, ctx), '(root)');
  });
});
