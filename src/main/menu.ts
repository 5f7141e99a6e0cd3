/**
 * The application menu (issue 5, point 6: "menu and config to choose" the
 * wall's display). A 大屏 / Wall menu lists every connected display; choosing
 * one opens the full-screen wall window there (moving it if it is open
 * elsewhere) and remembers the choice in config.json, so the next start puts
 * the wall on the same screen. "Close the wall" closes it and forgets the
 * choice. The menu is rebuilt when displays come and go.
 *
 * Pure: it returns plain objects shaped like Electron's
 * MenuItemConstructorOptions (main passes them to Menu.buildFromTemplate), so
 * it is tested without Electron.
 */
import type { DisplayLike } from './displays';

export interface MenuItemSpec {
  label?: string;
  role?: 'quit' | 'reload' | 'forceReload' | 'toggleDevTools' | 'togglefullscreen' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'copy' | 'paste' | 'cut' | 'selectAll' | 'undo' | 'redo';
  type?: 'normal' | 'separator' | 'radio' | 'checkbox' | 'submenu';
  accelerator?: string;
  checked?: boolean;
  enabled?: boolean;
  submenu?: MenuItemSpec[];
  click?: () => void;
}

export interface MenuModel {
  displays: readonly DisplayLike[];
  primaryId: number;
  /** the display the wall window is on now, null: no wall window */
  wallDisplayId: number | null;
  locale: string;
  /** open the wall window on `display` (moving it there if it is open) and remember the choice */
  showWallOn(display: DisplayLike): void;
  /** close the wall window and forget the configured display */
  closeWall(): void;
}

const zhCN = {
  app: '呼应',
  wall: '大屏',
  showOn: (name: string) => `在「${name}」上显示大屏`,
  primary: '主显示器',
  close: '关闭大屏',
  view: '视图',
  edit: '编辑',
  hint: '选择后记住，下次启动仍在该显示器',
};
const en: typeof zhCN = {
  app: 'Huying',
  wall: 'Wall',
  showOn: (name: string) => `Show the wall on “${name}”`,
  primary: 'primary',
  close: 'Close the wall',
  view: 'View',
  edit: 'Edit',
  hint: 'The choice is remembered for the next start',
};

/** A display's name in the menu: its label, its size, and whether it is the primary one. */
export function displayName(d: DisplayLike, primaryId: number, locale: string): string {
  const t = locale.toLowerCase().startsWith('en') ? en : zhCN;
  const label = d.label.trim() || `#${d.id}`;
  const size = `${d.bounds.width}×${d.bounds.height}`;
  return d.id === primaryId ? `${label} (${size}, ${t.primary})` : `${label} (${size})`;
}

export function buildMenuTemplate(m: MenuModel): MenuItemSpec[] {
  const t = m.locale.toLowerCase().startsWith('en') ? en : zhCN;
  // secondary displays first: that is where a wall usually goes
  const ordered = [...m.displays].sort((a, b) => Number(a.id === m.primaryId) - Number(b.id === m.primaryId) || a.bounds.x - b.bounds.x);
  const wallItems: MenuItemSpec[] = ordered.map((d) => ({
    label: t.showOn(displayName(d, m.primaryId, m.locale)),
    type: 'radio',
    checked: m.wallDisplayId === d.id,
    click: () => m.showWallOn(d),
  }));
  return [
    { label: t.app, submenu: [{ role: 'quit' }] },
    { label: t.edit, submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: t.view,
      submenu: [{ role: 'reload' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }, { role: 'toggleDevTools' }],
    },
    {
      label: t.wall,
      submenu: [
        ...wallItems,
        { type: 'separator' },
        { label: t.close, enabled: m.wallDisplayId !== null, click: () => m.closeWall() },
        { label: t.hint, enabled: false },
      ],
    },
  ];
}

/**
 * How to remember a display in config.json: by its label when that label is
 * unique among the connected displays (ids can change between boots and
 * docks), else by id.
 */
export function displaySelector(d: DisplayLike, displays: readonly DisplayLike[]): number | string {
  const label = d.label.trim();
  if (label && displays.filter((x) => x.label.trim().toLowerCase() === label.toLowerCase()).length === 1) return label;
  return d.id;
}
