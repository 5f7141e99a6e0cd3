/**
 * Stands in for `src/datacenter/cli.ts` in web-host tests: same arguments,
 * same JSON "data center ready" line, serving the small test district.
 * FAKE_DC_MODE=exit-early exits with an error before announcing itself;
 * FAKE_DC_MODE=ignore-term ignores SIGTERM (to test the SIGKILL fallback).
 */
import { parseArgs } from 'node:util';
import { startFakeDataCenter } from '../service/fake-datacenter';
import { makeDistrict } from '../service/fixtures';

const { values } = parseArgs({ options: { port: { type: 'string' }, data: { type: 'string' }, seed: { type: 'string' } }, strict: true });
const mode = process.env.FAKE_DC_MODE;
console.log(JSON.stringify({ level: 30, msg: 'starting', data: values.data, seed: values.seed }));
if (mode === 'exit-early') {
  console.error('cannot open the store: disk on fire');
  process.exit(3);
}
const dc = await startFakeDataCenter(makeDistrict(), Number(values.port ?? 0));
process.on('SIGTERM', () => {
  if (mode === 'ignore-term') return;
  void dc.close().then(() => process.exit(0));
});
// only now: the host may signal us as soon as it reads this line
console.log(JSON.stringify({ level: 30, msg: 'data center ready', url: dc.url }));
