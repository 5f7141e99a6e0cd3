import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR, parseDataCenterArgs } from '../options';
import { parseHistoryArgs } from './cli';

const NOW = new Date('2026-11-27T00:00:00Z');

describe('--history and --simulate on the command line', () => {
  it('--history reads its count, days, seed, end and log choice; the database options are the server’s', () => {
    const r = parseHistoryArgs(['--history', '1e6', '--days', '30', '--history-seed', '7', '--no-change-log', '--pg', 'postgres://h/db'], {}, () => NOW);
    expect(r).toEqual({ ok: true, options: { count: 1_000_000, days: 30, seed: 7, now: NOW, batchSize: 2000, changeLog: false, pg: 'postgres://h/db', seedDemo: false } });
    expect(parseHistoryArgs(['--history', '500', '--now', '2026-01-01T00:00:00Z'], {}, () => NOW)).toEqual({
      ok: true,
      options: { count: 500, days: 365, seed: 1, now: new Date('2026-01-01T00:00:00Z'), batchSize: 2000, changeLog: true, dataDir: path.resolve(DEFAULT_DATA_DIR), seedDemo: true },
    });
    expect(parseHistoryArgs(['--history', '5'], { DATABASE_URL: 'postgresql://h/x' }, () => NOW)).toMatchObject({ ok: true, options: { pg: 'postgresql://h/x', seedDemo: false } });
    for (const bad of [['--history'], ['--history', 'many'], ['--history', '5', '--days', '0'], ['--history', '5', '--now', 'yesterday'], ['--history', '5', '--pg', 'x', '--data', 'y'], ['--history', '5', '--seed', 'all']]) {
      expect(parseHistoryArgs(bad, {}, () => NOW).ok, bad.join(' ')).toBe(false);
    }
  });

  it('--simulate RATE goes to the server options; --simulate-seed needs it', () => {
    const r = parseDataCenterArgs(['--simulate', '120@60x', '--simulate-seed', '9']);
    expect(r).toMatchObject({ kind: 'run', options: { simulate: { ratePerHour: 120, speed: 60, seed: 9 } } });
    expect(parseDataCenterArgs(['--simulate', '60x'])).toMatchObject({ kind: 'run', options: { simulate: { ratePerHour: 30, speed: 60 } } });
    expect(parseDataCenterArgs([])).toMatchObject({ kind: 'run' });
    expect((parseDataCenterArgs([]) as { options: object }).options).not.toHaveProperty('simulate');
    expect(parseDataCenterArgs(['--simulate', 'fast']).kind).toBe('error');
    expect(parseDataCenterArgs(['--simulate-seed', '3']).kind).toBe('error');
    expect(parseDataCenterArgs(['--simulate', '10', '--simulate-seed', 'x']).kind).toBe('error');
  });
});
