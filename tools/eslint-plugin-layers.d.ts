import type { ESLint } from 'eslint';

export interface LayerRule {
  layers: string[];
  packages: (spec: string, file: string) => string | null;
}
export declare const LAYERS: Record<string, LayerRule>;
export declare function layerOf(file: string, root?: string): string | null;
declare const plugin: ESLint.Plugin;
export default plugin;
