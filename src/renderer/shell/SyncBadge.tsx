/**
 * The replica's link to the data center, always in view: state, which data
 * center, since when it has been offline, the last batch applied, and while a
 * snapshot downloads a progress bar with rows, rate and time left (for a replica
 * image: its bytes against the file's size, downloading then switching in). Kept current
 * by the pushed `sync/status` event. While connecting, the status's message is
 * shown too: Electron main says there, translated, what the start waits for
 * (the embedded data center migrating its store can take minutes).
 */
import { useI18n } from '../i18n';
import { useSyncStatus } from '../rpc/use-sync-status';

export function SyncBadge() {
  const { t, formatNumber, formatTime, errorText } = useI18n();
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
  const p = s.state === 'snapshot' ? s.progress : null;
  // a replica image counts bytes, not rows: its bar runs on bytes against totalBytes (older data services send no kind)
  const image = p?.kind === 'image';
  const done = p ? (image ? p.bytes : p.rows) : 0;
  const total = p ? (image ? (p.totalBytes ?? null) : p.totalRows) : null;
  const fraction = total ? Math.min(1, done / total) : null;
  return (
    <div className="sync" data-testid="sync-status" data-state={s.state} title={s.message ?? undefined}>
      <span className="sync__dot" aria-hidden="true" />
      <span className="sync__label">{t.sync.label}</span>
      <span className="sync__state">{t.sync.states[s.state]}</span>
      {p && (
        <span className="sync__detail sync__progress" data-testid="sync-progress">
          <span
            className="sync__bar"
            role="progressbar"
            aria-label={t.sync.states.snapshot}
            aria-valuemin={0}
            aria-valuemax={total ?? undefined}
            aria-valuenow={done}
            data-testid="sync-progress-bar"
            data-indeterminate={fraction === null ? 'true' : undefined}
          >
            <span className="sync__bar-fill" style={{ width: fraction === null ? undefined : `${(fraction * 100).toFixed(1)}%` }} />
          </span>
          {image ? (
            t.sync.image(p.phase ?? 'download', total === null ? formatBytes(p.bytes) : formatByteProgress(p.bytes, total))
          ) : (
            <>
              {t.sync.progress(formatNumber(p.rows), p.totalRows === null ? null : formatNumber(p.totalRows))}
              {p.rowsPerSecond > 0 && <> · {t.sync.rate(formatNumber(Math.round(p.rowsPerSecond)), formatBytes(p.bytes))}</>}
            </>
          )}
          {p.etaSeconds !== null && <> · {t.sync.eta(formatDuration(p.etaSeconds))}</>}
        </span>
      )}
      {s.state === 'connecting' && s.message && (
        <span className="sync__detail sync__detail--warn" data-testid="sync-message">
          {s.message}
        </span>
      )}
      {s.offlineSince && (
        <span className="sync__detail sync__detail--warn" data-testid="sync-offline-since">
          {t.sync.offlineSince(formatTime(s.offlineSince))}
        </span>
      )}
      {s.lastBatchAt && !p && (
        <span className="sync__detail" data-testid="sync-last-batch">
          {t.sync.lastBatch(formatTime(s.lastBatchAt))}
        </span>
      )}
      <span className="sync__detail sync__dc" data-testid="sync-datacenter">
        {t.sync.dataCenter} {s.dataCenterUrl}
      </span>
    </div>
  );
}

/** 1.2 MB, 830 kB: enough to see that the snapshot moves */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/** 120 / 523 MB, 43.5 / 87.0 MB: both in the total's unit, so the two read against each other */
export function formatByteProgress(bytes: number, total: number): string {
  const [unit, name]: [number, string] = total >= 1e9 ? [1e9, 'GB'] : total >= 1e6 ? [1e6, 'MB'] : total >= 1e3 ? [1e3, 'kB'] : [1, 'B'];
  const digits = unit > 1 && total / unit < 100 ? 1 : 0;
  return `${(bytes / unit).toFixed(digits)} / ${(total / unit).toFixed(digits)} ${name}`;
}

/** 42 s, 3:07, 1:02:03 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
