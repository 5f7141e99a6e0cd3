/**
 * Whether WebGL runs in software (SwiftShader, llvmpipe, Microsoft Basic
 * Render Driver). There a frame of the whole page costs most of a second of
 * the main thread, so anything that animates — map pulses, chart transitions,
 * CSS blinking — delays the data that should reach the screen; views turn
 * their animations off when this says so.
 */

type GlLike = Pick<WebGL2RenderingContext, 'getExtension' | 'getParameter' | 'RENDERER'>;

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render/i;

export function isSoftwareRenderer(gl: GlLike | null): boolean {
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info') as { UNMASKED_RENDERER_WEBGL: number } | null;
  const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  return SOFTWARE.test(renderer);
}

export interface GlFacts {
  software: boolean;
  /** MAX_TEXTURE_SIZE: the largest canvas side the map may use (maplibre's maxCanvasSize) */
  maxTextureSize: number;
}

let cached: GlFacts | null = null;

/** Asks a throwaway WebGL2 context once per page; hardware and 4096 where there is no WebGL (tests). */
export function glFacts(): GlFacts {
  if (cached) return cached;
  cached = { software: false, maxTextureSize: 4096 };
  try {
    if (typeof document === 'undefined') return cached;
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return cached;
    cached = { software: isSoftwareRenderer(gl), maxTextureSize: Number(gl.getParameter(gl.MAX_TEXTURE_SIZE)) || 4096 };
    (gl.getExtension('WEBGL_lose_context') as { loseContext(): void } | null)?.loseContext();
  } catch {
    // no WebGL here: the defaults stand
  }
  return cached;
}

export function softwareGl(): boolean {
  return glFacts().software;
}
