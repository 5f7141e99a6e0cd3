/**
 * The selected event's detail (`events/detail`), re-read whenever the data
 * service says the event changed. A refresh keeps showing the previous answer
 * until the new one arrives, so the panel never blanks under the officer.
 */
import { useEffect, useState } from 'react';
import { toRpcError, type RpcError } from '../../../core/errors';
import type { EventDetail } from '../../../core/rpc/queries';
import { useRpc } from '../../rpc/rpc-context';

export type DetailState = { status: 'none' } | { status: 'loading'; id: string } | { status: 'ok'; detail: EventDetail } | { status: 'error'; id: string; error: RpcError };

export function useEventDetail(id: string | null, tick: number): DetailState {
  const rpc = useRpc();
  const [state, setState] = useState<DetailState>({ status: 'none' });
  useEffect(() => {
    if (!id) {
      setState({ status: 'none' });
      return;
    }
    let live = true;
    setState((s) => (s.status === 'ok' && s.detail.event.id === id ? s : { status: 'loading', id }));
    rpc.invoke('events/detail', { id }).then(
      (detail) => live && setState({ status: 'ok', detail }),
      (err: unknown) => live && setState({ status: 'error', id, error: toRpcError(err) }),
    );
    return () => {
      live = false;
    };
  }, [rpc, id, tick]);
  return state;
}
