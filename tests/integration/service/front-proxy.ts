/**
 * A front in front of a feed server for tests that answer some requests themselves: `handle` answers what it
 * wants (true) and the rest is passed on to `upstreamPort` as it came, the live feed's WebSocket upgrade
 * included (bytes both ways). Closed by the cleanup it pushes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export type FrontHandler = (req: http.IncomingMessage, res: http.ServerResponse, pass: () => void) => boolean;

export async function startFront(upstreamPort: number, handle: FrontHandler, cleanups: (() => unknown)[]): Promise<string> {
  const sockets = new Set<net.Socket>();
  const pass = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server = http.createServer((req, res) => {
    if (!handle(req, res, () => pass(req, res))) pass(req, res);
  });
  // the live feed's WebSocket: the upgrade request as it came, then the bytes both ways
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
