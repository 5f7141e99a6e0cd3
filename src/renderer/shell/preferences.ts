/**
 * Remembered UI choices (view mode, language). A query parameter wins over the
 * stored value so a kiosk URL like `?mode=wall&lang=en` always opens the same
 * way; the choice is then stored for the next start. Storage can be missing or
 * throw (private windows, `file:` origins), so every access is guarded.
 */

/** wall (大屏), workstation (工作台), or the district's grid map on its own (网格地图: town list, hover cards) */
export type ViewMode = 'wall' | 'workstation' | 'map';
export const VIEW_MODES: readonly ViewMode[] = ['wall', 'workstation', 'map'];

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

const MODE_KEY = 'huying.mode';
const LOCALE_KEY = 'huying.locale';

/** The minimal slice of `Storage` used here, so tests can pass a map. */
export interface PrefStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function browserStore(): PrefStore | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function read(store: PrefStore | null, key: string): string | null {
  try {
    return store?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function write(store: PrefStore | null, key: string, value: string): void {
  try {
    store?.setItem(key, value);
  } catch {
    // storage full or denied: the choice simply is not remembered
  }
}

function isMode(v: string | null): v is ViewMode {
  return v !== null && (VIEW_MODES as readonly string[]).includes(v);
}

/** `en`, `en-US`, `zh`, `zh-CN`, … → a supported locale, else null. */
export function normaliseLocale(v: string | null): Locale | null {
  if (!v) return null;
  const lower = v.toLowerCase();
  if (lower === 'en' || lower.startsWith('en-')) return 'en';
  if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
  return null;
}

/** Query parameter `mode`, then the stored mode, then the workstation. */
export function resolveMode(search: string, store: PrefStore | null): ViewMode {
  const fromQuery = new URLSearchParams(search).get('mode');
  if (isMode(fromQuery)) return fromQuery;
  const stored = read(store, MODE_KEY);
  return isMode(stored) ? stored : 'workstation';
}

/** Query parameter `lang`, then the stored language, then zh-CN (never the browser's: a command center speaks Chinese unless told). */
export function resolveLocale(search: string, store: PrefStore | null): Locale {
  return normaliseLocale(new URLSearchParams(search).get('lang')) ?? normaliseLocale(read(store, LOCALE_KEY)) ?? DEFAULT_LOCALE;
}

export function storeMode(store: PrefStore | null, mode: ViewMode): void {
  write(store, MODE_KEY, mode);
}

export function storeLocale(store: PrefStore | null, locale: Locale): void {
  write(store, LOCALE_KEY, locale);
}

/** The search string with one parameter set, for `history.replaceState` so a reload keeps the choice. */
export function withParam(search: string, key: string, value: string): string {
  const params = new URLSearchParams(search);
  params.set(key, value);
  return `?${params.toString()}`;
}
