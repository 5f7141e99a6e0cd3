/**
 * The app bar: the name, the link to the data center, and the two switches
 * (wall/workstation/grid map, zh-CN/English). On the wall it is taller and shows a clock.
 */
import type { ReactNode } from 'react';
import { useI18n } from '../i18n';
import { Clock } from './Clock';
import type { Locale, ViewMode } from './preferences';
import { SegmentedControl } from './SegmentedControl';
import { SyncBadge } from './SyncBadge';

/** The product name is not translated. */
export const BRAND = '呼应 · Huying';

export function Header(props: { mode: ViewMode; onModeChange: (m: ViewMode) => void; onLocaleChange: (l: Locale) => void; extra?: ReactNode }) {
  const { t, locale } = useI18n();
  return (
    <header className="header" data-testid="app-header">
      <div className="brand">
        <span className="brand__mark" aria-hidden="true" />
        <span className="brand__name" data-testid="brand">
          {BRAND}
        </span>
        <span className="brand__tagline">{t.app.tagline}</span>
      </div>
      <SyncBadge />
      <div className="header__tools">
        {props.mode === 'wall' && <Clock />}
        {props.extra}
        <SegmentedControl
          testId="mode-switch"
          label={t.mode.label}
          value={props.mode}
          onChange={props.onModeChange}
          options={[
            { value: 'wall', label: t.mode.wall },
            { value: 'workstation', label: t.mode.workstation },
            { value: 'map', label: t.mode.map },
          ]}
        />
        <SegmentedControl
          testId="lang-switch"
          label={t.language.label}
          value={locale}
          onChange={props.onLocaleChange}
          options={[
            { value: 'zh-CN', label: '中文', lang: 'zh-CN' },
            { value: 'en', label: 'English', lang: 'en' },
          ]}
        />
      </div>
    </header>
  );
}
