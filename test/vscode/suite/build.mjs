// Compiles the extension-host suite to out/vscode-suite/ (CommonJS, one file per entry): the
// runner loads index.js there, and index.js runs the *.test.js beside it.
import * as esbuild from 'esbuild';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const outdir = path.join(root, 'out/vscode-suite');

const entries = readdirSync(here)
  .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
  .map((f) => path.join(here, f));

mkdirSync(outdir, { recursive: true });
// The package is ESM; this marker makes Node read the compiled suite as CommonJS.
writeFileSync(path.join(outdir, 'package.json'), '{ "type": "commonjs", "private": true }\n');
await esbuild.build({
  entryPoints: entries,
  outdir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  // vscode comes from the extension host; mocha and glob resolve from the repo's node_modules.
  external: ['vscode', 'mocha', 'glob'],
  logLevel: 'info',
});
console.log(`suite: ${path.relative(root, path.join(outdir, 'index.js'))}`);
