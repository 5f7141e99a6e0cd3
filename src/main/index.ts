/**
 * Electron main: app lifecycle and wiring, nothing else. It
 *   1. takes the single-instance lock (a second start focuses the first),
 *   2. reads the configuration (config.ts),
 *   3. installs the security settings and the app:// protocol,
 *   4. bridges the data service to the windows over one validated ipc
 *      channel pair (validated-ipc.ts, service-host.ts),
 *   5. opens the workstation window, and the wall window when asked
 *      (displays.ts, windows.ts) — at once, their requests wait — and sets
 *      the menu whose 大屏 entries move the wall between displays (menu.ts),
 *   6. starts the embedded data center in a utilityProcess unless another
 *      data center is configured (datacenter-host.ts) — while it migrates its
 *      store the windows' sync status says so — then the data service in
 *      another one, supervised (service-host.ts), and, once the data service
 *      is live, an image keeper in a third one next to the embedded data
 *      center, supervised and never vital (keeper-host.ts; config imageKeeper),
 *   7. on quit, stops the children cleanly.
 * Built to out/main/index.js (ES module); see docs/electron.md.
 */
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, ipcMain, Menu, screen, utilityProcess, type MenuItemConstructorOptions } from 'electron';
import { ConfigError, parseArgs, readConfigFile, resolveConfig, updateConfigFile, type AppConfig } from './config';
import { startEmbeddedDataCenter, type EmbeddedDataCenter } from './datacenter-host';
import { createKeeperSupervisor, keeperEnv, type KeeperSupervisor } from './keeper-host';
import { planWindows, type DisplayLike } from './displays';
import { buildMenuTemplate, displaySelector } from './menu';
import { mainMessages } from './messages';
import { installAppProtocol, registerAppScheme } from './protocol';
import { buildCsp, installSecurity } from './security';
import { createServiceSupervisor, type ServiceSupervisor } from './service-host';
import { registerValidatedIpc } from './validated-ipc';
import { openWindow, WindowRegistry } from './windows';

const here = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_DIR = path.join(here, '../renderer');
const PRELOAD = path.join(here, '../preload/index.cjs');
const DATA_SERVICE_ENTRY = path.join(here, 'data-service.js');
const DATACENTER_ENTRY = path.join(here, 'datacenter.js');
const KEEPER_ENTRY = path.join(here, 'image-keeper.js');

const log = (message: string, detail?: unknown) => console.log(`[main] ${message}`, detail ?? '');

// Before `ready`: a separate profile for tests and side-by-side instances, the
// sandbox for every renderer, and the privileged app:// scheme.
if (process.env.HUYING_USER_DATA_DIR) app.setPath('userData', process.env.HUYING_USER_DATA_DIR);
app.enableSandbox();
registerAppScheme();

const registry = new WindowRegistry();
let dataCenter: EmbeddedDataCenter | null = null;
let service: ServiceSupervisor | null = null;
let keeper: KeeperSupervisor | null = null;
let disposeIpc: (() => void) | null = null;
let stopped = false;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = registry.get('workstation');
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (stopped) return;
    // stop the children first (the replica and PGlite flush on shutdown), then quit for real
    event.preventDefault();
    stopped = true;
    void stopChildren().finally(() => app.quit());
  });
  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err)));
}

async function stopChildren(): Promise<void> {
  disposeIpc?.();
  await Promise.allSettled([service?.stop(), keeper?.stop(), dataCenter?.stop()]);
}

function fail(message: string): void {
  const t = mainMessages(app.isReady() ? app.getLocale() : 'zh-CN');
  console.error(`[main] ${message}`);
  dialog.showErrorBox(t.startFailedTitle, message);
  stopped = true;
  void stopChildren().finally(() => app.exit(1));
}

