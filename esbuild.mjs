// Bundles each process of Vanderpool into dist/. Entries whose source does not
// exist yet are skipped, so this runs (via `prepare`) at every stage of the tree.
//
//   node esbuild.mjs               build once
//   node esbuild.mjs --production  minified
//   node esbuild.mjs --watch       rebuild on change
//   node esbuild.mjs --verbose     also list the entries skipped
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** One bundle per process. */
const entries = [
  { source: 'cli/vanderpool.ts', outfile: 'dist/cli.js', shebang: true },
  { source: 'extension/extension.ts', outfile: 'dist/extension.js', external: ['vscode'] },
  { source: 'debug-adapter/main.ts', outfile: 'dist/debug-adapter.js' },
  { source: 'extension/server/server.ts', outfile: 'dist/server.js' },
  // Host programs run from bundles, not through tsx: tsx's CommonJS interop turns every
  // imported binding into a getter call, which slows the emulator about five-fold.
  { source: 'cli/demo.ts', outfile: 'dist/demo.js' },
  { source: 'bench/run.ts', outfile: 'dist/bench.js' },
  // The real-editor suite's test module, loaded by VS Code's extension host (test/e2e/run-*.ts).
  { source: 'test/e2e/suite/index.ts', outfile: 'dist/e2e/index.js', external: ['vscode'] },
];

// CJS bundles have no import.meta; give modules that use import.meta.url the
// bundle's own file URL instead.
const importMetaShim = "var __importMetaUrl = require('url').pathToFileURL(__filename).href;";

/** @returns {esbuild.BuildOptions} */
function options(entry) {
  return {
    entryPoints: [entry.source],
    outfile: entry.outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    minify: production,
    external: entry.external ?? [],
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: (entry.shebang ? '#!/usr/bin/env node\n' : '') + importMetaShim },
    logLevel: 'warning',
  };
}

/** iced-x86 loads its wasm from the directory of the bundle that contains it. */
function copyIcedWasm() {
  const require = createRequire(import.meta.url);
  const wasm = path.join(path.dirname(require.resolve('iced-x86')), 'iced_x86_bg.wasm');
  mkdirSync('dist', { recursive: true });
  copyFileSync(wasm, path.join('dist', 'iced_x86_bg.wasm'));
}

process.chdir(path.dirname(fileURLToPath(import.meta.url)));

const verbose = process.argv.includes('--verbose');
const present = entries.filter((entry) => {
  if (existsSync(entry.source)) return true;
  if (verbose) console.log(`esbuild: skipping ${entry.outfile} (${entry.source} does not exist yet)`);
  return false;
});

if (present.length > 0) {
  copyIcedWasm();
  if (watch) {
    for (const entry of present) {
      const ctx = await esbuild.context(options(entry));
      await ctx.watch();
    }
    console.log('esbuild: watching for changes');
  } else {
    await Promise.all(present.map((entry) => esbuild.build(options(entry))));
    for (const entry of present) if (entry.shebang) chmodSync(entry.outfile, 0o755);
  }
}
