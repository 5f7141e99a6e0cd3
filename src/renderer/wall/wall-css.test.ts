/**
 * The wall's CSS animations stay on the compositor: a keyframe animation of anything but `opacity`
 * and `transform` (background, box-shadow, left…) restyles and repaints the page on the main thread
 * at every display frame while it runs — on a wall that is the map's frame, for as long as the
 * animation lasts (a new ticker row's flash, an alert's edge, the sync bar's sweep).
 */
import { describe, expect, it } from 'vitest';

// The sheets' text: the wall's own, and the app's (the shell's header, sync badge and clock are styled
// there). Read from disk — Vitest hands tests every stylesheet as an empty string, `?raw` included —
// through Node's loader rather than an import, as the renderer's files may not import Node modules
// (this test runs under Node; the sheets are the renderer's).
const fs = (globalThis as unknown as { process: { getBuiltinModule(id: 'node:fs'): { readFileSync(url: URL, encoding: 'utf8'): string } } }).process.getBuiltinModule('node:fs');
const wallCss = fs.readFileSync(new URL('./wall.css', import.meta.url), 'utf8');
const stylesCss = fs.readFileSync(new URL('../styles.css', import.meta.url), 'utf8');
const SHEETS = { 'wall.css': wallCss, 'styles.css': stylesCss };
const COMPOSITED = new Set(['opacity', 'transform']);

/** The block after the `{` at `open`, without its braces. */
function block(css: string, open: number): string {
  let depth = 0;
  for (let i = open; i < css.length; i++) {
    if (css[i] === '{') depth++;
    else if (css[i] === '}' && --depth === 0) return css.slice(open + 1, i);
  }
  throw new Error('unbalanced braces');
}

/** Every `@keyframes` of a sheet with the properties its frames set. */
function keyframes(css: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  for (const m of text.matchAll(/@keyframes\s+([\w-]+)\s*\{/g)) {
    const body = block(text, m.index + m[0].length - 1);
    const props = new Set<string>();
    for (const d of body.matchAll(/([a-z-]+)\s*:/g)) props.add(d[1]!);
    out.set(m[1]!, props);
  }
  return out;
}

/** The rules (selector → declarations) of a sheet's top level, comments left out. */
function rules(css: string): { selector: string; body: string }[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const out: { selector: string; body: string }[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '{') continue;
    const selector = text.slice(start, i).trim();
    const body = block(text, i);
    out.push({ selector, body });
    i += body.length + 1;
    start = i + 1;
  }
  return out;
}

describe('the wall and shell CSS', () => {
  for (const [name, css] of Object.entries(SHEETS)) {
    it(`${name}: every keyframe animation moves only opacity or transform`, () => {
      const frames = keyframes(css);
      expect(frames.size).toBeGreaterThan(0);
      for (const [animation, props] of frames) expect({ animation, props: [...props].filter((p) => !COMPOSITED.has(p)) }).toEqual({ animation, props: [] });
    });
  }

  it('wall.css: no transition of a property the compositor cannot animate', () => {
    for (const { selector, body } of rules(wallCss)) {
      for (const d of body.matchAll(/transition(?:-property)?\s*:\s*([^;]+)/g)) {
        const value = d[1]!.trim();
        if (/^none(\s*!important)?$/.test(value)) continue;
        for (const part of value.split(',')) expect({ selector, property: part.trim().split(/\s+/)[0] }).toEqual({ selector, property: expect.stringMatching(/^(opacity|transform)$/) });
      }
    }
  });

  it('wall.css: an animation runs for ever only while an alert takes the wall over', () => {
    // a running animation, however cheap on the compositor, has it draw the whole page at every
    // display frame: a wall with nothing to say should draw frames for its map only
    const endless = rules(wallCss)
      .filter((r) => /animation\s*:[^;]*\binfinite\b/.test(r.body))
      .map((r) => r.selector);
    expect(endless).toEqual(['.wall--alert .wall__center::after', '.alert__kind']);
  });

  it("a new ticker row's flash is a layer whose opacity fades, not the row's background", () => {
    const css = wallCss;
    expect(keyframes(css).get('ticker-fresh')).toEqual(new Set(['opacity']));
    const fresh = rules(css).filter((r) => r.selector.includes('ticker__item--fresh') && /animation\s*:/.test(r.body));
    expect(fresh.map((r) => r.selector)).toEqual(['.ticker__item--fresh .ticker__button::after']);
    // the tint sits under the row's text (a stacking context of the button's own, the layer at -1), as the
    // animated background did: over the text it dimmed the newest row's words while it flashed
    expect(fresh[0]!.body).toMatch(/z-index\s*:\s*-1\s*;/);
    const button = rules(css).filter((r) => r.selector === '.ticker__item--fresh .ticker__button');
    expect(button.map((r) => r.body).join(';')).toMatch(/isolation\s*:\s*isolate\s*;/);
  });
});
