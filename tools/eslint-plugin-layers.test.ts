/**
 * The layer rule is what keeps ARCHITECTURE.md true, so it gets its own tests:
 * each direction that must fail does fail, and the allowed ones pass.
 */
import { Linter } from 'eslint';
import path from 'node:path';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import layers, { layerOf } from './eslint-plugin-layers.js';

const root = path.resolve(import.meta.dirname, '..');
const linter = new Linter({ configType: 'flat', cwd: root });
const config = [
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser as Linter.Parser },
    plugins: { layers },
    rules: { 'layers/import-direction': 'error' },
  },
] as Linter.Config[];

function lint(file: string, code: string): string[] {
  return linter.verify(code, config, { filename: path.join(root, file) }).map((m) => m.message);
}

describe('layer import rule', () => {
  it('maps folders to layers', () => {
    expect(layerOf('src/core/errors.ts', root)).toBe('core');
    expect(layerOf('src/main/service/index.ts', root)).toBe('service');
    expect(layerOf('src/main/web-host/cli.ts', root)).toBe('web-host');
    expect(layerOf('src/main/index.ts', root)).toBe('main');
    expect(layerOf('src/renderer/App.tsx', root)).toBe('renderer');
    expect(layerOf('tests/e2e/map.spec.ts', root)).toBeNull();
    expect(layerOf('src/core', root)).toBe('core');
  });

  it.each([
    ['src/renderer/App.tsx', "import { x } from '../main/index';", 'renderer may not import from main'],
    ['src/renderer/App.tsx', "import { x } from '../datacenter/server';", 'renderer may not import from datacenter'],
    ['src/renderer/App.tsx', "import fs from 'node:fs';", 'may not import Node modules'],
    ['src/renderer/App.tsx', "import { ipcRenderer } from 'electron';", 'never imports electron'],
    ['src/core/rpc/contract.ts', "import { x } from '../../main/service/index';", 'core may not import from service'],
    ['src/core/rpc/contract.ts', "import path from 'node:path';", 'src/core is pure'],
    ['src/core/rpc/contract.ts', "import React from 'react';", 'src/core is pure'],
    ['src/main/service/index.ts', "import { app } from 'electron';", 'never imports electron'],
    ['src/main/service/index.ts', "const e = require('electron');", 'never imports electron'],
    ['src/main/service/index.ts', "const m = await import('electron');", 'never imports electron'],
    ['src/main/service/index.ts', "import { x } from '../index';", 'service may not import from main'],
    ['src/main/web-host/cli.ts', "import { BrowserWindow } from 'electron';", 'never imports electron'],
    ['src/main/web-host/cli.ts', "export { startDataCenter } from '../../datacenter/server';", 'web-host may not import from datacenter'],
    ['src/datacenter/server.ts', "import { x } from '../main/service/index';", 'datacenter may not import from service'],
    ['src/main/index.ts', "import { x } from '../renderer/App';", 'main may not import from renderer'],
    ['src/preload/index.ts', "import fs from 'node:fs';", 'the preload imports only electron'],
  ])('%s: %s is rejected', (file, code, expected) => {
    const messages = lint(file, code);
    expect(messages.join('\n')).toContain(expected);
  });

  it.each([
    ['src/renderer/App.tsx', "import { createRpcClient } from '../core/rpc/wire';\nimport maplibre from 'maplibre-gl';"],
    ['src/core/rpc/contract.ts', "import { z } from 'zod';\nimport { Area } from '../geo/types';"],
    ['src/core/rpc/contract.test.ts', "import { it } from 'vitest';"],
    ['src/main/service/index.ts', "import Database from 'better-sqlite3';\nimport { requests } from '../../core/rpc/contract';"],
    ['src/main/web-host/cli.ts', "import { createDataService } from '../service/index';"],
    ['src/main/index.ts', "import { app } from 'electron';\nimport { createDataService } from './service/index';"],
    ['src/preload/index.ts', "import { contextBridge } from 'electron';\nimport type { Bridge } from '../core/rpc/wire';"],
    ['src/datacenter/server.ts', "import fastify from 'fastify';\nimport { Area } from '../core/geo/types';"],
    ['src/datacenter/demo/types.ts', "import type { Area } from '../../core';"],
    ['tests/e2e/anything.spec.ts', "import { x } from '../../src/main/index';"],
  ])('%s: allowed imports pass', (file, code) => {
    expect(lint(file, code)).toEqual([]);
  });
});
