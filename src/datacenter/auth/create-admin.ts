/**
 * `npm run datacenter -- --create-admin <login> [--name NAME] [--district CODE] [--organisation ID]
 *  [--pg URL | --data DIR]` — makes an admin account on a database without starting the server:
 * the way to the first account of a production data center (the demo accounts never exist
 * there). The password comes from `HUYING_ADMIN_PASSWORD`, or the first line of stdin (typed
 * without echo on a terminal), and must pass the password policy.
 *
 * Exit codes: 0 made · 1 refused or failed (login taken, database unreachable, weak password) ·
 * 2 bad arguments.
 */
import { createInterface } from 'node:readline';
import { Writable, type Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { toRpcError } from '../../core';
import { DEFAULT_DATA_DIR } from '../options';
import { openDatabase } from '../store/database';
import { areas } from '../store/schema';
import { checkPasswordPolicy } from './password';
import { createAuthService } from './service';

export const CREATE_ADMIN_USAGE = `usage: npm run datacenter -- --create-admin LOGIN [--name NAME] [--district CODE] [--organisation ID] [--pg URL | --data DIR]

  The password is read from HUYING_ADMIN_PASSWORD, or from the first line of stdin.
  --name NAME          display name (default: LOGIN)
  --district CODE      6-digit district code (default: the district of the loaded reference data)
  --organisation ID    unit the admin acts for (default: district-<CODE>)
  --pg URL | --data DIR  the database, as for the server (also DATABASE_URL; default --data ${DEFAULT_DATA_DIR})`;

export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
}

export async function runCreateAdmin(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'create-admin': { type: 'string' },
        name: { type: 'string' },
        district: { type: 'string' },
        organisation: { type: 'string' },
        pg: { type: 'string' },
        data: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(`huying datacenter: ${(err as Error).message}\n\n${CREATE_ADMIN_USAGE}\n`);
    return 2;
  }
  const login = values['create-admin'];
  if (typeof login !== 'string' || login.trim() === '') {
    io.stderr.write(`huying datacenter: --create-admin needs a login\n\n${CREATE_ADMIN_USAGE}\n`);
    return 2;
  }
  if (values.pg !== undefined && values.data !== undefined) {
    io.stderr.write(`huying datacenter: --pg and --data are exclusive\n`);
    return 2;
  }
  const district = values.district as string | undefined;
  if (district !== undefined && !/^\d{6}$/.test(district)) {
    io.stderr.write(`huying datacenter: --district must be a 6-digit code\n`);
    return 2;
  }

  const password = env.HUYING_ADMIN_PASSWORD ?? (await readPassword(io));
  if (!password) {
    io.stderr.write('huying datacenter: no password (set HUYING_ADMIN_PASSWORD or pipe it on stdin)\n');
    return 1;
  }

  try {
    // before opening anything: a weak password needs no database to be refused
    checkPasswordPolicy(password, login);
  } catch (err) {
    io.stderr.write(`huying datacenter: ${toRpcError(err).message}\n`);
    return 1;
  }

  const pgUrl = (values.pg as string | undefined) ?? (values.data === undefined ? env.DATABASE_URL || undefined : undefined);
  let store;
  try {
    store = await openDatabase(pgUrl ? { pg: pgUrl } : { dataDir: (values.data as string | undefined) ?? DEFAULT_DATA_DIR });
  } catch (err) {
    io.stderr.write(`huying datacenter: ${toRpcError(err).message}\n`);
    return 1;
  }
  try {
    const [loaded] = await store.db.select({ code: areas.code }).from(areas).where(eq(areas.level, 'district')).limit(1);
    const code = district ?? loaded?.code;
    if (!code) {
      io.stderr.write('huying datacenter: no reference data is loaded: name the district with --district CODE\n');
      return 1;
    }
    const service = await createAuthService({ db: store.db });
    const user = await service.createUser(
      {
        login,
        displayName: (values.name as string | undefined) ?? login,
        role: 'admin',
        scope: { level: 'district', code },
        organisationId: (values.organisation as string | undefined) ?? `district-${code}`,
        password,
      },
      null,
    );
    io.stdout.write(`${JSON.stringify({ created: { id: user.id, login: user.login, role: user.role, scope: user.scope, organisationId: user.organisationId } })}\n`);
    return 0;
  } catch (err) {
    const e = toRpcError(err);
    io.stderr.write(`huying datacenter: cannot create the admin: ${e.message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

/** The first line of stdin; on a terminal, prompted and not echoed. */
async function readPassword(io: CliIo): Promise<string> {
  const tty = io.stdin.isTTY === true;
  if (tty) io.stderr.write('password: ');
  let muted = tty;
  const output = new Writable({
    write(chunk, _enc, done) {
      if (!muted) io.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: io.stdin, output, terminal: tty });
  try {
    for await (const line of rl) {
      muted = false;
      if (tty) io.stderr.write('\n');
      return line.replace(/\r$/, '');
    }
    return '';
  } finally {
    rl.close();
  }
}
