/**
 * Loading a request's result into a component as data: `loading`, `ok` or
 * `error` with the wire error (`{ code, message }`) so the UI can translate
 * the code. Nothing is thrown into React.
 */
import { useCallback, useEffect, useState } from 'react';
import { toRpcError, type RpcError } from '../../core/errors';
import type { RequestArgs, RequestName, RequestResult } from '../../core/rpc/contract';
import { useRpc } from './rpc-context';

export type RequestState<T> = { status: 'loading' } | { status: 'ok'; data: T } | { status: 'error'; error: RpcError };

/**
 * Invokes `name` when the component mounts, when the arguments change (compared
 * by value) and on `reload()`.
 */
export function useRequest<N extends RequestName>(name: N, args?: RequestArgs<N>): RequestState<RequestResult<N>> & { reload: () => void } {
  const client = useRpc();
  const [state, setState] = useState<RequestState<RequestResult<N>>>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const argsKey = JSON.stringify(args ?? {});

  useEffect(() => {
    let live = true;
    setState({ status: 'loading' });
    const invoke = client.invoke as (n: N, a: unknown) => Promise<RequestResult<N>>;
    invoke(name, JSON.parse(argsKey)).then(
      (data) => {
        if (live) setState({ status: 'ok', data });
      },
      (err: unknown) => {
        if (live) setState({ status: 'error', error: toRpcError(err) });
      },
    );
    return () => {
      live = false;
    };
  }, [client, name, argsKey, attempt]);

  const reload = useCallback(() => setAttempt((a) => a + 1), []);
  return { ...state, reload };
}
