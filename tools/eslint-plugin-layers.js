// @ts-check
/**
 * Import-direction rules of ARCHITECTURE.md, enforced by ESLint rather than by review.
 * A file's layer is its folder; each layer lists the layers and packages it may import.
 * Covers static imports, re-exports, dynamic import() and require().
 */
import { builtinModules } from 'node:module';
import path from 'node:path';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const UI_PACKAGES = [/^react(-dom)?($|\/)/, /^@deck\.gl\//, /^maplibre-gl($|\/)/, /^echarts($|\/)/, /^@tanstack\/react-/, /^zustand($|\/)/];

/**
 * @typedef {{ layers: string[], packages: (spec: string, file: string) => string | null }} LayerRule
 * `packages` returns a reason when the bare specifier is not allowed, else null.
 */

/** @type {Record<string, LayerRule>} */
export const LAYERS = {
  core: {
    layers: ['core'],
    packages: (spec, file) => {
      if (spec === 'zod' || spec.startsWith('zod/')) return null;
      if (/\.test\.ts$/.test(file) && ['vitest', 'fast-check'].includes(spec)) return null;
      return 'src/core is pure: it may import only zod (and vitest/fast-check in its tests)';
    },
  },
  datacenter: {
    layers: ['core', 'datacenter'],
    packages: (spec) => {
      if (spec === 'electron') return 'the data center is a Node server and never imports electron';
      if (UI_PACKAGES.some((re) => re.test(spec))) return 'the data center does not import UI packages';
      return null;
    },
  },
  service: {
    layers: ['core', 'service'],
    packages: (spec) => {
      if (spec === 'electron') return 'src/main/service runs in plain Node (utilityProcess or web host) and never imports electron';
      if (UI_PACKAGES.some((re) => re.test(spec))) return 'the data service does not import UI packages';
      return null;
    },
  },
  'web-host': {
    layers: ['core', 'service', 'web-host'],
    packages: (spec) => {
      if (spec === 'electron') return 'the web host runs in plain Node and never imports electron';
      if (UI_PACKAGES.some((re) => re.test(spec))) return 'the web host serves the built renderer; it does not import UI packages';
      return null;
    },
  },
  main: {
    layers: ['core', 'service', 'main'],
    packages: (spec) => (UI_PACKAGES.some((re) => re.test(spec)) ? 'Electron main does not import UI packages' : null),
  },
  preload: {
    layers: ['core', 'preload'],
    packages: (spec) => (spec === 'electron' ? null : 'the preload imports only electron (and types from core)'),
  },
  renderer: {
    layers: ['core', 'renderer'],
    packages: (spec) => {
      if (spec === 'electron') return 'the renderer never imports electron; it talks through window.huying';
      if (NODE_BUILTINS.has(spec)) return 'the renderer runs in a browser and may not import Node modules';
      if (/^(better-sqlite3|pg|@electric-sql\/pglite|drizzle-orm|fastify|ws)($|\/)/.test(spec)) return 'the renderer never touches SQL or servers; ask the data service';
      return null;
    },
  },
};

/** @param {string} file absolute or cwd-relative path → layer name, or null when unrestricted */
export function layerOf(file, root = process.cwd()) {
  const rel = path.relative(root, path.resolve(root, file)).split(path.sep).join('/');
  // a folder import ('../../core') resolves to the folder itself, without a trailing slash
  const within = (/** @type {string} */ dir) => rel === dir || rel.startsWith(`${dir}/`);
  if (within('src/core')) return 'core';
  if (within('src/datacenter')) return 'datacenter';
  if (within('src/main/service')) return 'service';
  if (within('src/main/web-host')) return 'web-host';
  if (within('src/main')) return 'main';
  if (within('src/preload')) return 'preload';
  if (within('src/renderer')) return 'renderer';
  return null;
}

/** @type {import('eslint').Rule.RuleModule} */
const importDirection = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the layer import directions of ARCHITECTURE.md' },
    schema: [],
    messages: {
      layer: "{{from}} may not import from {{to}} ('{{spec}}'); allowed: {{allowed}}",
      outside: "{{from}} may not import '{{spec}}' from outside src/ layers",
      pkg: "'{{spec}}': {{reason}}",
    },
  },
  create(context) {
    const file = context.filename;
    const root = context.cwd;
    const from = layerOf(file, root);
    if (!from) return {};
    const rule = LAYERS[from];

    /** @param {import('estree').Node} node @param {unknown} value */
    function check(node, value) {
      if (typeof value !== 'string') return;
      const spec = value;
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = path.resolve(path.dirname(file), spec);
        const to = layerOf(target, root);
        if (to === null) {
          const rel = path.relative(root, target);
          // assets and resources are fine (e.g. the renderer importing a style from resources/)
          if (rel.startsWith('resources')) return;
          context.report({ node, messageId: 'outside', data: { from, spec } });
          return;
        }
        if (!rule.layers.includes(to)) {
          context.report({ node, messageId: 'layer', data: { from, to, spec, allowed: rule.layers.join(', ') } });
        }
        return;
      }
      const reason = rule.packages(spec, file);
      if (reason) context.report({ node, messageId: 'pkg', data: { spec, reason } });
    }

    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments[0]?.type === 'Literal') {
          check(node, node.arguments[0].value);
        }
      },
    };
  },
};

export default { rules: { 'import-direction': importDirection } };
