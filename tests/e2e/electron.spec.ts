/**
 * The desktop app end to end through Playwright's Electron driver: it starts
 * (embedded data center, data service in its utility process), loads the
 * renderer from app://, exposes only `invoke` and `subscribe` to the page with
 * no Node, answers over the validated ipc channel, blocks window.open, and
 * shows the demo district.
 *
 * Skipped, with the reason, when the Electron binary is absent (electron ≥ 42
 * downloads it on first use; this is checked without `require('electron')`,
 * which would try that download) or when better-sqlite3 cannot be built for
 * Electron here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The installed Electron executable, or null — read from node_modules/electron/path.txt. */
function electronBinary(): string | null {
  const dir = path.join(ROOT, 'node_modules', 'electron');
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const exe = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : null;
}

type Bridge = {
  invoke(name: string, args: unknown): Promise<{ ok: boolean; result?: Record<string, unknown>; error?: { code: string } }>;
  subscribe(name: string, cb: (p: unknown) => void): () => void;
};

const binary = electronBinary();
test.skip(
  binary === null,
  'Electron binary absent: node_modules/electron/dist is not installed (electron ≥ 42 downloads it on first use, ' +
    'and this machine cannot reach the download). `npm start` installs it where the network allows.',
);

test.describe('desktop app (Electron)', () => {
  let app: ElectronApplication;
  let userData: string;

  test.beforeAll(async () => {
    const prepared = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'prepare-electron-native.mjs'), '--json'], { encoding: 'utf8' });
    test.skip(prepared.status === 2, `better-sqlite3 cannot be built for Electron here: ${prepared.stderr.trim().split('\n').pop()}`);
    expect(prepared.status, prepared.stderr).toBe(0);
    const { bindingPath } = JSON.parse(prepared.stdout) as { bindingPath: string };
    expect(existsSync(path.join(ROOT, 'out', 'main', 'index.js')), 'out/ is missing: run `npx electron-vite build` first').toBe(true);

    userData = mkdtempSync(path.join(os.tmpdir(), 'huying-electron-e2e-'));
    app = await electron.launch({
      executablePath: binary!,
      args: [ROOT],
      cwd: ROOT,
      // no image keeper: as the web suite passes --no-image-keeper, the wall and workstation are tested on the row snapshot
      env: { ...process.env, HUYING_SQLITE_BINDING: bindingPath, HUYING_USER_DATA_DIR: userData, HUYING_IMAGE_KEEPER: '0' },
      timeout: 120_000,
    });
  });

  test.afterAll(async () => {
    await app?.close();
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  test('loads the renderer from app:// with only invoke and subscribe exposed', async () => {
    const page = await app.firstWindow();
    expect(page.url()).toMatch(/^app:\/\/huying\/index\.html/);
    const surface = await page.evaluate(() => ({
      keys: Object.keys((window as unknown as { huying: object }).huying).sort(),
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    expect(surface).toEqual({ keys: ['invoke', 'subscribe'], require: 'undefined', process: 'undefined' });
  });

  test('answers over the validated ipc channel, errors as data', async () => {
    const page = await app.firstWindow();
    const replies = await page.evaluate(async () => {
      const huying = (window as unknown as { huying: Bridge }).huying;
      return {
        info: await huying.invoke('app/info', {}),
        bad: await huying.invoke('app/info', { unexpected: 1 }),
        unknown: await huying.invoke('nope/nothing', {}),
      };
    });
    expect(replies.info).toMatchObject({ ok: true, result: { shell: 'electron' } });
    expect(replies.bad).toMatchObject({ ok: false, error: { code: 'invalid_args' } });
    expect(replies.unknown).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
  });

  test('blocks window.open and navigation away from the app', async () => {
    const page = await app.firstWindow();
    const opened = await page.evaluate(() => window.open('https://example.org/') === null);
    expect(opened).toBe(true);
    await page.evaluate(() => {
      window.location.href = 'https://example.org/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toMatch(/^app:\/\/huying\//);
    const windows = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
    expect(windows).toBe(1);
  });

  test('shows the demo district', async () => {
    const page = await app.firstWindow();
    await expect(page.locator('body')).toContainText(/1[,，]?401/, { timeout: 60_000 });
    await page.screenshot({ path: path.join(ROOT, 'test-results', 'electron-workstation.png') });
  });
});
