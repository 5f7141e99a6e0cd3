/**
 * A modal dialog that keeps the keyboard: focus moves into it when it opens
 * (the `initialFocus` element, else the first field), Tab cycles inside it,
 * Escape closes it, and when it closes the focus returns to where the officer
 * was — or to `returnFocus()` when that element has gone meanwhile (a live
 * refresh re-rendered the list). Global shortcuts are paused while it is open.
 */
import { useEffect, useId, useLayoutEffect, useRef, type ReactNode, type RefObject } from 'react';
import { focusableIn, focusElement, restoreFocus } from './focus';
import { pushModal } from './hotkeys';
import './components.css';

export interface DialogProps {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  /** the element to focus first; default: the first focusable element of the body */
  initialFocus?: RefObject<HTMLElement | null>;
  /** where focus goes after closing when the element focused before is gone */
  returnFocus?: () => HTMLElement | null;
  /** aria label of the close button */
  closeLabel: string;
  testId?: string;
  size?: 'small' | 'medium' | 'large';
  /** Ctrl/⌘+Enter anywhere in the dialog (text areas included) */
  onSubmitShortcut?: () => void;
}

export function Dialog(props: DialogProps) {
  const { onClose, onSubmitShortcut } = props;
  const panelRef = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const previous = useRef<Element | null>(null);
  const returnFocus = useRef(props.returnFocus);
  returnFocus.current = props.returnFocus;

  // remember the focus before the first paint of the dialog, give it back on unmount
  useLayoutEffect(() => {
    // kept across StrictMode's simulated remount (refs survive it), so it stays the element before the dialog
    previous.current ??= document.activeElement;
    const popModal = pushModal();
    const panel = panelRef.current;
    return () => {
      popModal();
      const remembered = previous.current;
      // after React has removed the dialog (a simulated unmount leaves it in place: nothing to give back)
      queueMicrotask(() => {
        if (panel?.isConnected) return;
        restoreFocus(remembered, () => returnFocus.current?.() ?? null);
      });
    };
  }, []);

  const initial = props.initialFocus;
  useEffect(() => {
    const panel = panelRef.current;
    if (!panel) return;
    if (initial?.current && focusElement(initial.current)) return;
    const first = focusableIn(panel).find((el) => !el.classList.contains('dialog__close'));
    if (!focusElement(first)) focusElement(panel);
  }, [initial]);

  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
      return;
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && onSubmitShortcut) {
      e.preventDefault();
      onSubmitShortcut();
      return;
    }
    if (e.key !== 'Tab') return;
    const items = focusableIn(panelRef.current!);
    if (items.length === 0) {
      e.preventDefault();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (e.shiftKey && (document.activeElement === first || !panelRef.current!.contains(document.activeElement))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={panelRef}
        className={`dialog dialog--${props.size ?? 'medium'}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={props.testId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <header className="dialog__header">
          <h2 id={titleId} className="dialog__title">
            {props.title}
          </h2>
          <button type="button" className="dialog__close" aria-label={props.closeLabel} onClick={onClose} tabIndex={-1}>
            ×
          </button>
        </header>
        <div className="dialog__body">{props.children}</div>
        {props.footer && <footer className="dialog__footer">{props.footer}</footer>}
      </div>
    </div>
  );
}
