/**
 * The officer's commands on their way to the data center. Every action goes
 * through `commands/submit` (the data service writes the outbox row and the
 * pending overlay in one transaction) and is then followed by `outbox/changed`:
 * queued (offline while the link is down) → sent → confirmed, or rejected with
 * the data center's reason, which stays on screen until the officer dismisses
 * it (`outbox/dismiss`). Nothing is rolled back silently.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { toRpcError, type RpcError } from '../../core/errors';
import type { OutboxEntry, OutboxState, RequestArgs } from '../../core/rpc/contract';
import { useToasts, type Tone } from '../components/Toasts';
import { useI18n } from '../i18n';
import { useRpc } from '../rpc/rpc-context';

/** A mutation as the caller writes it (defaults such as empty attachments filled by the schema). */
export type MutationInput = RequestArgs<'commands/submit'>['mutation'];

export interface SubmitMeta {
  /** what the toast calls it, e.g. 派遣 */
  label: string;
  /** the event's case number, when it acts on one */
  caseNo?: string;
}

export interface OutboxApi {
  entries: ReadonlyMap<number, OutboxEntry>;
  offline: boolean;
  /** queues a mutation; resolves with the entry, or the error when the data service refused to queue it */
  submit(mutation: MutationInput, meta: SubmitMeta): Promise<{ ok: true; entry: OutboxEntry } | { ok: false; error: RpcError }>;
  dismiss(mutationId: number): Promise<void>;
  /** entries for one event, oldest first */
  forEvent(eventId: string): OutboxEntry[];
}

/** The badge of an outbox state: queued while offline reads "queued offline". */
export function outboxBadge(state: OutboxState, offline: boolean): { key: 'queued' | 'queuedOffline' | 'sent' | 'confirmed' | 'rejected' | 'dismissed'; tone: Tone } {
  switch (state) {
    case 'queued':
      return offline ? { key: 'queuedOffline', tone: 'warn' } : { key: 'queued', tone: 'muted' };
    case 'sent':
      return { key: 'sent', tone: 'info' };
    case 'confirmed':
      return { key: 'confirmed', tone: 'ok' };
    case 'rejected':
      return { key: 'rejected', tone: 'bad' };
    case 'dismissed':
      return { key: 'dismissed', tone: 'muted' };
  }
}

const OutboxContext = createContext<OutboxApi | null>(null);

export function OutboxProvider({ children }: { children: ReactNode }) {
  const rpc = useRpc();
  const toasts = useToasts();
  const { t, errorText } = useI18n();
  const [entries, setEntries] = useState<Map<number, OutboxEntry>>(new Map());
  const [offline, setOffline] = useState(false);
  const meta = useRef(new Map<number, SubmitMeta>());
  /** the newest state of every entry seen, also when a push beats the answer of `commands/submit` */
  const latest = useRef(new Map<number, { entry: OutboxEntry; offline: boolean }>());
  const tRef = useRef({ t, errorText, toasts });
  tRef.current = { t, errorText, toasts };

  const toastFor = useCallback(
    (entry: OutboxEntry, isOffline: boolean) => {
      const m = meta.current.get(entry.mutationId);
      if (!m || entry.state === 'dismissed') return;
      const { t: tt, errorText: et, toasts: ts } = tRef.current;
      const badge = outboxBadge(entry.state, isOffline);
      const id = `outbox-${entry.mutationId}`;
      const rpcDismiss = () => {
        void rpc.invoke('outbox/dismiss', { mutationId: entry.mutationId }).catch(() => {});
      };
      ts.show({
        id,
        tone: badge.tone,
        testId: 'outbox-toast',
        title: `${tt.workstation.outbox.toastTitle(m.label, m.caseNo ?? '')} · ${tt.workstation.outbox[badge.key]}`,
        body: entry.state === 'rejected' && entry.error ? tt.workstation.outbox.rejectedBody(`${et(entry.error.code)} — ${entry.error.message}`) : undefined,
        sticky: entry.state === 'rejected',
        ...(entry.state === 'rejected' ? { onDismiss: rpcDismiss } : {}),
      });
    },
    [rpc],
  );

  const merge = useCallback(
    (list: OutboxEntry[], isOffline: boolean) => {
      setEntries((prev) => {
        const next = new Map(prev);
        for (const e of list) next.set(e.mutationId, e);
        return next;
      });
      setOffline(isOffline);
      for (const e of list) {
        latest.current.set(e.mutationId, { entry: e, offline: isOffline });
        toastFor(e, isOffline);
      }
    },
    [toastFor],
  );

  useEffect(() => {
    let live = true;
    const off = rpc.subscribe('outbox/changed', (list) => live && merge(list.entries, list.offline));
    rpc.invoke('outbox/list', { states: ['queued', 'sent', 'confirmed', 'rejected'], limit: 500 }).then(
      (list) => {
        if (!live) return;
        setEntries((prev) => {
          const next = new Map(list.entries.map((e) => [e.mutationId, e]));
          // pushes that arrived meanwhile are newer
          for (const [id, e] of prev) if (!next.has(id) || next.get(id)!.updatedAt < e.updatedAt) next.set(id, e);
          return next;
        });
        setOffline(list.offline);
      },
      () => {},
    );
    return () => {
      live = false;
      off();
    };
  }, [rpc, merge]);

  const submit = useCallback<OutboxApi['submit']>(
    async (mutation, m) => {
      try {
        const answer = await rpc.invoke('commands/submit', { mutation });
        meta.current.set(answer.entry.mutationId, m);
        setEntries((prev) => {
          // a push for this entry may have come first
          if (prev.has(answer.entry.mutationId)) return prev;
          return new Map(prev).set(answer.entry.mutationId, answer.entry);
        });
        const seen = latest.current.get(answer.entry.mutationId);
        toastFor(seen?.entry ?? answer.entry, seen?.offline ?? offline);
        return { ok: true, entry: answer.entry };
      } catch (err) {
        return { ok: false, error: toRpcError(err) };
      }
    },
    [rpc, toastFor, offline],
  );

  const dismiss = useCallback(
    async (mutationId: number) => {
      try {
        const entry = await rpc.invoke('outbox/dismiss', { mutationId });
        setEntries((prev) => new Map(prev).set(mutationId, entry));
      } catch {
        // already dismissed or not settled: the next push tells
      }
      tRef.current.toasts.dismiss(`outbox-${mutationId}`);
    },
    [rpc],
  );

  const api = useMemo<OutboxApi>(
    () => ({
      entries,
      offline,
      submit,
      dismiss,
      forEvent: (eventId) => [...entries.values()].filter((e) => e.eventId === eventId).sort((a, b) => a.mutationId - b.mutationId),
    }),
    [entries, offline, submit, dismiss],
  );
  return <OutboxContext.Provider value={api}>{children}</OutboxContext.Provider>;
}

export function useOutbox(): OutboxApi {
  const api = useContext(OutboxContext);
  if (!api) throw new Error('useOutbox() outside <OutboxProvider>');
  return api;
}
