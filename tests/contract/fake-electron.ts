/**
 * Electron's plumbing in memory, for running the real transport code under
 * Node: an ipcMain/ipcRenderer pair with one window's webContents between
 * them, and utilityProcess children joined to `serveParentPort`. Every
 * message is structured-cloned, as Electron does, so nothing that would not
 * survive the real boundary (functions, class instances) can slip through.
 */
import { EventEmitter } from 'node:events';
import type { IpcRendererLike } from '../../src/preload/bridge';
import type { EventTargetLike, FrameLike, IpcMainLike, InvokeEventLike } from '../../src/main/validated-ipc';
import type { UtilityChildLike } from '../../src/main/service-host';
import { serveParentPort, type ParentPortLike, type ServedService } from '../../src/main/service/process';

export const OUR_FRAME: FrameLike = { url: 'app://huying/index.html', processId: 7, routingId: 1 };

export interface FakeIpcPair {
  ipcMain: IpcMainLike;
  ipcRenderer: IpcRendererLike;
  /** the window's webContents: main sends events through it */
  webContents: EventTargetLike;
  /** the frame the next invoke claims to come from (null: a frame that is gone) */
  senderFrame: FrameLike | null;
}

export function createFakeIpcPair(): FakeIpcPair {
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  const rendererSide = new EventEmitter();
  const pair: FakeIpcPair = {
    senderFrame: OUR_FRAME,
    ipcMain: {
      handle(channel, listener) {
        if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
        handlers.set(channel, listener);
      },
      removeHandler(channel) {
        handlers.delete(channel);
      },
    },
    ipcRenderer: {
      async invoke(channel, ...args) {
        const handler = handlers.get(channel);
        if (!handler) throw new Error(`No handler registered for '${channel}'`);
        const result = await handler({ senderFrame: pair.senderFrame }, ...structuredClone(args));
        return structuredClone(result);
      },
      on(channel, listener) {
        rendererSide.on(channel, listener);
        return this;
      },
    },
    webContents: {
      send(channel, ...args) {
        const cloned = structuredClone(args);
        // delivered later, as across a process boundary
        setImmediate(() => rendererSide.emit(channel, { sender: 'main' }, ...cloned));
      },
      isDestroyed: () => false,
    },
  };
  return pair;
}

export interface FakeUtilityChild extends UtilityChildLike {
  /** simulates a crash: the child exits with `code` without closing its service */
  crash(code?: number): void;
  readonly killed: boolean;
}

/**
 * A utilityProcess child running `serveParentPort(service)` in this process.
 * It says `ready` on the next tick, exits 0 after a `shutdown`.
 */
export function forkInMemory(service: ServedService): FakeUtilityChild {
  const toMain = new EventEmitter();
  const toChild = new EventEmitter();
  let exited = false;
  let killed = false;
  const exit = (code: number) => {
    if (exited) return;
    exited = true;
    toChild.removeAllListeners();
    setImmediate(() => toMain.emit('exit', code));
  };
  const parentPort: ParentPortLike = {
    on: (_event, listener) => toChild.on('message', listener),
    postMessage: (message) => {
      if (exited) return;
      const cloned = structuredClone(message);
      setImmediate(() => !exited && toMain.emit('message', cloned));
    },
  };
  void serveParentPort(parentPort, service).then(() => exit(0));
  setImmediate(() => parentPort.postMessage({ t: 'ready' }));
  return {
    postMessage(message) {
      if (exited) throw new Error('the child has exited');
      const data = structuredClone(message);
      setImmediate(() => toChild.emit('message', { data }));
    },
    on(event: string, listener: (arg: unknown) => void) {
      toMain.on(event, listener as (arg: unknown) => void);
      return this;
    },
    kill() {
      killed = true;
      exit(137);
      return true;
    },
    crash(code = 1) {
      exit(code);
    },
    get killed() {
      return killed;
    },
  } as FakeUtilityChild;
}
