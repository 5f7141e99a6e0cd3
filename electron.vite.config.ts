/**
 * Build of the desktop app (electron-vite 6 on Vite 8, which bundles with
 * Rolldown: options live under `build.rolldownOptions`).
 *
 *   out/main/index.js          Electron main (ES module; package.json "type": "module")
 *   out/main/data-service.js   the data service, run in a utilityProcess
 *   out/main/snapshot-parser.js  its snapshot parser, a worker thread of the data service
 *                              (src/main/service/sync/snapshot-worker.ts; found next to the
 *                              data service by sync/snapshot-stream.ts)
 *   out/main/datacenter.js     the embedded data center, run in a utilityProcess
 *   out/main/image-keeper.js   the image keeper next to it, run in a utilityProcess
 *                              (src/main/service/keeper/process.ts; main's side src/main/keeper-host.ts)
 *   out/preload/index.cjs      the preload, CommonJS: an ES-module preload would need
 *                              `sandbox: false`, and the sandbox stays on
 *   out/renderer/              the React renderer (also served by the web host)
 *
 * Node dependencies stay external in main (electron-vite's default): they load
 * from node_modules, so better-sqlite3 can be pointed at its Electron build
 * (HUYING_SQLITE_BINDING, see scripts/prepare-electron-native.mjs).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// electron-vite bundles this file before loading it and rewrites import.meta.url
// (but not import.meta.dirname) to this file's real address
const root = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rolldownOptions: {
        input: {
          index: resolve(root, 'src/main/index.ts'),
          'data-service': resolve(root, 'src/main/service/process.ts'),
          'snapshot-parser': resolve(root, 'src/main/service/sync/snapshot-worker.ts'),
          datacenter: resolve(root, 'src/datacenter/process.ts'),
          'image-keeper': resolve(root, 'src/main/service/keeper/process.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: resolve(root, 'src/renderer/index.html') },
    },
  },
});
