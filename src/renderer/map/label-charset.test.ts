import { describe, expect, it } from 'vitest';
import { ASCII_PRINTABLE, buildCharacterSet } from './label-charset';

describe('label character set', () => {
  it('contains every glyph of every name, once', () => {
    const names = ['新华街', '新雅街', '花山镇', '梯面镇', '田美村'];
    const set = buildCharacterSet(names);
    for (const name of names) for (const ch of name) expect(set).toContain(ch);
    expect(new Set(set).size).toBe(set.length);
    expect(set.filter((c) => c === '新')).toHaveLength(1);
  });

  it('keeps ASCII so codes and Latin names render', () => {
    const set = buildCharacterSet(['村']);
    for (const ch of ASCII_PRINTABLE) expect(set).toContain(ch);
    expect(set).toContain('0');
    expect(set).toContain('A');
  });

  it('keeps characters outside the BMP whole and drops line breaks', () => {
    const set = buildCharacterSet(['𠮷野\n家'], []);
    expect(set).toEqual(['𠮷', '野', '家']);
  });
});
