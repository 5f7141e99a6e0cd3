// @vitest-environment happy-dom
/**
 * The arrival watch of the workstation (notify.ts) over a scripted service:
 * no baseline while the replica holds no snapshot (a first sign-in: the
 * snapshot's urgent events must not all ring), the baseline once it does, one
 * notification and one chime per new urgent event, nothing twice, a new
 * baseline for a new snapshot (epoch), and no chime while muted.
 */
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncStatus } from '../../core/rpc/contract';
import type { EventRow } from '../../core/rpc/queries';
import type { RpcClient } from '../../core/rpc/wire';
import { replicaKey, useArrivalAlerts, type ArrivalOptions } from './notify';

const row = (id: string, urgency: EventRow['urgency'] = 'urgent'): EventRow => ({
  id,
  caseNo: `HD-${id}`,
  title: `事件 ${id}`,
  address: null,
  status: 'reported',
  categoryCode: null,
  source: 'one_key',
  urgency,
  townCode: null,
  villageCode: null,
  gridCode: null,
  location: null,
  reportedAt: '2026-11-27T01:00:00.000Z',
  updatedAt: '2026-11-27T01:00:00.000Z',
  leadUnitId: null,
  deadline: null,
  clockStatus: null,
  supervisionLevel: null,
  pending: null,
});

const status = (epoch: string | null): SyncStatus => ({
  state: epoch ? 'live' : 'snapshot',
  dataCenterUrl: 'http://dc',
  offlineSince: null,
  lastBatchAt: null,
  version: null,
  progress: null,
  message: null,
  cursor: epoch ? { epoch, v: 1 } : null,
});

/** A service with a list of urgent open events and a sync status, both changed by the test. */
function scripted() {
  const s = { urgent: [] as EventRow[], sync: status(null), lists: 0, listeners: [] as ((x: SyncStatus) => void)[] };
  const rpc = {
    invoke: async (name: string, args: { filter?: { queue?: string } }) => {
      if (name === 'sync/status') return s.sync;
      if (name === 'events/list') {
        s.lists++;
        const rows = args.filter?.queue === 'overdue_warning' ? [] : s.urgent;
        return { total: rows.length, offset: 0, rows, checkpoint: 1 };
      }
      throw new Error(`unexpected ${name}`);
    },
    subscribe: (name: string, cb: (x: SyncStatus) => void) => {
      if (name === 'sync/status') s.listeners.push(cb);
      return () => {};
    },
  } as unknown as RpcClient;
  const emitSync = (epoch: string | null) => {
    s.sync = status(epoch);
    s.listeners.forEach((l) => l(s.sync));
  };
  return { s, rpc, emitSync };
}

const notifications: { title: string; body?: string }[] = [];
const tones: number[] = [];

beforeEach(() => {
  notifications.length = 0;
  tones.length = 0;
  class FakeNotification {
    static permission = 'granted';
    static requestPermission = async () => 'granted';
    constructor(title: string, o?: { body?: string }) {
      notifications.push({ title, body: o?.body });
    }
  }
  // the page's Web Audio, reduced to what the chime calls; each oscillator started is a tone heard
  class FakeAudioContext {
    state = 'running';
    currentTime = 0;
    destination = {};
    resume = async () => {};
    createGain = () => ({ gain: { setValueAtTime: () => {}, exponentialRampToValueAtTime: () => {} }, connect: (x: unknown) => x });
    createOscillator = () => {
      const osc = { frequency: { value: 0 }, connect: (x: unknown) => x, start: () => tones.push(osc.frequency.value), stop: () => {} };
      return osc;
    };
  }
  vi.stubGlobal('Notification', FakeNotification);
  vi.stubGlobal('AudioContext', FakeAudioContext);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const texts = { urgent: (n: number) => `${n} 件紧急`, overdue: (n: number) => `${n} 件超期` };

describe('useArrivalAlerts', () => {
  it('replicaKey: the snapshot epoch; none before the first snapshot; a service without cursors once live', () => {
    expect(replicaKey(status('e1'))).toBe('e1');
    expect(replicaKey(status(null))).toBeNull();
    expect(replicaKey({ state: 'live' })).toBe('live');
    expect(replicaKey({ state: 'snapshot' })).toBeNull();
  });

  it('takes its baseline only once the replica holds a snapshot, rings once per new urgent event, and starts again on a new epoch', async () => {
    const { s, rpc, emitSync } = scripted();
    const props: ArrivalOptions = { rpc, changeTick: 0, sound: true, enabled: true, texts, pollMs: 60_000 };
    const { result, rerender } = renderHook((p: ArrivalOptions) => useArrivalAlerts(p), { initialProps: props });
    // first sign-in: the replica is empty and a snapshot streams in — nothing is read, nothing is the baseline
    s.urgent = [];
    await act(async () => new Promise((r) => setTimeout(r, 20)));
    expect(s.lists).toBe(0);
    expect(result.current.ready).toBe(false);

    // the snapshot lands with two urgent events: they are the baseline, not news
    s.urgent = [row('a'), row('b')];
    act(() => emitSync('e1'));
    await waitFor(() => expect(result.current.ready).toBe(true));
    expect(notifications).toEqual([]);
    expect(tones).toEqual([]);

    // a one-key call arrives: one notification naming it, the chime's two tones
    s.urgent = [row('c'), row('a'), row('b')];
    rerender({ ...props, changeTick: 1 });
    await waitFor(() => expect(result.current.last).toEqual({ kind: 'urgent', ids: ['c'], sound: true }), { timeout: 4000 });
    expect(notifications).toEqual([{ title: '1 件紧急', body: 'HD-c 事件 c' }]);
    expect(tones).toEqual([880, 1320]);

    // looked at again: nothing new, nothing rings
    rerender({ ...props, changeTick: 2 });
    await new Promise((r) => setTimeout(r, 2300));
    expect(notifications).toHaveLength(1);

    // a re-snapshot (new epoch) with events this desk never saw: a new baseline, no burst of notifications
    s.urgent = [row('d'), row('e'), row('c'), row('a'), row('b')];
    act(() => emitSync('e2'));
    await waitFor(() => expect(s.lists).toBeGreaterThanOrEqual(8));
    await act(async () => new Promise((r) => setTimeout(r, 50)));
    expect(notifications).toHaveLength(1);

    // muted: the next one is notified without the chime
    s.urgent = [row('f'), ...s.urgent];
    rerender({ ...props, sound: false, changeTick: 3 });
    await waitFor(() => expect(result.current.last).toEqual({ kind: 'urgent', ids: ['f'], sound: false }), { timeout: 4000 });
    expect(notifications).toHaveLength(2);
    expect(tones).toEqual([880, 1320]);
  }, 15_000);
});
