import { describe, expect, it } from 'vitest';
import { SlaPolicy } from '../../../core/sla/policy';
import { adaptIntake, createIntakeContext, GUANGDONG_12345_POLICIES } from './index';
import { expectFieldError, fieldsOf, NOW, ok } from './test-helpers';

const ctx = createIntakeContext({ now: NOW });

const order = {
  orderNo: 'GZ12345-20251126-000123',
  appealType: '投诉',
  content: '新华街天贵路夜间施工噪音扰民，持续到凌晨两点',
  classification: '环境保护/噪声扰民',
  address: '花都区新华街天贵路 16 号',
  longitude: 113.225356,
  latitude: 23.3874147,
  caller: { name: '王女士', phone: '13800138000' },
  acceptedAt: '2025-11-26 09:15:00',
  dispatchingUnit: '广州市 12345 热线',
};

describe('12345 hotline work orders', () => {
  it('maps a work order: number as external reference, GCJ-02 by default, classification mapped', () => {
    const d = ok(adaptIntake('hotline_12345', order, ctx));
    expect(d.source).toBe('hotline_12345');
    expect(d.externalRef).toEqual({ system: '12345', id: 'GZ12345-20251126-000123' });
    expect(d.title).toBe('新华街天贵路夜间施工噪音扰民，持续到凌晨两点');
    expect(d.sourceLocation?.system).toBe('gcj02');
    expect(d.location![0]).toBeCloseTo(113.22, 5);
    expect(d.location![1]).toBeCloseTo(23.39, 5);
    expect(d.categoryCode).toBe('0702');
    expect(d.appealType).toBe('complaint');
    expect(d.urgency).toBe('normal');
    expect(d.reportedAt).toBe('2025-11-26T01:15:00.000Z');
    expect(d.reporter).toEqual({ name: '王女士', phone: '13800138000', organisation: null });
    expect(d.sourceFields).toMatchObject({ orderNo: 'GZ12345-20251126-000123', dispatchingUnit: '广州市 12345 热线' });
  });

  it.each([
    ['咨询', 'consultation', 2],
    ['求助', 'help', 10],
    ['建议', 'suggestion', 10],
    ['投诉', 'complaint', 15],
    ['举报', 'report', 15],
    ['complaint', 'complaint', 15],
  ] as const)('%s without its own deadline gets the Guangdong default of %s: %i working days from dispatch', (label, type, days) => {
    const d = ok(adaptIntake('hotline_12345', { ...order, appealType: label }, ctx));
    expect(d.appealType).toBe(type);
    expect(d.sourceDeadline).toBeNull();
    expect(d.sourceClocks).toEqual([{ id: 'hotline', policy: expect.objectContaining({ clock: 'hotline', unit: 'working_days', amount: days, countFrom: 'dispatch' }) }]);
  });

  it('an urgent order gets the 2-hour clock whatever its type, and is marked urgent', () => {
    for (const input of [{ isUrgent: true }, { appealType: '紧急' }]) {
      const d = ok(adaptIntake('hotline_12345', { ...order, ...input }, ctx));
      expect(d.urgency).toBe('urgent');
      expect(d.appealType).toBe('urgent');
      expect(d.sourceClocks).toEqual([{ id: 'hotline', policy: expect.objectContaining({ unit: 'calendar_hours', amount: 2 }) }]);
    }
  });

  it("the order's own deadline wins over the default", () => {
    const d = ok(adaptIntake('hotline_12345', { ...order, deadline: '2025-12-01T18:00:00+08:00' }, ctx));
    expect(d.sourceDeadline).toBe('2025-12-01T10:00:00.000Z');
    expect(d.sourceClocks).toEqual([{ id: 'hotline', kind: 'hotline', deadline: '2025-12-01T10:00:00.000Z', warnAt: 0.8 }]);
  });

  it('a site can replace the defaults (from its taxonomy appeal types)', () => {
    const site = createIntakeContext({
      now: NOW,
      hotlinePolicies: { ...GUANGDONG_12345_POLICIES, consultation: SlaPolicy.parse({ clock: 'hotline', unit: 'working_days', amount: 1 }) },
    });
    const d = ok(adaptIntake('hotline_12345', { ...order, appealType: '咨询' }, site));
    expect(d.sourceClocks[0]).toMatchObject({ policy: { amount: 1 } });
  });

  it('an order without a position or caller is accepted (placed later by address, or by the officer)', () => {
    const { longitude: _a, latitude: _b, caller: _c, ...rest } = order;
    const d = ok(adaptIntake('hotline_12345', rest, ctx));
    expect(d.location).toBeNull();
    expect(d.sourceLocation).toBeNull();
    expect(d.reporter).toBeNull();
  });

  it.each([
    ['orderNo', { orderNo: undefined }, /required/],
    ['appealType', { appealType: '表扬' }, /unknown appeal type/],
    ['appealType', { appealType: undefined }, /required/],
    ['content', { content: '' }, /required/],
    ['latitude', { latitude: undefined }, /come together/],
    ['longitude', { longitude: 0, latitude: 0 }, /not in China/],
    ['coordinateSystem', { coordinateSystem: 'utm' }, /unknown coordinate system/],
    ['caller.phone', { caller: { phone: 'abc' } }, /phone/],
    ['deadline', { deadline: '2025-11-26 08:00:00' }, /after acceptedAt/],
    ['acceptedAt', { acceptedAt: undefined }, /required/],
    ['acceptedAt', { acceptedAt: '2025-11-27 09:00:00' }, /in the future/],
    ['isUrgent', { isUrgent: 'yes' }, /boolean/],
  ])('names the bad field %s', (field, patch, message) => {
    expectFieldError(adaptIntake('hotline_12345', { ...order, ...patch }, ctx), field, message);
  });

  it('cross-field checks still run when another field is bad', () => {
    const fields = fieldsOf(adaptIntake('hotline_12345', { ...order, content: '', latitude: undefined }, ctx)).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['content', 'latitude']));
    const more = fieldsOf(adaptIntake('hotline_12345', { ...order, appealType: '表扬', longitude: 0, latitude: 0, acceptedAt: 'soon' }, ctx)).map((e) => e.field);
    expect(more.sort()).toEqual(['acceptedAt', 'appealType', 'longitude']);
  });
});
