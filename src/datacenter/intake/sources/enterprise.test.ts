import { describe, expect, it } from 'vitest';
import { adaptIntake, createIntakeContext, isValidUscc, usccProblem } from './index';
import { expectFieldError, NOW, ok } from './test-helpers';

const ctx = createIntakeContext({ now: NOW });

/** Published codes of two Shenzhen companies (from their business licences). */
const REAL_CODES = ['9144030071526726XG', '914403001922038216'];

const request = {
  ticketId: 'QYYH-2025-0456',
  enterprise: { name: '广州花都某汽车零部件有限公司', creditCode: '9144030071526726xg', address: '花都区汽车城' },
  contact: { name: '刘经理', phone: '020-36881234', position: '行政主管' },
  title: '厂区门口道路破损影响货车通行',
  content: '厂区门口约 30 米道路破损，雨天积水，货车无法进出',
  category: '营商环境',
  location: { lon: 113.1801, lat: 23.4602 },
  submittedAt: '2025-11-26T10:00:00+08:00',
};

describe('unified social credit code', () => {
  it('accepts real codes and any case', () => {
    for (const c of REAL_CODES) expect(isValidUscc(c), c).toBe(true);
    expect(isValidUscc(' 9144030071526726xg ')).toBe(true);
  });

  it('catches every single-character typo of a real code', () => {
    const code = REAL_CODES[1]!;
    const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    for (let i = 0; i < 18; i++) {
      for (const ch of alphabet) {
        if (ch === code[i]) continue;
        const typo = code.slice(0, i) + ch + code.slice(i + 1);
        expect(isValidUscc(typo), typo).toBe(false);
      }
    }
  });

  it('says what is wrong', () => {
    expect(usccProblem('91440300715267')).toMatch(/18 characters/);
    expect(usccProblem('9144030071526726IG')).toMatch(/character 17 \(I\)/);
    expect(usccProblem('9144030071526726XA')).toMatch(/check character should be G/);
  });
});

describe('enterprise calls', () => {
  it('maps a request with the enterprise as organisation and the code normalised', () => {
    const d = ok(adaptIntake('enterprise', request, ctx));
    expect(d).toMatchObject({
      source: 'enterprise',
      externalRef: { system: 'enterprise', id: 'QYYH-2025-0456' },
      reporter: { name: '刘经理', phone: '020-36881234', organisation: '广州花都某汽车零部件有限公司' },
      sourceFields: { creditCode: '9144030071526726XG', enterpriseName: '广州花都某汽车零部件有限公司', contactPosition: '行政主管' },
      reportedAt: '2025-11-26T02:00:00.000Z',
      address: '花都区汽车城',
      location: [113.1801, 23.4602],
    });
  });

  it('falls back to the enterprise category, and to the enterprise address', () => {
    const { location: _l, ...rest } = request;
    const d = ok(adaptIntake('enterprise', { ...rest, category: '别的事' }, ctx));
    expect(d.categoryCode).toBe('13');
    expect(d.address).toBe('花都区汽车城');
  });

  it.each([
    ['enterprise.creditCode', { enterprise: { ...request.enterprise, creditCode: '9144030071526726XA' } }, /check character/],
    ['enterprise.creditCode', { enterprise: { ...request.enterprise, creditCode: undefined } }, /required/],
    ['enterprise.name', { enterprise: { ...request.enterprise, name: '' } }, /required/],
    ['contact.name', { contact: { phone: '13800138000' } }, /required/],
    ['contact.phone', { contact: { name: '刘', phone: '' } }, /phone/],
    ['title', { title: undefined }, /required/],
    ['content', { content: undefined }, /required/],
    ['location.coordSystem', { location: { lon: 113.2, lat: 23.4, coordSystem: 7 } }, /coordinate system/],
    ['submittedAt', { submittedAt: '2025-13-01 10:00' }, /not a real date/],
  ])('names the bad field %s', (field, patch, message) => {
    expectFieldError(adaptIntake('enterprise', { ...request, ...patch }, ctx), field, message);
  });
});
