/**
 * Reading a query result column by column instead of row by row: SQLite
 * aggregates each column into one JSON array (`json_group_array`), so a result
 * of 50,000 rows reaches JavaScript as a few strings, parsed into plain arrays
 * and copied into typed arrays — no object or array per row is ever made.
 * Enum columns become small integer codes in SQL (their index in the zod
 * enum's options, which is how the contract's binary columns are defined).
 */

/** `CASE col WHEN 'a' THEN 0 WHEN 'b' THEN 1 … ELSE 255 END` for a zod enum's options. */
export function enumCodeSql(column: string, options: readonly string[]): string {
  return `(CASE ${column} ${options.map((o, i) => `WHEN '${o.replaceAll("'", "''")}' THEN ${i}`).join(' ')} ELSE 255 END)`;
}

/** One column of a columnar result, parsed (null elements stay null). */
export function parseColumn<T>(json: string | null): T[] {
  return json ? (JSON.parse(json) as T[]) : [];
}

export function toF32(values: readonly (number | null)[]): Float32Array<ArrayBuffer> {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] ?? NaN;
  return out;
}

export function toF64(values: readonly (number | null)[]): Float64Array<ArrayBuffer> {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] ?? NaN;
  return out;
}

export function toU8(values: readonly (number | null)[]): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(values, (v) => v ?? 0);
}

export function toU32(values: readonly (number | null)[]): Uint32Array<ArrayBuffer> {
  return Uint32Array.from(values, (v) => v ?? 0);
}

/** lon and lat columns interleaved (2 × n), as deck.gl's `getPosition` attribute takes them. */
export function interleave(lon: readonly (number | null)[], lat: readonly (number | null)[]): Float32Array<ArrayBuffer> {
  const out = new Float32Array(lon.length * 2);
  for (let i = 0; i < lon.length; i++) {
    out[2 * i] = lon[i] ?? NaN;
    out[2 * i + 1] = lat[i] ?? NaN;
  }
  return out;
}
