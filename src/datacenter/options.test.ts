import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR, DEMO_ACTIVITY, parseDataCenterArgs } from './options';

describe('parseDataCenterArgs', () => {
  it('defaults to embedded PGlite in .data/datacenter on 127.0.0.1:8600, seeded with the demo', () => {
    expect(parseDataCenterArgs([])).toEqual({
      kind: 'run',
      options: { port: 8600, host: '127.0.0.1', seed: 'demo', dataDir: path.resolve(DEFAULT_DATA_DIR) },
    });
  });

  it('takes PostgreSQL from --pg or DATABASE_URL, unseeded unless asked', () => {
    expect(parseDataCenterArgs(['--pg', 'postgres://h/db'])).toEqual({ kind: 'run', options: { port: 8600, host: '127.0.0.1', seed: null, pg: 'postgres://h/db' } });
    expect(parseDataCenterArgs(['--seed', 'demo'], { DATABASE_URL: 'postgresql://h/db' })).toEqual({
      kind: 'run',
      options: { port: 8600, host: '127.0.0.1', seed: 'demo', pg: 'postgresql://h/db' },
    });
    // an explicit --data wins over the environment
    const r = parseDataCenterArgs(['--data', 'x', '--seed', 'none', '--port', '0', '--host', '0.0.0.0'], { DATABASE_URL: 'postgres://h/db' });
    expect(r).toEqual({ kind: 'run', options: { port: 0, host: '0.0.0.0', seed: null, dataDir: path.resolve('x') } });
  });

  it('takes --demo-history N with the demo district only', () => {
    const r = parseDataCenterArgs(['--data', 'x', '--demo-history', '3000', '--simulate', '240']);
    expect(r).toMatchObject({ kind: 'run', options: { seed: 'demo', demoHistory: 3000, simulate: { ratePerHour: 240, speed: 1 } } });
    const message = (argv: string[]) => {
      const p = parseDataCenterArgs(argv);
      return p.kind === 'error' ? p.message : null;
    };
    expect(message(['--demo-history', 'lots'])).toMatch(/--demo-history must be a whole number/);
    expect(message(['--demo-history', '-5'])).toMatch(/--demo-history/);
    expect(message(['--seed', 'none', '--demo-history', '10'])).toMatch(/needs the demo district/);
    expect(message(['--pg', 'postgres://h/db', '--demo-history', '10'])).toMatch(/needs the demo district/);
  });

  it('takes --demo-activity as the demo at work, each part still overridable', () => {
    expect(parseDataCenterArgs(['--data', 'x', '--demo-activity'])).toMatchObject({
      kind: 'run',
      options: { seed: 'demo', demoHistory: DEMO_ACTIVITY.history, simulate: { ratePerHour: DEMO_ACTIVITY.ratePerHour, speed: 1 } },
    });
    expect(parseDataCenterArgs(['--demo-activity', '--simulate', '60@10x', '--demo-history', '50'])).toMatchObject({
      kind: 'run',
      options: { demoHistory: 50, simulate: { ratePerHour: 60, speed: 10 } },
    });
    const quiet = parseDataCenterArgs(['--data', 'x']);
    expect(quiet.kind === 'run' && (quiet.options.simulate ?? quiet.options.demoHistory)).toBeUndefined();
    const p = parseDataCenterArgs(['--seed', 'none', '--demo-activity']);
    expect(p.kind === 'error' && p.message).toMatch(/--demo-activity needs the demo district/);
  });

  it('takes the snapshot export bounds from --snapshot-limit / --snapshot-stall-seconds, else the environment', () => {
    expect(parseDataCenterArgs(['--pg', 'postgres://h/db', '--snapshot-limit', '6', '--snapshot-stall-seconds', '12.5'])).toMatchObject({
      kind: 'run',
      options: { snapshot: { maxConcurrent: 6, stallTimeoutMs: 12_500 } },
    });
    expect(parseDataCenterArgs([], { HUYING_SNAPSHOT_LIMIT: '2', HUYING_SNAPSHOT_STALL_SECONDS: '0' })).toMatchObject({
      kind: 'run',
      options: { snapshot: { maxConcurrent: 2, stallTimeoutMs: 0 } },
    });
    // the flag wins over the environment; without either, no snapshot options (the defaults apply)
    expect(parseDataCenterArgs(['--snapshot-limit', '3'], { HUYING_SNAPSHOT_LIMIT: '2' })).toMatchObject({ options: { snapshot: { maxConcurrent: 3 } } });
    const none = parseDataCenterArgs([]);
    expect(none.kind === 'run' && none.options.snapshot).toBeUndefined();
    const message = (argv: string[], env = {}) => {
      const r = parseDataCenterArgs(argv, env);
      return r.kind === 'error' ? r.message : null;
    };
    expect(message(['--snapshot-limit', '0'])).toMatch(/--snapshot-limit must be a whole number ≥ 1/);
    expect(message(['--snapshot-limit', 'lots'])).toMatch(/--snapshot-limit/);
    expect(message([], { HUYING_SNAPSHOT_LIMIT: '-1' })).toMatch(/HUYING_SNAPSHOT_LIMIT/);
    expect(message(['--snapshot-stall-seconds=-5'])).toMatch(/--snapshot-stall-seconds must be a number of seconds/);
    expect(message([], { HUYING_SNAPSHOT_STALL_SECONDS: 'soon' })).toMatch(/HUYING_SNAPSHOT_STALL_SECONDS/);
  });

  it('takes --images DIR, the image keeper\'s folder, resolved; none by default', () => {
    expect(parseDataCenterArgs(['--data', 'x', '--images', 'img'])).toMatchObject({ kind: 'run', options: { images: path.resolve('img') } });
    const none = parseDataCenterArgs([]);
    expect(none.kind === 'run' && none.options.images).toBeUndefined();
    const r = parseDataCenterArgs(['--images', ' ']);
    expect(r.kind === 'error' && r.message).toMatch(/--images must name a directory/);
  });

  it('explains what is wrong', () => {
    const message = (argv: string[], env = {}) => {
      const r = parseDataCenterArgs(argv, env);
      return r.kind === 'error' ? r.message : null;
    };
    expect(message(['--port', '-1'])).toMatch(/--port/);
    expect(message(['--port', '65536'])).toMatch(/--port/);
    expect(message(['--port'])).toMatch(/argument missing/);
    expect(message(['--host', ' '])).toMatch(/--host/);
    expect(message(['--data', ''])).toMatch(/--data/);
    expect(message([], { DATABASE_URL: 'mysql://h/db' })).toMatch(/DATABASE_URL must be a postgres/);
    expect(parseDataCenterArgs(['-h']).kind).toBe('help');
  });
});
