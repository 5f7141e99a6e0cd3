/**
 * Telling the officer without being looked at: a desktop notification
 * (Notification API; in Electron the main process allows only this
 * permission) and a short sound when an urgent or critical event comes in or
 * an event turns overdue. The first look at each list is the baseline — what
 * was already there at sign-in rings nothing — and each event rings once.
 */
import { useEffect, useRef } from 'react';
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

/** A two-tone chime (no sound file to ship); louder and lower for overdue. */
export function chime(kind: 'urgent' | 'overdue'): void {
  try {
    const Ctx = globalThis.AudioContext;
    if (!Ctx) return;
    audio ??= new Ctx();
    if (audio.state === 'suspended') void audio.resume();
    const tones = kind === 'urgent' ? [880, 1320] : [520, 390];
    tones.forEach((f, i) => {
      const osc = audio!.createOscillator();
      const gain = audio!.createGain();
      const at = audio!.currentTime + i * 0.18;
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(kind === 'urgent' ? 0.18 : 0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      osc.connect(gain).connect(audio!.destination);
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

export function useArrivalAlerts(o: ArrivalOptions): void {
  const watchers = useRef({ urgent: new ArrivalWatcher(), overdue: new ArrivalWatcher() });
  const opts = useRef(o);
  opts.current = o;
  const state = useRef({ busy: false, last: 0 });

  const look = useRef(async () => {
    if (state.current.busy) return;
    state.current = { busy: true, last: Date.now() };
    try {
      const { rpc, texts, sound, onArrivals, enabled } = opts.current;
      const [u, od] = await Promise.all([readUrgent(rpc), readOverdue(rpc)]);
      if (!opts.current.enabled || !enabled) return;
      const newUrgent = watchers.current.urgent.fresh(u);
      const newOverdue = watchers.current.overdue.fresh(od);
      if (newUrgent.length) {
        notify(texts.urgent(newUrgent.length), newUrgent.map((r) => `${r.caseNo} ${r.title}`).join('\n'), 'huying-urgent');
        if (sound) chime('urgent');
        onArrivals?.('urgent', newUrgent);
      }
      if (newOverdue.length) {
        notify(texts.overdue(newOverdue.length), newOverdue.map((r) => `${r.caseNo} ${r.title}`).join('\n'), 'huying-overdue');
        if (sound && !newUrgent.length) chime('overdue');
        onArrivals?.('overdue', newOverdue);
      }
    } catch {
      // the query layer may be unavailable: the next change or poll tries again
    } finally {
      state.current.busy = false;
    }
  });

  useEffect(() => (o.enabled ? askPermissionOnGesture() : undefined), [o.enabled]);

  // a baseline at sign-in, then a look every `pollMs` for clocks that ran out
  useEffect(() => {
    if (!o.enabled) {
      watchers.current = { urgent: new ArrivalWatcher(), overdue: new ArrivalWatcher() };
      return;
    }
    void look.current();
    const timer = setInterval(() => void look.current(), o.pollMs ?? 30_000);
    return () => clearInterval(timer);
  }, [o.enabled, o.pollMs]);

  // after a change, look again (at most every 2 s)
  useEffect(() => {
    if (!o.enabled || o.changeTick === 0) return;
    const wait = Math.max(0, 2000 - (Date.now() - state.current.last));
    const timer = setTimeout(() => void look.current(), wait);
    return () => clearTimeout(timer);
  }, [o.changeTick, o.enabled]);
}
