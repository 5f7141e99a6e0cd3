/**
 * Serves the built renderer (out/renderer) as a single-page app: files as
 * they are, and any other page path (/, /wall, /workstation/…) answered with
 * index.html so the renderer's own router decides. A missing asset or an
 * API path stays a real 404 — answering those with HTML would hide broken
 * builds behind "unexpected token <" errors.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SECURITY_HEADERS, cacheControlFor, mimeOverride } from './http-headers';

export interface RendererRoutesOptions {
  rendererDir: string;
  /** paths that are never the SPA (e.g. '/rpc') */
  reservedPrefixes: readonly string[];
}

export async function registerRendererRoutes(app: FastifyInstance, opts: RendererRoutesOptions): Promise<{ built: boolean }> {
  const root = path.resolve(opts.rendererDir);
  const built = existsSync(path.join(root, 'index.html'));

  app.addHook('onSend', async (_req, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
  });

  if (existsSync(root)) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: true,
      index: ['index.html'],
      dotfiles: 'deny',
      cacheControl: false,
      setHeaders: (reply, filePath) => {
        const type = mimeOverride(filePath);
        if (type) reply.header('content-type', type);
        const rel = `/${path.relative(root, filePath).split(path.sep).join('/')}`;
        reply.header('cache-control', cacheControlFor(rel));
      },
    });
  }

  const sendIndex = (reply: FastifyReply) => {
    if (!built) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(`The renderer is not built (no index.html in ${root}). Run \`npx electron-vite build\`, or start with \`npm run web\`, which builds it.\n`);
    }
    return readFile(path.join(root, 'index.html'), 'utf8').then((html) =>
      reply.code(200).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(rootRelative(html)),
    );
  };

  app.setNotFoundHandler((req, reply) => {
    const url = new URL(req.url, 'http://host');
    if ((req.method === 'GET' || req.method === 'HEAD') && isPagePath(url.pathname, opts.reservedPrefixes)) return sendIndex(reply);
    return reply.code(404).type('application/json; charset=utf-8').send({ ok: false, error: { code: 'not_found', message: `no such file: ${url.pathname}` } });
  });

  if (!existsSync(root)) {
    // @fastify/static is not registered without a root; '/' still explains what is missing.
    app.get('/', (_req, reply) => sendIndex(reply));
  }
  return { built };
}

/**
 * The renderer is built with relative URLs (`./assets/…`, which the desktop's
 * app:// protocol needs). Served for a nested page path such as
 * /workstation/events they would resolve under that path, so the fallback
 * copy of index.html points them at the root. (A `<base href="/">` would do
 * the same, but the CSP's `base-uri 'none'` forbids it, on purpose.)
 */
export function rootRelative(html: string): string {
  return html.replace(/(\s(?:src|href)=["'])\.\//g, '$1/');
}

/** A path the SPA's router owns: not reserved, not under assets/, and without a file extension. */
export function isPagePath(pathname: string, reservedPrefixes: readonly string[]): boolean {
  if (reservedPrefixes.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return false;
  if (pathname.startsWith('/assets/')) return false;
  const last = pathname.slice(pathname.lastIndexOf('/') + 1);
  return !last.includes('.');
}
