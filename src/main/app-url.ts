/**
 * The renderer's address in the desktop app: `app://huying/…`, served by
 * protocol.ts from out/renderer. Kept free of `electron` so the IPC sender
 * check and its tests can use it under plain Node.
 *
 * Node's URL gives `origin === 'null'` for schemes it does not know, so
 * checks compare protocol and host instead of `origin`.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'huying';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** `app://huying/<path>` with an optional query, e.g. appUrl('index.html', { mode: 'wall' }). */
export function appUrl(path = 'index.html', query: Record<string, string> = {}): string {
  const url = new URL(`${APP_ORIGIN}/${path.replace(/^\/+/, '')}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.toString();
}

/** True when `url` is a page of our renderer (scheme and host both ours). */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}
