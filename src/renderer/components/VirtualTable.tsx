/**
 * A virtualized table for long queues (10,000 rows stay smooth): only the rows
 * in view plus an overscan are in the DOM (@tanstack/react-virtual), rows have
 * one fixed height, and rows that are not loaded yet render as placeholders
 * (the caller fetches windows of rows through `onRangeChange`).
 *
 * Keyboard: the table itself holds the focus and points at the active row with
 * `aria-activedescendant`, so the focus never sits on a row element that
 * scrolling or a live refresh could remove. ↑/↓, PgUp/PgDn, Home/End move;
 * Enter opens. The active row is identified by the caller (by id, not index),
 * so a refresh that moves rows keeps the selection.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useImperativeHandle, useRef, type CSSProperties, type ReactNode, type Ref, type RefObject } from 'react';
import './components.css';

export interface Column<T> {
  id: string;
  header: ReactNode;
  /** CSS grid track, e.g. `120px` or `minmax(200px, 1fr)` */
  width: string;
  cell: (row: T, index: number) => ReactNode;
  align?: 'start' | 'end' | 'center';
  title?: string;
}

export interface VirtualTableHandle {
  focus(): void;
  scrollToIndex(index: number): void;
  element(): HTMLElement | null;
}

export interface VirtualTableProps<T> {
  rowCount: number;
  /** the row at an index, or undefined while it loads */
  getRow: (index: number) => T | undefined;
  getRowKey: (row: T) => string;
  columns: readonly Column<T>[];
  activeIndex: number | null;
  onActiveIndexChange: (index: number) => void;
  onOpen?: (index: number) => void;
  /** the rendered index range [start, end] (inclusive, overscan included) after each scroll or resize */
  onRangeChange?: (start: number, end: number) => void;
  rowHeight?: number;
  overscan?: number;
  ariaLabel: string;
  emptyText: ReactNode;
  loadingText: string;
  testId?: string;
  /** size before the first layout measurement (tests, first paint) */
  initialHeight?: number;
  rowClassName?: (row: T) => string;
  /** draw the active row highlighted (false while the cursor sits between rows) */
  showActive?: boolean;
  /** key of the row shown in the detail, marked even when the cursor is elsewhere */
  selectedKey?: string | null;
  rowData?: (row: T) => Record<string, string>;
  ref?: Ref<VirtualTableHandle>;
}

export const ROW_HEIGHT = 30;

