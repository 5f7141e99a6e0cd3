/**
 * The workstation's side of the wall (src/core/rpc/wall.ts, defined with the
 * wall view): the alerts waiting for an acknowledgement (`wall/state`, then
 * `wall/changed`), acknowledging one (`wall/ack`) and pushing a view to the
 * walls (`wall/directive`, 上大屏) — both through the outbox like every command.
 */
import { useCallback, useEffect, useState } from 'react';
import type { WallAlert, WallDirectiveInput, WallFocus } from '../../../core/rpc/wall';
import { useRpc } from '../../rpc/rpc-context';
import { useOutbox } from '../outbox';
import { useSession } from '../session';

export function newId(): string {
  const c = globalThis.crypto;
  // randomUUID needs a secure context; a kiosk on plain http over the LAN has none
  if (c && typeof c.randomUUID === 'function' && globalThis.isSecureContext !== false) return c.randomUUID();
  return `d-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A directive that points the walls at something and holds it for five minutes. */
export function focusDirective(focus: WallFocus, by: { id: string; name: string } | null, now: Date): WallDirectiveInput {
  return { id: newId(), issuedAt: now.toISOString(), issuedBy: by, walls: 'all', focus, holdSeconds: 300 };
}

export interface WallApi {
  alerts: WallAlert[];
  /** unacknowledged alerts, newest first */
  open: WallAlert[];
  available: boolean;
  ack(alert: WallAlert, label: string): void;
  push(focus: WallFocus, label: string, caseNo?: string): void;
}

export function useWall(): WallApi {
  const rpc = useRpc();
  const outbox = useOutbox();
  const { user } = useSession();
  const [alerts, setAlerts] = useState<WallAlert[]>([]);
  const [available, setAvailable] = useState(true);

  useEffect(() => {
    let live = true;
    let pushed = false;
    const off = rpc.subscribe('wall/changed', (s) => {
      pushed = true;
      if (live) setAlerts(s.alerts);
    });
    rpc.invoke('wall/state', {}).then(
      (s) => live && !pushed && setAlerts(s.alerts),
      () => live && setAvailable(false),
    );
    return () => {
      live = false;
      off();
    };
  }, [rpc]);

  const ack = useCallback(
    (alert: WallAlert, label: string) => {
      void outbox.submit({ name: 'wall/ack', alertId: alert.id }, { label, caseNo: alert.caseNo ?? alert.title });
    },
    [outbox],
  );
  const push = useCallback(
    (focus: WallFocus, label: string, caseNo?: string) => {
      const directive = focusDirective(focus, user ? { id: user.id, name: user.name } : null, new Date());
      void outbox.submit({ name: 'wall/directive', directive: { ...directive } }, { label, ...(caseNo ? { caseNo } : {}) });
    },
    [outbox, user],
  );

  const acked = new Set([...outbox.entries.values()].filter((e) => e.mutation.name === 'wall/ack' && e.state !== 'rejected').map((e) => (e.mutation.name === 'wall/ack' ? e.mutation.alertId : '')));
  const open = alerts.filter((a) => a.ackedAt === null && !acked.has(a.id));
  return { alerts, open, available, ack, push };
}
