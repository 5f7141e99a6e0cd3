/**
 * `npm run datacenter -- [--port N] [--host H] [--pg URL | --data DIR] [--seed demo|none]`
 * — a data center as a stand-alone process (see run.ts and docs/datacenter.md).
 */
import { runDataCenterProcess } from './run';

const run = runDataCenterProcess(process.argv.slice(2), process.env);
// nothing to serve: leave now rather than wait for stray handles
if (!(await run.started)) process.exit(process.exitCode ?? 1);
