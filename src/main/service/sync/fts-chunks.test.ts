/**
 * The full-text index after a snapshot is built in chunks sized by time, so
 * that no chunk holds the data service's thread (and the live batches queued
 * behind it) for long.
 */
import { describe, expect, it } from 'vitest';
import { FTS_CHUNK_BUDGET_MS, ftsChunkRowsAfter } from './fts-builder';

/** chunks of a build whose cost is `msPerRow` per event, from the first chunk size the client uses (100) */
function build(msPerRow: number, chunks: number): { rows: number; ms: number }[] {
  const out: { rows: number; ms: number }[] = [];
  let rows = 100;
  for (let i = 0; i < chunks; i++) {
    const ms = rows * msPerRow;
    out.push({ rows, ms });
    rows = ftsChunkRowsAfter(rows, ms);
  }
  return out;
}

describe('FTS chunk sizing', () => {
  it('on a slow replica (a 1,000-event chunk took ~300 ms) the chunks settle at the budget', () => {
    const chunks = build(0.3, 12);
    for (const c of chunks) expect(c.ms).toBeLessThanOrEqual(30 + 1e-9);
    const last = chunks.at(-1)!;
    expect(last.ms).toBeGreaterThan(FTS_CHUNK_BUDGET_MS * 0.9);
    expect(last.ms).toBeLessThan(FTS_CHUNK_BUDGET_MS * 1.1);
  });

  it('on a fast one the chunks grow toward the budget, up to 2,000 events', () => {
    const chunks = build(0.01, 12);
    expect(chunks[1]!.rows).toBeGreaterThan(chunks[0]!.rows);
    expect(chunks.at(-1)!.rows).toBe(2_000);
    expect(ftsChunkRowsAfter(2_000, 0)).toBe(2_000);
  });

  it('one slow chunk (a checkpoint, a GC) moves the size only halfway, and never below 20 events', () => {
    expect(ftsChunkRowsAfter(100, 100)).toBe(50); // target 25 rows: halfway in ratio
    expect(ftsChunkRowsAfter(100, 25)).toBe(100);
    expect(ftsChunkRowsAfter(30, 10_000)).toBe(20);
  });
});
