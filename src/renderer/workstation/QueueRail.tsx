/** The queues with live counts and their keys, the saved views, and the new-call button. */
import type { QueueCounts, QueueId } from '../../core/rpc/queries';
import type { SavedView } from '../../core/rpc/workstation';
import { Kbd } from '../components/Badge';
import { formatCombo } from '../components/hotkeys';
import { useI18n } from '../i18n';
import { QUEUES } from './queues';

export function QueueRail(props: {
  queue: QueueId;
  counts: QueueCounts['counts'] | null;
  onQueue: (q: QueueId) => void;
  views: readonly SavedView[];
  activeViewId: string | null;
  onView: (v: SavedView) => void;
  onDeleteView: (v: SavedView) => void;
  onIntake: (() => void) | null;
}) {
  const { t, formatNumber } = useI18n();
  const w = t.workstation;
  return (
    <nav className="queue-rail" aria-label={w.queueRail.label} data-testid="queue-rail">
      {props.onIntake && (
        <button type="button" className="button button--primary queue-rail__intake" onClick={props.onIntake} data-testid="new-intake">
          {w.queueRail.newIntake} <Kbd>I</Kbd>
        </button>
      )}
      <ul className="queues">
        {QUEUES.map((q) => {
          const n = props.counts?.[q.id];
          return (
            <li key={q.id}>
              <button
                type="button"
                className={`queue${props.queue === q.id ? ' queue--active' : ''}${q.urgent && n ? ' queue--urgent' : ''}`}
                aria-current={props.queue === q.id ? 'page' : undefined}
                onClick={() => props.onQueue(q.id)}
                data-testid={`queue-${q.id}`}
                data-count={n ?? ''}
              >
                <Kbd>{formatCombo(q.key)}</Kbd>
                <span className="queue__name">{w.queues[q.id]}</span>
                <span className="queue__count" data-testid="queue-count">
                  {n === undefined ? '…' : formatNumber(n)}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      <h3 className="queue-rail__title">{w.queueRail.savedViews}</h3>
      {props.views.length === 0 ? (
        <p className="muted small queue-rail__empty">{w.queueRail.noSavedViews}</p>
      ) : (
        <ul className="views" data-testid="saved-views">
          {props.views.map((v) => (
            <li key={v.id} className={`view${props.activeViewId === v.id ? ' view--active' : ''}`}>
              <button type="button" className="view__open" onClick={() => props.onView(v)} data-testid="saved-view" data-id={v.id}>
                {v.name}
                <span className="muted small"> · {w.queues[v.queue]}</span>
              </button>
              <button type="button" className="view__delete" aria-label={w.queueRail.deleteView(v.name)} onClick={() => props.onDeleteView(v)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}
