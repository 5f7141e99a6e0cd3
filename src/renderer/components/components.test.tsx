// @vitest-environment happy-dom
/**
 * Keyboard and focus behaviour of the shared primitives: combos match the
 * keys they name, global shortcuts are quiet in text fields and under a
 * dialog, a dialog gives the focus back (or to the fallback when the element
 * is gone), the palette finds and runs commands, the combobox picks by keyboard.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CommandPalette, filterCommands, fuzzyScore, type PaletteCommand } from './CommandPalette';
import { Combobox } from './Combobox';
import { Dialog } from './Dialog';
import { formatCombo, isTypingTarget, matchesCombo, modalOpen, parseCombo, useHotkeys } from './hotkeys';

afterEach(cleanup);

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'shiftKey' | 'altKey' | 'metaKey', boolean>> = {}) => ({ key: k, ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...mods });
const flush = () => act(async () => await new Promise((r) => setTimeout(r, 0)));

describe('combos', () => {
  it('match exactly the keys they name', () => {
    expect(matchesCombo(key('k', { ctrlKey: true }), parseCombo('mod+k'), false)).toBe(true);
    expect(matchesCombo(key('k', { metaKey: true }), parseCombo('mod+k'), true)).toBe(true);
    expect(matchesCombo(key('k'), parseCombo('mod+k'), false)).toBe(false);
    expect(matchesCombo(key('G', { shiftKey: true }), parseCombo('shift+g'), false)).toBe(true);
    expect(matchesCombo(key('g', { shiftKey: false }), parseCombo('shift+g'), false)).toBe(false);
    expect(matchesCombo(key('G', { shiftKey: true }), parseCombo('g'), false)).toBe(false);
    // "?" is typed with Shift on most layouts; the key itself decides
    expect(matchesCombo(key('?', { shiftKey: true }), parseCombo('?'), false)).toBe(true);
    expect(matchesCombo(key('Escape'), parseCombo('escape'), false)).toBe(true);
    expect(formatCombo('mod+k', false)).toBe('Ctrl+K');
    expect(formatCombo('shift+c', false)).toBe('Shift+C');
  });

  it('knows when keys go to a text field', () => {
    const input = document.createElement('input');
    const box = document.createElement('input');
    box.type = 'checkbox';
    expect(isTypingTarget(input)).toBe(true);
    expect(isTypingTarget(document.createElement('textarea'))).toBe(true);
    expect(isTypingTarget(box)).toBe(false);
    expect(isTypingTarget(document.createElement('button'))).toBe(false);
  });
});

function Shortcuts({ onD, onPalette }: { onD: () => void; onPalette: () => void }) {
  useHotkeys([
    { combo: 'd', run: onD },
    { combo: 'mod+k', run: onPalette, inInputs: true },
  ]);
  return <input data-testid="field" />;
}

describe('useHotkeys', () => {
  it('fires single keys outside text fields only, mod+k everywhere, nothing under a dialog', async () => {
    const onD = vi.fn();
    const onPalette = vi.fn();
    const { rerender } = render(<Shortcuts onD={onD} onPalette={onPalette} />);
    fireEvent.keyDown(document.body, { key: 'd' });
    expect(onD).toHaveBeenCalledTimes(1);
    fireEvent.keyDown(screen.getByTestId('field'), { key: 'd' });
    expect(onD).toHaveBeenCalledTimes(1);
    fireEvent.keyDown(screen.getByTestId('field'), { key: 'k', ctrlKey: true });
    expect(onPalette).toHaveBeenCalledTimes(1);

    rerender(
      <>
        <Shortcuts onD={onD} onPalette={onPalette} />
        <Dialog title="t" onClose={() => {}} closeLabel="close">
          <button>ok</button>
        </Dialog>
      </>,
    );
    expect(modalOpen()).toBe(true);
    fireEvent.keyDown(document.body, { key: 'd' });
    expect(onD).toHaveBeenCalledTimes(1);
    rerender(<Shortcuts onD={onD} onPalette={onPalette} />);
    await flush();
    expect(modalOpen()).toBe(false);
    fireEvent.keyDown(document.body, { key: 'd' });
    expect(onD).toHaveBeenCalledTimes(2);
  });
});

function DialogHarness({ removeOpener }: { removeOpener: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button data-testid="fallback">fallback</button>
      {!(open && removeOpener) && (
        <button data-testid="opener" onClick={() => setOpen(true)}>
          open
        </button>
      )}
      {open && (
        <Dialog title="Dialog" onClose={() => setOpen(false)} closeLabel="close" returnFocus={() => document.querySelector<HTMLElement>('[data-testid=fallback]')}>
          <input data-testid="first" />
          <button data-testid="last">last</button>
        </Dialog>
      )}
    </>
  );
}

describe('Dialog', () => {
  it('takes the focus, keeps Tab inside, closes on Escape and gives the focus back', async () => {
    render(<DialogHarness removeOpener={false} />);
    const opener = screen.getByTestId('opener');
    opener.focus();
    fireEvent.click(opener);
    expect(document.activeElement).toBe(screen.getByTestId('first'));
    screen.getByTestId('last').focus();
    fireEvent.keyDown(screen.getByTestId('last'), { key: 'Tab' });
    expect(document.activeElement).toBe(screen.getByTestId('first'));
    fireEvent.keyDown(screen.getByTestId('first'), { key: 'Escape' });
    await flush();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('opener'));
  });

  it('falls back when the element focused before is gone', async () => {
    render(<DialogHarness removeOpener />);
    screen.getByTestId('opener').focus();
    fireEvent.click(screen.getByTestId('opener'));
    fireEvent.keyDown(screen.getByTestId('first'), { key: 'Escape' });
    await flush();
    expect(document.activeElement).toBe(screen.getByTestId('fallback'));
  });
});

describe('CommandPalette', () => {
  const commands = (run: (id: string) => void): PaletteCommand[] =>
    ['派遣 Dispatch', '立案 File', '督办 Supervise', '待派遣 To dispatch'].map((label, i) => ({ id: `c${i}`, label, group: 'g', run: () => run(`c${i}`) }));

  it('scores subsequences, word starts first', () => {
    expect(fuzzyScore('dsp', 'Dispatch')).not.toBeNull();
    expect(fuzzyScore('xyz', 'Dispatch')).toBeNull();
    expect(filterCommands(commands(() => {}), '派遣').map((c) => c.id)).toEqual(['c0', 'c3']);
    expect(filterCommands(commands(() => {}), 'sup')[0]!.id).toBe('c2');
  });

  it('filters by typing and runs the highlighted command with Enter after closing', async () => {
    const ran = vi.fn();
    const onClose = vi.fn();
    render(<CommandPalette commands={commands(ran)} onClose={onClose} title="Commands" placeholder="…" emptyText="none" closeLabel="close" />);
    const input = screen.getByTestId('palette-input');
    expect(document.activeElement).toBe(input);
    fireEvent.change(input, { target: { value: 'file' } });
    expect(screen.getAllByRole('option').map((o) => o.dataset.command)).toEqual(['c1']);
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onClose).toHaveBeenCalled();
    await flush();
    expect(ran).toHaveBeenCalledWith('c1');
  });
});

describe('Combobox', () => {
  it('filters options as one types and takes one with the keyboard', () => {
    const onChange = vi.fn();
    render(
      <Combobox
        label="unit"
        testId="combo"
        options={[
          { value: 'dept-cg', label: '城管局', hint: '区直部门' },
          { value: 'dept-sw', label: '水务局', hint: '区直部门' },
        ]}
        value={null}
        onChange={onChange}
        emptyText="none"
      />,
    );
    const input = screen.getByRole('combobox');
    fireEvent.change(input, { target: { value: '水' } });
    expect(screen.getAllByRole('option').map((o) => o.dataset.value)).toEqual(['dept-sw']);
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onChange).toHaveBeenCalledWith('dept-sw');
  });
});
