/**
 * Main's wiring against a mocked `electron`: single-instance lock, the order
 * of start-up (embedded data center → its URL into the data service and the
 * CSP → windows → once the data service is live, the image keeper), --wall,
 * another data center from the command line, --no-image-keeper, and a clean
 * shutdown of the utility processes on quit.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const userData = mkdtempSync(path.join(os.tmpdir(), 'huying-main-'));
afterAll(() => rmSync(userData, { recursive: true, force: true }));

const electron = await vi.hoisted(async () => {
  // imports are not initialised yet when hoisted code runs
  const { EventEmitter } = await import('node:events');
  class Child extends EventEmitter {
    readonly sent: unknown[] = [];
    constructor(
      readonly modulePath: string,
      readonly args: string[],
      readonly options: { env?: Record<string, string | undefined>; serviceName?: string },
    ) {
      super();
    }
    postMessage(message: unknown) {
      this.sent.push(message);
      // both children exit when told to shut down
      const m = message as { type?: string; t?: string };
      if (m.type === 'shutdown' || m.t === 'shutdown') setImmediate(() => this.emit('exit', 0));
    }
    kill() {
      return true;
    }
  }
  class BrowserWindow extends EventEmitter {
    static all: BrowserWindow[] = [];
    loaded = '';
    closed = false;
    /** what main pushed to this window: [channel, ...args] */
    readonly pushed: unknown[][] = [];
    readonly webContents = {
      mainFrame: { url: 'app://huying/index.html', processId: 1, routingId: 1 },
      send: (...args: unknown[]) => this.pushed.push(args),
      isDestroyed: () => false,
    };
    constructor(readonly options: Record<string, unknown>) {
      super();
      BrowserWindow.all.push(this);
    }
    async loadURL(url: string) {
      this.loaded = url;
    }
    isDestroyed() {
      return false;
    }
    show() {}
    close() {
      this.closed = true;
      setImmediate(() => this.emit('closed'));
    }
  }
  const display = (id: number, x: number) => ({
    id,
    label: `screen ${id}`,
    bounds: { x, y: 0, width: 1920, height: 1080 },
    workArea: { x, y: 0, width: 1920, height: 1040 },
  });
  const state = {
    lock: true,
    ready: null as null | (() => void),
    children: [] as Child[],
    displays: [display(1, 0)],
  };
  const app = Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: vi.fn(() => state.lock),
    whenReady: vi.fn(() => new Promise<void>((resolve) => (state.ready = resolve))),
    enableSandbox: vi.fn(),
    setPath: vi.fn(),
    getPath: vi.fn(() => ''),
    getLocale: vi.fn(() => 'zh-CN'),
    getVersion: vi.fn(() => '0.1.0'),
    isReady: vi.fn(() => true),
    quit: vi.fn(),
    exit: vi.fn(),
  });
  return {
    state,
    display,
    Child,
    app,
    BrowserWindow,
    dialog: { showErrorBox: vi.fn() },
    Menu: { buildFromTemplate: vi.fn((template: unknown[]) => ({ template })), setApplicationMenu: vi.fn() },
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    session: { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() } },
    shell: { openExternal: vi.fn() },
    screen: Object.assign(new EventEmitter(), {
      getAllDisplays: () => state.displays,
      getPrimaryDisplay: () => state.displays[0],
    }),
    utilityProcess: {
      fork: vi.fn((modulePath: string, args: string[], options: Child['options']) => {
        const child = new Child(modulePath, args, options);
        state.children.push(child);
        return child;
      }),
    },
  };
});
vi.mock('electron', () => electron);

const argv = process.argv;
const env = { ...process.env };

