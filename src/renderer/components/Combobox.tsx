/**
 * A searchable picker for long lists (27 departments + 10 towns + 252 village
 * committees; the taxonomy's leaves): type to filter, ↑/↓ to move, Enter to
 * take. Single choice shows the chosen option in the field; `multiple` keeps
 * chosen options as removable chips (Backspace removes the last one).
 */
import { useId, useMemo, useRef, useState, type Ref } from 'react';
import { filterCommands } from './CommandPalette';
import './components.css';

export interface ComboOption {
  value: string;
  label: string;
  /** shown dimmed after the label (kind, area, code) */
  hint?: string;
  /** extra words the filter searches */
  keywords?: string;
}

interface Common {
  options: readonly ComboOption[];
  placeholder?: string;
  emptyText: string;
  /** accessible name (the visible label's text) */
  label: string;
  testId?: string;
  invalid?: boolean;
  /** at most this many matches are listed */
  limit?: number;
  inputRef?: Ref<HTMLInputElement>;
  removeLabel?: (label: string) => string;
}

export type ComboboxProps =
  | (Common & { multiple?: false; value: string | null; onChange: (value: string | null) => void })
  | (Common & { multiple: true; value: readonly string[]; onChange: (value: string[]) => void });

export function Combobox(props: ComboboxProps) {
  const listId = useId();
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const wrapRef = useRef<HTMLDivElement>(null);
  const byValue = useMemo(() => new Map(props.options.map((o) => [o.value, o])), [props.options]);
  const chosen = props.multiple ? props.value : props.value === null ? [] : [props.value];

  const matches = useMemo(() => {
    const pool = props.options.filter((o) => !(props.multiple && chosen.includes(o.value)));
    const asCommands = pool.map((o) => ({ id: o.value, label: o.label, group: '', keywords: `${o.hint ?? ''} ${o.keywords ?? ''} ${o.value}`, run: () => {} }));
    return filterCommands(asCommands, query)
      .slice(0, props.limit ?? 50)
      .map((c) => byValue.get(c.id)!);
  }, [props.options, props.multiple, props.limit, chosen, query, byValue]);
  const current = Math.min(active, Math.max(0, matches.length - 1));

  const take = (opt: ComboOption | undefined) => {
    if (!opt) return;
    if (props.multiple) props.onChange([...props.value, opt.value]);
    else props.onChange(opt.value);
    setQuery('');
    setActive(0);
    setOpen(props.multiple === true);
  };

  const single = !props.multiple && props.value !== null ? byValue.get(props.value) : undefined;
  const shownText = open || props.multiple ? query : (single?.label ?? query);

  return (
    <div
      ref={wrapRef}
      className={`combo${props.invalid ? ' combo--invalid' : ''}`}
      data-testid={props.testId}
      data-value={props.multiple ? props.value.join(',') : (props.value ?? '')}
      onBlur={(e) => {
        if (!wrapRef.current?.contains(e.relatedTarget as Node | null)) setOpen(false);
      }}
    >
      {props.multiple && chosen.length > 0 && (
        <div className="combo__chips">
          {chosen.map((v) => (
            <span key={v} className="chip" data-value={v}>
              {byValue.get(v)?.label ?? v}
              <button
                type="button"
                className="chip__remove"
                tabIndex={-1}
                aria-label={props.removeLabel?.(byValue.get(v)?.label ?? v) ?? v}
                onClick={() => props.multiple && props.onChange(props.value.filter((x) => x !== v))}
              >
                ×
              </button>
            </span>
          ))}
        </div>
      )}
      <input
        ref={props.inputRef}
        className="combo__input"
        role="combobox"
        aria-label={props.label}
        aria-expanded={open}
        aria-controls={listId}
        aria-invalid={props.invalid || undefined}
        aria-activedescendant={open && matches.length > 0 ? `${listId}-${current}` : undefined}
        placeholder={props.placeholder}
        value={shownText}
        onFocus={(e) => {
          if (!props.multiple && single) e.currentTarget.select();
        }}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
          setOpen(true);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            if (!open) setOpen(true);
            else setActive((a) => Math.min(a + 1, matches.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === 'Enter' && open) {
            // Enter with the list open takes the option; with it closed the form submits
            e.preventDefault();
            take(matches[current]);
          } else if (e.key === 'Escape' && open) {
            e.preventDefault();
            e.stopPropagation();
            setOpen(false);
            setQuery('');
          } else if (e.key === 'Backspace' && props.multiple && query === '' && props.value.length > 0) {
            props.onChange(props.value.slice(0, -1));
          }
        }}
      />
      {open && (
        <ul id={listId} className="combo__list" role="listbox">
          {matches.length === 0 && <li className="combo__empty">{props.emptyText}</li>}
          {matches.map((o, i) => (
            <li
              key={o.value}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === current}
              data-value={o.value}
              className={`combo__option${i === current ? ' combo__option--active' : ''}`}
              onMouseDown={(e) => {
                e.preventDefault();
                take(o);
              }}
            >
              <span>{o.label}</span>
              {o.hint && <span className="combo__hint">{o.hint}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
