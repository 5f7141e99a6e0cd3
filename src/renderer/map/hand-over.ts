/**
 * Handing a map's layers to deck.gl so that the frame showing them comes as
 * soon as it can.
 *
 * With `MapLibreOverlay` interleaved, `setProps({ layers })` only stores the
 * layers: deck.gl matches and updates them in its own animation loop's next
 * frame (`_onRenderFrame` → `layerManager.updateLayers()`), which then asks
 * maplibre for a frame (`map.triggerRepaint()`), and maplibre draws — deck.gl's
 * layers with it — in the animation frame after that. So every change waited
 * for two animation frames, not one: on llvmpipe (the wall benchmark) the
 * second one was 17–70 ms of each change's way to the screen. Asking maplibre
 * for its frame when the layers are handed over puts its draw in the same
 * animation frame as deck.gl's update: deck.gl's loop asked for that frame in
 * its previous one, so its callback is earlier in the list and runs first
 * (animation frame callbacks run in the order they were asked for), and
 * maplibre's then draws the updated layers. If the order were ever the other
 * way round, maplibre would draw the old layers once and deck.gl would ask for
 * the frame after, as before.
 *
 * The same layer instances again (a layer source asked with unchanged inputs)
 * are not handed over: deck.gl would find nothing to update and draw nothing,
 * and the frame asked for would be a whole map drawn for nothing.
 */
import type { Layer } from '@deck.gl/core';

export interface LayerTarget {
  /** deck.gl takes the layers (the overlay's setProps) */
  setLayers(layers: Layer[]): void;
  /** ask the base map for a frame (maplibre's triggerRepaint) */
  requestFrame(): void;
}

/** Item by item, the same layer instances. */
export function sameLayers(a: readonly Layer[], b: readonly Layer[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

export class LayerHandOver {
  private last: readonly Layer[] | null = null;

  /** the layers last handed over (empty before the first) */
  get current(): readonly Layer[] {
    return this.last ?? [];
  }

  /**
   * Hands `layers` over unless they are the instances handed over last; returns whether it did.
   * `setLayers` may add layers of its own (an animation's) to what it gives deck.gl.
   */
  hand(layers: Layer[], target: LayerTarget | null): boolean {
    if (!target) return false;
    if (this.last && sameLayers(layers, this.last)) return false;
    this.last = layers;
    target.setLayers(layers);
    target.requestFrame();
    return true;
  }

  /** a new deck.gl instance (the map was created again): the next layers go over whatever they are */
  reset(): void {
    this.last = null;
  }
}
