/**
 * Desktop configuration: which data center, which display shows the wall, and
 * which external sites links may open. Pointing the app at another data
 * center is configuration, not a rebuild. Sources, strongest first:
 *
 *   1. command line   --datacenter URL   --wall   --wall-display ID|LABEL
 *                     --no-image-keeper
 *   2. environment    HUYING_DATACENTER_URL   HUYING_IMAGE_KEEPER=0|1
 *   3. config file    <userData>/config.json, e.g.
 *                     { "dataCenterUrl": "https://dc.example.org",
 *                       "wallDisplay": "DELL U4323QE",
 *                       "openExternal": ["https://www.example.org"],
 *                       "imageKeeper": false }
 *
 * Without a data center URL, main starts the embedded one, and next to it an
 * image keeper (keeper-host.ts) unless `imageKeeper` is off. No electron
 * import here, so all of it is unit-tested under Node.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodError } from '../core/errors';

const HttpUrl = z
  .string()
  .refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s), { message: 'must be an http:// or https:// URL' });

export const FileConfig = z
  .object({
    /** another data center instead of the embedded demo one */
    dataCenterUrl: HttpUrl.optional(),
    /** the display for the wall window: its numeric id or its label */
    wallDisplay: z.union([z.number().int(), z.string().min(1)]).optional(),
    /** origins (https://host[:port]) that links may open in the system browser */
    openExternal: z.array(HttpUrl).optional(),
    /** false: no image keeper next to the embedded data center (default true; docs/image-keeper.md) */
    imageKeeper: z.boolean().optional(),
  })
  .strict();
export type FileConfig = z.infer<typeof FileConfig>;

export interface CliArgs {
  wall: boolean;
  wallDisplay: string | null;
  dataCenterUrl: string | null;
  /** --no-image-keeper: false; --image-keeper: true; null: not given */
  imageKeeper: boolean | null;
}

export interface AppConfig {
  /** null: start the embedded data center */
  dataCenterUrl: string | null;
  /** where dataCenterUrl came from, for the log */
  dataCenterSource: 'command line' | 'environment' | 'config file' | null;
  /** --wall: open the wall window even without a configured second display */
  wall: boolean;
  wallDisplay: number | string | null;
  openExternal: string[];
  /**
   * an image keeper utilityProcess next to the embedded data center, which then serves its replica images from
   * `<userData>/images` (no effect with another data center)
   */
  imageKeeper: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads our switches from process.argv; anything else (Chromium's, Electron's) is ignored. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { wall: false, wallDisplay: null, dataCenterUrl: null, imageKeeper: null };
  const valueOf = (i: number, flag: string): [string, number] => {
    const arg = argv[i]!;
    if (arg.startsWith(`${flag}=`)) return [arg.slice(flag.length + 1), i];
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) throw new ConfigError(`${flag} needs a value`);
    return [next, i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--wall') out.wall = true;
    else if (arg === '--no-image-keeper') out.imageKeeper = false;
    else if (arg === '--image-keeper') out.imageKeeper = true;
    else if (arg === '--datacenter' || arg.startsWith('--datacenter=')) [out.dataCenterUrl, i] = valueOf(i, '--datacenter');
    else if (arg === '--wall-display' || arg.startsWith('--wall-display=')) [out.wallDisplay, i] = valueOf(i, '--wall-display');
  }
  return out;
}

/** The config file, or {} when there is none; a broken file is a clear error, not a silent default. */
export function readConfigFile(file: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = FileConfig.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${file}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * Changes one setting of the config file, keeping the others (the wall menu
 * remembers the chosen display this way): `wallDisplay: null` removes the key.
 * Written to a temporary file and renamed, so a crash never leaves half a file;
 * a broken file is an error rather than overwritten.
 */
export function updateConfigFile(file: string, patch: { wallDisplay: number | string | null }): FileConfig {
  const current: Record<string, unknown> = { ...readConfigFile(file) };
  if (patch.wallDisplay === null) delete current.wallDisplay;
  else current.wallDisplay = patch.wallDisplay;
  const parsed = FileConfig.safeParse(current);
  if (!parsed.success) throw new ConfigError(`${file}: ${formatZodError(parsed.error)}`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(parsed.data, null, 2)}\n`, 'utf8');
  renameSync(tmp, file);
  return parsed.data;
}

export function resolveConfig(input: { args: CliArgs; env: Record<string, string | undefined>; file: FileConfig }): AppConfig {
  const { args, env, file } = input;
  const check = (url: string, source: string) => {
    const r = HttpUrl.safeParse(url);
    if (!r.success) throw new ConfigError(`data center URL from ${source} (${JSON.stringify(url)}) must be an http:// or https:// URL`);
    return url.replace(/\/+$/, '');
  };
  let dataCenterUrl: string | null = null;
  let dataCenterSource: AppConfig['dataCenterSource'] = null;
  if (args.dataCenterUrl) {
    dataCenterUrl = check(args.dataCenterUrl, '--datacenter');
    dataCenterSource = 'command line';
  } else if (env.HUYING_DATACENTER_URL) {
    dataCenterUrl = check(env.HUYING_DATACENTER_URL, 'HUYING_DATACENTER_URL');
    dataCenterSource = 'environment';
  } else if (file.dataCenterUrl) {
    dataCenterUrl = check(file.dataCenterUrl, 'the config file');
    dataCenterSource = 'config file';
  }
  const wallDisplay = args.wallDisplay ?? file.wallDisplay ?? null;
  const imageKeeper = args.imageKeeper ?? switchOf(env.HUYING_IMAGE_KEEPER, 'HUYING_IMAGE_KEEPER') ?? file.imageKeeper ?? true;
  return {
    dataCenterUrl,
    dataCenterSource,
    wall: args.wall,
    wallDisplay,
    openExternal: (file.openExternal ?? []).map((u) => new URL(u).origin),
    imageKeeper,
  };
}

/** An on/off environment variable: null when unset or empty, else on or off, or a ConfigError. */
function switchOf(value: string | undefined, name: string): boolean | null {
  if (value === undefined || value.trim() === '') return null;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  throw new ConfigError(`${name} must be 1 or 0 (on or off), got ${JSON.stringify(value)}`);
}
