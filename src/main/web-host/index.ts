/**
 * The web host: the data service and the built renderer in one Node process,
 * for browser kiosks on wall controllers and for the end-to-end tests.
 *
 *   browser ──HTTP──► static renderer (out/renderer, SPA fallback, CSP)
 *           ──WS /rpc─► attachRpcSocket ─► data service (SQLite replica)
 *                                              │ HTTP (reference sync)
 *                                              ▼
 *                       data center: --datacenter URL, or an embedded child
 *
 * Without a data-center URL it starts the embedded one as a child process
 * with its own folder under `dataDir`, seeded with the demo district, and
 * (`imageKeeper`) an image keeper child for the district next to it: the data
 * center serves the keeper's replica images from `dataDir/images`, so a
 * replica that needs a snapshot can switch one in whole (docs/image-keeper.md).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { createDataService, createLogger, type DataService, type Logger } from '../service/index';
import { allowedOrigins, createOriginCheck } from './allowed-origins';
import { DEMO_ACTIVITY_ARGS, imagesArgs, startEmbeddedDataCenter, startImageKeeperChild, type EmbeddedDataCenter, type ImageKeeperChild } from './embedded-datacenter';
import { registerRendererRoutes } from './renderer-routes';
import { attachRpcSocket } from './rpc-socket';

export const DEFAULT_PORT = 8700;
export const RPC_PATH = '/rpc';
export const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../../out/renderer', import.meta.url));

export interface WebHostOptions {
  /** default 8700; 0 picks a free port */
  port?: number;
  /** default 127.0.0.1; 0.0.0.0 to serve kiosks on other machines */
  host?: string;
  /** holds `replica/` (the data service) and `datacenter/` (the embedded data center) */
  dataDir: string;
  /** an existing data center; when absent the embedded one is started as a child process */
  dataCenterUrl?: string;
  /** the built renderer; default out/renderer of this checkout */
  rendererDir?: string;
  /** further origins allowed to open /rpc (e.g. a reverse proxy's https origin) */
  allowedOrigins?: string[];
  logger?: Logger;
  /** passed to the data service (tests use short poll intervals) */
  sync?: Parameters<typeof createDataService>[0]['sync'];
  /** embedded data center only: its CLI (default src/datacenter/cli.ts) and ready timeout */
  dataCenterCli?: string;
  dataCenterReadyTimeoutMs?: number;
  /** embedded data center only: a demo at work (DEMO_ACTIVITY_ARGS: past events, then the simulator); default false */
  demoActivity?: boolean;
  /** embedded data center only: where its output goes (default our stderr) */
  onDataCenterOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * embedded data center only: run an image keeper child for the district (images in `dataDir/images`, its
   * replica in `dataDir/image-keeper`), started once this host's own replica is live; default false
   * (`npm run web` turns it on; `--no-image-keeper` off)
   */
  imageKeeper?: boolean;
  /** the image keeper child's CLI (default src/main/service/keeper/cli.ts), renewal and output (default our stderr, warnings up) */
  keeperCli?: string;
  keeperRenewMinutes?: number;
  onKeeperOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface WebHost {
  /** e.g. http://127.0.0.1:8700/ */
  url: string;
  dataCenterUrl: string;
  /** the embedded data center's pid, null when an external one is used */
  dataCenterPid: number | null;
  /** the folder the embedded data center serves replica images from, null without an image keeper */
  imagesDir: string | null;
  /** the image keeper child, once started (after this host's replica is first live), else null */
  imageKeeper(): ImageKeeperChild | null;
  service: DataService;
  close(): Promise<void>;
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const log = opts.logger ?? createLogger('web-host');
  const undo: (() => Promise<void>)[] = [];
  const unwind = async () => {
    for (const step of undo.splice(0).reverse()) await step().catch((err: unknown) => log.error({ err }, 'shutdown step failed'));
  };

  try {
    let embedded: EmbeddedDataCenter | null = null;
    let service: DataService | null = null;
    let dataCenterUrl = opts.dataCenterUrl;
    const imagesDir = !dataCenterUrl && opts.imageKeeper ? path.join(opts.dataDir, 'images') : null;
    if (!dataCenterUrl) {
      const extraArgs = [...(opts.demoActivity ? DEMO_ACTIVITY_ARGS : []), ...(imagesDir ? imagesArgs(imagesDir) : [])];
      embedded = await startEmbeddedDataCenter({
        dataDir: path.join(opts.dataDir, 'datacenter'),
        log,
        ...(opts.dataCenterCli ? { cliPath: opts.dataCenterCli } : {}),
        ...(opts.dataCenterReadyTimeoutMs ? { readyTimeoutMs: opts.dataCenterReadyTimeoutMs } : {}),
        ...(opts.onDataCenterOutput ? { onOutput: opts.onDataCenterOutput } : {}),
        ...(extraArgs.length > 0 ? { extraArgs } : {}),
        onExit: (description) => service?.reportDataCenterDown(description),
      });
      undo.push(() => embedded!.stop());
      dataCenterUrl = embedded.url;
    }

    service = await createDataService({
      dataDir: path.join(opts.dataDir, 'replica'),
      dataCenterUrl,
      shell: 'web',
      logger: log,
      appVersion: packageVersion(),
      ...(opts.sync ? { sync: opts.sync } : {}),
    });
    const svc = service;
    undo.push(() => svc.close());

    // the keeper after this host's own first snapshot: the two would otherwise share the cores at start-up
    let keeper: ImageKeeperChild | null = null;
    let keeperStopped = false;
    if (imagesDir && embedded) {
      const url = embedded.url;
      const off = svc.subscribe('sync/status', (status) => {
        if (status.state !== 'live' || keeper || keeperStopped) return;
        queueMicrotask(off);
        keeper = startImageKeeperChild({
          dataCenterUrl: url,
          imagesDir,
          dataDir: path.join(opts.dataDir, 'image-keeper'),
          log,
          ...(opts.keeperCli ? { cliPath: opts.keeperCli } : {}),
          ...(opts.keeperRenewMinutes !== undefined ? { renewMinutes: opts.keeperRenewMinutes } : {}),
          ...(opts.onKeeperOutput ? { onOutput: opts.onKeeperOutput } : {}),
        });
      });
      undo.push(async () => {
        keeperStopped = true;
        off();
        await keeper?.stop();
      });
    }

    const app = Fastify({ logger: false, forceCloseConnections: true });
    undo.push(() => app.close());
    const rendererDir = opts.rendererDir ?? DEFAULT_RENDERER_DIR;
    const { built } = await registerRendererRoutes(app, { rendererDir, reservedPrefixes: [RPC_PATH, '/api'] });
    if (!built) log.warn({ rendererDir }, 'the renderer is not built; pages will say so until it is');
    app.get(RPC_PATH, (_req, reply) =>
      reply.code(426).header('upgrade', 'websocket').send({ ok: false, error: { code: 'invalid_args', message: `${RPC_PATH} speaks WebSocket only` } }),
    );

    let origins: ReadonlySet<string> = new Set();
    const rpc = attachRpcSocket(app.server, svc, {
      path: RPC_PATH,
      allowOrigin: createOriginCheck(() => origins),
      log: (message) => log.warn({ component: 'rpc-socket' }, message),
    });
    undo.push(() => rpc.close());

    const host = opts.host ?? '127.0.0.1';
    await app.listen({ port: opts.port ?? DEFAULT_PORT, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : (opts.port ?? DEFAULT_PORT);
    origins = allowedOrigins(port, opts.allowedOrigins);
    const url = `http://${displayHost(host)}:${port}/`;
    log.info({ url, dataCenterUrl, embedded: embedded !== null, rendererDir }, 'web host ready');

    let closing: Promise<void> | null = null;
    return {
      url,
      dataCenterUrl,
      dataCenterPid: embedded?.pid ?? null,
      imagesDir,
      imageKeeper: () => keeper,
      service: svc,
      close: () => (closing ??= unwind()),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

/** A host to put in a URL: a wildcard address becomes loopback, IPv6 gets brackets. */
function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
