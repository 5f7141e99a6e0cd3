/**
 * The messages both transports carry, and the one place where a request is
 * validated (`parseRequest`) and answered (`answer`). Transports differ only
 * in how bytes move: Electron IPC or a WebSocket.
 */
import { z } from 'zod';
import { HuyingError, RpcErrorSchema, toRpcError, type RpcError } from '../errors';
import {
  events,
  isEventName,
  isRequestName,
  requests,
  type EventName,
  type EventPayload,
  type Handlers,
  type ParsedArgs,
  type RequestArgs,
  type RequestName,
  type RequestResult,
} from './contract';

export type Reply<T = unknown> = { ok: true; result: T } | { ok: false; error: RpcError };

export const ReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: RpcErrorSchema }),
]);

/** WebSocket frames, client → server. */
export const ClientFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('req'), id: z.number().int().nonnegative(), name: z.string(), args: z.unknown() }),
  z.object({ t: z.literal('sub'), name: z.string() }),
  z.object({ t: z.literal('unsub'), name: z.string() }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** WebSocket frames, server → client. */
export const ServerFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('res'), id: z.number().int().nonnegative(), reply: ReplySchema }),
  z.object({ t: z.literal('evt'), name: z.string(), payload: z.unknown() }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

export type ParsedRequest = { [N in RequestName]: { name: N; args: ParsedArgs<N> } }[RequestName];

/** Validates a request at the edge: a known name and arguments that fit its schema. */
export function parseRequest(name: unknown, args: unknown): ParsedRequest {
  if (!isRequestName(name)) {
    throw new HuyingError('unknown_method', `unknown request ${JSON.stringify(name)}`);
  }
  const parsed = requests[name].args.safeParse(args ?? {});
  if (!parsed.success) throw parsed.error;
  return { name, args: parsed.data } as ParsedRequest;
}

/** Runs an already-validated request against the handlers and turns failures into data. */
export async function answerParsed(handlers: Handlers, request: ParsedRequest): Promise<Reply> {
  try {
    const handler = handlers[request.name] as (a: unknown) => unknown;
    return { ok: true, result: await handler(request.args) };
  } catch (err) {
    return { ok: false, error: toRpcError(err) };
  }
}

/** Validates then answers: what a transport calls for every incoming request. */
export async function answer(handlers: Handlers, name: unknown, args: unknown): Promise<Reply> {
  let request: ParsedRequest;
  try {
    request = parseRequest(name, args);
  } catch (err) {
    return { ok: false, error: toRpcError(err) };
  }
  return answerParsed(handlers, request);
}

/** Checks an outgoing event payload against its schema (used in tests and debug builds). */
export function parseEvent<E extends EventName>(name: E, payload: unknown): EventPayload<E> {
  return events[name].parse(payload) as EventPayload<E>;
}

/** What a shell hands the renderer (the preload's `window.huying`, or the WebSocket client). */
export interface Bridge {
  invoke(name: string, args: unknown): Promise<Reply>;
  subscribe(name: string, listener: (payload: unknown) => void): () => void;
}

/** Requests whose arguments are all optional may be invoked without them. */
type OptionalIfEmpty<A> = Record<string, never> extends A ? [args?: A] : [args: A];

/** The typed client the renderer uses; failures are thrown as HuyingError. */
export interface RpcClient {
  invoke<N extends RequestName>(name: N, ...args: OptionalIfEmpty<RequestArgs<N>>): Promise<RequestResult<N>>;
  subscribe<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export function createRpcClient(bridge: Bridge): RpcClient {
  return {
    async invoke(name, args?: unknown) {
      const reply = await bridge.invoke(name, args ?? {});
      if (!reply.ok) throw new HuyingError(reply.error.code, reply.error.message, reply.error.details);
      return reply.result as never;
    },
    subscribe(name, listener) {
      if (!isEventName(name)) throw new HuyingError('unknown_method', `unknown event ${name}`);
      return bridge.subscribe(name, listener as (p: unknown) => void);
    },
  };
}

/** Where the data service sends its pushed events; each transport fans them out. */
export interface EventSink {
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
}

/**
 * A running data service as transports see it: the handlers to answer requests
 * and a way to listen to its pushed events. Implemented once in src/main/service;
 * carried by the Electron IPC bridge and by the web host's WebSocket.
 */
export interface DataServicePort {
  handlers: Handlers;
  subscribe<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
}
