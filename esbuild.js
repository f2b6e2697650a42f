// Bundles the extension (CommonJS, vscode external), the CLI (plain Node) and the webview
// forms (browser) from one config.
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // The forms' browser side: components, protocol and the core's validators in one file.
    entryPoints: ['src/webview/forms/bridge.ts'],
    outfile: 'dist/webview/bridgeForm.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
  },
  {
    entryPoints: ['src/webview/forms/network.ts'],
    outfile: 'dist/webview/networkForm.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
  },
];

async function main() {
  // The package is ESM (execa is ESM-only) but VS Code loads extensions with require():
  // this marker makes Node read the bundles in dist/ as CommonJS.
  mkdirSync('dist', { recursive: true });
  writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');
  for (const options of builds) {
    const full = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info', ...options };
    if (watch) {
      const ctx = await esbuild.context(full);
      await ctx.watch();
    } else {
      await esbuild.build(full);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
