/**
 * Telling the officer without being looked at: a desktop notification
 * (Notification API; in Electron the main process allows only this
 * permission) and a short sound when an urgent or critical event comes in or
 * an event turns overdue. The first look at each list is the baseline — what
 * was already there at sign-in rings nothing — and each event rings once.
 */
import { useEffect, useRef, useState } from 'react';
import type { SyncStatus } from '../../core/rpc/contract';
import type { EventRow } from '../../core/rpc/queries';
import type { RpcClient } from '../../core/rpc/wire';

/** Remembers which events were seen; `fresh` returns only those not seen before (none on the first call). */
export class ArrivalWatcher {
  private seen: Set<string> | null = null;
  fresh(rows: readonly EventRow[]): EventRow[] {
    if (this.seen === null) {
      this.seen = new Set(rows.map((r) => r.id));
      return [];
    }
    const out = rows.filter((r) => !this.seen!.has(r.id));
    for (const r of out) this.seen.add(r.id);
    return out;
  }
  reset(): void {
    this.seen = null;
  }
}

/** Newest urgent/critical open events. */
export async function readUrgent(rpc: RpcClient): Promise<EventRow[]> {
  const page = await rpc.invoke('events/list', { filter: { queue: 'all', urgencies: ['urgent', 'critical'], openOnly: true }, sort: 'reported_desc', offset: 0, limit: 100 });
  return page.rows;
}

/** The most recently overdue open events: the last page in deadline order. */
export async function readOverdue(rpc: RpcClient): Promise<EventRow[]> {
  const filter = { queue: 'overdue_warning' as const, clockStatuses: ['overdue' as const], openOnly: true };
  const head = await rpc.invoke('events/list', { filter, sort: 'deadline', offset: 0, limit: 1 });
  if (head.total <= 1) return head.rows;
  const page = await rpc.invoke('events/list', { filter, sort: 'deadline', offset: Math.max(0, head.total - 100), limit: 100 });
  return page.rows;
}

let audio: AudioContext | null = null;

/** The page's one audio context, created (and resumed) on demand; null without Web Audio. */
function audioContext(): AudioContext | null {
  const Ctx = globalThis.AudioContext;
  if (!Ctx) return null;
  audio ??= new Ctx();
  if (audio.state === 'suspended') void audio.resume().catch(() => {});
  return audio;
}

/**
 * Starts the audio context at the officer's first key or click: a context
 * first made when an event arrives, with no gesture since the page loaded (a
 * remembered session), would stay suspended and the chime silent.
 */
export function unlockAudioOnGesture(): () => void {
  const unlock = () => {
    try {
      audioContext();
    } catch {
      // no audio device
    }
    window.removeEventListener('keydown', unlock);
    window.removeEventListener('pointerdown', unlock);
  };
  window.addEventListener('keydown', unlock);
  window.addEventListener('pointerdown', unlock);
  return () => {
    window.removeEventListener('keydown', unlock);
    window.removeEventListener('pointerdown', unlock);
  };
}

/** A two-tone chime (no sound file to ship); louder and lower for overdue. */
export function chime(kind: 'urgent' | 'overdue'): void {
  try {
    const audio = audioContext();
    if (!audio) return;
    const tones = kind === 'urgent' ? [880, 1320] : [520, 390];
    tones.forEach((f, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      const at = audio.currentTime + i * 0.18;
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(kind === 'urgent' ? 0.18 : 0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.17);
    });
  } catch {
    // no audio device: the notification still shows
  }
}

export function notify(title: string, body: string, tag: string): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    new Notification(title, { body, tag });
  } catch {
    // some shells forbid constructing notifications from the page
  }
}

/** Asks once for permission, at the officer's first gesture (browsers refuse it otherwise). */
export function askPermissionOnGesture(): () => void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return () => {};
  const ask = () => {
    void Notification.requestPermission().catch(() => {});
    window.removeEventListener('keydown', ask);
    window.removeEventListener('pointerdown', ask);
  };
  window.addEventListener('keydown', ask, { once: true });
  window.addEventListener('pointerdown', ask, { once: true });
  return () => {
    window.removeEventListener('keydown', ask);
    window.removeEventListener('pointerdown', ask);
  };
}

export interface ArrivalOptions {
  rpc: RpcClient;
  /** bumped on every `events/changed` */
  changeTick: number;
  sound: boolean;
  enabled: boolean;
  texts: { urgent: (n: number) => string; overdue: (n: number) => string };
  /** also look again this often for clocks that ran out (ms) */
  pollMs?: number;
  onArrivals?: (kind: 'urgent' | 'overdue', rows: EventRow[]) => void;
}

