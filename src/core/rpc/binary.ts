/**
 * Typed arrays over the WebSocket transport. Electron IPC and the utility
 * process structured-clone a Float32Array as it is; JSON cannot (it turns one
 * into `{"0":113.2,"1":23.4,…}`, ten times the bytes and not a typed array any
 * more). A message holding typed arrays therefore travels as ONE binary
 * WebSocket frame:
 *
 *   "HYB1" · u32 LE header length · header (UTF-8 JSON) · zero padding to 8
 *   · each array's raw bytes, each padded to 8
 *
 * The header is `{ value, arrays: [{ path, type, offset, length }] }`: the
 * message with every typed array replaced by null, and where each one goes.
 * The receiver parses the header and puts a typed array VIEW of the received
 * buffer at each path — no copy, no per-element work; 8-byte alignment makes
 * a Float64Array view legal. Messages without typed arrays stay JSON text
 * frames, as before.
 *
 * Measured against the alternative (typed arrays as base64 inside the JSON,
 * `{ $ta: 'f32', b64 }`) in bench/queries: see docs/queries.md.
 */

/** The typed array kinds that travel, by their code in the header. */
const KINDS = {
  f32: Float32Array,
  f64: Float64Array,
  u8: Uint8Array,
  u8c: Uint8ClampedArray,
  i8: Int8Array,
  u16: Uint16Array,
  i16: Int16Array,
  u32: Uint32Array,
  i32: Int32Array,
} as const;
type KindCode = keyof typeof KINDS;
type AnyTypedArray = InstanceType<(typeof KINDS)[KindCode]>;

const MAGIC = [0x48, 0x59, 0x42, 0x31]; // "HYB1"

interface ArrayEntry {
  path: (string | number)[];
  type: KindCode;
  /** byte offset of the array's data, from the start of the data section */
  offset: number;
  /** elements */
  length: number;
}

interface Header {
  value: unknown;
  arrays: ArrayEntry[];
}

/** TextEncoder/TextDecoder exist in every runtime Huying runs in (Node, Chromium, Electron); core has no DOM types. */
interface Utf8 {
  encode(text: string): Uint8Array;
  decode(bytes: Uint8Array): string;
}
const utf8: Utf8 = (() => {
  const g = globalThis as unknown as {
    TextEncoder: new () => { encode(s: string): Uint8Array };
    TextDecoder: new () => { decode(b: Uint8Array): string };
  };
  const enc = new g.TextEncoder();
  const dec = new g.TextDecoder();
  return { encode: (s) => enc.encode(s), decode: (b) => dec.decode(b) };
})();

function kindOf(v: unknown): KindCode | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  for (const [code, ctor] of Object.entries(KINDS) as [KindCode, (typeof KINDS)[KindCode]][]) {
    if (v instanceof ctor) return code;
  }
  return null;
}

const pad8 = (n: number) => (n + 7) & ~7;

/**
 * The value with its typed arrays taken out (copy-on-write: only the objects
 * and arrays on the way to a typed array are copied), and where they were.
 */
function extract(value: unknown, path: (string | number)[], found: { path: (string | number)[]; array: AnyTypedArray; type: KindCode }[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  const kind = kindOf(value);
  if (kind) {
    found.push({ path: [...path], array: value as AnyTypedArray, type: kind });
    return null;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      path.push(i);
      const next = extract(item, path, found);
      path.pop();
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item === null || typeof item !== 'object') continue;
    path.push(key);
    const next = extract(item, path, found);
    path.pop();
    if (next !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

/** True when the value holds a typed array anywhere (so it must travel binary). */
export function hasTypedArrays(value: unknown): boolean {
  const found: { path: (string | number)[]; array: AnyTypedArray; type: KindCode }[] = [];
  extract(value, [], found);
  return found.length > 0;
}

/** The binary frame of a message, or null when it holds no typed array (send it as JSON text). */
export function encodeBinary(message: unknown): Uint8Array | null {
  const found: { path: (string | number)[]; array: AnyTypedArray; type: KindCode }[] = [];
  const value = extract(message, [], found);
  if (found.length === 0) return null;
  let offset = 0;
  const arrays: ArrayEntry[] = found.map((f) => {
    const entry = { path: f.path, type: f.type, offset, length: f.array.length };
    offset = pad8(offset + f.array.byteLength);
    return entry;
  });
  const header = utf8.encode(JSON.stringify({ value, arrays } satisfies Header));
  const dataStart = pad8(8 + header.byteLength);
  const out = new Uint8Array(dataStart + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.byteLength, true);
  out.set(header, 8);
  found.forEach((f, i) => {
    out.set(new Uint8Array(f.array.buffer, f.array.byteOffset, f.array.byteLength), dataStart + arrays[i]!.offset);
  });
  return out;
}

/** True when the bytes start like a frame of encodeBinary. */
export function isBinaryFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 8 && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * The message of a binary frame, its typed arrays as views of `bytes`' buffer
 * (copied first only if `bytes` does not start 8-byte aligned). Throws on a
 * frame that is not one.
 */
export function decodeBinary(input: ArrayBuffer | Uint8Array): unknown {
  let bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (!isBinaryFrame(bytes)) throw new Error('not a binary frame');
  if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.byteLength) throw new Error('binary frame: header longer than the frame');
  const header = JSON.parse(utf8.decode(bytes.subarray(8, 8 + headerLength))) as Header;
  const dataStart = pad8(8 + headerLength);
  let root = header.value;
  for (const a of header.arrays ?? []) {
    const ctor = KINDS[a.type];
    if (!ctor) throw new Error(`binary frame: unknown array type ${String(a.type)}`);
    const start = dataStart + a.offset;
    if (start + a.length * ctor.BYTES_PER_ELEMENT > bytes.byteLength) throw new Error('binary frame: an array runs past the end');
    const array = new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + start, a.length);
    if (a.path.length === 0) {
      root = array;
      continue;
    }
    if (a.path.some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype')) throw new Error('binary frame: forbidden key in a path');
    let target = root as Record<string | number, unknown>;
    for (const key of a.path.slice(0, -1)) {
      target = target[key] as Record<string | number, unknown>;
      if (target === null || typeof target !== 'object') throw new Error('binary frame: a path leads nowhere');
    }
    target[a.path[a.path.length - 1]!] = array;
  }
  return root;
}
