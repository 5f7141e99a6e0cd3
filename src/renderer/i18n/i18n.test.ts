import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors';
import { SyncState } from '../../core/rpc/contract';
import { catalogues, createI18n } from './index';

type Tree = { [k: string]: unknown };

/** dotted key → 'string' | 'function', for every leaf */
function leaves(obj: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object') for (const [kk, vv] of leaves(v as Tree, key)) out.set(kk, vv);
    else out.set(key, typeof v);
  }
  return out;
}

describe('message catalogues', () => {
  const zh = leaves(catalogues['zh-CN'] as unknown as Tree);
  const en = leaves(catalogues.en as unknown as Tree);

  it('have the same keys with the same kinds (text or function) in every locale', () => {
    expect([...en.entries()].sort()).toEqual([...zh.entries()].sort());
  });

  it('have no empty text', () => {
    for (const [locale, messages] of Object.entries(catalogues)) {
      const walk = (o: Tree, path: string) => {
        for (const [k, v] of Object.entries(o)) {
          if (typeof v === 'string') expect(v.trim(), `${locale} ${path}${k}`).not.toBe('');
          else if (v && typeof v === 'object') walk(v as Tree, `${path}${k}.`);
        }
      };
      walk(messages as unknown as Tree, '');
    }
  });

  it('translate every error code and sync state of the contract', () => {
    for (const messages of Object.values(catalogues)) {
      expect(Object.keys(messages.errors).sort()).toEqual([...ErrorCode.options].sort());
      expect(Object.keys(messages.sync.states).sort()).toEqual([...SyncState.options].sort());
    }
  });

  it('fill in parameters and format numbers per locale', () => {
    expect(createI18n('zh-CN').t.district.gridsOf('1,401')).toBe('1,401 个网格');
    expect(createI18n('en').t.district.gridsOf('1,401')).toBe('1,401 grids');
    expect(createI18n('en').formatNumber(1401)).toBe('1,401');
    expect(createI18n('en').t.sync.progress('10', null)).toBe('10 rows received');
  });

  it('translate error codes, falling back to internal for unknown ones', () => {
    const zh = createI18n('zh-CN');
    expect(zh.errorText('unavailable')).toBe('无法连接数据中心');
    expect(zh.errorText('no_such_code')).toBe('内部错误');
    expect(createI18n('en').errorText('timeout')).toBe('Request timed out');
  });
});

describe('formatTime', () => {
  it("writes a time in the district's zone, not the machine's", () => {
    // 16:17 Saturday UTC is 00:17 Sunday 29 November in Huadu
    expect(createI18n('zh-CN').formatTime('2026-11-28T16:17:00Z')).toBe('2026/11/29 00:17');
    expect(createI18n('en').formatTime('2026-11-28T16:17:00Z')).toBe('11/29/2026, 00:17');
    expect(createI18n('en').formatTime('not a time')).toBe('not a time');
  });
});
