/** The help overlay (`?`): every shortcut of the view, grouped, from the same table the handlers use. */
import type { ReactNode } from 'react';
import { Kbd } from './Badge';
import { Dialog } from './Dialog';
import { formatCombo } from './hotkeys';

export interface ShortcutGroup {
  title: string;
  items: { combos: readonly string[]; label: string }[];
}

export function ShortcutHelp(props: { title: ReactNode; groups: readonly ShortcutGroup[]; onClose: () => void; closeLabel: string; returnFocus?: () => HTMLElement | null }) {
  return (
    <Dialog title={props.title} onClose={props.onClose} closeLabel={props.closeLabel} returnFocus={props.returnFocus} testId="shortcut-help" size="large">
      <div className="shortcut-help">
        {props.groups.map((g) => (
          <section key={g.title} className="shortcut-help__group">
            <h3>{g.title}</h3>
            <dl>
              {g.items.map((item) => (
                <div key={item.label} className="shortcut-help__row">
                  <dt>
                    {item.combos.map((c, i) => (
                      <span key={c}>
                        {i > 0 && ' '}
                        <Kbd>{formatCombo(c)}</Kbd>
                      </span>
                    ))}
                  </dt>
                  <dd>{item.label}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </Dialog>
  );
}
