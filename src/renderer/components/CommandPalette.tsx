/**
 * The command palette (Ctrl+K): every action the workstation offers right now,
 * found by typing a few letters of its name, its keywords or its shortcut.
 * Matching is a case-insensitive subsequence with a bonus for word starts, so
 * "dsp" finds "Dispatch" and "派遣" finds "派遣…". Enter runs the highlighted
 * command after the palette has closed and given the focus back, so a command
 * that opens a dialog returns the focus to the right place afterwards.
 */
import { useMemo, useRef, useState, type ReactNode } from 'react';
import { Kbd } from './Badge';
import { Dialog } from './Dialog';
import { formatCombo } from './hotkeys';
import './components.css';

export interface PaletteCommand {
  id: string;
  label: string;
  group: string;
  /** more words that find it (English names, Chinese terms, codes) */
  keywords?: string;
  shortcut?: string;
  run: () => void;
}

/** Score of `query` against `text`: higher is better, null when it does not match. */
export function fuzzyScore(query: string, text: string): number | null {
  const q = query.trim().toLowerCase();
  if (q === '') return 0;
  const t = text.toLowerCase();
  const direct = t.indexOf(q);
  if (direct >= 0) return 1000 - direct;
  let score = 0;
  let ti = 0;
  for (const ch of q) {
    if (ch === ' ') continue;
    const found = t.indexOf(ch, ti);
    if (found < 0) return null;
    const wordStart = found === 0 || /[\s/\-_.·]/.test(t[found - 1]!);
    score += wordStart ? 10 : found === ti ? 5 : 1;
    ti = found + 1;
  }
  return score;
}

export function filterCommands(commands: readonly PaletteCommand[], query: string): PaletteCommand[] {
  if (query.trim() === '') return [...commands];
  return commands
    .map((c) => ({ c, s: fuzzyScore(query, `${c.label} ${c.keywords ?? ''} ${c.shortcut ?? ''}`) }))
    .filter((x): x is { c: PaletteCommand; s: number } => x.s !== null)
    .sort((a, b) => b.s - a.s)
    .map((x) => x.c);
}

export interface CommandPaletteProps {
  commands: readonly PaletteCommand[];
  onClose: () => void;
  title: ReactNode;
  placeholder: string;
  emptyText: string;
  closeLabel: string;
  returnFocus?: () => HTMLElement | null;
}

export function CommandPalette(props: CommandPaletteProps) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const shown = useMemo(() => filterCommands(props.commands, query), [props.commands, query]);
  const current = Math.min(active, Math.max(shown.length - 1, 0));

  const run = (cmd: PaletteCommand | undefined) => {
    if (!cmd) return;
    props.onClose();
    // after the dialog has closed and restored the focus
    setTimeout(() => cmd.run(), 0);
  };

  const move = (delta: number) => {
    if (shown.length === 0) return;
    const next = (current + delta + shown.length) % shown.length;
    setActive(next);
    listRef.current?.querySelector(`[data-index="${next}"]`)?.scrollIntoView?.({ block: 'nearest' });
  };

  return (
    <Dialog title={props.title} onClose={props.onClose} closeLabel={props.closeLabel} initialFocus={inputRef} returnFocus={props.returnFocus} testId="command-palette" size="medium">
      <input
        ref={inputRef}
        className="palette__input"
        data-testid="palette-input"
        placeholder={props.placeholder}
        value={query}
        role="combobox"
        aria-expanded="true"
        aria-controls="palette-list"
        aria-activedescendant={shown.length > 0 ? `palette-item-${current}` : undefined}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            move(1);
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            move(-1);
          } else if (e.key === 'Enter') {
            e.preventDefault();
            run(shown[current]);
          }
        }}
      />
      <ul ref={listRef} id="palette-list" className="palette__list" role="listbox" data-testid="palette-list">
        {shown.length === 0 && <li className="palette__empty">{props.emptyText}</li>}
        {shown.map((c, i) => (
          <li
            key={c.id}
            id={`palette-item-${i}`}
            data-index={i}
            data-command={c.id}
            role="option"
            aria-selected={i === current}
            className={`palette__item${i === current ? ' palette__item--active' : ''}`}
            onMouseMove={() => setActive(i)}
            onClick={() => run(c)}
          >
            <span className="palette__group">{c.group}</span>
            <span className="palette__label">{c.label}</span>
            {c.shortcut && <Kbd>{formatCombo(c.shortcut)}</Kbd>}
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
