/**
 * Renderer entry: one RPC client over whichever bridge the shell provides
 * (`window.huying` under Electron, a WebSocket to `/rpc` in the web host),
 * handed to the app through context.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createRpcClient } from '../core/rpc/wire';
import { App } from './App';
import { RpcProvider } from './rpc/rpc-context';
import { getBridge } from './transport';
import './styles.css';

const client = createRpcClient(getBridge());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <RpcProvider client={client}>
      <App />
    </RpcProvider>
  </StrictMode>,
);
