/**
 * The wall's link to its data: the replica's sync state and last batch (from
 * `sync/status`), the live event feed's state, how many open events are on
 * the map, and how long the last changes took to reach the map.
 *
 * The latency is a slot (`LatencyFigure` on the live wall): it moves with
 * nearly every frame the map draws with a change, and re-rendering the whole
 * panel for it (its five rows, the sync clock's formatting) was most of the
 * panel's cost; the rest moves when the sync state, the feed or the open count
 * does.
 */
import type { ReactNode } from 'react';
import type { RpcError } from '../../core/errors';
import type { SyncStatus } from '../../core/rpc/contract';
import { useI18n } from '../i18n';
import type { FeedState } from './live-feed';
import { DASH, formatClock, formatCount } from './format';
import { Panel } from './Panel';

export function LinkStatus(props: { sync: SyncStatus | null; syncError: RpcError | null; feed: FeedState; openEvents: number; latency: ReactNode }) {
  const { t, locale, errorText } = useI18n();
  const { sync } = props;
  const syncState = sync ? sync.state : props.syncError ? 'error' : 'unknown';
  return (
    <Panel title={t.wall.link.title} testId="link-status" className="wall-panel--link">
      <dl className="link">
        <div className="link__row" data-testid="link-sync" data-state={syncState}>
          <dt>{t.sync.label}</dt>
          <dd>
            <span className={`link__dot link__dot--${syncState}`} aria-hidden="true" />
            {sync ? t.sync.states[sync.state] : props.syncError ? errorText(props.syncError.code) : t.sync.unknown}
          </dd>
        </div>
        <div className="link__row" data-testid="link-feed" data-state={props.feed}>
          <dt>{t.wall.link.feed}</dt>
          <dd>
            <span className={`link__dot link__dot--${props.feed}`} aria-hidden="true" />
            {t.wall.link.feedStates[props.feed]}
          </dd>
        </div>
        <div className="link__row">
          <dt>{t.wall.link.events}</dt>
          <dd data-testid="link-open-events" data-value={props.openEvents}>
            {formatCount(props.openEvents, locale)}
          </dd>
        </div>
        <div className="link__row">
          <dt>{t.wall.link.latency}</dt>
          <dd data-testid="link-latency">{props.latency}</dd>
        </div>
        <div className="link__row">
          <dt>{t.wall.link.lastBatch}</dt>
          <dd>{sync?.lastBatchAt ? formatClock(Date.parse(sync.lastBatchAt), locale, true) : DASH}</dd>
        </div>
      </dl>
    </Panel>
  );
}
