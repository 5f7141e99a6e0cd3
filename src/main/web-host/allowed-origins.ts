/**
 * Which pages may open the RPC WebSocket. Browsers send `Origin` on a
 * WebSocket handshake and do not apply CORS to it, so without this check any
 * web page a kiosk browser visits could drive the data service
 * (cross-site WebSocket hijacking). Allowed: the web host's own origin under
 * any name this machine answers to (localhost, its host name, each interface
 * address) on the port it listens on, plus origins configured for a reverse
 * proxy. A client without `Origin` is not a browser page and is allowed.
 */
import os from 'node:os';

export function allowedOrigins(port: number, extra: readonly string[] = []): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]', os.hostname()]);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const addr of list ?? []) hosts.add(addr.family === 'IPv6' ? `[${addr.address.split('%')[0]}]` : addr.address);
  }
  const origins = new Set<string>();
  for (const host of hosts) origins.add(`http://${host.toLowerCase()}:${port}`);
  for (const o of extra) origins.add(new URL(o).origin);
  return origins;
}

export function createOriginCheck(origins: () => ReadonlySet<string>): (origin?: string) => boolean {
  return (origin) => {
    if (origin === undefined) return true;
    try {
      return origins().has(new URL(origin).origin);
    } catch {
      return false;
    }
  };
}