beforeEach(() => {
  vi.resetModules();
  vi.clearAllMocks();
  electron.app.removeAllListeners();
  electron.screen.removeAllListeners();
  electron.state.lock = true;
  electron.state.children = [];
  electron.state.displays = [electron.display(1, 0)];
  electron.BrowserWindow.all = [];
  electron.app.getPath.mockReturnValue(userData);
  process.argv = ['electron', '.'];
  delete process.env.HUYING_DATACENTER_URL;
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterEach(() => {
  process.argv = argv;
  process.env = { ...env };
  vi.restoreAllMocks();
});

async function flush() {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** Imports main, lets the app become ready and the embedded data center report its URL. */
async function boot() {
  await import('./index');
  expect(electron.app.enableSandbox).toHaveBeenCalled();
  expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalled();
  electron.state.ready?.();
  await flush();
}

describe('main', () => {
  it('quits at once when another instance holds the lock', async () => {
    electron.state.lock = false;
    await import('./index');
    expect(electron.app.quit).toHaveBeenCalled();
    expect(electron.app.whenReady).not.toHaveBeenCalled();
  });

  it('starts the embedded data center, then the data service on its URL, then the workstation window', async () => {
    await boot();
    const [dc] = electron.state.children;
    expect(dc!.modulePath).toMatch(/datacenter\.js$/);
    const port = dc!.args[dc!.args.indexOf('--port') + 1]!;
    expect(Number(port)).toBeGreaterThan(0);
    expect(dc!.args).toEqual(['--host', '127.0.0.1', '--port', port, '--data', path.join(userData, 'datacenter'), '--seed', 'demo', '--demo-activity', '--images', path.join(userData, 'images')]);
    const url = `http://127.0.0.1:${port}`;
    // the window is already open; its requests wait for the data service
    expect(electron.BrowserWindow.all.map((w) => w.loaded)).toEqual(['app://huying/index.html?mode=workstation']);
    expect(electron.state.children).toHaveLength(1);
    dc!.emit('message', { type: 'ready', url });
    await flush();

    const service = electron.state.children[1]!;
    expect(service.modulePath).toMatch(/data-service\.js$/);
    expect(service.options.env).toMatchObject({
      HUYING_DATACENTER_URL: url,
      HUYING_DATA_DIR: path.join(userData, 'replica'),
    });
    expect(electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
    expect(electron.ipcMain.handle).toHaveBeenCalledWith('huying:invoke', expect.any(Function));
    expect(electron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled();

    // the CSP lets the renderer reach the data center
    const serve = electron.protocol.handle.mock.calls[0]![1] as (r: Request) => Promise<Response>;
    const res = await serve(new Request('app://huying/index.html'));
    expect(res.headers.get('content-security-policy')).toContain(`connect-src 'self' ${url} ws://127.0.0.1:${port}`);

    expect(electron.BrowserWindow.all.map((w) => w.loaded)).toEqual(['app://huying/index.html?mode=workstation']);
    expect(electron.BrowserWindow.all[0]!.options).toMatchObject({ webPreferences: { sandbox: true, contextIsolation: true } });
  });

  it("shows the windows that the embedded data center migrates its store, then the plain starting message", async () => {
    await boot();
    const [dc] = electron.state.children;
    const [win] = electron.BrowserWindow.all;
    const invoke = electron.ipcMain.handle.mock.calls[0]![1] as (event: unknown, name: string, args: unknown) => Promise<unknown>;
    const askStatus = () => invoke({ senderFrame: win!.webContents.mainFrame }, 'sync/status', {});
    const lastPushed = () => win!.pushed.filter(([channel, name]) => channel === 'huying:event' && name === 'sync/status').at(-1)?.[2];
    const migrating = '数据中心正在升级存储（迁移 2/3：sync-rows-text），大库可能需要几分钟，请勿关闭…';
    await expect(askStatus()).resolves.toMatchObject({ ok: true, result: { state: 'connecting', message: '正在启动数据中心和数据服务…' } });

    dc!.emit('message', { type: 'migration', phase: 'start', id: 8, name: 'sync-rows-text', index: 2, count: 3 });
    expect(lastPushed()).toMatchObject({ state: 'connecting', message: migrating });
    await expect(askStatus()).resolves.toMatchObject({ ok: true, result: { state: 'connecting', message: migrating } });
    // the log line stays
    expect(console.log).toHaveBeenCalledWith(expect.stringContaining('migrating its store (migration 8 sync-rows-text, 2 of 3)'));

    dc!.emit('message', { type: 'migration', phase: 'done', id: 8, name: 'sync-rows-text', index: 2, count: 3 });
    expect(lastPushed()).toMatchObject({ state: 'connecting', message: '正在启动数据中心和数据服务…' });
    await expect(askStatus()).resolves.toMatchObject({ ok: true, result: { message: '正在启动数据中心和数据服务…' } });
  });

  it('starts an image keeper next to the embedded data center once the data service is live, and restarts it when it exits', async () => {
    await boot();
    const [dc] = electron.state.children;
    const url = `http://127.0.0.1:${dc!.args[dc!.args.indexOf('--port') + 1]}`;
    dc!.emit('message', { type: 'ready', url });
    await flush();
    const service = electron.state.children[1]!;
    service.emit('message', { t: 'ready' });
    await flush();
    // main listens to the data service's status; the keeper waits for its first snapshot
    expect(service.sent).toContainEqual({ t: 'sub', name: 'sync/status' });
    service.emit('message', { t: 'evt', name: 'sync/status', payload: { state: 'snapshot' } });
    await flush();
    expect(electron.state.children).toHaveLength(2);
    service.emit('message', { t: 'evt', name: 'sync/status', payload: { state: 'live' } });
    await flush();

    const keeper = electron.state.children[2]!;
    expect(keeper.modulePath).toMatch(/image-keeper\.js$/);
    expect(keeper.args).toEqual([]);
    expect(keeper.options.serviceName).toBe('Huying image keeper');
    expect(keeper.options.env).toMatchObject({
      HUYING_KEEPER_DATACENTER_URL: url,
      HUYING_KEEPER_IMAGES_DIR: path.join(userData, 'images'),
      HUYING_KEEPER_DATA_DIR: path.join(userData, 'image-keeper'),
      HUYING_KEEPER_USER: 'wall',
      HUYING_KEEPER_PASSWORD: 'huying-demo',
    });
    keeper.emit('message', { t: 'ready', scope: 'district', imagesDir: path.join(userData, 'images'), image: null });
    // live again later: still one keeper
    service.emit('message', { t: 'evt', name: 'sync/status', payload: { state: 'live' } });
    await flush();
    expect(electron.state.children).toHaveLength(3);

    // it crashes: the app and the data center go on, and it is forked again
    vi.useFakeTimers();
    try {
      keeper.emit('exit', 134);
      expect(electron.app.exit).not.toHaveBeenCalled();
      expect(electron.dialog.showErrorBox).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1000);
    } finally {
      vi.useRealTimers();
    }
    expect(electron.state.children).toHaveLength(4);
    const again = electron.state.children[3]!;
    expect(again.modulePath).toMatch(/image-keeper\.js$/);
    again.emit('message', { t: 'ready', scope: 'district', imagesDir: path.join(userData, 'images'), image: null });

    // quit: every child is told to shut down
    electron.app.emit('before-quit', { preventDefault: vi.fn() });
    await flush();
    expect(again.sent).toEqual([{ t: 'shutdown' }]);
    expect(service.sent).toContainEqual({ t: 'shutdown' });
    expect(dc!.sent).toContainEqual({ type: 'shutdown' });
    expect(electron.app.quit).toHaveBeenCalled();
  });

  it('runs no image keeper with --no-image-keeper', async () => {
    process.argv = ['electron', '.', '--no-image-keeper'];
    await boot();
    const [dc] = electron.state.children;
    expect(dc!.args).not.toContain('--images');
    dc!.emit('message', { type: 'ready', url: 'http://127.0.0.1:1' });
    await flush();
    const service = electron.state.children[1]!;
    service.emit('message', { t: 'ready' });
    service.emit('message', { t: 'evt', name: 'sync/status', payload: { state: 'live' } });
    await flush();
    expect(electron.state.children).toHaveLength(2);
  });

  it('runs no image keeper with another data center', async () => {
    process.argv = ['electron', '.', '--datacenter', 'https://dc.example.org'];
    await boot();
    const [service] = electron.state.children;
    service!.emit('message', { t: 'ready' });
    service!.emit('message', { t: 'evt', name: 'sync/status', payload: { state: 'live' } });
    await flush();
    expect(electron.state.children).toHaveLength(1);
  });

  it('uses a data center from the command line and opens the wall with --wall', async () => {
    process.argv = ['electron', '.', '--datacenter', 'https://dc.example.org', '--wall'];
    electron.state.displays = [electron.display(1, 0), electron.display(2, 1920)];
    await boot();
    expect(electron.state.children).toHaveLength(1);
    expect(electron.state.children[0]!.options.env).toMatchObject({ HUYING_DATACENTER_URL: 'https://dc.example.org' });
    const urls = electron.BrowserWindow.all.map((w) => w.loaded);
    expect(urls).toEqual(['app://huying/index.html?mode=workstation', 'app://huying/index.html?mode=wall']);
    expect(electron.BrowserWindow.all[1]!.options).toMatchObject({ x: 1920, fullscreen: true });
  });

  it('shows an error and exits when the configuration is wrong', async () => {
    process.argv = ['electron', '.', '--datacenter', 'dc.example.org'];
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await boot();
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith('呼应无法启动', expect.stringContaining('--datacenter'));
    await flush();
    expect(electron.app.exit).toHaveBeenCalledWith(1);
    expect(electron.BrowserWindow.all).toHaveLength(0);
  });

  it('on quit, shuts both children down before quitting for real', async () => {
    await boot();
    electron.state.children[0]!.emit('message', { type: 'ready', url: 'http://127.0.0.1:1' });
    await flush();
    const service = electron.state.children[1]!;
    service.emit('message', { t: 'ready' });

    const event = { preventDefault: vi.fn() };
    electron.app.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(electron.app.quit).not.toHaveBeenCalled();
    await flush();
    expect(service.sent).toContainEqual({ t: 'shutdown' });
    expect(electron.state.children[0]!.sent).toContainEqual({ type: 'shutdown' });
    expect(electron.ipcMain.removeHandler).toHaveBeenCalledWith('huying:invoke');
    expect(electron.app.quit).toHaveBeenCalled();

    // the second before-quit (from our app.quit) goes through
    const second = { preventDefault: vi.fn() };
    electron.app.emit('before-quit', second);
    expect(second.preventDefault).not.toHaveBeenCalled();
  });

  it('moves the wall between displays from the 大屏 menu and remembers the choice in config.json', async () => {
    const config = path.join(userData, 'config.json');
    rmSync(config, { force: true });
    electron.state.displays = [electron.display(1, 0), electron.display(2, 1920), electron.display(3, 3840)];
    await boot();
    // no wall configured: only the workstation
    expect(electron.BrowserWindow.all.map((w) => w.loaded)).toEqual(['app://huying/index.html?mode=workstation']);
    type Item = { label?: string; type?: string; checked?: boolean; enabled?: boolean; click?: () => void; submenu?: Item[] };
    const wallMenu = () => {
      const calls = electron.Menu.buildFromTemplate.mock.calls;
      const template = calls[calls.length - 1]![0] as Item[];
      return template.find((m) => m.label === '大屏')!.submenu!;
    };
    const radios = () => wallMenu().filter((i) => i.type === 'radio');
    expect(radios().map((r) => r.checked)).toEqual([false, false, false]);
    expect(electron.Menu.setApplicationMenu).toHaveBeenCalled();

    radios().find((r) => r.label!.includes('screen 3'))!.click!();
    expect(electron.BrowserWindow.all).toHaveLength(2);
    expect(electron.BrowserWindow.all[1]!.options).toMatchObject({ x: 3840, fullscreen: true });
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ wallDisplay: 'screen 3' });
    expect(radios().find((r) => r.checked)!.label).toContain('screen 3');

    // to another display: the old window closes, a new one opens there
    radios().find((r) => r.label!.includes('screen 2'))!.click!();
    await flush();
    expect(electron.BrowserWindow.all[1]!.closed).toBe(true);
    expect(electron.BrowserWindow.all[2]!.options).toMatchObject({ x: 1920, fullscreen: true });
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ wallDisplay: 'screen 2' });
    expect(radios().find((r) => r.checked)!.label).toContain('screen 2');

    wallMenu().find((i) => i.label === '关闭大屏')!.click!();
    await flush();
    expect(electron.BrowserWindow.all[2]!.closed).toBe(true);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({});
    expect(radios().some((r) => r.checked)).toBe(false);
    expect(wallMenu().find((i) => i.label === '关闭大屏')!.enabled).toBe(false);
    // a display plugged in later does not bring the closed wall back
    electron.screen.emit('display-added');
    expect(electron.BrowserWindow.all).toHaveLength(3);
  });
});
