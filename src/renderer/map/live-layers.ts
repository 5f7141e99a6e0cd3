/**
 * Layers a map's caller changes without re-rendering the map: the wall's live
 * events get new layer instances at every store version (a few times a second
 * under a stream of changes), and handing them over through React props cost
 * a render of the wall's map component and of DistrictMap per patch — their
 * hooks, the reconciliation and the commit — where the map only needed
 * `overlay.setProps`. DistrictMap subscribes to a source and hands the layers
 * over itself when told they changed; anything else it renders for (the
 * district's own layers, the fill) reads the source's newest layers.
 */
import type { Layer } from '@deck.gl/core';

export interface CallerLayers {
  /** over the boundaries and under the labels (DistrictMap's `extraLayers`) */
  extra: readonly Layer[];
  /** over the labels (DistrictMap's `topLayers`) */
  top: readonly Layer[];
}

export interface LiveLayerSource {
  /** the caller's layers now */
  get(): CallerLayers;
  /** `listener` is called when `get()` would answer with other layers; returns the unsubscribe */
  subscribe(listener: () => void): () => void;
}

/**
 * A LiveLayerSource that builds its layers when asked and keeps them while its
 * key (compared item by item with Object.is) stands: asked twice for the same
 * store version and inputs, it builds once.
 */
export class CachedLayerSource implements LiveLayerSource {
  private readonly listeners = new Set<() => void>();
  private cached: { key: readonly unknown[]; layers: CallerLayers } | null = null;

  constructor(
    private readonly build: () => CallerLayers,
    private readonly key: () => readonly unknown[],
  ) {}

  get = (): CallerLayers => {
    const key = this.key();
    const c = this.cached;
    if (c && c.key.length === key.length && c.key.every((k, i) => Object.is(k, key[i]))) return c.layers;
    const layers = this.build();
    this.cached = { key, layers };
    return layers;
  };

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  /** tell the subscribers (when the key moved: a new store version, new inputs) */
  changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
