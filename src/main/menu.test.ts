import { describe, expect, it, vi } from 'vitest';
import type { DisplayLike } from './displays';
import { buildMenuTemplate, displayName, displaySelector, type MenuItemSpec } from './menu';

const display = (id: number, x: number, label: string, width = 1920, height = 1080): DisplayLike => ({
  id,
  label,
  bounds: { x, y: 0, width, height },
  workArea: { x, y: 0, width, height: height - 40 },
});
const desk = display(1, 0, 'Built-in');
const wallA = display(2, 1920, 'LG 86UN', 3840, 2160);
const wallB = display(3, 5760, 'LG 86UN', 3840, 2160);

function wallMenu(template: MenuItemSpec[]): MenuItemSpec[] {
  const menu = template.find((m) => m.label === '大屏' || m.label === 'Wall');
  expect(menu, 'a wall menu').toBeDefined();
  return menu!.submenu!;
}

describe('the wall menu', () => {
  it('lists every display, secondary ones first, checks the wall’s, and acts on a choice', () => {
    const showWallOn = vi.fn();
    const closeWall = vi.fn();
    const items = wallMenu(buildMenuTemplate({ displays: [desk, wallA], primaryId: 1, wallDisplayId: 2, locale: 'zh-CN', showWallOn, closeWall }));
    const radios = items.filter((i) => i.type === 'radio');
    expect(radios.map((r) => r.label)).toEqual(['在「LG 86UN (3840×2160)」上显示大屏', '在「Built-in (1920×1080, 主显示器)」上显示大屏']);
    expect(radios.map((r) => r.checked)).toEqual([true, false]);
    radios[1]!.click!();
    expect(showWallOn).toHaveBeenCalledWith(desk);
    const close = items.find((i) => i.label === '关闭大屏')!;
    expect(close.enabled).toBe(true);
    close.click!();
    expect(closeWall).toHaveBeenCalledOnce();
  });

  it('offers no close without a wall window, and speaks English on an English system', () => {
    const items = wallMenu(buildMenuTemplate({ displays: [desk], primaryId: 1, wallDisplayId: null, locale: 'en-US', showWallOn: vi.fn(), closeWall: vi.fn() }));
    expect(items.find((i) => i.label === 'Close the wall')!.enabled).toBe(false);
    expect(items.filter((i) => i.type === 'radio').map((r) => [r.label, r.checked])).toEqual([['Show the wall on “Built-in (1920×1080, primary)”', false]]);
  });

  it('names a display without a label by its id', () => {
    expect(displayName(display(7, 0, '  '), 1, 'en')).toBe('#7 (1920×1080)');
  });
});

describe('remembering the display', () => {
  it('by a unique label, else by id', () => {
    expect(displaySelector(wallA, [desk, wallA])).toBe('LG 86UN');
    // two identical monitors: the label would be ambiguous
    expect(displaySelector(wallA, [desk, wallA, wallB])).toBe(2);
    expect(displaySelector(display(4, 0, ''), [desk])).toBe(4);
  });
});
