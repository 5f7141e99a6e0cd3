/**
 * The desktop security settings of ARCHITECTURE.md that are not per window
 * (those live in windows.ts): the Content-Security-Policy served with every
 * app:// response, navigation / window.open / <webview> blocked in every
 * webContents, a permission handler that grants notifications only, and
 * shell.openExternal restricted to an allow-list of origins.
 *
 * See Electron's security checklist:
 * https://www.electronjs.org/docs/latest/tutorial/security
 */
import { app, session, shell, type WebContents } from 'electron';
import { isAppUrl } from './app-url';

/**
 * The renderer's CSP. `connectOrigins` adds origins beyond 'self' (the data
 * center's, given as http(s); its ws(s) twin is added too). maplibre needs
 * blob: workers and images; React inline styles need 'unsafe-inline' styles.
 */
export function buildCsp(opts: { connectOrigins?: readonly string[] } = {}): string {
  const connect = new Set<string>(["'self'"]);
  for (const raw of opts.connectOrigins ?? []) {
    const origin = new URL(raw).origin;
    connect.add(origin);
    connect.add(origin.replace(/^http/, 'ws'));
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    `connect-src ${[...connect].join(' ')}`,
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** True when `url` is http(s) and its origin is in the allow-list. */
export function isExternalAllowed(url: string, allowOrigins: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  if (parsed.username || parsed.password) return false;
  return allowOrigins.includes(parsed.origin);
}

/** The only permission a page may have: showing notifications (new urgent events). */
export function isPermissionAllowed(permission: string): boolean {
  return permission === 'notifications';
}

export interface SecurityPolicy {
  /** origins links may open in the system browser */
  openExternal: readonly string[];
  log?: (message: string) => void;
}

/** Opens `url` in the system browser when allowed; returns whether it did. */
export function openExternalIfAllowed(url: string, policy: SecurityPolicy): boolean {
  if (!isExternalAllowed(url, policy.openExternal)) {
    policy.log?.(`blocked external link ${url}`);
    return false;
  }
  void shell.openExternal(url);
  return true;
}

/** Blocks navigation away from app://, new windows and <webview> in one webContents. */
export function hardenWebContents(contents: WebContents, policy: SecurityPolicy): void {
  const refuseNavigation = (event: { url: string; preventDefault(): void }) => {
    if (isAppUrl(event.url)) return;
    event.preventDefault();
    // a link to an allowed site opens in the browser instead of replacing the app
    if (!openExternalIfAllowed(event.url, policy)) policy.log?.(`blocked navigation to ${event.url}`);
  };
  contents.on('will-navigate', refuseNavigation);
  contents.on('will-redirect', refuseNavigation);
  contents.setWindowOpenHandler(({ url }) => {
    openExternalIfAllowed(url, policy);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    policy.log?.('blocked <webview>');
  });
}

/**
 * Installs everything app-wide; call once when the app is ready (before any
 * window). Every webContents created later is hardened as it appears.
 */
export function installSecurity(policy: SecurityPolicy): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, policy));
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback) => {
    const allowed = isPermissionAllowed(permission);
    if (!allowed) policy.log?.(`denied permission ${permission}`);
    callback(allowed);
  });
  ses.setPermissionCheckHandler((_contents, permission) => isPermissionAllowed(permission));
}
