import { describe, expect, it } from 'vitest';
import { adaptIntake, createIntakeContext } from './index';
import { expectFieldError, NOW, ok } from './test-helpers';

const ctx = createIntakeContext({ now: NOW });

const call = {
  callId: 'OK-7781',
  deviceId: 'box-xh-0012',
  caller: { name: '张老板', phone: '13700001111', organisation: '新华街好再来餐馆' },
  location: { lon: 113.2319114, lat: 23.3930858, coordSystem: 'bd09' },
  callType: 'fire',
  message: '后厨起火',
  calledAt: '2025-11-26 15:40:00',
};

describe('one-key calls', () => {
  it('are always urgent, keep the caller and convert the position', () => {
    const d = ok(adaptIntake('one_key', call, ctx));
    expect(d.urgency).toBe('urgent');
    expect(d.externalRef).toEqual({ system: 'one-key', id: 'OK-7781' });
    expect(d.title).toBe('一键呼叫（火情）：新华街好再来餐馆');
    expect(d.categoryCode).toBe('11');
    expect(d.reporter).toEqual({ name: '张老板', phone: '13700001111', organisation: '新华街好再来餐馆' });
    expect(d.location![0]).toBeCloseTo(113.22, 5);
    expect(d.location![1]).toBeCloseTo(23.39, 5);
    expect(d.sourceLocation).toEqual({ lon: 113.2319114, lat: 23.3930858, system: 'bd09' });
    expect(d.sourceFields).toEqual({ callId: 'OK-7781', callType: 'fire', deviceId: 'box-xh-0012' });
  });

  it('an urgency in the payload cannot downgrade a call', () => {
    expect(ok(adaptIntake('one_key', { ...call, urgency: 'normal' }, ctx)).urgency).toBe('urgent');
  });

  it('a call of unknown type is still taken, uncategorised', () => {
    const { callType: _t, ...rest } = call;
    const d = ok(adaptIntake('one_key', rest, ctx));
    expect(d.sourceCategory).toBe('other');
    expect(d.categoryCode).toBeNull();
  });

  it.each([
    ['location', { location: undefined }, /required/],
    ['location.lon', { location: { lat: 23.39 } }, /required/],
    ['location.lat', { location: { lon: 113.2, lat: 2.5 } }, /not in China/],
    ['caller.phone', { caller: { name: '张' } }, /required/],
    ['callType', { callType: 'pizza' }, /fire, medical/],
    ['callId', { callId: '' }, /required/],
    ['calledAt', { calledAt: '26/11/2025' }, /date-time/],
  ])('names the bad field %s', (field, patch, message) => {
    expectFieldError(adaptIntake('one_key', { ...call, ...patch }, ctx), field, message);
  });
});
