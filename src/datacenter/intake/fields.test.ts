import { describe, expect, it } from 'vitest';
import { parseSourceInstant, toAttachment } from './fields';

describe('source timestamps', () => {
  it.each([
    ['2025-11-26T14:30:00+08:00', '2025-11-26T06:30:00.000Z'],
    ['2025-11-26T06:30:00Z', '2025-11-26T06:30:00.000Z'],
    ['2025-11-26T06:30:00.123z', '2025-11-26T06:30:00.123Z'],
    ['2025-11-26 14:30:00', '2025-11-26T06:30:00.000Z'],
    ['2025/11/26 14:30', '2025-11-26T06:30:00.000Z'],
    ['2025-11-26', '2025-11-25T16:00:00.000Z'],
    ['2025-11-26T14:30:00+0800', '2025-11-26T06:30:00.000Z'],
    ['2025-1-6 9:05:00', '2025-01-06T01:05:00.000Z'],
    [1_764_138_600, '2025-11-26T06:30:00.000Z'],
    [1_764_138_600_000, '2025-11-26T06:30:00.000Z'],
  ])('reads %s', (input, iso) => {
    expect(parseSourceInstant(input)).toEqual({ ok: true, iso });
  });

  it.each([
    ['2025-02-29 10:00', /not a real date/],
    ['2025-11-26 24:10', /out of range/],
    ['26/11/2025', /expected a date-time/],
    [-5, /positive/],
    [undefined, /required/],
    [true, /date-time string/],
  ])('refuses %s', (input, message) => {
    const r = parseSourceInstant(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('attachments', () => {
  it('name and media type come from the URL when not given; the id from the URL', () => {
    const a = toAttachment({ url: 'https://x.cn/files/%E7%8E%B0%E5%9C%BA.jpeg?sig=1' });
    expect(a).toMatchObject({ name: '现场.jpeg', mediaType: 'image/jpeg' });
    expect(toAttachment({ url: 'https://x.cn/' }).name).toBe('x.cn');
    expect(toAttachment({ url: 'https://x.cn/blob' }).mediaType).toBe('application/octet-stream');
    expect(toAttachment({ url: 'https://x.cn/a.jpg' }).id).not.toBe(toAttachment({ url: 'https://x.cn/b.jpg' }).id);
  });
});
