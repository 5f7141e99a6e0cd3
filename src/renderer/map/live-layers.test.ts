import type { Layer } from '@deck.gl/core';
import { describe, expect, it } from 'vitest';
import { CachedLayerSource } from './live-layers';

const layer = (id: string) => ({ id }) as unknown as Layer;

describe('CachedLayerSource', () => {
  it('builds when its key moves, not when asked again for the same key', () => {
    let version = 1;
    let inputs = { visible: true };
    let builds = 0;
    const source = new CachedLayerSource(
      () => {
        builds++;
        return { extra: [layer(`events@${version}`)], top: [] };
      },
      () => [version, inputs],
    );
    const first = source.get();
    expect(first.extra[0]!.id).toBe('events@1');
    expect(source.get()).toBe(first);
    expect(builds).toBe(1);
    version = 2;
    expect(source.get().extra[0]!.id).toBe('events@2');
    expect(builds).toBe(2);
    inputs = { visible: true }; // another object: new inputs, even if equal
    source.get();
    expect(builds).toBe(3);
  });

  it('tells its subscribers when told its layers changed, until they unsubscribe', () => {
    const source = new CachedLayerSource(() => ({ extra: [], top: [] }), () => []);
    const calls: string[] = [];
    const offA = source.subscribe(() => calls.push('a'));
    source.subscribe(() => calls.push('b'));
    source.changed();
    offA();
    source.changed();
    expect(calls).toEqual(['a', 'b', 'b']);
  });
});
