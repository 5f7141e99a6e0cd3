/**
 * The replica's sync state for the header: asked once, then kept current by
 * the pushed `sync/status` event. A push always wins over a late answer.
 *
 * The data service pushes a status at every live batch it applies (its time,
 * its cursor): under a busy district that is many a second, each a render of
 * the header's badge and of the wall's link panel — and a restyle, layout and
 * paint of the page — for a time shown to the second. A push that moves only
 * the last batch (`lastBatchAt`, `cursor`, `version`) is shown at most once per
 * BATCH_GAP_MS: the first at once, the newest at the end of the gap. Any other
 * change (the state, offline, a snapshot's progress, a message) goes at once.
 */
import { useEffect, useState } from 'react';
import { toRpcError, type RpcError } from '../../core/errors';
import type { SyncStatus } from '../../core/rpc/contract';
import { useRpc } from './rpc-context';

export type SyncStatusState = { status: 'loading' } | { status: 'ok'; data: SyncStatus } | { status: 'error'; error: RpcError };

/** at most one status a second whose only news is the last batch */
export const BATCH_GAP_MS = 1000;

/** Whether `b` differs from `a` only in what every live batch moves. */
export function onlyBatchMoved(a: SyncStatus, b: SyncStatus): boolean {
  const rest = (s: SyncStatus) => JSON.stringify({ ...s, lastBatchAt: null, cursor: null, version: null });
  return rest(a) === rest(b);
}

export function useSyncStatus(): SyncStatusState {
  const client = useRpc();
  const [state, setState] = useState<SyncStatusState>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    let pushed = false;
    /** the status shown, when it was shown, and a batch's status held for the end of the gap */
    let shown: SyncStatus | null = null;
    let shownAt = Number.NEGATIVE_INFINITY;
    let held: SyncStatus | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const show = (data: SyncStatus) => {
      shown = data;
      shownAt = performance.now();
      setState({ status: 'ok', data });
    };
    const unsubscribe = client.subscribe('sync/status', (data) => {
      pushed = true;
      if (!live) return;
      const wait = shownAt + BATCH_GAP_MS - performance.now();
      if (shown && wait > 0 && onlyBatchMoved(shown, data)) {
        held = data;
        timer ??= setTimeout(() => {
          timer = null;
          if (live && held) show(held);
          held = null;
        }, wait);
        return;
      }
      if (timer) clearTimeout(timer);
      timer = null;
      held = null;
      show(data);
    });
    client.invoke('sync/status').then(
      (data) => {
        if (live && !pushed) show(data);
      },
      (err: unknown) => {
        if (live && !pushed) setState({ status: 'error', error: toRpcError(err) });
      },
    );
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
      unsubscribe();
    };
  }, [client]);

  return state;
}
