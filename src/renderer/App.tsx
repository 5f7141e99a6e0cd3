/**
 * The app shell: header (name, sync state, mode and language switches) over
 * the current view. The mode (大屏 wall / 工作台 workstation) and the language
 * come from the URL (`?mode=wall&lang=en`), else from the last choice, and are
 * written back to both so a reload or a kiosk URL opens the same way.
 */
import { useEffect, useState } from 'react';
import { I18nProvider, catalogues } from './i18n';
import { DistrictView } from './map/DistrictView';
import { WallView } from './wall/WallView';
import { Header } from './shell/Header';
import { OfficerBadge, SessionProvider, WorkstationRoot } from './workstation/WorkstationRoot';
import {
  browserStore,
  resolveLocale,
  resolveMode,
  storeLocale,
  storeMode,
  withParam,
  type Locale,
  type ViewMode,
} from './shell/preferences';

function replaceParam(key: string, value: string) {
  const url = `${location.pathname}${withParam(location.search, key, value)}${location.hash}`;
  history.replaceState(history.state, '', url);
}

export function App() {
  const [mode, setMode] = useState<ViewMode>(() => resolveMode(location.search, browserStore()));
  const [locale, setLocale] = useState<Locale>(() => resolveLocale(location.search, browserStore()));

  useEffect(() => {
    storeMode(browserStore(), mode);
    replaceParam('mode', mode);
    document.documentElement.dataset.mode = mode;
  }, [mode]);

  useEffect(() => {
    storeLocale(browserStore(), locale);
    replaceParam('lang', locale);
    document.documentElement.lang = locale;
    document.title = catalogues[locale].app.title;
  }, [locale]);

  return (
    <I18nProvider locale={locale}>
      <SessionProvider>
        <div className={`app app--${mode}`} data-testid="app" data-mode={mode} data-locale={locale}>
          <Header mode={mode} onModeChange={setMode} onLocaleChange={setLocale} extra={mode === 'workstation' ? <OfficerBadge /> : null} />
          <main className="app__main">{mode === 'workstation' ? <WorkstationRoot /> : mode === 'wall' ? <WallView /> : <DistrictView mode={mode} />}</main>
        </div>
      </SessionProvider>
    </I18nProvider>
  );
}
