/**
 * The alert takeover as a state machine, pure so every transition is tested.
 *
 * Input: the wall's replicated alerts (`wall/state`, then `wall/changed`) and
 * the clock. The newest unacknowledged alert takes over: the map flies to it
 * once, the sound plays when it first appears and again every `repeatMs`
 * while nobody acknowledges it, and the banner counts down to `respondBy`.
 * When its acknowledgement arrives (replicated from a workstation) the banner
 * says who acknowledged it for `ackHoldMs`, then the wall returns to normal —
 * or to the next unacknowledged alert. An alert that disappears from the
 * list without an acknowledgement (withdrawn) ends the takeover at once.
 * Acknowledged alerts the wall never showed are not shown at all.
 */
import type { WallAlert } from '../../core/rpc/wall';

export type AlertPhase = 'idle' | 'takeover' | 'acknowledged';

export interface AlertMachine {
  phase: AlertPhase;
  /** the alert on screen */
  current: WallAlert | null;
  /** alerts we have flown to and sounded for */
  seen: readonly string[];
  lastSoundAt: number;
  /** when an acknowledged banner goes away */
  ackUntil: number;
  alerts: readonly WallAlert[];
}

export interface AlertEffects {
  /** move the map to this alert */
  flyTo: WallAlert | null;
  sound: boolean;
}

export interface AlertConfig {
  repeatMs: number;
  ackHoldMs: number;
}

export const DEFAULT_ALERT_CONFIG: AlertConfig = { repeatMs: 30_000, ackHoldMs: 8_000 };

export type AlertInput = { type: 'alerts'; alerts: readonly WallAlert[]; now: number } | { type: 'tick'; now: number };

export const initialAlerts: AlertMachine = { phase: 'idle', current: null, seen: [], lastSoundAt: 0, ackUntil: 0, alerts: [] };

const NONE: AlertEffects = { flyTo: null, sound: false };

/** Unacknowledged alerts, newest first. */
export function pendingAlerts(alerts: readonly WallAlert[]): WallAlert[] {
  return alerts.filter((a) => a.ackedAt === null).sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt) || (a.id < b.id ? 1 : -1));
}

export function stepAlerts(m: AlertMachine, input: AlertInput, config: AlertConfig = DEFAULT_ALERT_CONFIG): { machine: AlertMachine; effects: AlertEffects } {
  const now = input.now;
  const alerts = input.type === 'alerts' ? input.alerts : m.alerts;
  const pending = pendingAlerts(alerts);
  const top = pending[0];

  if (top) {
    const isNew = !m.seen.includes(top.id);
    const switched = m.current?.id !== top.id || m.phase !== 'takeover';
    const sound = isNew || now - m.lastSoundAt >= config.repeatMs;
    // a tick that changes nothing keeps the machine (the view does not re-render for it)
    if (!isNew && !switched && !sound && alerts === m.alerts && m.current === top && m.ackUntil === 0) return { machine: m, effects: NONE };
    const seen = isNew ? [...m.seen.slice(-199), top.id] : m.seen;
    return {
      machine: { phase: 'takeover', current: top, seen, lastSoundAt: sound ? now : m.lastSoundAt, ackUntil: 0, alerts },
      effects: { flyTo: switched ? top : null, sound },
    };
  }

  if (m.phase === 'takeover' && m.current) {
    const after = alerts.find((a) => a.id === m.current!.id);
    if (after && after.ackedAt !== null) {
      return { machine: { ...m, phase: 'acknowledged', current: after, ackUntil: now + config.ackHoldMs, alerts }, effects: NONE };
    }
    // withdrawn without an acknowledgement
    return { machine: { ...m, phase: 'idle', current: null, alerts }, effects: NONE };
  }

  if (m.phase === 'acknowledged' && now < m.ackUntil) return { machine: alerts === m.alerts ? m : { ...m, alerts }, effects: NONE };
  if (m.phase === 'idle' && m.current === null && m.ackUntil === 0 && alerts === m.alerts) return { machine: m, effects: NONE };
  return { machine: { ...m, phase: 'idle', current: null, ackUntil: 0, alerts }, effects: NONE };
}

/** What the banner shows at `now`. */
export function alertView(m: AlertMachine, now: number): { phase: AlertPhase; alert: WallAlert | null; remainingMs: number; waiting: number } {
  if (!m.current || m.phase === 'idle') return { phase: 'idle', alert: null, remainingMs: 0, waiting: 0 };
  const waiting = pendingAlerts(m.alerts).filter((a) => a.id !== m.current!.id).length;
  return { phase: m.phase, alert: m.current, remainingMs: Date.parse(m.current.respondBy) - now, waiting };
}
