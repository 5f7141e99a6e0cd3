import { describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLE, lockoutSeconds } from './throttle';

describe('lockoutSeconds', () => {
  it('lets the free failures pass, then doubles from the base up to the cap', () => {
    const rule = DEFAULT_THROTTLE.login;
    expect([1, 2, 3, 4, 5].map((n) => lockoutSeconds(n, rule))).toEqual([0, 0, 0, 0, 0]);
    expect([6, 7, 8, 9, 10, 11].map((n) => lockoutSeconds(n, rule))).toEqual([30, 60, 120, 240, 480, 900]);
    expect(lockoutSeconds(1_000, rule)).toBe(900);
  });

  it('gives an address more room than a login', () => {
    expect(lockoutSeconds(20, DEFAULT_THROTTLE.ip)).toBe(0);
    expect(lockoutSeconds(31, DEFAULT_THROTTLE.ip)).toBe(30);
  });
});
