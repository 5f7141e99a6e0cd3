#!/usr/bin/env node
// `npm start`: the desktop app on the embedded demo data center.
//   1. the Electron binary (electron ≥ 42 downloads it on first use, not at npm install)
//   2. better-sqlite3 built for Electron's ABI (scripts/prepare-electron-native.mjs, cached)
//   3. electron-vite build → out/
//   4. electron . with HUYING_SQLITE_BINDING pointing at the Electron build
// When the binary or Electron's headers cannot be downloaded it stops with the
// reason and suggests `npm run web` (the same app in a browser).
//
// usage: npm start [-- [--dry-run] [--skip-build] [app switches: --wall, --datacenter URL, --wall-display ID]]
//   --dry-run     run every check and the build, download and launch nothing; report every
//                 problem (not only the first); exit 0 if a real start would launch, 2 if not
//   --skip-build  reuse out/ as it is
/* global fetch, AbortSignal */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareElectronNative, PrepareError, ROOT } from './prepare-electron-native.mjs';

const OWN_FLAGS = new Set(['--dry-run', '--skip-build']);
const argv = process.argv.slice(2);
const dryRun = argv.includes('--dry-run');
const skipBuild = argv.includes('--skip-build');
const appArgs = argv.filter((a) => !OWN_FLAGS.has(a));

const electronDir = path.join(ROOT, 'node_modules', 'electron');
const WEB_HINT = 'Run Huying in a browser instead: npm run web';

function step(title) {
  console.error(`\n━━ ${title}`);
}

/** The Electron executable if it is installed, else null (no download attempted). */
export function installedElectron() {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const exe = path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : null;
}

/** Where @electron/get would fetch the binary from (honours ELECTRON_MIRROR). */
function electronDownloadUrl(version) {
  const mirror = process.env.ELECTRON_MIRROR ?? process.env.npm_config_electron_mirror ?? 'https://github.com/electron/electron/releases/download/';
  return `${mirror.replace(/\/?$/, '/')}v${version}/electron-v${version}-${process.platform}-${process.arch}.zip`;
}

async function probe(url) {
  try {
    const res = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(15_000) });
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (err) {
    return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(err);
  }
}

async function ensureElectron() {
  step('Electron binary');
  const found = installedElectron();
  if (found) {
    console.error(`✓ ${path.relative(ROOT, found)}`);
    return found;
  }
  const version = JSON.parse(readFileSync(path.join(electronDir, 'package.json'), 'utf8')).version;
  const url = electronDownloadUrl(version);
  if (dryRun) {
    const problem = await probe(url);
    if (problem) throw new PrepareError(`The Electron ${version} binary is not installed and cannot be downloaded from ${url} (${problem}).\n${WEB_HINT}`);
    console.error(`would download Electron ${version} from ${url} (reachable)`);
    return null;
  }
  console.error(`downloading Electron ${version} (once)…`);
  const r = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8', timeout: 15 * 60_000 });
  const exe = installedElectron();
  if (r.status !== 0 || !exe) {
    const reason = (r.stderr ?? '').split('\n').find((l) => /Error|failed|ENOTFOUND|ECONN/i.test(l))?.trim() ?? `exit ${r.status ?? r.signal}`;
    throw new PrepareError(
      `Could not download the Electron ${version} binary from ${url} (${reason}).\n` +
        `Check the network or proxy, or set ELECTRON_MIRROR to a mirror. ${WEB_HINT}`,
    );
  }
  console.error(`✓ ${path.relative(ROOT, exe)}`);
  return exe;
}

function build() {
  step('electron-vite build');
  if (skipBuild) {
    if (!existsSync(path.join(ROOT, 'out', 'main', 'index.js'))) throw new PrepareError('--skip-build, but out/main/index.js does not exist: build first.');
    console.error('skipped (--skip-build)');
    return;
  }
  const bin = path.join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const r = spawnSync(process.execPath, [bin, 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new PrepareError(`electron-vite build failed (exit ${r.status ?? r.signal}); see above.`);
}

/** In a dry run a failed step is reported and the next one still runs. */
const problems = [];
async function attempt(fn) {
  try {
    return await fn();
  } catch (err) {
    if (!dryRun || !(err instanceof PrepareError)) throw err;
    console.error(`✗ ${err.message}`);
    problems.push(err.message.split('\n')[0]);
    return undefined;
  }
}

async function main() {
  const electron = await attempt(ensureElectron);

  step('better-sqlite3 for Electron');
  const native = await attempt(() => prepareElectronNative({ dryRun }));

  await attempt(build);

  step('launch');
  const binding = native?.bindingPath ?? '<not built>';
  const command = [electron ?? '<electron>', ROOT, ...appArgs];
  if (dryRun) {
    console.error(`would run: HUYING_SQLITE_BINDING=${path.relative(ROOT, binding)} ${command.join(' ')}`);
    if (problems.length === 0) {
      console.error('\n✓ dry run: a real `npm start` would launch the app');
      return;
    }
    console.error(`\n✗ dry run: a real \`npm start\` would stop here:\n  - ${problems.join('\n  - ')}\n${WEB_HINT}`);
    process.exit(2);
  }
  const env = { ...process.env, HUYING_SQLITE_BINDING: binding };
  const child = spawn(electron, [ROOT, ...appArgs], { cwd: ROOT, env, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

try {
  await main();
} catch (err) {
  if (!(err instanceof PrepareError)) throw err;
  console.error(`\n✗ ${err.message}`);
  if (!err.message.includes('npm run web')) console.error(WEB_HINT);
  process.exit(2);
}
