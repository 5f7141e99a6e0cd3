/** Local date and time for the wall header: a control room always shows the time. */
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n';

// `toLocaleTimeString(locale, options)` builds an Intl formatter at every call (the wall's profile
// showed the clock among its costs, once a second all day): one formatter per locale, kept
const formats = new Map<string, { time: Intl.DateTimeFormat; date: Intl.DateTimeFormat }>();
function formatsOf(locale: string) {
  let f = formats.get(locale);
  if (!f) {
    f = {
      time: new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }),
      date: new Intl.DateTimeFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' }),
    };
    formats.set(locale, f);
  }
  return f;
}

export function Clock() {
  const { locale, t } = useI18n();
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(id);
  }, []);
  const f = formatsOf(locale);
  return (
    <div className="clock" data-testid="clock" aria-label={t.app.clock}>
      <span className="clock__time">{f.time.format(now)}</span>
      <span className="clock__date">{f.date.format(now)}</span>
    </div>
  );
}
