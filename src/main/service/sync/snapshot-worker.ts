/**
 * The snapshot parser worker (worker_threads): the NDJSON bytes of a snapshot
 * in, parsed and extracted frames out (./snapshot-frames.ts), so that UTF-8
 * decoding, JSON.parse, the frame check, column extraction and the document
 * text run beside the data service's thread instead of on it. Built as its
 * own entry of the utility process's bundle (out/main/snapshot-parser.js,
 * electron.vite.config.ts); from the TypeScript source it is started through
 * tsx (./snapshot-stream.ts `startParserWorker`).
 *
 *   in   { t: 'bytes', data: Uint8Array }   the next bytes of the body
 *        { t: 'end' }                        the body ended
 *   out  { t: 'frames', frames: { frame, at }[], upTo }   the frames those bytes completed (an answer to every
 *                                                          `bytes`), upTo: the offset past the last line parsed
 *        { t: 'done' }                                after `end`: everything was parsed
 *        { t: 'malformed', message, details }         a line or row that does not fit; nothing more is parsed
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MalformedError } from './http';
import { SnapshotLineParser, type ParsedFrame } from './snapshot-frames';

/** the worker's `workerData` */
export interface ParserWorkerData {
  /** the request asked for the data center's extracted columns: SnapshotLineParser's `askedForColumns` */
  askedForColumns: boolean;
}
export type ToParser = { t: 'bytes'; data: Uint8Array } | { t: 'end' };
export type FromParser =
  | { t: 'frames'; frames: { frame: ParsedFrame; at: number }[]; upTo: number }
  | { t: 'done' }
  | { t: 'malformed'; message: string; details: unknown }
  | { t: 'failed'; message: string };

const port = parentPort;
if (port) {
  const parser = new SnapshotLineParser((workerData as ParserWorkerData | null)?.askedForColumns === true);
  let failed = false;
  const post = (m: FromParser, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  // the documents' buffers move to the service's thread instead of being copied
  const transfers = (frames: { frame: ParsedFrame }[]): ArrayBuffer[] =>
    frames.flatMap(({ frame }) => (frame.t === 'rows' ? [frame.rows.docBytes.buffer as ArrayBuffer] : []));
  port.on('message', (m: ToParser) => {
    if (failed) return;
    try {
      if (m.t === 'bytes') {
        // answered even without a frame: the service's thread learns that the bytes in flight are a line's start
        const frames = parser.push(m.data);
        post({ t: 'frames', frames, upTo: parser.parsedUpTo }, transfers(frames));
      } else {
        const last = parser.finish();
        if (last) post({ t: 'frames', frames: [last], upTo: last.at }, transfers([last]));
        post({ t: 'done' });
      }
    } catch (err) {
      failed = true;
      if (err instanceof MalformedError) post({ t: 'malformed', message: err.message, details: err.details });
      else post({ t: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  });
}
