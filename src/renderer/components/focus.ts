/**
 * Focus helpers: the elements Tab can reach inside a container, and putting the
 * focus back where the officer was when a dialog or overlay closes — or, when
 * that element is gone (the list refreshed under it), on a fallback such as
 * the event table, never on `<body>`.
 */

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type=hidden])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
  '[contenteditable="true"]',
].join(',');

export function focusableIn(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getAttribute('tabindex') !== '-1' && !el.hasAttribute('inert') && el.getAttribute('aria-hidden') !== 'true');
}

/** Focuses `el` without scrolling the page; true when it took the focus. */
export function focusElement(el: HTMLElement | null | undefined): boolean {
  if (!el || !el.isConnected) return false;
  el.focus({ preventScroll: true });
  return document.activeElement === el;
}

/**
 * Where focus goes back to: the remembered element if it is still in the page
 * and not inside a closed overlay, else the fallback.
 */
export function restoreFocus(remembered: Element | null, fallback?: () => HTMLElement | null): void {
  if (remembered instanceof HTMLElement && remembered !== document.body && focusElement(remembered)) return;
  focusElement(fallback?.() ?? null);
}
