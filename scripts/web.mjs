#!/usr/bin/env node
/**
 * `npm run web [-- options]`: the web host for browser kiosks.
 *
 * 1. Builds the renderer (`npx electron-vite build`) when out/renderer is
 *    missing or older than its sources (src/renderer, src/core, resources,
 *    electron.vite.config.ts). `--no-build` skips this step.
 * 2. Runs src/main/web-host/cli.ts with tsx, passing every other argument
 *    through (--port, --host, --data, --datacenter, --renderer), and forwards
 *    Ctrl-C / SIGTERM so the host shuts down cleanly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rendererIndex = path.join(root, 'out', 'renderer', 'index.html');
const SOURCES = ['src/renderer', 'src/core', 'resources', 'electron.vite.config.ts', 'tsconfig.web.json'];

const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const passThrough = args.filter((a) => a !== '--no-build');
const wantsHelp = passThrough.includes('--help') || passThrough.includes('-h');

/** Newest modification time (ms) of a file or of any file under a folder. */
function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(p, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    max = Math.max(max, newest(path.join(p, entry.name)));
  }
  return max;
}

function rendererIsStale() {
  if (!existsSync(rendererIndex)) return 'out/renderer is missing';
  const built = statSync(rendererIndex).mtimeMs;
  const changed = SOURCES.find((s) => newest(path.join(root, s)) > built);
  return changed ? `${changed} changed since the last build` : null;
}

if (!noBuild && !wantsHelp) {
  const reason = rendererIsStale();
  if (reason) {
    console.log(`Building the renderer (${reason}): npx electron-vite build`);
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    const build = spawnSync(npx, ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) {
      console.error(`The renderer build failed (exit ${build.status ?? build.signal}); fix it or run with --no-build to serve the last build.`);
      process.exit(build.status ?? 1);
    }
  }
}

const cli = path.join(root, 'src', 'main', 'web-host', 'cli.ts');
const child = spawn(process.execPath, ['--import', 'tsx', cli, ...passThrough], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
