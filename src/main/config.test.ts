import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseArgs, readConfigFile, resolveConfig, updateConfigFile } from './config';

const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('command line', () => {
  it('reads our switches among Electron and Chromium ones', () => {
    expect(parseArgs(['/usr/bin/electron', '.', '--no-sandbox', '--wall', '--datacenter', 'https://dc.example', '--wall-display=DELL'])).toEqual({
      wall: true,
      wallDisplay: 'DELL',
      dataCenterUrl: 'https://dc.example',
      imageKeeper: null,
    });
    expect(parseArgs(['electron', '.', '--datacenter=http://10.0.0.5:8701'])).toEqual({
      wall: false,
      wallDisplay: null,
      dataCenterUrl: 'http://10.0.0.5:8701',
      imageKeeper: null,
    });
    expect(parseArgs(['electron', '.', '--no-image-keeper']).imageKeeper).toBe(false);
    expect(parseArgs(['electron', '.', '--no-image-keeper', '--image-keeper']).imageKeeper).toBe(true);
    expect(() => parseArgs(['--datacenter'])).toThrow(ConfigError);
    expect(() => parseArgs(['--datacenter', '--wall'])).toThrow(/needs a value/);
  });
});

describe('config file', () => {
  it('is optional', () => {
    expect(readConfigFile(path.join(dir, 'missing.json'))).toEqual({});
  });

  it('is validated with a clear message', () => {
    expect(readConfigFile(file('ok.json', '{"dataCenterUrl":"https://dc.example","wallDisplay":2,"openExternal":["https://www.gov.cn"]}'))).toEqual({
      dataCenterUrl: 'https://dc.example',
      wallDisplay: 2,
      openExternal: ['https://www.gov.cn'],
    });
    expect(() => readConfigFile(file('broken.json', '{"dataCenterUrl":'))).toThrow(/not valid JSON/);
    expect(() => readConfigFile(file('typo.json', '{"datacenterUrl":"https://x"}'))).toThrow(/datacenterUrl|Unrecognized/);
    expect(() => readConfigFile(file('ftp.json', '{"dataCenterUrl":"ftp://x"}'))).toThrow(/dataCenterUrl: must be an http/);
  });
});

describe('updating the config file (the wall menu remembers its display)', () => {
  it('sets and removes wallDisplay, keeping the other settings', () => {
    const p = file('menu.json', '{"dataCenterUrl":"https://dc.example","openExternal":["https://www.gov.cn"]}');
    updateConfigFile(p, { wallDisplay: 'LG 86UN' });
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ dataCenterUrl: 'https://dc.example', openExternal: ['https://www.gov.cn'], wallDisplay: 'LG 86UN' });
    updateConfigFile(p, { wallDisplay: 3 });
    expect(readConfigFile(p).wallDisplay).toBe(3);
    updateConfigFile(p, { wallDisplay: null });
    expect(readConfigFile(p)).toEqual({ dataCenterUrl: 'https://dc.example', openExternal: ['https://www.gov.cn'] });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('creates the file when there is none, and never overwrites a broken one', () => {
    const fresh = path.join(dir, 'fresh.json');
    updateConfigFile(fresh, { wallDisplay: 2 });
    expect(readConfigFile(fresh)).toEqual({ wallDisplay: 2 });
    const broken = file('broken-menu.json', '{"dataCenterUrl":');
    expect(() => updateConfigFile(broken, { wallDisplay: 2 })).toThrow(/not valid JSON/);
    expect(readFileSync(broken, 'utf8')).toBe('{"dataCenterUrl":');
    expect(() => updateConfigFile(fresh, { wallDisplay: '' })).toThrow(ConfigError);
  });
});

describe('resolveConfig', () => {
  const none = { wall: false, wallDisplay: null, dataCenterUrl: null, imageKeeper: null };

  it('starts the embedded data center when nothing names another', () => {
    expect(resolveConfig({ args: none, env: {}, file: {} })).toEqual({
      dataCenterUrl: null,
      dataCenterSource: null,
      wall: false,
      wallDisplay: null,
      openExternal: [],
      imageKeeper: true,
    });
  });

  it('runs the image keeper unless the command line, then the environment, then the file turns it off', () => {
    const keeper = (args: { imageKeeper: boolean | null }, env: Record<string, string>, file: { imageKeeper?: boolean }) => resolveConfig({ args: { ...none, ...args }, env, file }).imageKeeper;
    expect(keeper({ imageKeeper: false }, { HUYING_IMAGE_KEEPER: '1' }, { imageKeeper: true })).toBe(false);
    expect(keeper({ imageKeeper: true }, { HUYING_IMAGE_KEEPER: 'off' }, { imageKeeper: false })).toBe(true);
    expect(keeper({ imageKeeper: null }, { HUYING_IMAGE_KEEPER: '0' }, { imageKeeper: true })).toBe(false);
    expect(keeper({ imageKeeper: null }, { HUYING_IMAGE_KEEPER: 'On' }, { imageKeeper: false })).toBe(true);
    expect(keeper({ imageKeeper: null }, { HUYING_IMAGE_KEEPER: '' }, { imageKeeper: false })).toBe(false);
    expect(keeper({ imageKeeper: null }, {}, {})).toBe(true);
    expect(() => keeper({ imageKeeper: null }, { HUYING_IMAGE_KEEPER: 'maybe' }, {})).toThrow('HUYING_IMAGE_KEEPER must be 1 or 0 (on or off), got "maybe"');
    expect(readConfigFile(file('keeper.json', '{"imageKeeper":false}'))).toEqual({ imageKeeper: false });
    expect(() => readConfigFile(file('keeper-text.json', '{"imageKeeper":"no"}'))).toThrow(/imageKeeper/);
  });

  it('takes the data center from the command line, then the environment, then the file', () => {
    const fileConfig = { dataCenterUrl: 'https://file.example' };
    const env = { HUYING_DATACENTER_URL: 'https://env.example/' };
    expect(resolveConfig({ args: { ...none, dataCenterUrl: 'https://cli.example' }, env, file: fileConfig })).toMatchObject({
      dataCenterUrl: 'https://cli.example',
      dataCenterSource: 'command line',
    });
    expect(resolveConfig({ args: none, env, file: fileConfig })).toMatchObject({ dataCenterUrl: 'https://env.example', dataCenterSource: 'environment' });
    expect(resolveConfig({ args: none, env: {}, file: fileConfig })).toMatchObject({ dataCenterUrl: 'https://file.example', dataCenterSource: 'config file' });
    expect(() => resolveConfig({ args: none, env: { HUYING_DATACENTER_URL: 'localhost:8701' }, file: {} })).toThrow(/HUYING_DATACENTER_URL/);
  });

  it('takes the wall display from the command line over the file, and keeps origins only', () => {
    const cfg = resolveConfig({
      args: { ...none, wall: true, wallDisplay: '2' },
      env: {},
      file: { wallDisplay: 'LG', openExternal: ['https://www.gov.cn/path'] },
    });
    expect(cfg).toMatchObject({ wall: true, wallDisplay: '2', openExternal: ['https://www.gov.cn'] });
    expect(resolveConfig({ args: none, env: {}, file: { wallDisplay: 'LG' } }).wallDisplay).toBe('LG');
  });
});
