/**
 * The data center behind the web host, for end-to-end tests: its URL (asked
 * of the web host's data service over its own RPC socket, as a page would),
 * intake as a source system (API key `hyk_demo_<source>`), sign-in as a demo
 * account, and commands through `POST /api/v1/commands` as a workstation's
 * data service pushes them (one client id, increasing mutation ids).
 */
import WebSocket from 'ws';

export const DEMO_PASSWORD = 'huying-demo';

/** One request over the web host's `/rpc` WebSocket (JSON frames of src/core/rpc/wire.ts). */
export async function hostRpc<T = unknown>(baseURL: string, name: string, args: unknown = {}): Promise<T> {
  const url = new URL('/rpc', baseURL);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = new Promise<T>((resolve, reject) => {
      ws.on('message', (data, binary) => {
        if (binary) return;
        const frame = JSON.parse(String(data)) as { t: string; id?: number; reply?: { ok: boolean; result?: T; error?: { code: string; message: string } } };
        if (frame.t !== 'res' || frame.id !== 1 || !frame.reply) return;
        if (frame.reply.ok) resolve(frame.reply.result as T);
        else reject(new Error(`${name}: ${frame.reply.error?.code} ${frame.reply.error?.message}`));
      });
    });
    ws.send(JSON.stringify({ t: 'req', id: 1, name, args }));
    return await reply;
  } finally {
    ws.close();
  }
}

/** The data center the web host syncs from (the embedded one in the e2e server). */
export async function dataCenterUrl(baseURL: string): Promise<string> {
  const info = await hostRpc<{ dataCenterUrl: string }>(baseURL, 'app/info');
  return info.dataCenterUrl.replace(/\/$/, '');
}

interface Answer<T> {
  ok: boolean;
  value?: T;
  error?: { code: string; message: string };
}

async function call<T>(url: string, init: RequestInit): Promise<{ status: number; body: Answer<T> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Answer<T> };
}

export interface IntakeAnswer {
  eventId: string;
  caseNo: string;
  placement: { gridCode: string | null; townCode: string | null };
}

/** Posts one record as a source system; resolves with the answer and `answeredAt` (Date.now() on receipt). */
export async function postIntake(dc: string, source: string, payload: unknown): Promise<IntakeAnswer & { answeredAt: number }> {
  const { status, body } = await call<IntakeAnswer>(`${dc}/api/v1/intake/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': `hyk_demo_${source}` },
    body: JSON.stringify(payload),
  });
  const answeredAt = Date.now();
  if (status !== 201 || !body.ok || !body.value) throw new Error(`intake ${source}: ${status} ${JSON.stringify(body.error ?? body)}`);
  return { ...body.value, answeredAt };
}

/** An access token of a demo account. */
export async function signIn(dc: string, login: string, password = DEMO_PASSWORD): Promise<string> {
  const { status, body } = await call<{ accessToken: string }>(`${dc}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  if (status !== 200 || !body.value) throw new Error(`login ${login}: ${status} ${JSON.stringify(body.error)}`);
  return body.value.accessToken;
}

export interface CommandResult {
  mutationId: number;
  status: 'applied' | 'rejected';
  error: { code: string; message: string } | null;
  result?: { status?: string } & Record<string, unknown>;
}

/**
 * A workstation as the data center sees it: a client id and its next mutation
 * id, pushing with a demo account's token.
 */
export class Workstation {
  private next = 1;
  readonly clientId = `e2e-ws-${Math.random().toString(36).slice(2, 10)}`;
  private constructor(
    private readonly dc: string,
    private readonly token: string,
  ) {}

  static async signIn(dc: string, login: string): Promise<Workstation> {
    return new Workstation(dc, await signIn(dc, login));
  }

  /** Pushes mutations in one request; throws unless every one is applied. */
  async push(...mutations: Record<string, unknown>[]): Promise<CommandResult[]> {
    const body = {
      clientId: this.clientId,
      mutations: mutations.map((mutation) => ({ mutationId: this.next++, createdAt: new Date().toISOString(), mutation })),
    };
    const res = await call<never>(`${this.dc}/api/v1/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
    });
    const results = (res.body as unknown as { results?: CommandResult[] }).results;
    if (res.status !== 200 || !results) throw new Error(`commands: ${res.status} ${JSON.stringify(res.body)}`);
    const refused = results.find((r) => r.status !== 'applied');
    if (refused) throw new Error(`command ${refused.mutationId} rejected: ${refused.error?.code} ${refused.error?.message}`);
    return results;
  }

  /** Workflow commands on one event, in order. */
  command(eventId: string, ...commands: Record<string, unknown>[]): Promise<CommandResult[]> {
    return this.push(...commands.map((command) => ({ name: 'event/command', eventId, command })));
  }
}

/** A grid worker's patrol report (filed at once) at a WGS84 position. */
export function patrolReport(opts: { id: string; description: string; location: [number, number]; gridCode: string; reportedAt?: Date }) {
  return {
    reportId: opts.id,
    workerId: 'W-E2E-01',
    workerName: '测试网格员',
    workerPhone: '13900000000',
    gridCode: opts.gridCode,
    baseItem: '023',
    description: opts.description,
    location: { lon: opts.location[0], lat: opts.location[1] },
    photos: ['https://grid.example.cn/p/e2e.jpg'],
    selfHandled: false,
    reportedAt: (opts.reportedAt ?? new Date()).toISOString(),
  };
}
