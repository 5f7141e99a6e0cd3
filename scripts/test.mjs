// `npm test`: every check the project has, in the order that fails fastest.
// 1. system packages (installed with apt when run as root), 2. lint (incl. layer rules),
// 3. type-check of every layer, 4. unit + integration tests (vitest), 5. the Electron/renderer
// build, 6. end-to-end tests in Chromium against the web host.
import { spawnSync } from 'node:child_process';
import { ensureSystemDeps } from './system-deps.mjs';

const steps = [
  ['lint', 'npm', ['run', '--silent', 'lint']],
  ['typecheck', 'npm', ['run', '--silent', 'typecheck']],
  ['unit and integration tests', 'npx', ['vitest', 'run']],
  ['build', 'npx', ['electron-vite', 'build']],
  ['end-to-end tests', 'npx', ['playwright', 'test']],
];

const only = process.argv.slice(2);
const started = Date.now();
const timings = [];

if (!ensureSystemDeps()) process.exit(1);

for (const [name, cmd, args] of steps) {
  if (only.length && !only.some((o) => name.startsWith(o))) continue;
  const t0 = Date.now();
  console.log(`\n━━ ${name} ━━ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  timings.push(`${name}: ${seconds} s`);
  if (r.status !== 0) {
    console.error(`\n✗ ${name} failed (exit ${r.status ?? r.signal}) after ${seconds} s`);
    process.exit(r.status || 1);
  }
}
console.log(`\n✓ all checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s\n  ${timings.join('\n  ')}`);
