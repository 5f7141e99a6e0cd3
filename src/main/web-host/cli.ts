/**
 * `tsx src/main/web-host/cli.ts [--port N] [--host H] [--data DIR] [--datacenter URL]`
 * (what `npm run web` runs after building the renderer). Prints the URL to
 * open on stdout; logs go to stderr. Ctrl-C / SIGTERM shut down cleanly,
 * embedded data center included; a second signal exits at once.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../service/index';
import { DEFAULT_PORT, startWebHost } from './index';

const USAGE = `Usage: npm run web -- [--port N] [--host H] [--data DIR] [--datacenter URL] [--renderer DIR] [--quiet-demo] [--no-image-keeper]

  --port N          port to serve on (default ${DEFAULT_PORT}; 0 = any free port)
  --host H          address to bind (default 127.0.0.1; 0.0.0.0 for kiosks on other machines)
  --data DIR        data folder: replica and embedded data center (default .data/web)
  --datacenter URL  use this data center instead of starting the embedded demo one
  --renderer DIR    built renderer to serve (default out/renderer)
  --quiet-demo      the embedded demo data center starts with no past events and no simulator
                    (by default a new demo gets 3,000 past events and 240 simulated arrivals an hour)
  --no-image-keeper no image keeper next to the embedded data center (by default one keeps a replica
                    image of the district in DIR/images, which a replica that needs a snapshot
                    downloads and switches in whole: docs/image-keeper.md)
`;

export interface CliOptions {
  port: number;
  host: string;
  dataDir: string;
  dataCenterUrl?: string;
  rendererDir?: string;
  /** the embedded demo data center with past events and the simulator (default; --quiet-demo: without) */
  demoActivity: boolean;
  /** an image keeper child next to the embedded data center (default; --no-image-keeper: none) */
  imageKeeper: boolean;
}

export function parseCliArgs(argv: string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      datacenter: { type: 'string' },
      renderer: { type: 'string' },
      'quiet-demo': { type: 'boolean' },
      'no-image-keeper': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${values.port}`);
  if (values.datacenter !== undefined) {
    const u = new URL(values.datacenter); // throws on a malformed URL
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--datacenter must be an http(s) URL, got ${values.datacenter}`);
  }
  return {
    port,
    host: values.host ?? '127.0.0.1',
    dataDir: path.resolve(values.data ?? path.join('.data', 'web')),
    demoActivity: !values['quiet-demo'],
    imageKeeper: !values['no-image-keeper'],
    ...(values.datacenter ? { dataCenterUrl: values.datacenter } : {}),
    ...(values.renderer ? { rendererDir: path.resolve(values.renderer) } : {}),
  };
}

async function main(): Promise<void> {
  let opts: CliOptions | 'help';
  try {
    opts = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return;
  }

  const log = createLogger('web-host');
  let host: Awaited<ReturnType<typeof startWebHost>>;
  try {
    host = await startWebHost({ ...opts, logger: log });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? `port ${opts.port} is already in use (try --port 0 or another port)` : e.message;
    process.stderr.write(`Huying web host failed to start: ${why}\n`);
    process.exit(1);
  }

  process.stdout.write(`Huying web host: ${host.url}\n`);
  process.stdout.write(`  data center: ${host.dataCenterUrl}${host.dataCenterPid ? ` (embedded, pid ${host.dataCenterPid})` : ''}\n`);
  process.stdout.write(`  data folder: ${opts.dataDir}\n`);
  if (host.imagesDir) process.stdout.write(`  replica images: ${host.imagesDir} (image keeper child, once this host's replica is live)\n`);

  let stoppingAt = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingAt) {
      // Ctrl-C reaches us twice at once (from the terminal and forwarded by scripts/web.mjs):
      // only a signal a moment later means "stop waiting".
      if (Date.now() - stoppingAt < 1000) return;
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(130);
    }
    stoppingAt = Date.now();
    log.info({ signal }, 'shutting down');
    host.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  void main();
}
