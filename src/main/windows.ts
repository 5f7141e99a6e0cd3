/**
 * The two kinds of window: the workstation (a normal window on the primary
 * display, `?mode=workstation`) and the wall (frameless, full screen on its
 * display, `?mode=wall`). Both load the renderer from app:// with the hardened
 * webPreferences below, and both are kept in a registry that the IPC sender
 * check asks "is this frame the main frame of one of ours?".
 */
import { BrowserWindow, type BrowserWindowConstructorOptions, type WebPreferences } from 'electron';
import { appUrl } from './app-url';
import { centredBounds, type DisplayLike } from './displays';
import { sameFrame, type EventTargetLike, type FrameLike } from './validated-ipc';

export type WindowKind = 'workstation' | 'wall';

/** contextIsolation, sandbox, no Node, web security on; nothing else is allowed to change them. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
    navigateOnDragDrop: false,
  };
}

const BACKGROUND = '#0b1220';

export function windowOptions(kind: WindowKind, display: DisplayLike, preloadPath: string): BrowserWindowConstructorOptions {
  const common: BrowserWindowConstructorOptions = {
    show: false,
    backgroundColor: BACKGROUND,
    title: kind === 'wall' ? '呼应 · 大屏' : '呼应',
    webPreferences: secureWebPreferences(preloadPath),
  };
  if (kind === 'wall') {
    return { ...common, ...display.bounds, frame: false, fullscreen: true, autoHideMenuBar: true };
  }
  return { ...common, ...centredBounds(display, { width: 1600, height: 1000 }), minWidth: 1024, minHeight: 640 };
}

/**
 * The page a window of this kind loads. Both name their mode: the renderer
 * remembers the last mode in localStorage, which the two windows share (one
 * origin), so a workstation without `?mode` would reopen as a wall.
 */
export function windowUrl(kind: WindowKind): string {
  return appUrl('index.html', { mode: kind });
}

/** Our windows, for the sender check and the event fan-out. */
export class WindowRegistry {
  private readonly windows = new Map<WindowKind, BrowserWindow>();

  set(kind: WindowKind, win: BrowserWindow): void {
    this.windows.set(kind, win);
    win.on('closed', () => {
      if (this.windows.get(kind) === win) this.windows.delete(kind);
    });
  }

  /** Forgets a window at once (before its asynchronous 'closed'), e.g. to replace it. */
  delete(kind: WindowKind): void {
    this.windows.delete(kind);
  }

  get(kind: WindowKind): BrowserWindow | undefined {
    return this.windows.get(kind);
  }

  all(): BrowserWindow[] {
    return [...this.windows.values()].filter((w) => !w.isDestroyed());
  }

  /** For validated-ipc: the frame must be one of our windows' main frame. */
  isOurMainFrame = (frame: FrameLike): boolean =>
    this.all().some((w) => sameFrame(w.webContents.mainFrame, frame));

  /** For validated-ipc: where pushed events go. */
  targets = (): EventTargetLike[] => this.all().map((w) => w.webContents);
}

/** Opens a window of `kind` on `display`, shows it once painted, and registers it. */
export function openWindow(kind: WindowKind, display: DisplayLike, preloadPath: string, registry: WindowRegistry): BrowserWindow {
  const win = new BrowserWindow(windowOptions(kind, display, preloadPath));
  win.once('ready-to-show', () => win.show());
  registry.set(kind, win);
  void win.loadURL(windowUrl(kind));
  return win;
}
