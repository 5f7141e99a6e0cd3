/**
 * The replica's link to the data center, always in view: state, which data
 * center, and since when it has been offline. Kept current by the pushed
 * `sync/status` event.
 */
import { useI18n } from '../i18n';
import { useSyncStatus } from '../rpc/use-sync-status';

export function SyncBadge() {
  const { t, formatTime, errorText } = useI18n();
  const sync = useSyncStatus();

  if (sync.status === 'loading') {
    return (
      <div className="sync" data-testid="sync-status" data-state="unknown">
        <span className="sync__dot" aria-hidden="true" />
        <span className="sync__state">{t.sync.unknown}</span>
      </div>
    );
  }
  if (sync.status === 'error') {
    return (
      <div className="sync" data-testid="sync-status" data-state="error" title={sync.error.message}>
        <span className="sync__dot" aria-hidden="true" />
        <span className="sync__state">{errorText(sync.error.code)}</span>
      </div>
    );
  }

  const s = sync.data;
  return (
    <div className="sync" data-testid="sync-status" data-state={s.state} title={s.message ?? undefined}>
      <span className="sync__dot" aria-hidden="true" />
      <span className="sync__label">{t.sync.label}</span>
      <span className="sync__state">{t.sync.states[s.state]}</span>
      {s.state === 'snapshot' && s.progress && (
        <span className="sync__detail" data-testid="sync-progress">
          {t.sync.progress(String(s.progress.rows), s.progress.totalRows === null ? null : String(s.progress.totalRows))}
        </span>
      )}
      {s.offlineSince && (
        <span className="sync__detail sync__detail--warn" data-testid="sync-offline-since">
          {t.sync.offlineSince(formatTime(s.offlineSince))}
        </span>
      )}
      <span className="sync__detail sync__dc" data-testid="sync-datacenter">
        {t.sync.dataCenter} {s.dataCenterUrl}
      </span>
    </div>
  );
}
