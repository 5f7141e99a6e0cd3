#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .electron-native/, leaving
// node_modules' build (Node's ABI) alone for the tests and the web host.
//
// Why: better-sqlite3 is a native addon; Node 20 speaks V8 ABI 115, Electron 45
// speaks 150, so one .node file cannot serve both. The data service loads the
// Electron build through better-sqlite3's `nativeBinding` option, given as
// HUYING_SQLITE_BINDING by scripts/start.mjs.
//
// How: copy node_modules/better-sqlite3 (sources, without its build/) to a
// scratch folder and run node-gyp there against Electron's headers
// (--target=<electron version> --dist-url=https://electronjs.org/headers).
// The result is cached per better-sqlite3 version × Electron version ×
// platform × arch, and checked: Node must refuse to load it because it was
// compiled for Electron's NODE_MODULE_VERSION (a build that Node loads was made
// against Node's headers, e.g. with npm's `nodedir` set — it would crash Electron).
//
// usage: node scripts/prepare-electron-native.mjs [--dry-run] [--force] [--json]
//   --dry-run  check versions, tools and the headers download, print the plan; build nothing
//   --force    rebuild even when the cache has a build
//   --json     print only { bindingPath, electronVersion, abi, cached } on stdout
/* global fetch, AbortSignal */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE_DIR = path.join(ROOT, '.electron-native');
export const HEADERS_URL = process.env.HUYING_ELECTRON_HEADERS_URL ?? 'https://electronjs.org/headers';

/** A failure the user can act on; `message` says what and what to do. */
export class PrepareError extends Error {
  name = 'PrepareError';
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Versions and paths of this checkout. */
export function describeTarget() {
  const electronDir = path.join(ROOT, 'node_modules', 'electron');
  const sqliteDir = path.join(ROOT, 'node_modules', 'better-sqlite3');
  if (!existsSync(path.join(electronDir, 'package.json'))) throw new PrepareError('node_modules/electron is missing: run `npm install` first.');
  if (!existsSync(path.join(sqliteDir, 'binding.gyp'))) throw new PrepareError('node_modules/better-sqlite3 is missing or has no sources: run `npm install` first.');
  const electronVersion = readJson(path.join(electronDir, 'package.json')).version;
  const sqliteVersion = readJson(path.join(sqliteDir, 'package.json')).version;
  const abiFile = path.join(electronDir, 'abi_version');
  const abi = existsSync(abiFile) ? readFileSync(abiFile, 'utf8').trim() : null;
  const key = `better-sqlite3-${sqliteVersion}-electron-${electronVersion}-${process.platform}-${process.arch}`;
  return {
    electronVersion,
    sqliteVersion,
    abi,
    sqliteDir,
    key,
    bindingPath: path.join(CACHE_DIR, key, 'better_sqlite3.node'),
    scratchDir: path.join(CACHE_DIR, `build-${key}`),
    devDir: path.join(CACHE_DIR, 'node-gyp'),
  };
}

/** node-gyp: npm's own copy (npm tells scripts where it is), else one on PATH. */
export function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  for (const c of candidates) if (existsSync(c)) return { command: process.execPath, args: [c] };
  const which = spawnSync('sh', ['-c', 'command -v node-gyp'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return { command: which.stdout.trim(), args: [] };
  return null;
}

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Missing build tools, as a list of what to install. */
export function missingTools() {
  const missing = [];
  if (!hasCommand('python3')) missing.push('python3');
  if (!hasCommand('make')) missing.push('make');
  if (!hasCommand('c++') && !hasCommand('g++') && !hasCommand('clang++')) missing.push('a C++ compiler (g++)');
  if (!findNodeGyp()) missing.push('node-gyp (comes with npm)');
  return missing;
}

/** Headers node-gyp already unpacked for this version (then no download is needed). */
function headersCached(devDir, version) {
  return existsSync(path.join(devDir, version, 'include', 'node', 'node.h'));
}

/** Resolves when Electron's headers can be downloaded, else throws a PrepareError saying why. */
export async function checkHeadersReachable(version, { timeoutMs = 15_000 } = {}) {
  const url = `${HEADERS_URL}/v${version}/node-v${version}-headers.tar.gz`;
  let res;
  try {
    res = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(err);
    throw new PrepareError(
      `Cannot download the Electron ${version} headers from ${url} (${cause}).\n` +
        `They are needed once to build better-sqlite3 for Electron. Check the network or proxy settings,\n` +
        `or set HUYING_ELECTRON_HEADERS_URL to a mirror — or run Huying in a browser instead: npm run web`,
    );
  }
  if (!res.ok) {
    throw new PrepareError(
      `The Electron ${version} headers are not at ${url} (HTTP ${res.status}).\n` +
        `Set HUYING_ELECTRON_HEADERS_URL to a mirror that has them, or run Huying in a browser instead: npm run web`,
    );
  }
  return url;
}

/**
 * The environment for node-gyp: npm exports its config as npm_config_*; some
 * of those (nodedir, target, runtime, disturl) would silently make node-gyp
 * build against Node instead of Electron.
 */
export function gypEnv(env = process.env) {
  const clean = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^npm_config_(nodedir|target|runtime|disturl|dist_url|arch|target_arch|devdir|build_from_source)$/i.test(k)) continue;
    clean[k] = v;
  }
  return clean;
}

