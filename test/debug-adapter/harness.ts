/**
 * Shared setup of the adapter suites: the bundled adapter (dist/debug-adapter.js, built once
 * per suite by `node esbuild.mjs`), a DebugClient over stdio, and breakpoint lines found by
 * `; @bp:name` markers in the fixtures.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { afterEach, beforeAll, beforeEach } from 'vitest';

export const ROOT = path.resolve(__dirname, '../..');
export const FIXTURES = path.join(ROOT, 'test/fixtures/debug');
export const ADAPTER = path.join(ROOT, 'dist/debug-adapter.js');

let built = false;

/** Build the bundles once, then give each test a fresh DebugClient on a new adapter process. */
export function useDebugClient(): { dc: () => DebugClient } {
  let client: DebugClient;
  beforeAll(() => {
    if (!built) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
    built = true;
  });
  beforeEach(async () => {
    client = new DebugClient('node', ADAPTER, 'vanderpool');
    client.defaultTimeout = 20_000;
    await client.start();
  });
  afterEach(async () => {
    await client.stop();
  });
  return { dc: () => client };
}

/** 1-based line of the `; @bp:name` marker in a fixture. */
export function marker(file: string, name: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const k = lines.findIndex((l) => l.includes(`@bp:${name}`));
  if (k < 0) throw new Error(`no marker @bp:${name} in ${file}`);
  return k + 1;
}

export const HELLO = path.join(FIXTURES, 'hello.asm');
