import { describe, expect, it } from 'vitest';
import { normaliseLocale, resolveLocale, resolveMode, storeLocale, storeMode, withParam, type PrefStore } from './preferences';

function memoryStore(): PrefStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('view mode', () => {
  it('takes ?mode= first, then the remembered mode, then the workstation', () => {
    const store = memoryStore();
    expect(resolveMode('', store)).toBe('workstation');
    storeMode(store, 'wall');
    expect(resolveMode('', store)).toBe('wall');
    expect(resolveMode('?mode=workstation', store)).toBe('workstation');
    expect(resolveMode('?mode=bogus', store)).toBe('wall');
    expect(resolveMode('?mode=wall', null)).toBe('wall');
    expect(resolveMode('?mode=map', store)).toBe('map');
    storeMode(store, 'map');
    expect(resolveMode('', store)).toBe('map');
  });

  it('survives a storage that throws', () => {
    const broken: PrefStore = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(resolveMode('', broken)).toBe('workstation');
    expect(() => storeMode(broken, 'wall')).not.toThrow();
  });
});

describe('language', () => {
  it('defaults to zh-CN and honours ?lang= and the remembered choice', () => {
    const store = memoryStore();
    expect(resolveLocale('', store)).toBe('zh-CN');
    storeLocale(store, 'en');
    expect(resolveLocale('', store)).toBe('en');
    expect(resolveLocale('?lang=zh', store)).toBe('zh-CN');
    expect(resolveLocale('?lang=fr', store)).toBe('en');
  });

  it('normalises language tags', () => {
    expect(normaliseLocale('en-GB')).toBe('en');
    expect(normaliseLocale('zh-Hans-CN')).toBe('zh-CN');
    expect(normaliseLocale('de')).toBeNull();
  });

  it('sets one query parameter and keeps the others', () => {
    expect(withParam('?mode=wall&x=1', 'lang', 'en')).toBe('?mode=wall&x=1&lang=en');
    expect(withParam('?mode=wall', 'mode', 'workstation')).toBe('?mode=workstation');
  });
});
