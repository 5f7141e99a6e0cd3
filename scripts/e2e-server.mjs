// Starts the web host for the end-to-end tests on a fresh data folder (its own embedded
// data center, seeded with the demo district), so every run begins from the same state.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

const dataDir = process.env.HUYING_E2E_DATA ?? '.data/e2e';
rmSync(dataDir, { recursive: true, force: true });
// --quiet-demo: no past events, no simulator — every spec starts from the same empty district
const child = spawn(process.execPath, ['scripts/web.mjs', '--data', dataDir, '--quiet-demo', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