async function start(): Promise<void> {
  const t = mainMessages(app.getLocale());
  const userData = app.getPath('userData');

  let config: AppConfig;
  try {
    config = resolveConfig({
      args: parseArgs(process.argv),
      env: process.env,
      file: readConfigFile(path.join(userData, 'config.json')),
    });
  } catch (err) {
    return fail(t.configFailed + (err instanceof ConfigError ? err.message : String(err)));
  }

  // The embedded data center gets a port chosen here, so its URL is known before
  // it is up (seeding the demo district takes a while on a first run): the CSP
  // and the windows need not wait for it.
  const embedded = config.dataCenterUrl === null;
  const port = embedded ? await freePort() : 0;
  let dataCenterUrl = config.dataCenterUrl ?? `http://127.0.0.1:${port}`;
  log(`data center ${dataCenterUrl} (${embedded ? 'embedded' : `from the ${config.dataCenterSource}`})`);

  installSecurity({ openExternal: config.openExternal, log });
  installAppProtocol({ root: RENDERER_DIR, csp: buildCsp({ connectOrigins: [dataCenterUrl] }) });

  service = createServiceSupervisor({
    fork: () =>
      utilityProcess.fork(DATA_SERVICE_ENTRY, [], {
        serviceName: 'Huying data service',
        stdio: 'inherit',
        env: {
          ...process.env,
          HUYING_DATA_DIR: path.join(userData, 'replica'),
          HUYING_DATACENTER_URL: dataCenterUrl,
          HUYING_APP_VERSION: app.getVersion(),
          HUYING_LOCALE: app.getLocale().toLowerCase().startsWith('en') ? 'en' : 'zh-CN',
        },
      }),
    dataCenterUrl,
    offlineMessage: t.serviceOffline,
    startingMessage: t.serviceStarting,
    log,
  });
  disposeIpc = registerValidatedIpc({
    ipcMain,
    port: service,
    isOurMainFrame: registry.isOurMainFrame,
    targets: registry.targets,
    onRefused: (error) => log(`refused ipc call: ${error.code} ${error.message}`),
  });

  // windows now; their requests wait until the data service is up
  configFile = path.join(userData, 'config.json');
  openWindows(config);
  // a wall display plugged in or out later: open or close the wall window to match
  screen.on('display-added', () => openWindows(config));
  screen.on('display-removed', () => {
    const wall = registry.get('wall');
    const plan = planWindows(screen.getAllDisplays(), screen.getPrimaryDisplay(), config);
    if (wall && (!plan.wall || wallDisplayId !== plan.wall.id)) {
      registry.delete('wall');
      wall.close();
      wallDisplayId = null;
    }
    openWindows(config);
  });

  // the embedded data center serves the keeper's replica images from there (docs/image-keeper.md)
  const imagesDir = embedded && config.imageKeeper ? path.join(userData, 'images') : null;
  if (embedded) {
    try {
      dataCenter = await startEmbeddedDataCenter({
        fork: () =>
          // the data center's CLI switches: our port, PGlite in userData, seeded with the demo district
          // at work (--demo-activity: past events on the first start, then the simulator; docs/simulator.md)
          utilityProcess.fork(
            DATACENTER_ENTRY,
            ['--host', '127.0.0.1', '--port', String(port), '--data', path.join(userData, 'datacenter'), '--seed', 'demo', '--demo-activity', ...(imagesDir ? ['--images', imagesDir] : [])],
            { serviceName: 'Huying data center', stdio: 'inherit' },
          ),
        onUnexpectedExit: (code) => log(`the embedded data center exited with code ${code}`),
        // a migration may take minutes on a large store: the windows say which one, then the plain starting message
        onMigration: (step) => service?.setStartingMessage(step.phase === 'start' ? t.dataCenterMigrating(step.index, step.count, step.name) : null),
      });
    } catch (err) {
      return fail(t.dataCenterFailed + (err instanceof Error ? err.message : String(err)));
    }
    if (stopped) {
      // the user quit while it was starting
      await dataCenter.stop();
      return;
    }
    if (dataCenter.url !== dataCenterUrl) log(`the embedded data center reports ${dataCenter.url}`);
    dataCenterUrl = dataCenter.url;
  }
  if (stopped) return;
  service.start();
  if (imagesDir) {
    const url = dataCenterUrl;
    keeper = createKeeperSupervisor({
      fork: () =>
        utilityProcess.fork(KEEPER_ENTRY, [], {
          serviceName: 'Huying image keeper',
          stdio: 'inherit',
          env: keeperEnv(process.env, { dataCenterUrl: url, imagesDir, dataDir: path.join(userData, 'image-keeper') }),
        }),
      log,
      error: (message) => console.error(`[main] ${message}`),
    });
    // after the data service's first snapshot: the two would otherwise share the cores at start-up
    keeper.startWhenLive(service);
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

let wallDisplayId: number | null = null;
let configFile = '';

function openWindows(config: AppConfig): void {
  const plan = planWindows(screen.getAllDisplays(), screen.getPrimaryDisplay(), config);
  if (!registry.get('workstation')) openWindow('workstation', plan.workstation, PRELOAD, registry);
  if (plan.wall && !registry.get('wall')) openWall(config, plan.wall);
  installMenu(config);
}

function openWall(config: AppConfig, display: DisplayLike): void {
  const win = openWindow('wall', display, PRELOAD, registry);
  wallDisplayId = display.id;
  win.on('closed', () => {
    if (registry.get('wall')) return;
    if (wallDisplayId === display.id) wallDisplayId = null;
    installMenu(config);
  });
}

function closeWallWindow(): void {
  const wall = registry.get('wall');
  wallDisplayId = null;
  if (!wall) return;
  registry.delete('wall');
  wall.close();
}

/** The menu of menu.ts, rebuilt whenever the wall or the displays change. */
function installMenu(config: AppConfig): void {
  const template = buildMenuTemplate({
    displays: screen.getAllDisplays(),
    primaryId: screen.getPrimaryDisplay().id,
    wallDisplayId,
    locale: app.getLocale(),
    showWallOn: (display) => {
      closeWallWindow();
      config.wallDisplay = displaySelector(display, screen.getAllDisplays());
      openWall(config, display);
      remember(config.wallDisplay);
      installMenu(config);
    },
    closeWall: () => {
      closeWallWindow();
      config.wall = false;
      config.wallDisplay = null;
      remember(null);
      installMenu(config);
    },
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template as MenuItemConstructorOptions[]));
}

/** The wall's display in config.json, for the next start; a failure is logged, the window is already where it should be. */
function remember(wallDisplay: number | string | null): void {
  try {
    updateConfigFile(configFile, { wallDisplay });
  } catch (err) {
    log(`could not remember the wall display in ${configFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