export function gypArgs(target) {
  return [
    'rebuild',
    '--release',
    '--runtime=electron',
    `--target=${target.electronVersion}`,
    `--dist-url=${HEADERS_URL}`,
    `--arch=${process.arch}`,
    `--devdir=${target.devDir}`,
    `--jobs=${Math.max(1, os.availableParallelism?.() ?? os.cpus().length)}`,
  ];
}

/**
 * Which runtime a .node file was built for: loads it in a fresh Node and reads
 * the refusal. Returns { forNode: true } when Node loads it (a wrong build),
 * { abi } when Node refuses it naming the ABI it was built for, or { unknown }.
 */
export function probeAbi(file) {
  const r = spawnSync(process.execPath, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(file)})`], { encoding: 'utf8' });
  if (r.status === 0) return { forNode: true };
  const m = /compiled against a different Node\.js version using\s+NODE_MODULE_VERSION (\d+)/.exec(r.stderr);
  return m ? { abi: m[1] } : { unknown: r.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${r.status}` };
}

function verify(file, target) {
  const probe = probeAbi(file);
  if (probe.forNode) {
    throw new PrepareError(
      `${file} loads in Node ${process.version}, so it was built for Node, not Electron.\n` +
        `node-gyp probably used Node's headers (is npm's "nodedir" set? see \`npm config get nodedir\`). Delete .electron-native/ and retry.`,
    );
  }
  if (probe.abi && target.abi && probe.abi !== target.abi) {
    throw new PrepareError(`${file} was built for NODE_MODULE_VERSION ${probe.abi}, Electron ${target.electronVersion} needs ${target.abi}. Delete .electron-native/ and retry.`);
  }
  return probe;
}

/**
 * Makes sure the Electron build exists; returns { bindingPath, electronVersion, abi, cached }.
 * With dryRun, checks everything that can be checked and builds nothing.
 */
export async function prepareElectronNative({ dryRun = false, force = false, log = (m) => console.error(m) } = {}) {
  const target = describeTarget();
  const result = { bindingPath: target.bindingPath, electronVersion: target.electronVersion, abi: target.abi, cached: false };
  log(`better-sqlite3 ${target.sqliteVersion} for Electron ${target.electronVersion} (ABI ${target.abi ?? '?'}, ${process.platform}-${process.arch})`);

  if (!force && existsSync(target.bindingPath)) {
    const probe = verify(target.bindingPath, target);
    log(`✓ cached: ${path.relative(ROOT, target.bindingPath)}${probe.abi ? ` (NODE_MODULE_VERSION ${probe.abi})` : ''}`);
    return { ...result, cached: true };
  }

  const missing = missingTools();
  if (missing.length) {
    throw new PrepareError(`Cannot build better-sqlite3 for Electron: missing ${missing.join(', ')}.\nOn Debian/Ubuntu: apt-get install python3 make g++ — or run Huying in a browser instead: npm run web`);
  }
  log('✓ build tools: python3, make, C++ compiler, node-gyp');

  if (headersCached(target.devDir, target.electronVersion)) {
    log(`✓ Electron headers already in ${path.relative(ROOT, target.devDir)}`);
  } else {
    const url = await checkHeadersReachable(target.electronVersion);
    log(`✓ Electron headers reachable: ${url}`);
  }

  const gyp = findNodeGyp();
  const args = [...gyp.args, ...gypArgs(target)];
  if (dryRun) {
    log(`would copy ${path.relative(ROOT, target.sqliteDir)} → ${path.relative(ROOT, target.scratchDir)} and run there:`);
    log(`  ${[gyp.command, ...args].join(' ')}`);
    log(`would install ${path.relative(ROOT, target.bindingPath)}`);
    return result;
  }

  rmSync(target.scratchDir, { recursive: true, force: true });
  cpSync(target.sqliteDir, target.scratchDir, {
    recursive: true,
    filter: (src) => path.relative(target.sqliteDir, src).split(path.sep)[0] !== 'build',
  });
  mkdirSync(target.devDir, { recursive: true });
  log(`building in ${path.relative(ROOT, target.scratchDir)} (about a minute)…`);
  const run = spawnSync(gyp.command, args, { cwd: target.scratchDir, env: gypEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0) {
    throw new PrepareError(
      `node-gyp failed (exit ${run.status ?? run.signal}) building better-sqlite3 for Electron ${target.electronVersion}; see its output above.\n` +
        `If it could not download headers, check the network — or run Huying in a browser instead: npm run web`,
    );
  }
  const built = path.join(target.scratchDir, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(built)) throw new PrepareError(`node-gyp reported success but ${built} is missing.`);
  const probe = verify(built, target);
  mkdirSync(path.dirname(target.bindingPath), { recursive: true });
  cpSync(built, target.bindingPath);
  rmSync(target.scratchDir, { recursive: true, force: true });
  log(`✓ built ${path.relative(ROOT, target.bindingPath)}${probe.abi ? ` (NODE_MODULE_VERSION ${probe.abi})` : ''}`);
  return result;
}

// run as a script
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flags = new Set(process.argv.slice(2));
  const json = flags.has('--json');
  try {
    const r = await prepareElectronNative({ dryRun: flags.has('--dry-run'), force: flags.has('--force') });
    if (json) console.log(JSON.stringify(r));
  } catch (err) {
    if (err instanceof PrepareError) {
      console.error(`\n✗ ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}
