/** The district's date and time (see district-time.ts) for the wall header: a control room always shows the time. */
import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n';
import { districtFormat } from './district-time';

// `toLocaleTimeString(locale, options)` builds an Intl formatter at every call (the wall's profile
// showed the clock among its costs, once a second all day): one formatter per locale, kept
const formats = new Map<string, { time: Intl.DateTimeFormat; date: Intl.DateTimeFormat }>();
function formatsOf(locale: string) {
  let f = formats.get(locale);
  if (!f) {
    f = {
      time: districtFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }),
      date: districtFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' }),
    };
    formats.set(locale, f);
  }
  return f;
}

/**
 * The time is written into the page once a second by the clock's own timer, not by a React render:
 * a render a second, with its scheduler task, for two text nodes (the date only when it changes).
 */
export function Clock() {
  const { locale, t } = useI18n();
  const timeRef = useRef<HTMLSpanElement>(null);
  const dateRef = useRef<HTMLSpanElement>(null);
  const f = formatsOf(locale);
  const first = new Date();
  useEffect(() => {
    const write = () => {
      const now = new Date();
      const time = f.time.format(now);
      const date = f.date.format(now);
      if (timeRef.current && timeRef.current.textContent !== time) timeRef.current.textContent = time;
      if (dateRef.current && dateRef.current.textContent !== date) dateRef.current.textContent = date;
    };
    write();
    const id = setInterval(write, 1000);
    return () => clearInterval(id);
  }, [f]);
  return (
    <div className="clock" data-testid="clock" aria-label={t.app.clock}>
      <span className="clock__time" ref={timeRef}>
        {f.time.format(first)}
      </span>
      <span className="clock__date" ref={dateRef}>
        {f.date.format(first)}
      </span>
    </div>
  );
}
