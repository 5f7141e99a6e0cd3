/**
 * Electron main: app lifecycle and wiring, nothing else. It
 *   1. takes the single-instance lock (a second start focuses the first),
 *   2. reads the configuration (config.ts),
 *   3. starts the embedded data center in a utilityProcess unless another
 *      data center is configured (datacenter-host.ts),
 *   4. installs the security settings and the app:// protocol,
 *   5. starts and supervises the data service in a utilityProcess
 *      (service-host.ts) and bridges it to the windows over one validated
 *      ipc channel pair (validated-ipc.ts),
 *   6. opens the workstation window, and the wall window when asked
 *      (displays.ts, windows.ts),
 *   7. on quit, stops both children cleanly.
 * Built to out/main/index.js (ES module); see docs/electron.md.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, ipcMain, screen, utilityProcess } from 'electron';
import { ConfigError, parseArgs, readConfigFile, resolveConfig, type AppConfig } from './config';
import { startEmbeddedDataCenter, type EmbeddedDataCenter } from './datacenter-host';
import { planWindows } from './displays';
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

const log = (message: string, detail?: unknown) => console.log(`[main] ${message}`, detail ?? '');

// Before `ready`: a separate profile for tests and side-by-side instances, the
// sandbox for every renderer, and the privileged app:// scheme.
if (process.env.HUYING_USER_DATA_DIR) app.setPath('userData', process.env.HUYING_USER_DATA_DIR);
app.enableSandbox();
registerAppScheme();

const registry = new WindowRegistry();
let dataCenter: EmbeddedDataCenter | null = null;
let service: ServiceSupervisor | null = null;
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
  await Promise.allSettled([service?.stop(), dataCenter?.stop()]);
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

  let dataCenterUrl = config.dataCenterUrl;
  if (dataCenterUrl) {
    log(`data center ${dataCenterUrl} (from the ${config.dataCenterSource})`);
  } else {
    try {
      dataCenter = await startEmbeddedDataCenter({
        fork: () =>
          utilityProcess.fork(DATACENTER_ENTRY, [], {
            serviceName: 'Huying data center',
            stdio: 'inherit',
            env: { ...process.env, HUYING_DATA_DIR: path.join(userData, 'datacenter') },
          }),
        onUnexpectedExit: (code) => log(`the embedded data center exited with code ${code}`),
      });
    } catch (err) {
      return fail(t.dataCenterFailed + (err instanceof Error ? err.message : String(err)));
    }
    dataCenterUrl = dataCenter.url;
    log(`embedded data center at ${dataCenterUrl}`);
  }

  installSecurity({ openExternal: config.openExternal, log });
  installAppProtocol({ root: RENDERER_DIR, csp: buildCsp({ connectOrigins: [dataCenterUrl] }) });

  const url = dataCenterUrl;
  service = createServiceSupervisor({
    fork: () =>
      utilityProcess.fork(DATA_SERVICE_ENTRY, [], {
        serviceName: 'Huying data service',
        stdio: 'inherit',
        env: {
          ...process.env,
          HUYING_DATA_DIR: path.join(userData, 'replica'),
          HUYING_DATACENTER_URL: url,
          HUYING_APP_VERSION: app.getVersion(),
          HUYING_LOCALE: app.getLocale().toLowerCase().startsWith('en') ? 'en' : 'zh-CN',
        },
      }),
    dataCenterUrl: url,
    offlineMessage: t.serviceOffline,
    log,
  });
  service.start();

  disposeIpc = registerValidatedIpc({
    ipcMain,
    port: service,
    isOurMainFrame: registry.isOurMainFrame,
    targets: registry.targets,
    onRefused: (error) => log(`refused ipc call: ${error.code} ${error.message}`),
  });

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
}

let wallDisplayId: number | null = null;

function openWindows(config: AppConfig): void {
  const plan = planWindows(screen.getAllDisplays(), screen.getPrimaryDisplay(), config);
  if (!registry.get('workstation')) openWindow('workstation', plan.workstation, PRELOAD, registry);
  if (plan.wall && !registry.get('wall')) {
    openWindow('wall', plan.wall, PRELOAD, registry);
    wallDisplayId = plan.wall.id;
  }
}
