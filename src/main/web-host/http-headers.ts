/**
 * Headers of everything the web host serves: the same Content-Security-Policy
 * the desktop shell sends with its app:// responses (src/main/security.ts
 * `buildCsp()` — keep the two in step; web-host may not import Electron
 * main), plus the usual hardening headers, MIME types browsers insist on for
 * module scripts and WebAssembly, and cache rules for Vite's hashed assets.
 */

/** The renderer talks only to its own origin (the /rpc WebSocket included: 'self' covers ws: in CSP 3). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/**
 * Types the generic table gets wrong or lacks. `text/javascript` is what the
 * HTML standard asks for (module scripts are refused with a non-JS type);
 * `application/wasm` lets `WebAssembly.instantiateStreaming` work.
 */
const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.pbf': 'application/x-protobuf',
  '.pmtiles': 'application/octet-stream',
  '.woff2': 'font/woff2',
};

export function mimeOverride(filePath: string): string | undefined {
  const dot = filePath.lastIndexOf('.');
  return dot < 0 ? undefined : MIME_BY_EXTENSION[filePath.slice(dot).toLowerCase()];
}

/** Vite puts content-hashed files under assets/: they never change, cache them for good. */
export function cacheControlFor(urlPath: string): string {
  return urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}
