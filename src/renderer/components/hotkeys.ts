/**
 * Keyboard shortcuts without a framework: a combo string (`mod+k`, `shift+g`,
 * `?`, `escape`) is parsed once and matched against `KeyboardEvent`s. Global
 * shortcuts stay quiet while the officer types in a field or while a modal
 * dialog is open (a dialog owns the keyboard until it closes), unless a
 * shortcut says otherwise — so a letter typed into a reason never fires an action.
 */
import { useEffect, useRef } from 'react';

export interface ParsedCombo {
  /** lower-case `KeyboardEvent.key`, or a named key (`escape`, `enter`, `arrowdown`…) */
  key: string;
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
  /** `mod`: Ctrl, or ⌘ on macOS */
  mod: boolean;
}

const ALIASES: Record<string, string> = { esc: 'escape', return: 'enter', space: ' ', up: 'arrowup', down: 'arrowdown', left: 'arrowleft', right: 'arrowright', del: 'delete' };

/** Punctuation typed with Shift on most layouts: the key itself says it, the Shift flag is not compared. */
const SHIFTED = new Set(['?', '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '{', '}', '|', ':', '"', '<', '>', '~']);

export function parseCombo(combo: string): ParsedCombo {
  const parts = combo.toLowerCase().split('+');
  // `shift++` or `+` alone: the key is '+'
  let key = parts.pop() ?? '';
  if (key === '' && combo.endsWith('+')) key = '+';
  const mods = new Set(parts.filter((p) => p !== ''));
  return {
    key: ALIASES[key] ?? key,
    ctrl: mods.has('ctrl'),
    alt: mods.has('alt'),
    shift: mods.has('shift'),
    meta: mods.has('meta') || mods.has('cmd'),
    mod: mods.has('mod'),
  };
}

export function isMac(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

type KeyLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'altKey' | 'shiftKey' | 'metaKey'>;

export function matchesCombo(e: KeyLike, c: ParsedCombo, mac = isMac()): boolean {
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key.toLowerCase();
  if (key !== c.key) return false;
  const wantCtrl = c.ctrl || (c.mod && !mac);
  const wantMeta = c.meta || (c.mod && mac);
  if (e.ctrlKey !== wantCtrl || e.metaKey !== wantMeta || e.altKey !== c.alt) return false;
  if (SHIFTED.has(c.key)) return true;
  return e.shiftKey === c.shift;
}

/** True when keys go to a text field (input, textarea, select, contenteditable). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (target as HTMLInputElement).type;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'].includes(type);
}

/** How many modal dialogs are open; global shortcuts wait while any is. */
let modalDepth = 0;
export function pushModal(): () => void {
  modalDepth++;
  let done = false;
  return () => {
    if (!done) modalDepth--;
    done = true;
  };
}
export function modalOpen(): boolean {
  return modalDepth > 0;
}

export interface Hotkey {
  combo: string;
  run: (e: KeyboardEvent) => void;
  /** fire even while a text field has the focus (Escape, mod+k) */
  inInputs?: boolean;
  /** fire even while a modal dialog is open */
  inModal?: boolean;
  enabled?: boolean;
}

/**
 * Window-level shortcuts for as long as the component is mounted. The list may
 * change on every render (handlers see the latest closures); the listener is
 * attached once.
 */
export function useHotkeys(hotkeys: readonly Hotkey[]): void {
  const ref = useRef(hotkeys);
  ref.current = hotkeys;
  useEffect(() => {
    const parsed = new Map<string, ParsedCombo>();
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const typing = isTypingTarget(e.target);
      for (const h of ref.current) {
        if (h.enabled === false) continue;
        if (typing && !h.inInputs) continue;
        if (modalOpen() && !h.inModal) continue;
        let c = parsed.get(h.combo);
        if (!c) parsed.set(h.combo, (c = parseCombo(h.combo)));
        if (!matchesCombo(e, c)) continue;
        e.preventDefault();
        h.run(e);
        return;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** `mod+k` → `Ctrl+K` (or `⌘K` on macOS), `shift+g` → `Shift+G`, `?` → `?`: for help and hints. */
export function formatCombo(combo: string, mac = isMac()): string {
  const c = parseCombo(combo);
  const names: Record<string, string> = { escape: 'Esc', enter: 'Enter', arrowdown: '↓', arrowup: '↑', arrowleft: '←', arrowright: '→', ' ': 'Space', pagedown: 'PgDn', pageup: 'PgUp', home: 'Home', end: 'End', delete: 'Del' };
  const key = names[c.key] ?? (c.key.length === 1 ? c.key.toUpperCase() : c.key);
  const mods: string[] = [];
  if (c.ctrl || (c.mod && !mac)) mods.push(mac ? '⌃' : 'Ctrl');
  if (c.alt) mods.push(mac ? '⌥' : 'Alt');
  if (c.shift) mods.push(mac ? '⇧' : 'Shift');
  if (c.meta || (c.mod && mac)) mods.push('⌘');
  return mac ? `${mods.join('')}${key}` : [...mods, key].join('+');
}
