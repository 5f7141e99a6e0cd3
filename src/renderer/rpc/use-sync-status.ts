/**
 * The replica's sync state for the header: asked once, then kept current by
 * the pushed `sync/status` event. A push always wins over a late answer.
 */
import { useEffect, useState } from 'react';
import { toRpcError, type RpcError } from '../../core/errors';
import type { SyncStatus } from '../../core/rpc/contract';
import { useRpc } from './rpc-context';

export type SyncStatusState = { status: 'loading' } | { status: 'ok'; data: SyncStatus } | { status: 'error'; error: RpcError };

export function useSyncStatus(): SyncStatusState {
  const client = useRpc();
  const [state, setState] = useState<SyncStatusState>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    let pushed = false;
    const unsubscribe = client.subscribe('sync/status', (data) => {
      pushed = true;
      if (live) setState({ status: 'ok', data });
    });
    client.invoke('sync/status').then(
      (data) => {
        if (live && !pushed) setState({ status: 'ok', data });
      },
      (err: unknown) => {
        if (live && !pushed) setState({ status: 'error', error: toRpcError(err) });
      },
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, [client]);

  return state;
}
