/**
 * A data service in a process of its own, for the SIGKILL tests: opens
 * `HUYING_DATA_DIR` against `HUYING_DATACENTER_URL` through the real
 * createDataService and reports on stdout, one JSON line each, its sync
 * status, every applied change and the outbox states, so the test can kill
 * it at a chosen moment. `RUNNER_SUBMIT=N` submits N dispatches of events
 * e1…eN at start (when the outbox is empty). SIGTERM closes it cleanly.
 */
import { createDataService } from '../../../src/main/service/index';

const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const quiet = () => undefined;
const svc = await createDataService({
  shell: 'web',
  dataDir: process.env.HUYING_DATA_DIR!,
  dataCenterUrl: process.env.HUYING_DATACENTER_URL!,
  logger: { debug: quiet, info: quiet, warn: quiet, error: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`) },
  sync: { retryInitialMs: 20, retryMaxMs: 200, stageChunkRows: Number(process.env.RUNNER_STAGE_CHUNK ?? 5000), resendAfterMs: 500 },
});
svc.subscribe('sync/status', (s) => out({ t: 'status', state: s.state, rows: s.progress?.rows ?? null, cursor: s.cursor ?? null }));
svc.subscribe('events/changed', (e) => out({ t: 'changed', n: e.ids.length, all: e.all, checkpoint: e.checkpoint }));
svc.subscribe('outbox/changed', (o) => out({ t: 'outbox', entries: o.entries.map((e) => [e.mutationId, e.state]) }));
const submit = Number(process.env.RUNNER_SUBMIT ?? 0);
if (submit > 0 && (svc.handlers['outbox/list']({ limit: 1000 }) as { entries: unknown[] }).entries.length === 0) {
  await svc.syncNow();
  for (let i = 1; i <= submit; i++) {
    await svc.handlers['commands/submit']({ mutation: { name: 'event/command', eventId: `e${i}`, command: { type: 'dispatch', leadUnitId: 'dept-cg', assistingUnitIds: [], clocks: [], attachments: [] } } });
  }
  out({ t: 'submitted', n: submit });
}
out({ t: 'ready', clientId: svc.clientId });
process.on('SIGTERM', () => {
  void svc.close().then(() => process.exit(0));
});
