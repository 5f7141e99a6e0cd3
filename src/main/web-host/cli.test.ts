import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli';
import { DEMO_ACTIVITY_ARGS } from './embedded-datacenter';

describe('npm run web options', () => {
  it('starts a demo at work by default, quiet with --quiet-demo', () => {
    expect(parseCliArgs([])).toEqual({ port: 8700, host: '127.0.0.1', dataDir: path.resolve('.data/web'), demoActivity: true, imageKeeper: true });
    expect(parseCliArgs(['--quiet-demo', '--port', '0'])).toMatchObject({ port: 0, demoActivity: false });
    expect(() => parseCliArgs(['--port', 'x'])).toThrow(/--port/);
    expect(() => parseCliArgs(['--datacenter', 'ftp://x'])).toThrow(/http/);
  });

  it('runs an image keeper next to the embedded data center unless --no-image-keeper', () => {
    expect(parseCliArgs(['--no-image-keeper'])).toMatchObject({ imageKeeper: false, demoActivity: true });
    expect(parseCliArgs(['--quiet-demo'])).toMatchObject({ imageKeeper: true });
  });

  it('gives the embedded data center the demo switches (src/datacenter/options.test.ts parses the same)', () => {
    expect(DEMO_ACTIVITY_ARGS).toEqual(['--demo-activity']);
  });
});
