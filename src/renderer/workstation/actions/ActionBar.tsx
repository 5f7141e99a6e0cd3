/** The actions the signed-in officer may take on the event, each with its key. */
import { Kbd } from '../../components/Badge';
import { formatCombo } from '../../components/hotkeys';
import { useI18n } from '../../i18n';
import type { ActionSpec } from './catalogue';

export function ActionBar({ actions, onAction, redispatch }: { actions: readonly ActionSpec[]; onAction: (a: ActionSpec) => void; redispatch: boolean }) {
  const { t } = useI18n();
  const w = t.workstation;
  if (actions.length === 0) {
    return (
      <p className="muted action-bar action-bar--empty" data-testid="action-bar" data-actions="">
        {w.detail.noActions}
      </p>
    );
  }
  return (
    <div className="action-bar" role="toolbar" aria-label={w.detail.actions} data-testid="action-bar" data-actions={actions.map((a) => a.type).join(',')}>
      {actions.map((a, i) => {
        const groupStart = i > 0 && actions[i - 1]!.group !== a.group;
        return (
          <button
            key={a.type}
            type="button"
            className={`button action${a.primary ? ' button--primary' : ''}${a.danger ? ' button--danger' : ''}${groupStart ? ' action--group' : ''}`}
            data-testid={`action-${a.type}`}
            aria-keyshortcuts={a.key ? formatCombo(a.key) : undefined}
            onClick={() => onAction(a)}
          >
            {a.type === 'dispatch' && redispatch ? w.redispatch : w.commands[a.type]}
            {a.key && <Kbd>{formatCombo(a.key)}</Kbd>}
          </button>
        );
      })}
    </div>
  );
}
