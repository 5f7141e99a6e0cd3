import { describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => {
  class BrowserWindow {
    static created: BrowserWindow[] = [];
    readonly events = new Map<string, (() => void)[]>();
    destroyed = false;
    loaded: string | null = null;
    shown = false;
    readonly webContents: { mainFrame: { url: string; processId: number; routingId: number }; send: () => void; isDestroyed: () => boolean };
    constructor(readonly options: Record<string, unknown>) {
      const id = BrowserWindow.created.length + 1;
      this.webContents = {
        mainFrame: { url: 'app://huying/index.html', processId: 100 + id, routingId: 1 },
        send: () => {},
        isDestroyed: () => this.destroyed,
      };
      BrowserWindow.created.push(this);
    }
    on(event: string, fn: () => void) {
      this.events.set(event, [...(this.events.get(event) ?? []), fn]);
      return this;
    }
    once(event: string, fn: () => void) {
      return this.on(event, fn);
    }
    emit(event: string) {
      for (const fn of this.events.get(event) ?? []) fn();
    }
    show() {
      this.shown = true;
    }
    isDestroyed() {
      return this.destroyed;
    }
    async loadURL(url: string) {
      this.loaded = url;
    }
  }
  return { BrowserWindow };
});
vi.mock('electron', () => electron);

import { planWindows, findDisplay, type DisplayLike } from './displays';
import { openWindow, secureWebPreferences, WindowRegistry, windowOptions, windowUrl } from './windows';

const display = (id: number, label: string, x: number): DisplayLike => ({
  id,
  label,
  bounds: { x, y: 0, width: 1920, height: 1080 },
  workArea: { x, y: 0, width: 1920, height: 1040 },
});
const PRIMARY = display(1, 'Built-in', 0);
const WALL = display(2, 'LG Video Wall', 1920);
const THIRD = display(3, 'DELL', 3840);

describe('which window on which display', () => {
  it('opens only the workstation on one display without --wall', () => {
    expect(planWindows([PRIMARY], PRIMARY, { wall: false, wallDisplay: null })).toEqual({ workstation: PRIMARY, wall: null });
  });

  it('does not open a wall for a second display that the config does not name', () => {
    expect(planWindows([PRIMARY, WALL], PRIMARY, { wall: false, wallDisplay: null }).wall).toBeNull();
    expect(planWindows([PRIMARY, WALL], PRIMARY, { wall: false, wallDisplay: 'Missing screen' }).wall).toBeNull();
  });

  it('opens the wall on the configured display (by label or id) when a second display is there', () => {
    expect(planWindows([PRIMARY, WALL, THIRD], PRIMARY, { wall: false, wallDisplay: 'dell' })).toEqual({ workstation: PRIMARY, wall: THIRD });
    expect(planWindows([PRIMARY, WALL, THIRD], PRIMARY, { wall: false, wallDisplay: 2 }).wall).toBe(WALL);
    expect(planWindows([PRIMARY, WALL, THIRD], PRIMARY, { wall: false, wallDisplay: '3' }).wall).toBe(THIRD);
    // configured, but it is the only display: no wall without --wall
    expect(planWindows([PRIMARY], PRIMARY, { wall: false, wallDisplay: 1 }).wall).toBeNull();
  });

  it('with --wall, uses the configured display, else another display, else the primary', () => {
    expect(planWindows([PRIMARY, WALL, THIRD], PRIMARY, { wall: true, wallDisplay: 'DELL' }).wall).toBe(THIRD);
    expect(planWindows([PRIMARY, WALL, THIRD], PRIMARY, { wall: true, wallDisplay: null }).wall).toBe(WALL);
    expect(planWindows([PRIMARY], PRIMARY, { wall: true, wallDisplay: null })).toEqual({ workstation: PRIMARY, wall: PRIMARY });
  });

  it('finds a display whose label is digits by label when no id matches', () => {
    const numbered = display(77, '2', 0);
    expect(findDisplay([numbered], '2')).toBe(numbered);
    expect(findDisplay([numbered], 2)).toBeUndefined();
  });
});

describe('windows', () => {
  it('locks webPreferences down', () => {
    expect(secureWebPreferences('/app/out/preload/index.cjs')).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('puts the wall full screen on its display, with ?mode=wall', () => {
    const options = windowOptions('wall', WALL, '/p.cjs');
    expect(options).toMatchObject({ x: 1920, y: 0, width: 1920, height: 1080, fullscreen: true, frame: false });
    expect(windowUrl('wall')).toBe('app://huying/index.html?mode=wall');
  });

  it('centres the workstation in the primary work area', () => {
    expect(windowOptions('workstation', PRIMARY, '/p.cjs')).toMatchObject({ x: 160, y: 20, width: 1600, height: 1000 });
    const small = { ...PRIMARY, workArea: { x: 0, y: 0, width: 1280, height: 720 } };
    expect(windowOptions('workstation', small, '/p.cjs')).toMatchObject({ x: 0, y: 0, width: 1280, height: 720 });
    expect(windowUrl('workstation')).toBe('app://huying/index.html?mode=workstation');
  });

  it('opens windows from app://, shows them when painted and knows their main frames', () => {
    const registry = new WindowRegistry();
    const ws = openWindow('workstation', PRIMARY, '/p.cjs', registry) as unknown as InstanceType<typeof electron.BrowserWindow>;
    const wall = openWindow('wall', WALL, '/p.cjs', registry) as unknown as InstanceType<typeof electron.BrowserWindow>;
    expect(ws.loaded).toBe('app://huying/index.html?mode=workstation');
    expect(wall.loaded).toBe('app://huying/index.html?mode=wall');
    expect(wall.options).toMatchObject({ fullscreen: true, webPreferences: { sandbox: true, contextIsolation: true } });
    expect(ws.shown).toBe(false);
    ws.emit('ready-to-show');
    expect(ws.shown).toBe(true);

    expect(registry.isOurMainFrame({ ...wall.webContents.mainFrame })).toBe(true);
    expect(registry.isOurMainFrame({ url: 'app://huying/index.html', processId: 999, routingId: 1 })).toBe(false);
    expect(registry.targets()).toHaveLength(2);

    wall.destroyed = true;
    wall.emit('closed');
    expect(registry.get('wall')).toBeUndefined();
    expect(registry.isOurMainFrame(wall.webContents.mainFrame)).toBe(false);
    expect(registry.targets()).toEqual([ws.webContents]);
  });
});

