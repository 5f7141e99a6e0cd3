/**
 * Main's half of the Electron transport: ONE validated channel pair.
 *
 * - `huying:invoke` (ipcMain.handle): every call is checked at the edge, once —
 *   the sender frame must be the main frame of one of our windows and show a
 *   page of our `app://` origin; the name and arguments are parsed with the
 *   contract's schemas (`parseRequest`). Only then is the data service asked.
 *   The answer is always a Reply (errors as data), never a thrown exception.
 * - `huying:event` (webContents.send): every event the data service pushes is
 *   forwarded to our windows; the preload fans it out to the page's listeners.
 *
 * Written against small structural types instead of `electron` so the contract
 * tests can wire it to an in-memory ipc pair under plain Node.
 */
import { events, type EventName } from '../core/rpc/contract';
import { toRpcError, type RpcError } from '../core/errors';
import { answerParsed, parseRequest, type DataServicePort, type ParsedRequest, type Reply } from '../core/rpc/wire';
import { isAppUrl } from './app-url';

export const INVOKE_CHANNEL = 'huying:invoke';
export const EVENT_CHANNEL = 'huying:event';

/** What we read of Electron's WebFrameMain. */
export interface FrameLike {
  readonly url: string;
  readonly processId: number;
  readonly routingId: number;
}

/** What we read of Electron's IpcMainInvokeEvent. */
export interface InvokeEventLike {
  readonly senderFrame: FrameLike | null;
}

/** The part of Electron's ipcMain we use. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<Reply>): void;
  removeHandler(channel: string): void;
}

/** Where pushed events go: a window's webContents. */
export interface EventTargetLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export interface ValidatedIpcOptions {
  ipcMain: IpcMainLike;
  port: DataServicePort;
  /** True when `frame` is the main frame of one of our windows (see windows.ts). */
  isOurMainFrame(frame: FrameLike): boolean;
  /** The webContents of our windows, asked afresh for every event. */
  targets(): Iterable<EventTargetLike>;
  /** Called for every refused call, for the log. */
  onRefused?(error: RpcError): void;
}

/** Same frame: Electron may hand out different WebFrameMain objects for one frame. */
export function sameFrame(a: FrameLike, b: FrameLike): boolean {
  return a === b || (a.processId === b.processId && a.routingId === b.routingId);
}

/** Returns why a sender is refused, or null when it may speak. */
export function checkSender(frame: FrameLike | null, isOurMainFrame: (frame: FrameLike) => boolean): RpcError | null {
  if (!frame) return { code: 'forbidden_sender', message: 'the sender frame is gone' };
  if (!isAppUrl(frame.url)) {
    return { code: 'forbidden_sender', message: `sender ${JSON.stringify(frame.url)} is not a page of the app` };
  }
  if (!isOurMainFrame(frame)) {
    return { code: 'forbidden_sender', message: 'the sender is not the main frame of a Huying window' };
  }
  return null;
}

/**
 * Installs the invoke handler and the event fan-out; returns a function that
 * removes both (used on quit and in tests).
 */
export function registerValidatedIpc(opts: ValidatedIpcOptions): () => void {
  const { ipcMain, port } = opts;

  ipcMain.handle(INVOKE_CHANNEL, async (event, name, args) => {
    const refused = checkSender(event.senderFrame, opts.isOurMainFrame);
    if (refused) {
      opts.onRefused?.(refused);
      return { ok: false, error: refused };
    }
    let request: ParsedRequest;
    try {
      request = parseRequest(name, args);
    } catch (err) {
      const error = toRpcError(err);
      opts.onRefused?.(error);
      return { ok: false, error };
    }
    return answerParsed(port.handlers, request);
  });

  const unsubscribers = (Object.keys(events) as EventName[]).map((name) =>
    port.subscribe(name, (payload) => {
      for (const target of opts.targets()) {
        if (target.isDestroyed()) continue;
        try {
          target.send(EVENT_CHANNEL, name, payload);
        } catch (err) {
          // a window closing between isDestroyed() and send(): skip it, keep the others
          console.warn(`huying: could not forward ${name}`, err);
        }
      }
    }),
  );

  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    for (const off of unsubscribers) off();
  };
}
