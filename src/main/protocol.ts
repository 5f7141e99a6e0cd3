/**
 * Serves the built renderer (out/renderer) on `app://huying/`, a privileged
 * standard + secure scheme: the page gets a real origin (so 'self' in the CSP,
 * fetch and workers behave as on https) without a local HTTP server, and no
 * file:// access. Every response, errors included, carries the CSP header.
 * Paths that resolve outside the renderer folder (`..`, encoded slashes,
 * symlinks) are refused.
 */
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';
import { APP_HOST, APP_SCHEME } from './app-url';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.pbf': 'application/x-protobuf',
  '.pmtiles': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Must run before app `ready`: privileges cannot be granted later. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true },
    },
  ]);
}

export interface AppProtocolOptions {
  /** folder of the built renderer (out/renderer) */
  root: string;
  /** Content-Security-Policy value for every response */
  csp: string;
}

/** True when `child` is `parent` or lies inside it. */
function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The request handler, separate from Electron so it is tested with plain Requests. */
export function createAppRequestHandler(opts: AppProtocolOptions): (request: Request) => Promise<Response> {
  const root = path.resolve(opts.root);
  const realRoot = realpath(root).catch(() => root);
  const headers = (extra: Record<string, string> = {}) => ({
    'Content-Security-Policy': opts.csp,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
    ...extra,
  });
  const fail = (status: number, text: string) =>
    new Response(text, { status, headers: headers({ 'Content-Type': 'text/plain; charset=utf-8' }) });

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return fail(405, 'method not allowed');
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return fail(400, 'bad url');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host.toLowerCase() !== APP_HOST) return fail(404, 'not found');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return fail(400, 'bad path encoding');
    }
    if (pathname.includes('\0') || pathname.includes('\\')) return fail(403, 'forbidden path');
    if (pathname === '/' || pathname === '') pathname = '/index.html';
    const file = path.resolve(root, `.${pathname}`);
    if (!isInside(root, file)) return fail(403, 'forbidden path');
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      return fail(404, 'not found');
    }
    if (!isInside(await realRoot, real)) return fail(403, 'forbidden path');
    let body: Buffer;
    try {
      body = await readFile(real);
    } catch {
      // a folder, or unreadable
      return fail(404, 'not found');
    }
    const type = MIME[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: headers({ 'Content-Type': type, 'Content-Length': String(body.byteLength) }),
    });
  };
}

/** Serves out/renderer on app:// (call once the app is ready). */
export function installAppProtocol(opts: AppProtocolOptions): void {
  protocol.handle(APP_SCHEME, createAppRequestHandler(opts));
}
