/**
 * `npm run datacenter -- [--port N] [--host H] [--pg URL | --data DIR] [--seed demo|none]`
 * — a data center as a stand-alone process (see run.ts and docs/datacenter.md);
 * `--create-admin LOGIN` makes an admin account instead (src/datacenter/auth/create-admin.ts);
 * `--history N` writes N past events and exits (src/datacenter/history/cli.ts, docs/simulator.md).
 */
import { runCreateAdmin } from './auth/create-admin';
import { runHistoryCli } from './history/cli';
import { runDataCenterProcess } from './run';

const argv = process.argv.slice(2);
if (argv.some((a) => a === '--create-admin' || a.startsWith('--create-admin='))) {
  // `--create-admin LOGIN`: make an admin account on the database, then exit (docs/auth.md)
  process.exit(await runCreateAdmin(argv, process.env));
}
if (argv.some((a) => a === '--history' || a.startsWith('--history='))) {
  // `--history N`: generate past events into the database, then exit (docs/simulator.md)
  process.exit(await runHistoryCli(argv, process.env));
}
const run = runDataCenterProcess(argv, process.env);
// nothing to serve: leave now rather than wait for stray handles
if (!(await run.started)) process.exit(process.exitCode ?? 1);
