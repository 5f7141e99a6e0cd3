/**
 * A small typed message catalogue instead of an i18n framework: messages are
 * plain objects of one type (`Messages`, defined by zh-CN), read as
 * `t.district.towns` or called as `t.sync.offlineSince(time)`, so the compiler
 * checks every key and parameter. Numbers and times are formatted with `Intl`
 * for the active locale.
 */
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import type { ErrorCode } from '../../core/errors';
import { en } from './en';
import { zhCN, type Messages } from './zh-cn';
import { districtFormat } from '../shell/district-time';
import type { Locale } from '../shell/preferences';

export type { Messages } from './zh-cn';
export type { Locale } from '../shell/preferences';

export const catalogues: Record<Locale, Messages> = { 'zh-CN': zhCN, en };

export interface I18n {
  locale: Locale;
  t: Messages;
  /** 1401 → "1,401" */
  formatNumber(n: number): string;
  /** ISO time → local date and time, seconds omitted */
  formatTime(iso: string): string;
  /** a stable error code → its translation (unknown codes fall back to `internal`) */
  errorText(code: string): string;
}

export function createI18n(locale: Locale): I18n {
  const t = catalogues[locale];
  const numberFormat = new Intl.NumberFormat(locale);
  const timeFormat = districtFormat(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23', // not hour12: false, which says 24:05 after midnight in English
  });
  return {
    locale,
    t,
    formatNumber: (n) => numberFormat.format(n),
    formatTime: (iso) => {
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : timeFormat.format(d);
    },
    errorText: (code) => (Object.hasOwn(t.errors, code) ? t.errors[code as ErrorCode] : t.errors.internal),
  };
}

const I18nContext = createContext<I18n>(createI18n('zh-CN'));

export function I18nProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  const value = useMemo(() => createI18n(locale), [locale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}
