import { describe, expect, it, vi } from 'vitest';
import { createFakeService, fakeResults } from '../core/rpc/fake-service';
import type { Reply } from '../core/rpc/wire';
import {
  checkSender,
  EVENT_CHANNEL,
  INVOKE_CHANNEL,
  registerValidatedIpc,
  sameFrame,
  type FrameLike,
  type InvokeEventLike,
} from './validated-ipc';

const OURS: FrameLike = { url: 'app://huying/index.html', processId: 3, routingId: 1 };

/** ipcMain as Electron shapes it: one handler per channel, called with (event, ...args). */
function fakeIpcMain() {
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<Reply>>();
  return {
    handlers,
    handle: vi.fn((channel: string, fn: (event: InvokeEventLike, ...args: unknown[]) => Promise<Reply>) => {
      handlers.set(channel, fn);
    }),
    removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
    call(frame: FrameLike | null, ...args: unknown[]) {
      return handlers.get(INVOKE_CHANNEL)!({ senderFrame: frame }, ...args);
    },
  };
}

function setup() {
  const ipcMain = fakeIpcMain();
  const appInfo = vi.fn(() => fakeResults['app/info']);
  const service = createFakeService({ 'app/info': appInfo });
  const sent: unknown[][] = [];
  const live = { send: (...args: unknown[]) => sent.push(args), isDestroyed: () => false };
  const dead = { send: vi.fn(), isDestroyed: () => true };
  const refused: string[] = [];
  const dispose = registerValidatedIpc({
    ipcMain,
    port: service,
    isOurMainFrame: (frame) => sameFrame(frame, OURS),
    targets: () => [dead, live],
    onRefused: (e) => refused.push(e.code),
  });
  return { ipcMain, service, appInfo, sent, dead, refused, dispose };
}

describe('validated ipc', () => {
  it('answers a well-formed call from our window with the service result', async () => {
    const { ipcMain, appInfo } = setup();
    expect(ipcMain.handle).toHaveBeenCalledWith(INVOKE_CHANNEL, expect.any(Function));
    // another WebFrameMain object for the same frame is still ours
    const reply = await ipcMain.call({ ...OURS }, 'app/info', {});
    expect(reply).toEqual({ ok: true, result: fakeResults['app/info'] });
    expect(appInfo).toHaveBeenCalledTimes(1);
  });

  it("refuses senders that are not our window's main frame with forbidden_sender, before the service sees them", async () => {
    const { ipcMain, appInfo, refused } = setup();
    const senders: (FrameLike | null)[] = [
      null, // frame already gone
      { ...OURS, url: 'https://evil.example/' }, // our frame navigated away
      { ...OURS, url: 'file:///tmp/x.html' },
      { ...OURS, url: 'app://other/index.html' },
      { url: 'app://huying/index.html', processId: 3, routingId: 2 }, // a subframe of ours
      { url: 'app://huying/index.html', processId: 9, routingId: 1 }, // another renderer
    ];
    for (const frame of senders) {
      const reply = await ipcMain.call(frame, 'app/info', {});
      expect(reply.ok, JSON.stringify(frame)).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('forbidden_sender');
    }
    expect(appInfo).not.toHaveBeenCalled();
    expect(refused).toEqual(Array(senders.length).fill('forbidden_sender'));
  });

  it('refuses bad arguments with invalid_args and unknown names with unknown_method', async () => {
    const { ipcMain, appInfo } = setup();
    const bad = await ipcMain.call(OURS, 'app/info', { extra: true });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_args' } });
    expect(await ipcMain.call(OURS, 'app/info', 'text')).toMatchObject({ ok: false, error: { code: 'invalid_args' } });
    expect(await ipcMain.call(OURS, 'app/launch-missiles', {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(await ipcMain.call(OURS, { name: 'app/info' }, {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(await ipcMain.call(OURS)).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(appInfo).not.toHaveBeenCalled();
  });

  it('forwards pushed events to live windows only, and stops after dispose', () => {
    const { service, sent, dead, dispose, ipcMain } = setup();
    const status = { ...fakeResults['sync/status'], message: 'hello' };
    service.emit('sync/status', status);
    expect(sent).toEqual([[EVENT_CHANNEL, 'sync/status', status]]);
    expect(dead.send).not.toHaveBeenCalled();

    dispose();
    expect(ipcMain.removeHandler).toHaveBeenCalledWith(INVOKE_CHANNEL);
    expect(service.listenerCount('sync/status')).toBe(0);
    service.emit('sync/status', status);
    expect(sent).toHaveLength(1);
  });

  it('keeps forwarding to other windows when one throws on send', () => {
    const service = createFakeService();
    const good: unknown[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    registerValidatedIpc({
      ipcMain: fakeIpcMain(),
      port: service,
      isOurMainFrame: () => true,
      targets: () => [
        { send: () => { throw new Error('Object has been destroyed'); }, isDestroyed: () => false },
        { send: (_c: string, name: unknown) => good.push(name), isDestroyed: () => false },
      ],
    });
    service.emit('sync/status', fakeResults['sync/status']);
    expect(good).toEqual(['sync/status']);
    warn.mockRestore();
  });

  it('checkSender explains each refusal', () => {
    const ours = (f: FrameLike) => sameFrame(f, OURS);
    expect(checkSender(OURS, ours)).toBeNull();
    expect(checkSender(null, ours)?.message).toMatch(/gone/);
    expect(checkSender({ ...OURS, url: 'https://x.example/' }, ours)?.message).toMatch(/not a page of the app/);
    expect(checkSender({ ...OURS, routingId: 5 }, ours)?.message).toMatch(/main frame/);
  });
});