export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { rowCount, getRow, columns, activeIndex, onActiveIndexChange, onOpen, onRangeChange } = props;
  const rowHeight = props.rowHeight ?? ROW_HEIGHT;
  const scrollRef = useRef<HTMLDivElement>(null);
  const idBase = useRef(`vt-${Math.random().toString(36).slice(2, 8)}`).current;

  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: props.overscan ?? 12,
    initialRect: { width: 1200, height: props.initialHeight ?? 600 },
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;

  const rangeRef = useRef(onRangeChange);
  rangeRef.current = onRangeChange;
  useEffect(() => {
    if (last >= first) rangeRef.current?.(first, last);
  }, [first, last, rowCount]);

  useImperativeHandle(props.ref, () => ({
    focus: () => scrollRef.current?.focus({ preventScroll: true }),
    scrollToIndex: (i) => virtualizer.scrollToIndex(i, { align: 'auto' }),
    element: () => scrollRef.current,
  }));

  const pageSize = Math.max(1, Math.floor((scrollRef.current?.clientHeight || props.initialHeight || 600) / rowHeight) - 1);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (rowCount === 0) return;
    const at = activeIndex ?? -1;
    // a cursor between rows (before row `at`): ↓ takes row `at`, ↑ the one above
    const between = props.showActive === false && at >= 0;
    let next: number | null = null;
    switch (e.key) {
      case 'ArrowDown':
        next = Math.min(rowCount - 1, between ? at : at + 1);
        break;
      case 'ArrowUp':
        next = Math.max(0, at - 1);
        break;
      case 'PageDown':
        next = Math.min(rowCount - 1, at + pageSize);
        break;
      case 'PageUp':
        next = Math.max(0, at - pageSize);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = rowCount - 1;
        break;
      case 'Enter':
        if (activeIndex !== null && onOpen) {
          e.preventDefault();
          onOpen(activeIndex);
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    // only keyboard moves scroll: a live refresh that moves the active row leaves the scroll alone
    virtualizer.scrollToIndex(next, { align: 'auto' });
    onActiveIndexChange(next);
  };

  // functions read through a ref, so a memoized row re-renders only when its own data changes
  const fns = useRef<RowFns<T>>({ onActiveIndexChange, onOpen, rowClassName: props.rowClassName, rowData: props.rowData });
  fns.current = { onActiveIndexChange, onOpen, rowClassName: props.rowClassName, rowData: props.rowData };

  const template = columns.map((c) => c.width).join(' ');
  const gridStyle: CSSProperties = { gridTemplateColumns: template };
  const activeRow = activeIndex !== null ? getRow(activeIndex) : undefined;

  return (
    <div className="vtable" data-testid={props.testId}>
      <div className="vtable__head" role="row" style={gridStyle}>
        {columns.map((c) => (
          <div key={c.id} role="columnheader" className={`vtable__th vtable__cell--${c.align ?? 'start'}`} title={c.title}>
            {c.header}
          </div>
        ))}
      </div>
      <div
        ref={scrollRef}
        className="vtable__body"
        role="grid"
        aria-label={props.ariaLabel}
        aria-rowcount={rowCount}
        aria-activedescendant={activeRow !== undefined && activeIndex !== null && props.showActive !== false ? `${idBase}-${activeIndex}` : undefined}
        tabIndex={0}
        onKeyDown={onKeyDown}
        data-testid={props.testId ? `${props.testId}-body` : undefined}
        data-rows={rowCount}
      >
        {rowCount === 0 ? (
          <div className="vtable__empty">{props.emptyText}</div>
        ) : (
          <div className="vtable__space" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const row = getRow(item.index);
              const active = item.index === activeIndex && props.showActive !== false;
              const style: CSSProperties = { ...gridStyle, height: rowHeight, transform: `translateY(${item.start}px)` };
              if (row === undefined) {
                return (
                  <div key={`p-${item.index}`} className="vtable__row vtable__row--loading" style={style} role="row" aria-rowindex={item.index + 1} aria-busy="true">
                    <div className="vtable__placeholder">{props.loadingText}</div>
                  </div>
                );
              }
              const key = props.getRowKey(row);
              return (
                <VirtualRow
                  key={key}
                  rowKey={key}
                  row={row}
                  index={item.index}
                  start={item.start}
                  height={rowHeight}
                  template={template}
                  active={active}
                  selected={props.selectedKey != null && key === props.selectedKey}
                  columns={columns}
                  idBase={idBase}
                  fns={fns}
                />
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}

interface RowFns<T> {
  onActiveIndexChange: (index: number) => void;
  onOpen?: (index: number) => void;
  rowClassName?: (row: T) => string;
  rowData?: (row: T) => Record<string, string>;
}

interface VirtualRowProps<T> {
  rowKey: string;
  row: T;
  index: number;
  start: number;
  height: number;
  template: string;
  active: boolean;
  selected: boolean;
  columns: readonly Column<T>[];
  idBase: string;
  fns: RefObject<RowFns<T>>;
}

/**
 * One row. Memoized: while scrolling, rows already in view keep their index,
 * position and data, so only the rows entering the window render.
 */
function VirtualRowImpl<T>(p: VirtualRowProps<T>) {
  const f = p.fns.current!;
  const data = Object.fromEntries(Object.entries(f.rowData?.(p.row) ?? {}).map(([k, v]) => [`data-${k}`, v]));
  const style: CSSProperties = { gridTemplateColumns: p.template, height: p.height, transform: `translateY(${p.start}px)` };
  return (
    <div
      id={`${p.idBase}-${p.index}`}
      className={`vtable__row${p.active ? ' vtable__row--active' : ''}${p.selected ? ' vtable__row--selected' : ''} ${f.rowClassName?.(p.row) ?? ''}`}
      style={style}
      role="row"
      aria-rowindex={p.index + 1}
      aria-selected={p.selected || p.active}
      data-index={p.index}
      data-key={p.rowKey}
      {...data}
      onMouseDown={() => p.fns.current!.onActiveIndexChange(p.index)}
      onDoubleClick={() => p.fns.current!.onOpen?.(p.index)}
    >
      {p.columns.map((c) => (
        <div key={c.id} role="gridcell" className={`vtable__cell vtable__cell--${c.align ?? 'start'}`}>
          {c.cell(p.row, p.index)}
        </div>
      ))}
    </div>
  );
}

const VirtualRow = memo(VirtualRowImpl) as typeof VirtualRowImpl;
