// Checks the Debian/Ubuntu packages the test suite needs (Chromium for end-to-end tests,
// CJK fonts so Chinese renders, PostgreSQL for the data-center suite) and installs the
// missing ones with apt when run as root. Otherwise prints exactly what to install.
// The benchmarks need Mesa's EGL and llvmpipe too (bench:wall draws on llvmpipe by default).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** @typedef {{ pkg: string, why: string, present: () => boolean }} Requirement */

function hasCjkFont() {
  const r = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' });
  if (r.status === 0 && /Noto Sans CJK|Noto Serif CJK|WenQuanYi|Source Han/i.test(r.stdout)) return true;
  return existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc');
}

export function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(`${root}/${v}/bin/initdb`)).sort((a, b) => Number(b) - Number(a));
    if (versions.length) return `${root}/${versions[0]}/bin`;
  }
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (r.status === 0 && existsSync(`${r.stdout.trim()}/initdb`)) return r.stdout.trim();
  return null;
}

function debInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** @type {Requirement[]} */
export const REQUIREMENTS = [
  { pkg: 'chromium', why: 'end-to-end tests drive Debian Chromium with Playwright', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'fonts-noto-cjk', why: 'Chinese text must render in screenshots and tests', present: hasCjkFont },
  { pkg: 'postgresql', why: 'the data-center suite also runs on a throwaway PostgreSQL cluster', present: () => postgresBinDir() !== null },
];

/** @type {Requirement[]} what `npm run bench` needs besides REQUIREMENTS */
export const BENCH_REQUIREMENTS = [
  { pkg: 'libegl-mesa0', why: "bench:wall draws on Mesa's llvmpipe through surfaceless EGL (--gl llvmpipe)", present: () => debInstalled('libegl-mesa0') },
  { pkg: 'libgl1-mesa-dri', why: "llvmpipe itself (Mesa's DRI drivers) for bench:wall", present: () => debInstalled('libgl1-mesa-dri') },
];

export function ensureSystemDeps({ log = console.log, requirements = REQUIREMENTS } = {}) {
  if (process.env.HUYING_SKIP_SYSTEM_DEPS === '1') return true;
  const missing = requirements.filter((r) => !r.present());
  if (missing.length === 0) return true;
  const names = missing.map((m) => m.pkg);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  for (const m of missing) log(`system package missing: ${m.pkg} (${m.why})`);
  if (!isRoot || !hasApt) {
    log(`\nInstall them first, then run npm test again:\n\n    sudo apt-get update && sudo apt-get install -y ${names.join(' ')}\n`);
    return false;
  }
  log(`installing with apt-get: ${names.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...names], { stdio: 'inherit', env });
  const still = requirements.filter((r) => !r.present()).map((r) => r.pkg);
  if (still.length) {
    log(`still missing after apt-get: ${still.join(' ')}`);
    return false;
  }
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit(ensureSystemDeps() ? 0 : 1);
}
