import { describe, expect, it } from 'vitest';
import { parseEvent } from './wire';

const status = {
  state: 'snapshot',
  dataCenterUrl: 'http://127.0.0.1:7400',
  offlineSince: null,
  lastBatchAt: null,
  version: null,
  message: null,
} as const;

describe('sync/status progress', () => {
  it("keeps a row snapshot's progress as older data services send it: no kind, no byte total", () => {
    const progress = { rows: 5_000, bytes: 900_000, totalRows: 20_000, rowsPerSecond: 1_200, etaSeconds: 12.5 };
    expect(parseEvent('sync/status', { ...status, progress }).progress).toEqual(progress);
  });

  it("carries an image's phase and byte total to the renderer", () => {
    const download = { rows: 0, bytes: 120e6, totalRows: null, rowsPerSecond: 0, etaSeconds: 5, kind: 'image', phase: 'download', totalBytes: 523e6 } as const;
    expect(parseEvent('sync/status', { ...status, progress: download }).progress).toEqual(download);
    const copy = { ...download, phase: 'copy', bytes: 40e6, etaSeconds: null } as const;
    expect(parseEvent('sync/status', { ...status, progress: copy }).progress).toEqual(copy);
    // a byte total may be unknown
    expect(parseEvent('sync/status', { ...status, progress: { ...download, totalBytes: null } }).progress?.totalBytes).toBeNull();
  });

  it('refuses a kind or phase it does not know', () => {
    const progress = { rows: 0, bytes: 0, totalRows: null, rowsPerSecond: 0, etaSeconds: null };
    expect(() => parseEvent('sync/status', { ...status, progress: { ...progress, kind: 'tiles' } })).toThrow();
    expect(() => parseEvent('sync/status', { ...status, progress: { ...progress, kind: 'image', phase: 'unpack' } })).toThrow();
    expect(() => parseEvent('sync/status', { ...status, progress: { ...progress, totalBytes: '523 MB' } })).toThrow();
  });
});
