/**
 * The background FTS build gives its turn to live frames (src/main/service/sync/fts-builder.ts): a frame that
 * arrives while a chunk runs is applied right after that chunk, not after the next one too, and the build
 * still ends with every event indexed. On a real replica (in memory) with the chunks of buildFtsChunk.
 */
import { describe, expect, it } from 'vitest';
import { openReplica } from '../../../src/main/service/store/open';
import { ftsBuiltThrough, stageRows, swapInSnapshot } from '../../../src/main/service/store/replica-writes';
import { RowWriter } from '../../../src/main/service/store/replicated-rows';
import { FtsBuilder, type FtsBuilderOptions } from '../../../src/main/service/sync/fts-builder';
import { makeEvent } from './feed-fixtures';

const AT = '2026-11-27T00:00:00.000Z';

function replica(events: number) {
  const r = openReplica({ file: ':memory:' });
  const writer = new RowWriter(r.sqlite);
  stageRows(r.sqlite, writer, 'events', Array.from({ length: events }, (_, i) => ({ key: `ev${i}`, v: 1, row: makeEvent(`ev${i}`, { title: `路面坑洼积水${i}` }) })));
  swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch: 'ep', v: 1 }, referenceVersion: 'ep:1', checksum: null, at: AT }, { deferFts: true });
  return r;
}

const indexed = (r: ReturnType<typeof replica>) => r.sqlite.prepare('SELECT count(*) FROM events_fts_docsize').pluck().get() as number;

/**
 * A build of `events` in chunks of 10 events, and live frames arriving as the sync client receives them: in the
 * event loop's I/O or timer phase (here a timer), queued, and handled in a setImmediate of their own. A frame
 * arrives after chunks 2, 5 and 8 end, while the build's next chunk is already scheduled. The log says what ran
 * in which order.
 */
function run(events: number, extra: Partial<FtsBuilderOptions> = {}): Promise<{ log: string[]; builder: FtsBuilder }> {
  const r = replica(events);
  const frames: string[] = [];
  const log: string[] = [];
  let chunks = 0;
  return new Promise((resolve, reject) => {
    const builder = new FtsBuilder({
      sqlite: r.sqlite,
      chunkRows: 10,
      livePending: () => frames.length > 0,
      onChunk: (c) => {
        chunks += 1;
        log.push(`chunk of ${c.rows}`);
        if (chunks === 2 || chunks === 5 || chunks === 8) {
          setTimeout(() => {
            // queued as the sync client queues frames: the frames that came together are handled together
            frames.push(`frame after chunk ${chunks}`);
            log.push('arrived');
            if (frames.length === 1) {
              setImmediate(() => {
                for (const _ of frames.splice(0)) log.push('applied');
              });
            }
          }, 0);
        }
      },
      onDone: () => {
        expect(ftsBuiltThrough(r.sqlite)).toBeNull();
        expect(indexed(r)).toBe(events);
        resolve({ log, builder });
      },
      onError: reject,
      ...extra,
    });
    builder.start();
  });
}

describe('background FTS build and live frames', () => {
  it('a frame that arrives while a chunk runs is applied before the next chunk, and the build completes', async () => {
    const { log } = await run(200);
    // 20 chunks of 10 events, then one that finds the end
    expect(log.filter((x) => x.startsWith('chunk'))).toEqual([...Array.from({ length: 20 }, () => 'chunk of 10'), 'chunk of 0']);
    expect(log.filter((x) => x === 'applied')).toHaveLength(3);
    // every arrival is followed by its application (or by another arrival handled with it), with no chunk in between
    log.forEach((x, i) => {
      if (x === 'arrived') expect(log.slice(i + 1).find((y) => y !== 'arrived')).toBe('applied');
    });
  });

  it('stops when it may not run (a snapshot streams) and goes on from its mark when started again', async () => {
    const r = replica(100);
    let allowed = true;
    let chunks = 0;
    const done = new Promise<void>((resolve, reject) => {
      const builder = new FtsBuilder({
        sqlite: r.sqlite,
        chunkRows: 10,
        livePending: () => false,
        mayRun: () => allowed,
        onChunk: () => {
          chunks += 1;
          if (chunks === 3) {
            allowed = false;
            // no chunk runs while it may not: the mark stays at the third chunk's
            setTimeout(() => {
              expect(chunks).toBe(3);
              expect(builder.running()).toBe(false);
              expect(ftsBuiltThrough(r.sqlite)).toBe(30);
              allowed = true;
              builder.start();
            }, 20);
          }
        },
        onDone: () => resolve(),
        onError: reject,
      });
      builder.start();
    });
    await done;
    // 10 chunks of 10 events, then one that finds the end
    expect(chunks).toBe(11);
    expect(indexed(r)).toBe(100);
  });
});
