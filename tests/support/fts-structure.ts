/**
 * FTS5's structure record (the `<table>_data` row of id 10; sqlite3.c fts5StructureDecode), decoded for tests and
 * probes that look at the index's levels: per level, how many segments a merge that has begun takes (`merging`), and
 * each segment's id and leaf pages. Varints are SQLite's: 7 bits a byte, high bit set on all but the last, the 9th
 * byte 8 bits.
 */
export interface FtsLevel {
  merging: number;
  segments: { id: number; firstPage: number; lastPage: number }[];
}

export function decodeFtsStructure(b: Buffer): FtsLevel[] {
  let i = 4;
  const v2 = b[4] === 0xff && b[5] === 0 && b[6] === 0 && b[7] === 1;
  if (v2) i += 4;
  const rd = (): number => {
    let v = 0;
    for (let k = 0; k < 8; k++) {
      const c = b[i++]!;
      v = v * 128 + (c & 0x7f);
      if (!(c & 0x80)) return v;
    }
    return v * 256 + b[i++]!;
  };
  const nLevel = rd();
  rd(); // segments
  rd(); // write counter
  return Array.from({ length: nLevel }, () => {
    const merging = rd();
    const segments = Array.from({ length: rd() }, () => {
      const id = rd();
      const firstPage = rd();
      const lastPage = rd();
      if (v2) for (let x = 0; x < 5; x++) rd(); // origins, tombstone pages and entries, entries
      return { id, firstPage, lastPage };
    });
    return { merging, segments };
  });
}
