import { describe, expect, it } from 'vitest';
import { logLevel, readyUrl } from './embedded-datacenter';

describe('reading the data center child’s output', () => {
  it('finds the URL in the ready line only', () => {
    expect(readyUrl('{"level":30,"msg":"data center ready","url":"http://127.0.0.1:40163"}')).toBe('http://127.0.0.1:40163');
    expect(readyUrl('{"level":30,"msg":"database open"}')).toBeNull();
    expect(readyUrl('{"msg":"data center ready"}')).toBeNull();
    expect(readyUrl('data center ready http://x')).toBeNull();
    expect(readyUrl('{not json')).toBeNull();
  });

  it('reads pino levels, and nothing from other lines', () => {
    expect(logLevel('{"level":50,"msg":"boom"}')).toBe(50);
    expect(logLevel('{"level":"info"}')).toBeNull();
    expect(logLevel('    at Object.<anonymous> (file.ts:1:1)')).toBeNull();
  });
});
