/**
 * Renderer entry: one RPC client over whichever bridge the shell provides
 * (`window.huying` under Electron, a WebSocket to `/rpc` in the web host),
 * handed to the app through context.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createRpcClient, type Bridge } from '../core/rpc/wire';
import { App } from './App';
import { RpcProvider } from './rpc/rpc-context';
import { getBridge } from './transport';
import './styles.css';

/**
 * `?fake=1` (development builds, or a build made with VITE_HUYING_DEMO=1 only):
 * the workstation's demo data service instead of the real one. Never the default.
 */
async function bridge(): Promise<Bridge> {
  if ((import.meta.env.DEV || import.meta.env.VITE_HUYING_DEMO) && new URLSearchParams(location.search).get('fake') === '1') {
    const { createDemoBridge } = await import('./workstation/test/demo-bridge');
    return createDemoBridge(location.search);
  }
  return getBridge();
}

void bridge().then((b) =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <RpcProvider client={createRpcClient(b)}>
        <App />
      </RpcProvider>
    </StrictMode>,
  ),
);
