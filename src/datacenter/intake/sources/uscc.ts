/**
 * 统一社会信用代码 the unified social credit code of an enterprise (GB 32100-2015): 18 characters
 * from 0-9 and the capital letters without I, O, S, V, Z — registration authority (1), kind (1),
 * administrative division (6), organisation code (9, itself with a check character) and a check
 * character computed modulo 31 over the first 17. A typo in any one character is caught.
 */

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** Why the code is not valid, or null when it is. Lower-case letters are accepted. */
export function usccProblem(input: string): string | null {
  const code = input.trim().toUpperCase();
  if (code.length !== 18) return `a unified social credit code has 18 characters, not ${code.length}`;
  let sum = 0;
  for (let i = 0; i < 18; i++) {
    const v = CHARSET.indexOf(code[i]!);
    if (v < 0) return `character ${i + 1} (${code[i]}) is not allowed (digits and capitals except I, O, S, V, Z)`;
    if (i < 17) sum += v * WEIGHTS[i]!;
  }
  if (!/^\d{6}$/.test(code.slice(2, 8))) return 'characters 3–8 must be the 6-digit administrative division code';
  const check = CHARSET[(31 - (sum % 31)) % 31];
  if (code[17] !== check) return `check character should be ${check}, not ${code[17]} (a character is mistyped)`;
  return null;
}

export function isValidUscc(code: string): boolean {
  return usccProblem(code) === null;
}
