import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => ({
  protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
}));
vi.mock('electron', () => electron);

import { createAppRequestHandler, installAppProtocol, registerAppScheme } from './protocol';

const CSP = "default-src 'self'; script-src 'self'";
let base: string;
let root: string;
let serve: (request: Request) => Promise<Response>;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'huying-protocol-'));
  root = path.join(base, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>呼应</title>');
  writeFileSync(path.join(root, 'assets', 'app-1.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'assets', 'font file.woff2'), 'woff2');
  writeFileSync(path.join(base, 'secret.txt'), 'do not serve');
  writeFileSync(path.join(base, 'renderer-evil.txt'), 'sibling with the same prefix');
  symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'assets', 'link.txt'));
  serve = createAppRequestHandler({ root, csp: CSP });
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const get = (url: string, method = 'GET') => serve(new Request(url, { method }));

describe('app:// protocol', () => {
  it('registers app as a privileged standard, secure scheme before ready', () => {
    registerAppScheme();
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, supportFetchAPI: true }) }),
    ]);
  });

  it('serves the renderer files with their type and the CSP header', async () => {
    const index = await get('app://huying/index.html?mode=wall');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toBe(CSP);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toContain('呼应');

    const root = await get('app://huying/');
    expect(await root.text()).toContain('呼应');

    const js = await get('app://huying/assets/app-1.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');

    const font = await get('app://huying/assets/font%20file.woff2');
    expect(font.status).toBe(200);
    expect(font.headers.get('content-type')).toBe('font/woff2');

    const head = await get('app://huying/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses paths outside the renderer folder, with the CSP on the refusal too', async () => {
    const attempts = [
      'app://huying/..%2fsecret.txt',
      'app://huying/assets/..%2f..%2fsecret.txt',
      'app://huying/%2e%2e%2fsecret.txt',
      'app://huying/..%2frenderer-evil.txt',
      'app://huying/assets/link.txt', // a symlink pointing out
      'app://huying/index.html%00.js',
      'app://huying/..%5csecret.txt',
    ];
    for (const url of attempts) {
      const res = await get(url);
      expect(res.status, url).toBe(403);
      expect(res.headers.get('content-security-policy'), url).toBe(CSP);
      expect(await res.text(), url).not.toContain('do not serve');
    }
    // plain `..` segments are resolved by URL parsing itself and stay inside
    const dots = await get('app://huying/assets/../../../../secret.txt');
    expect(dots.status).toBe(404);
  });

  it('answers 404 for missing files, folders and other hosts, 405 for writes, 400 for bad encoding', async () => {
    expect((await get('app://huying/missing.js')).status).toBe(404);
    expect((await get('app://huying/assets')).status).toBe(404);
    expect((await get('app://elsewhere/index.html')).status).toBe(404);
    expect((await get('app://huying/index.html', 'POST')).status).toBe(405);
    const bad = await get('app://huying/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-security-policy')).toBe(CSP);
  });

  it('installs the handler on the app scheme', async () => {
    installAppProtocol({ root, csp: CSP });
    expect(electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
    const handler = electron.protocol.handle.mock.calls[0]![1] as (r: Request) => Promise<Response>;
    expect((await handler(new Request('app://huying/index.html'))).status).toBe(200);
  });
});
