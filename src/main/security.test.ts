import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => ({
  app: { on: vi.fn() },
  session: { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() } },
  shell: { openExternal: vi.fn(async () => {}) },
}));
vi.mock('electron', () => electron);

import type { WebContents } from 'electron';
import { buildCsp, hardenWebContents, installSecurity, isExternalAllowed, isPermissionAllowed } from './security';

/** A webContents as far as hardenWebContents touches it. */
class FakeContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
}

function navigationEvent(url: string) {
  return { url, preventDefault: vi.fn() };
}

beforeEach(() => {
  vi.clearAllMocks();
});

describe('CSP', () => {
  it('allows only our own origin for scripts and the data center for connections', () => {
    const csp = buildCsp({ connectOrigins: ['http://127.0.0.1:8701/api'] });
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
    expect(directives['img-src']).toEqual(["'self'", 'data:', 'blob:']);
    expect(directives['worker-src']).toEqual(["'self'", 'blob:']);
    expect(directives['connect-src']).toEqual(["'self'", 'http://127.0.0.1:8701', 'ws://127.0.0.1:8701']);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-eval/);
  });

  it('turns an https data center into https + wss', () => {
    expect(buildCsp({ connectOrigins: ['https://dc.example.org'] })).toContain("connect-src 'self' https://dc.example.org wss://dc.example.org");
    expect(buildCsp()).toContain("connect-src 'self';");
  });
});

describe('navigation, new windows and webviews', () => {
  const policy = { openExternal: ['https://www.gov.cn'] };

  it('lets the app navigate inside app:// and refuses everything else', () => {
    const contents = new FakeContents();
    hardenWebContents(contents as unknown as WebContents, policy);

    const inside = navigationEvent('app://huying/index.html?mode=wall');
    contents.emit('will-navigate', inside);
    expect(inside.preventDefault).not.toHaveBeenCalled();

    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://other/index.html', 'http://127.0.0.1:5173/']) {
      const event = navigationEvent(url);
      contents.emit('will-navigate', event);
      expect(event.preventDefault, url).toHaveBeenCalled();
    }
    const redirect = navigationEvent('https://evil.example/');
    contents.emit('will-redirect', redirect);
    expect(redirect.preventDefault).toHaveBeenCalled();
    expect(electron.shell.openExternal).not.toHaveBeenCalled();
  });

  it('opens an allow-listed link in the system browser instead of navigating', () => {
    const contents = new FakeContents();
    hardenWebContents(contents as unknown as WebContents, policy);
    const event = navigationEvent('https://www.gov.cn/zhengce/');
    contents.emit('will-navigate', event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(electron.shell.openExternal).toHaveBeenCalledWith('https://www.gov.cn/zhengce/');
  });

  it('denies every window.open, passing only allow-listed links to the browser', () => {
    const contents = new FakeContents();
    hardenWebContents(contents as unknown as WebContents, policy);
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'app://huying/index.html' })).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).not.toHaveBeenCalled();
    expect(contents.windowOpenHandler?.({ url: 'https://www.gov.cn/' })).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).toHaveBeenCalledWith('https://www.gov.cn/');
  });

  it('refuses to attach a <webview>', () => {
    const contents = new FakeContents();
    hardenWebContents(contents as unknown as WebContents, policy);
    const event = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', event, {}, { src: 'https://evil.example' });
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('matches the allow-list by exact origin, http(s) only, no credentials', () => {
    const allow = ['https://www.gov.cn'];
    expect(isExternalAllowed('https://www.gov.cn/a?b', allow)).toBe(true);
    expect(isExternalAllowed('https://www.gov.cn.evil.example/', allow)).toBe(false);
    expect(isExternalAllowed('http://www.gov.cn/', allow)).toBe(false);
    expect(isExternalAllowed('https://user:pw@www.gov.cn/', allow)).toBe(false);
    expect(isExternalAllowed('javascript:alert(1)', allow)).toBe(false);
    expect(isExternalAllowed('not a url', allow)).toBe(false);
  });
});

describe('installSecurity', () => {
  it('hardens every new webContents and denies every permission but notifications', () => {
    installSecurity({ openExternal: [] });

    expect(electron.app.on).toHaveBeenCalledWith('web-contents-created', expect.any(Function));
    const onCreated = electron.app.on.mock.calls[0]![1] as (e: unknown, c: FakeContents) => void;
    const contents = new FakeContents();
    onCreated({}, contents);
    expect(contents.windowOpenHandler).not.toBeNull();
    const nav = navigationEvent('https://evil.example/');
    contents.emit('will-navigate', nav);
    expect(nav.preventDefault).toHaveBeenCalled();

    const request = electron.session.defaultSession.setPermissionRequestHandler.mock.calls[0]![0] as (
      c: unknown,
      p: string,
      cb: (ok: boolean) => void,
    ) => void;
    const answers: Record<string, boolean> = {};
    for (const permission of ['notifications', 'media', 'geolocation', 'openExternal', 'clipboard-read', 'fullscreen']) {
      request(null, permission, (ok) => (answers[permission] = ok));
    }
    expect(answers).toEqual({
      notifications: true,
      media: false,
      geolocation: false,
      openExternal: false,
      'clipboard-read': false,
      fullscreen: false,
    });
    const check = electron.session.defaultSession.setPermissionCheckHandler.mock.calls[0]![0] as (c: unknown, p: string) => boolean;
    expect(check(null, 'notifications')).toBe(true);
    expect(check(null, 'media')).toBe(false);
    expect(isPermissionAllowed('hid')).toBe(false);
  });
});
