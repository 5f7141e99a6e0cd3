/**
 * happy-dom lays nothing out: every element measures 0×0, so a virtualizer
 * would render no rows. Tests give the scroll bodies of virtual tables a
 * size (clientWidth/clientHeight, which @tanstack/virtual-core reads).
 */
const SELECTOR = '.vtable__body';

export function giveTablesLayout(width = 1200, height = 600): () => void {
  const proto = HTMLElement.prototype;
  const h = Object.getOwnPropertyDescriptor(proto, 'clientHeight') ?? Object.getOwnPropertyDescriptor(Element.prototype, 'clientHeight');
  const w = Object.getOwnPropertyDescriptor(proto, 'clientWidth') ?? Object.getOwnPropertyDescriptor(Element.prototype, 'clientWidth');
  Object.defineProperty(proto, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.matches?.(SELECTOR) ? height : (h?.get?.call(this) ?? 0);
    },
  });
  Object.defineProperty(proto, 'clientWidth', {
    configurable: true,
    get(this: HTMLElement) {
      return this.matches?.(SELECTOR) ? width : (w?.get?.call(this) ?? 0);
    },
  });
  return () => {
    delete (proto as { clientHeight?: number }).clientHeight;
    delete (proto as { clientWidth?: number }).clientWidth;
  };
}
