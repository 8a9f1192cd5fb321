/**
 * Runs the bundled `vanderpool` command (dist/cli.js, built by `node esbuild.mjs`) as a
 * child process for the CLI suites.
 *
 * Each suite calls `useCliSuite()`, which builds once in its `beforeAll` (`prepareCli`) and runs a private copy of the
 * bundle (cli.js with the iced-x86 .wasm it loads from its own directory): other suites and
 * other people's builds may rewrite dist/ while these tests run, and a bundle read while
 * esbuild writes it would fail for no fault of the CLI. Builds are serialised by a lock
 * directory so that two suites never write dist/ at once.
 */
import { afterAll, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const LOCK = join(REPO, 'dist', '.cli-test-build.lock');
/** A lock older than this is left over from a killed run. */
const STALE_LOCK_MS = 120_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withBuildLock<T>(fn: () => T): T {
  mkdirSync(dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmdirSync(LOCK);
      } catch {
        // Released meanwhile.
      }
      sleep(100);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(LOCK);
  }
}

/**
 * Build the bundles with `node esbuild.mjs` and copy the CLI bundle to a private folder.
 * @returns the path of the copied cli.js and the folder to remove afterwards
 * @throws Error with esbuild's output when the build fails
 */
export function prepareCli(): { cli: string; dir: string } {
  return withBuildLock(() => {
    const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node esbuild.mjs failed:\n${r.stdout}\n${r.stderr}`);
    const dir = mkdtempSync(join(tmpdir(), 'vp-cli-'));
    copyFileSync(join(REPO, 'dist', 'cli.js'), join(dir, 'cli.js'));
    copyFileSync(join(REPO, 'dist', 'iced_x86_bg.wasm'), join(dir, 'iced_x86_bg.wasm'));
    return { cli: join(dir, 'cli.js'), dir };
  });
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for the child: no CI variable games, no colours, no TTY (pipes). */
function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1' };
}

/**
 * Run `node cli.js ARGS…` and wait for it.
 * @param cwd working directory (default: the repository)
 */
export function runCli(cli: string, args: string[], cwd = REPO, timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'latin1', timeout: timeoutMs, env: childEnv(), maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Start `node cli.js ARGS…`, send it SIGINT once its standard output has some bytes, and
 * wait for it to end.
 */
export function runCliAndInterrupt(cli: string, args: string[], cwd = REPO, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('latin1').on('data', (chunk: string) => {
      stdout += chunk;
      if (!sent) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('latin1').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({ status, signal, stdout, stderr });
    });
  });
}

/** A scratch folder with the given files (text or bytes). */
export function scratch(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vp-cli-work-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Remove a folder made by `prepareCli` or `scratch`. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** No JavaScript stack trace in a message ("    at f (file:1:2)"). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[:(]\d+/m.test(text);
}

/**
 * Register a suite's CLI fixtures: a private copy of the bundled CLI built before the
 * suite (`prepareCli`), and scratch folders made by `work`, all removed after it.
 */
export function useCliSuite(): { cli: () => string; work: (files: Record<string, string | Uint8Array>) => string } {
  let cli = '';
  let cliDir = '';
  const dirs: string[] = [];
  beforeAll(() => {
    ({ cli, dir: cliDir } = prepareCli());
  });
  afterAll(() => {
    removeDir(cliDir);
    for (const d of dirs) removeDir(d);
  });
  return {
    cli: () => cli,
    work: (files) => {
      const d = scratch(files);
      dirs.push(d);
      return d;
    },
  };
}
