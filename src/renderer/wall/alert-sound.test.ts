import { describe, expect, it } from 'vitest';
import { createAlertSound, toneNotes } from './alert-sound';

class FakeContext {
  state: 'suspended' | 'running' = 'suspended';
  currentTime = 0;
  destination = {};
  started: number[] = [];
  constructor(private readonly allow: boolean) {}
  async resume() {
    if (this.allow) this.state = 'running';
  }
  async close() {}
  createGain() {
    return { gain: { value: 1, setValueAtTime() {}, linearRampToValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (x: unknown) => x };
  }
  createOscillator() {
    const started = this.started;
    return { type: '', frequency: { value: 0 }, connect: (x: unknown) => x, start: (t: number) => started.push(t), stop() {} };
  }
}

describe('alert sound', () => {
  it('is three rising chirps, under one and a half seconds', () => {
    const notes = toneNotes();
    expect(notes).toHaveLength(6);
    expect(notes[1]!.hz).toBeGreaterThan(notes[0]!.hz);
    expect(Math.max(...notes.map((n) => n.at + n.dur))).toBeLessThan(1.5);
  });

  it('plays when the autoplay policy allows it', async () => {
    let ctx: FakeContext | null = null;
    const sound = createAlertSound(
      class {
        constructor() {
          ctx = new FakeContext(true);
          return ctx as unknown as object;
        }
      } as unknown as new () => AudioContext,
    );
    expect(await sound.play()).toBe(true);
    expect(ctx!.started).toHaveLength(6);
    expect(sound.blocked).toBe(false);
  });

  it('reports blocked when the browser keeps audio suspended, and without WebAudio', async () => {
    const blocked = createAlertSound(
      class {
        constructor() {
          return new FakeContext(false) as unknown as object;
        }
      } as unknown as new () => AudioContext,
    );
    expect(await blocked.play()).toBe(false);
    expect(blocked.blocked).toBe(true);
    const none = createAlertSound(undefined);
    expect(await none.play()).toBe(false);
  });
});
