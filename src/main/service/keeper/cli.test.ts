import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseKeeperArgs } from './cli';

const base = ['--datacenter', 'http://127.0.0.1:8600', '--images', 'img', '--data', 'keeper'];
const message = (argv: string[], env = {}) => {
  const r = parseKeeperArgs(argv, env);
  return r.kind === 'error' ? r.message : null;
};

describe('image keeper options', () => {
  it('takes the data center, both folders resolved, the district by default, an account or a token, 5 minutes', () => {
    expect(parseKeeperArgs([...base, '--user', 'wall', '--password', 'pw'])).toEqual({
      kind: 'run',
      options: { dataCenterUrl: 'http://127.0.0.1:8600', imagesDir: path.resolve('img'), dataDir: path.resolve('keeper'), scope: 'district', credentials: { login: 'wall', password: 'pw' }, renewMs: 300_000 },
    });
    expect(parseKeeperArgs([...base, '--token', 't', '--scope', '440114001000', '--renew-minutes', '0.5'])).toMatchObject({
      kind: 'run',
      options: { scope: '440114001000', credentials: { token: 't' }, renewMs: 30_000 },
    });
    // the password may stay off the command line
    expect(parseKeeperArgs([...base, '--user', 'wall'], { HUYING_KEEPER_PASSWORD: 'secret' })).toMatchObject({ options: { credentials: { login: 'wall', password: 'secret' } } });
    expect(parseKeeperArgs(['--help']).kind).toBe('help');
  });

  it('explains what is wrong', () => {
    expect(message(['--images', 'i', '--data', 'd', '--token', 't'])).toMatch(/--datacenter URL is required/);
    expect(message(['--datacenter', 'ftp://x', '--images', 'i', '--data', 'd', '--token', 't'])).toMatch(/http\(s\)/);
    expect(message(['--datacenter', 'nope', '--images', 'i', '--data', 'd', '--token', 't'])).toMatch(/must be a URL/);
    expect(message(['--datacenter', 'http://x', '--data', 'd', '--token', 't'])).toMatch(/--images DIR is required/);
    expect(message(['--datacenter', 'http://x', '--images', 'i', '--token', 't'])).toMatch(/--data DIR is required/);
    expect(message(['--datacenter', 'http://x', '--images', 'd', '--data', 'd', '--token', 't'])).toMatch(/different folders/);
    expect(message([...base, '--token', 't', '--scope', 'town'])).toMatch(/--scope must be/);
    expect(message(base)).toMatch(/sign in with --user/);
    expect(message([...base, '--user', 'wall'])).toMatch(/needs a password/);
    expect(message([...base, '--password', 'pw'])).toMatch(/--password needs --user/);
    expect(message([...base, '--user', 'wall', '--password', 'pw', '--token', 't'])).toMatch(/exclusive/);
    expect(message([...base, '--token', 't', '--renew-minutes', '0'])).toMatch(/--renew-minutes/);
    expect(message([...base, '--token', 't', '--renew-minutes', 'soon'])).toMatch(/--renew-minutes/);
    expect(message([...base, '--token', 't', '--verbose'])).toMatch(/Unknown option/);
  });

  it('exits 2 with the reason and the usage on bad arguments', () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', tsx, cli, '--images', 'i', '--data', 'd', '--token', 't'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/huying image keeper: --datacenter URL is required/);
    expect(r.stderr).toMatch(/usage:/);
    expect(r.stdout).toBe('');
  });
});
