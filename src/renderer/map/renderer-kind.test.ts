import { describe, expect, it } from 'vitest';
import { glFacts, isSoftwareRenderer, softwareGl } from './renderer-kind';

const gl = (renderer: string, debugInfo = true) => ({
  RENDERER: 7937,
  getExtension: (name: string) => (debugInfo && name === 'WEBGL_debug_renderer_info' ? { UNMASKED_RENDERER_WEBGL: 37446 } : null),
  getParameter: (p: number) => (p === 37446 ? renderer : 'WebKit WebGL'),
});

describe('renderer kind', () => {
  it('knows the software renderers', () => {
    expect(isSoftwareRenderer(gl('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)') as never)).toBe(true);
    expect(isSoftwareRenderer(gl('llvmpipe (LLVM 15.0.6, 256 bits)') as never)).toBe(true);
    expect(isSoftwareRenderer(gl('ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)') as never)).toBe(false);
    expect(isSoftwareRenderer(gl('anything', false) as never)).toBe(false);
    expect(isSoftwareRenderer(null)).toBe(false);
  });

  it('says hardware where there is no WebGL at all (tests)', () => {
    expect(softwareGl()).toBe(false);
    expect(glFacts().maxTextureSize).toBe(4096);
  });
});
