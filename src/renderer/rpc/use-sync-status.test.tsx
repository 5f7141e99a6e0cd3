// @vitest-environment happy-dom
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncStatus } from '../../core/rpc/contract';
import type { RpcClient } from '../../core/rpc/wire';
import { RpcProvider } from './rpc-context';
import { BATCH_GAP_MS, useSyncStatus } from './use-sync-status';

const live: SyncStatus = {
  state: 'live',
  dataCenterUrl: 'http://dc.example:7400',
  offlineSince: null,
  lastBatchAt: '2026-01-05T09:00:00.000Z',
  version: 'e:1',
  progress: null,
  message: null,
  cursor: { epoch: 'e', v: 1 },
};
const batch = (v: number): SyncStatus => ({ ...live, lastBatchAt: new Date(Date.parse(live.lastBatchAt!) + v * 20).toISOString(), cursor: { epoch: 'e', v }, version: `e:${v}` });

describe('useSyncStatus', () => {
  let listeners: ((s: SyncStatus) => void)[];
  let client: RpcClient;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    listeners = [];
    client = {
      invoke: () => Promise.resolve(live),
      subscribe: (_name: string, l: (s: SyncStatus) => void) => {
        listeners.push(l);
        return () => undefined;
      },
    } as unknown as RpcClient;
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const push = (s: SyncStatus) => act(() => listeners.forEach((l) => l(s)));

  it('shows a status that moves only the last batch at most once a second, the newest at the end of the gap', async () => {
    let renders = 0;
    const wrapper = ({ children }: { children: ReactNode }) => <RpcProvider client={client}>{children}</RpcProvider>;
    const { result } = renderHook(
      () => {
        renders++;
        return useSyncStatus();
      },
      { wrapper },
    );
    await act(async () => {
      await vi.advanceTimersByTimeAsync(5_000);
    });
    expect(result.current).toEqual({ status: 'ok', data: live });
    const before = renders;
    // 50 batches in a second: the first at once (the gap since the answer is over), then the newest at the gap's end
    push(batch(2));
    expect(result.current.status === 'ok' && result.current.data.cursor?.v).toBe(2);
    for (let v = 3; v <= 51; v++) {
      act(() => vi.advanceTimersByTime(BATCH_GAP_MS / 50));
      push(batch(v));
    }
    expect(result.current.status === 'ok' && result.current.data.cursor?.v).toBe(2);
    act(() => vi.advanceTimersByTime(BATCH_GAP_MS));
    expect(result.current.status === 'ok' && result.current.data.cursor?.v).toBe(51);
    expect(renders - before).toBe(2);
    // a change of state goes at once, and a held batch does not come after it
    push(batch(52));
    push({ ...batch(53), state: 'offline', offlineSince: '2026-01-05T09:30:00.000Z' });
    expect(result.current.status === 'ok' && result.current.data.state).toBe('offline');
    act(() => vi.advanceTimersByTime(BATCH_GAP_MS));
    expect(result.current.status === 'ok' && result.current.data.state).toBe('offline');
  });
});
