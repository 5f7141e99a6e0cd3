/**
 * The contract over the Electron transport, without Electron: main's
 * validated ipc handler and the preload's bridge joined by an in-memory ipc
 * pair, (1) straight onto the service and (2) through the utility-process
 * protocol (supervisor in main ↔ serveParentPort in the data-service child),
 * which is the path the desktop app really takes.
 */
import { createRpcClient } from '../../src/core/rpc/wire';
import { createPreloadBridge } from '../../src/preload/bridge';
import { createServiceSupervisor } from '../../src/main/service-host';
import { registerValidatedIpc } from '../../src/main/validated-ipc';
import { defineContractSuite } from './contract-suite';
import { createFakeIpcPair, forkInMemory, OUR_FRAME } from './fake-electron';

defineContractSuite('Electron IPC (fake ipc pair)', async (service) => {
  const ipc = createFakeIpcPair();
  const dispose = registerValidatedIpc({
    ipcMain: ipc.ipcMain,
    port: service,
    isOurMainFrame: (frame) => frame === OUR_FRAME,
    targets: () => [ipc.webContents],
  });
  return {
    client: createRpcClient(createPreloadBridge(ipc.ipcRenderer)),
    close: async () => dispose(),
  };
});

defineContractSuite('Electron IPC through the data-service utility process', async (service) => {
  const ipc = createFakeIpcPair();
  const supervisor = createServiceSupervisor({
    fork: () => forkInMemory({ ...service, close: async () => {} }),
    dataCenterUrl: 'http://127.0.0.1:0',
    offlineMessage: 'offline',
    log: () => {},
  });
  supervisor.start();
  const dispose = registerValidatedIpc({
    ipcMain: ipc.ipcMain,
    port: supervisor,
    isOurMainFrame: (frame) => frame === OUR_FRAME,
    targets: () => [ipc.webContents],
  });
  return {
    client: createRpcClient(createPreloadBridge(ipc.ipcRenderer)),
    close: async () => {
      dispose();
      await supervisor.stop();
    },
  };
});
