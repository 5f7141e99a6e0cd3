// @vitest-environment happy-dom
/**
 * The domain reference after a fresh sign-in: the replica is still empty (the
 * snapshot follows the login), so `config/get` answers `unavailable` at first.
 * The provider must read it again once the sync is live, and again on a new
 * epoch (a re-snapshot), not keep the first refusal for the whole shift.
 */
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { answer, createRpcClient } from '../../core/rpc/wire';
import { I18nProvider } from '../i18n';
import { RpcProvider } from '../rpc/rpc-context';
import { DomainProvider, useDomain } from './domain';
import { createDemoService, type DemoService } from './test/demo-service';

let demo: DemoService;
afterEach(() => {
  cleanup();
  demo?.stop();
});

function Probe() {
  const d = useDomain();
  return <p data-testid="probe" data-cfg={d.cfg ? 'yes' : 'no'} data-error={d.cfgError?.code ?? ''} />;
}

const status = (epoch: string) => ({ state: 'live' as const, dataCenterUrl: 'http://dc', offlineSince: null, lastBatchAt: null, version: null, progress: null, message: null, cursor: { epoch, v: 1 } });

describe('DomainProvider', () => {
  it('reads the configuration again once the replica has it, and on a new epoch', async () => {
    demo = createDemoService({ events: 10, signedIn: 'duty', autoSettle: false });
    let replicated = false;
    let configReads = 0;
    const bridge = {
      invoke: (n: string, a: unknown) => {
        if (n === 'config/get') {
          configReads++;
          if (!replicated) return Promise.resolve({ ok: false as const, error: { code: 'unavailable' as const, message: 'no configuration replicated yet' } });
        }
        return answer(demo.handlers, n, a);
      },
      subscribe: (n: string, l: (p: unknown) => void) => demo.subscribe(n as 'sync/status', l),
    };
    render(
      <RpcProvider client={createRpcClient(bridge)}>
        <I18nProvider locale="zh-CN">
          <DomainProvider>
            <Probe />
          </DomainProvider>
        </I18nProvider>
      </RpcProvider>,
    );
    const probe = () => screen.getByTestId('probe');
    await waitFor(() => expect(probe().dataset.error).toBe('unavailable'));
    expect(probe().dataset.cfg).toBe('no');

    // the snapshot lands: the sync turns live on a new epoch
    replicated = true;
    act(() => demo.emit('sync/status', status('epoch-1')));
    await waitFor(() => expect(probe().dataset.cfg).toBe('yes'), { timeout: 3000 });
    expect(probe().dataset.error).toBe('');
    const reads = configReads;

    // a live batch on the same epoch with everything loaded: nothing read again
    act(() => demo.emit('sync/status', status('epoch-1')));
    await new Promise((r) => setTimeout(r, 1200));
    expect(configReads).toBe(reads);

    // a re-snapshot (new epoch): read again
    act(() => demo.emit('sync/status', status('epoch-2')));
    await waitFor(() => expect(configReads).toBe(reads + 1), { timeout: 3000 });
  });
});
