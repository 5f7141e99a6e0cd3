/**
 * deck.gl's TextLayer draws from a font atlas built once for a fixed set of
 * characters; its default is ASCII, so Chinese names would render as nothing.
 * We build the set from the names we will actually draw (a few hundred
 * glyphs, not the 20,000+ of a full CJK atlas). Characters are split by code
 * point so characters outside the BMP (e.g. rare place-name glyphs) stay whole.
 */

/** Printable ASCII, so codes, digits and Latin names always render. */
export const ASCII_PRINTABLE: readonly string[] = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

export function buildCharacterSet(texts: Iterable<string>, base: Iterable<string> = ASCII_PRINTABLE): string[] {
  const set = new Set<string>(base);
  for (const text of texts) {
    for (const ch of text) {
      // line breaks are layout, not glyphs
      if (ch !== '\n' && ch !== '\r') set.add(ch);
    }
  }
  return [...set];
}
