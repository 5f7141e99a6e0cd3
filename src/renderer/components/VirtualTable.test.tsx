// @vitest-environment happy-dom
/**
 * The virtual table keeps only a window of rows in the DOM (10,000 rows →
 * a few dozen elements), reports the range it renders, moves the cursor by
 * keyboard and never hands the focus to a row element.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { giveTablesLayout } from './test/layout';
import { VirtualTable, type Column } from './VirtualTable';

afterEach(cleanup);
let undo: () => void;
beforeAll(() => {
  undo = giveTablesLayout();
});
afterAll(() => undo());

interface Row {
  id: string;
  n: number;
}
const columns: Column<Row>[] = [
  { id: 'n', header: 'N', width: '80px', cell: (r) => String(r.n) },
  { id: 'id', header: 'Id', width: '1fr', cell: (r) => r.id },
];

function Harness(props: { count: number; onRange?: (a: number, b: number) => void; onOpen?: (i: number) => void; loaded?: (i: number) => boolean }) {
  const [active, setActive] = useState<number | null>(null);
  return (
    <VirtualTable<Row>
      testId="t"
      rowCount={props.count}
      getRow={(i) => (props.loaded?.(i) === false ? undefined : { id: `r${i}`, n: i })}
      getRowKey={(r) => r.id}
      columns={columns}
      activeIndex={active}
      onActiveIndexChange={setActive}
      onOpen={props.onOpen}
      onRangeChange={props.onRange}
      ariaLabel="rows"
      emptyText="none"
      loadingText="…"
      initialHeight={600}
    />
  );
}

describe('VirtualTable', () => {
  it('renders a window of 10,000 rows, not all of them, and reports the range', () => {
    const onRange = vi.fn();
    render(<Harness count={10_000} onRange={onRange} />);
    const rows = screen.getByTestId('t-body').querySelectorAll('[role=row]');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(60);
    expect(screen.getByTestId('t-body').getAttribute('aria-rowcount')).toBe('10000');
    const [start, end] = onRange.mock.lastCall!;
    expect(start).toBe(0);
    expect(end).toBe(rows.length - 1);
  });

  it('moves the cursor with the keyboard and opens with Enter, the focus staying on the table', () => {
    const onOpen = vi.fn();
    render(<Harness count={10_000} onOpen={onOpen} />);
    const body = screen.getByTestId('t-body');
    body.focus();
    fireEvent.keyDown(body, { key: 'ArrowDown' });
    fireEvent.keyDown(body, { key: 'ArrowDown' });
    expect(body.getAttribute('aria-activedescendant')).toMatch(/-1$/);
    fireEvent.keyDown(body, { key: 'End' });
    expect(body.getAttribute('aria-activedescendant')).toMatch(/-9999$/);
    fireEvent.keyDown(body, { key: 'Home' });
    fireEvent.keyDown(body, { key: 'PageDown' });
    const after = Number(body.getAttribute('aria-activedescendant')!.split('-').pop());
    expect(after).toBeGreaterThan(5);
    fireEvent.keyDown(body, { key: 'Enter' });
    expect(onOpen).toHaveBeenCalledWith(after);
    expect(document.activeElement).toBe(body);
  });

  it('draws rows that are not loaded yet as placeholders', () => {
    render(<Harness count={50} loaded={(i) => i < 5} />);
    const body = screen.getByTestId('t-body');
    expect(body.querySelectorAll('[aria-busy=true]').length).toBeGreaterThan(0);
    expect(body.querySelectorAll('[data-key]').length).toBe(5);
  });

  it('scrolling renders the rows of the new window', async () => {
    const onRange = vi.fn();
    render(<Harness count={10_000} onRange={onRange} />);
    const body = screen.getByTestId('t-body');
    await act(async () => {
      body.scrollTop = 30 * 5000;
      body.dispatchEvent(new Event('scroll'));
      await new Promise((r) => setTimeout(r, 50));
    });
    const [start, end] = onRange.mock.lastCall!;
    expect(start).toBeGreaterThan(4900);
    expect(end).toBeLessThan(5100);
    expect(body.querySelector('[data-key="r5000"]')).not.toBeNull();
    expect(body.querySelector('[data-key="r0"]')).toBeNull();
  });
});
