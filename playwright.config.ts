import { defineConfig } from '@playwright/test';

/** Port of the web host the end-to-end tests start (a fresh data folder each run). */
export const E2E_PORT = Number(process.env.HUYING_E2E_PORT ?? 8791);

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  // 2 cores and software WebGL: one browser at a time keeps timings honest.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    viewport: { width: 1920, height: 1080 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    launchOptions: {
      // Debian's Chromium; Playwright's own browser download is not reachable here.
      executablePath: process.env.HUYING_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--enable-unsafe-swiftshader',
      ],
    },
  },
  webServer: {
    // --no-image-keeper: the keeper's second replica, snapshot and exports would share the 2 cores with the
    // browser; tests/integration/web-host/web-host-keeper.test.ts covers the host with its keeper
    command: `node scripts/e2e-server.mjs --port ${E2E_PORT} --no-image-keeper`,
    url: `http://127.0.0.1:${E2E_PORT}/`,
    timeout: 180_000,
    reuseExistingServer: false,
    // SIGTERM first: the web host then stops its embedded data center (its own process group,
    // which the default SIGKILL of the server's group leaves running as an orphan)
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
