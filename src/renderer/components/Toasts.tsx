/**
 * Short notices in a corner (a command queued, confirmed, refused…) that never
 * take the focus. A toast can be updated in place by its id — the outbox
 * moves one command from queued to confirmed in the same toast — and sticky
 * ones (a refusal) stay until the officer dismisses them.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import './components.css';

export type Tone = 'info' | 'ok' | 'warn' | 'bad' | 'muted' | 'accent';

export interface Toast {
  id: string;
  tone: Tone;
  title: ReactNode;
  body?: ReactNode;
  /** stays until dismissed */
  sticky?: boolean;
  /** extra test hook, e.g. `toast-outbox-12` */
  testId?: string;
  onDismiss?: () => void;
}

interface ToastApi {
  show(toast: Omit<Toast, 'id'> & { id?: string }): string;
  dismiss(id: string): void;
}

const ToastContext = createContext<ToastApi | null>(null);
let counter = 0;
const AUTO_DISMISS_MS = 6000;

export function ToastProvider({ children, closeLabel }: { children: ReactNode; closeLabel: string }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  const dismiss = useCallback((id: string) => {
    const timer = timers.current.get(id);
    if (timer) clearTimeout(timer);
    timers.current.delete(id);
    setToasts((list) => list.filter((t) => t.id !== id));
  }, []);

  const show = useCallback(
    (toast: Omit<Toast, 'id'> & { id?: string }) => {
      const id = toast.id ?? `toast-${++counter}`;
      const full: Toast = { ...toast, id };
      setToasts((list) => {
        const i = list.findIndex((t) => t.id === id);
        if (i < 0) return [...list.slice(-5), full];
        const next = [...list];
        next[i] = full;
        return next;
      });
      const old = timers.current.get(id);
      if (old) clearTimeout(old);
      timers.current.delete(id);
      if (!toast.sticky) timers.current.set(id, setTimeout(() => dismiss(id), AUTO_DISMISS_MS));
      return id;
    },
    [dismiss],
  );

  useEffect(() => {
    const all = timers.current;
    return () => all.forEach((t) => clearTimeout(t));
  }, []);

  const api = useMemo(() => ({ show, dismiss }), [show, dismiss]);
  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast--${t.tone}`} data-testid={t.testId ?? 'toast'} data-tone={t.tone}>
            <div className="toast__text">
              <div className="toast__title">{t.title}</div>
              {t.body && <div className="toast__body">{t.body}</div>}
            </div>
            <button
              type="button"
              className="toast__close"
              aria-label={closeLabel}
              tabIndex={-1}
              onClick={() => {
                t.onDismiss?.();
                dismiss(t.id);
              }}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToasts(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error('useToasts() outside <ToastProvider>');
  return api;
}