/**
 * Which replica the lists are read from: the epoch of its snapshot, or null
 * while there is none yet (right after a first sign-in the replica is empty:
 * a baseline read then would ring for every urgent event of the snapshot).
 * A service that reports no cursor counts as one replica once live.
 */
export function replicaKey(status: Pick<SyncStatus, 'state' | 'cursor'>): string | null {
  if (status.cursor) return status.cursor.epoch;
  if (status.cursor === undefined && status.state === 'live') return 'live';
  return null;
}

/** What the view shows of the watch (data attributes on the workstation). */
export interface ArrivalStatus {
  /** the baseline has been read: what arrives from now on rings */
  ready: boolean;
  /** the last arrivals told: kind, event ids, whether the chime rang */
  last: { kind: 'urgent' | 'overdue'; ids: string[]; sound: boolean } | null;
}

export function useArrivalAlerts(o: ArrivalOptions): ArrivalStatus {
  const [status, setStatus] = useState<ArrivalStatus>({ ready: false, last: null });
  const watchers = useRef({ urgent: new ArrivalWatcher(), overdue: new ArrivalWatcher() });
  const opts = useRef(o);
  opts.current = o;
  const state = useRef({ busy: false, last: 0 });
  // the replica the baseline belongs to: none → no look; a new one (re-snapshot) → a new baseline
  const [replica, setReplica] = useState<string | null>(null);
  useEffect(() => {
    if (!o.enabled) return;
    let live = true;
    const take = (s: SyncStatus) => live && setReplica(replicaKey(s));
    const off = o.rpc.subscribe('sync/status', take);
    o.rpc.invoke('sync/status', {}).then(take, () => {});
    return () => {
      live = false;
      off();
    };
  }, [o.rpc, o.enabled]);
  const armed = o.enabled && replica !== null;

  const look = useRef(async (): Promise<void> => {
    if (state.current.busy) return;
    state.current = { busy: true, last: Date.now() };
    // the watchers this look reads for: replaced meanwhile (a new replica), its answer is not used
    const ws = watchers.current;
    let again = false;
    try {
      const { rpc, texts, sound, onArrivals, enabled } = opts.current;
      const [u, od] = await Promise.all([readUrgent(rpc), readOverdue(rpc)]);
      if (!opts.current.enabled || !enabled) return;
      if (ws !== watchers.current) {
        again = true;
        return;
      }
      const newUrgent = ws.urgent.fresh(u);
      const newOverdue = ws.overdue.fresh(od);
      let last: ArrivalStatus['last'] = null;
      if (newUrgent.length) {
        notify(texts.urgent(newUrgent.length), newUrgent.map((r) => `${r.caseNo} ${r.title}`).join('\n'), 'huying-urgent');
        if (sound) chime('urgent');
        onArrivals?.('urgent', newUrgent);
        last = { kind: 'urgent', ids: newUrgent.map((r) => r.id), sound };
      }
      if (newOverdue.length) {
        notify(texts.overdue(newOverdue.length), newOverdue.map((r) => `${r.caseNo} ${r.title}`).join('\n'), 'huying-overdue');
        if (sound && !newUrgent.length) chime('overdue');
        onArrivals?.('overdue', newOverdue);
        last ??= { kind: 'overdue', ids: newOverdue.map((r) => r.id), sound };
      }
      setStatus((s) => (s.ready && last === null ? s : { ready: true, last: last ?? s.last }));
    } catch {
      // the query layer may be unavailable: the next change or poll tries again
    } finally {
      state.current.busy = false;
    }
    if (again) return look.current();
  });

  useEffect(() => {
    if (!o.enabled) return;
    const offPermission = askPermissionOnGesture();
    const offAudio = unlockAudioOnGesture();
    return () => {
      offPermission();
      offAudio();
    };
  }, [o.enabled]);

  // a baseline once the replica holds a snapshot (and again for a new one), then a look every
  // `pollMs` for clocks that ran out
  useEffect(() => {
    watchers.current = { urgent: new ArrivalWatcher(), overdue: new ArrivalWatcher() };
    setStatus({ ready: false, last: null });
    if (!armed) return;
    void look.current();
    const timer = setInterval(() => void look.current(), o.pollMs ?? 30_000);
    return () => clearInterval(timer);
  }, [armed, replica, o.pollMs]);

  // after a change, look again (at most every 2 s)
  useEffect(() => {
    if (!armed || o.changeTick === 0) return;
    const wait = Math.max(0, 2000 - (Date.now() - state.current.last));
    const timer = setTimeout(() => void look.current(), wait);
    return () => clearTimeout(timer);
  }, [o.changeTick, armed]);

  return status;
}
