/**
 * The real-editor suite's runner (`npm run test:e2e`): loads the extension from this repository
 * into code-server 4.100.3 (VS Code 1.100.3's server with a real Node extension host; installed
 * in test/e2e/code-server/ by test/e2e/setup-code-server.sh), opens its web workbench in Debian's
 * Chromium through playwright-core, and lets the workbench run the extension's own test module
 * (dist/e2e/index.js, bundled from test/e2e/suite/index.ts) in the extension host — the recipe of
 * ../shared/notes/real-editor-tests.md: the `payload` URL parameter carries
 * extensionDevelopmentPath and extensionTestsPath; the page reports the module's end through
 * `window.codeAutomationExit(code)` and the extension host's console through
 * `window.codeAutomationLog(type, args)`, both exposed before the page loads.
 *
 * The suite prints one `e2e: PASS|FAIL <name>` line per test (suite/harness.ts); this runner
 * echoes them, takes the screenshots the suite asks for (`e2e: SCREENSHOT <name>`) into
 * test/e2e/screenshots/ (gitignored), and ends with `e2e: N passed, N failed` and exit status 0
 * only when every test passed. A missing code-server, Chromium or bundle is a failure (exit 1),
 * never a skip.
 *
 * Environment: E2E_KEEP=1 keeps the temporary folder (workspace, user data, logs);
 * E2E_TIMEOUT_MS bounds the whole run (default 240000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { prepareWorkspace } from './workspace';

// tsx runs this file as CommonJS (the package has no "type": "module"), so __dirname, not import.meta.url.
const REPO = resolve(__dirname, '../..');
const CODE_SERVER = join(REPO, 'test/e2e/code-server/node_modules/.bin/code-server');
const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(REPO, 'test/e2e/screenshots');
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 240_000);

function fail(message: string): never {
  console.error(`e2e: ${message}`);
  console.log('e2e: 0 passed, 1 failed');
  process.exit(1);
}

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** Start code-server in its own process group; resolves when it listens. */
function startCodeServer(port: number, dir: string, workspace: string): Promise<ChildProcess> {
  const args = [
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--user-data-dir', join(dir, 'ud'), '--extensions-dir', join(dir, 'ext'), workspace,
  ];
  const child = spawn(CODE_SERVER, args, {
    detached: true,
    env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'xdg-config'), XDG_DATA_HOME: join(dir, 'xdg-data'), CS_DISABLE_FILE_DOWNLOADS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`code-server did not listen within 60 s:\n${log.join('')}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      log.push(text);
      if (process.env.E2E_VERBOSE) process.stderr.write(`[code-server] ${text}`);
      if (text.includes('HTTP server listening')) {
        clearTimeout(timer);
        res(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`code-server exited with ${code} before listening:\n${log.join('')}`));
    });
  });
}

function stopGroup(child: ChildProcess | null): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

const t0 = Date.now();
/** Seconds since the runner started, for the progress lines. */
const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  if (!existsSync(CODE_SERVER)) fail(`code-server is not installed (${CODE_SERVER}); run test/e2e/setup-code-server.sh`);
  if (!existsSync(CHROMIUM)) fail(`Chromium is not installed (${CHROMIUM}); run test/e2e/setup-code-server.sh (apt-get install chromium)`);
  for (const bundle of ['dist/extension.js', 'dist/e2e/index.js', 'dist/debug-adapter.js', 'dist/server.js', 'dist/cli.js']) {
    if (!existsSync(join(REPO, bundle))) fail(`${bundle} is missing; build with \`node esbuild.mjs\``);
  }

  const dir = mkdtempSync(join(tmpdir(), 'vp-e2e-'));
  const workspace = join(dir, 'workspace');
  prepareWorkspace(REPO, workspace);
  mkdirSync(join(dir, 'ext'), { recursive: true });
  // Settings for the workbench: no welcome page, no trust prompt, no tips in the way of screenshots.
  mkdirSync(join(dir, 'ud', 'User'), { recursive: true });
  writeFileSync(
    join(dir, 'ud', 'User', 'settings.json'),
    JSON.stringify({ 'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false, 'workbench.tips.enabled': false, 'extensions.ignoreRecommendations': true, 'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'workbench.enableExperiments': false }),
  );
  mkdirSync(SCREENSHOTS, { recursive: true });

  let server: ChildProcess | null = null;
  let browser: Browser | null = null;
  let passed = 0;
  let failed = 0;
  try {
    const port = await freePort();
    server = await startCodeServer(port, dir, workspace);
    console.log(`e2e: code-server listening on 127.0.0.1:${port} (${elapsed()})`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const shots: Promise<unknown>[] = [];
    const exitCode = new Promise<number>((res) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => res(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const text = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      for (const line of text.split('\n')) {
        const m = /^e2e: (PASS|FAIL|SCREENSHOT) (.*)$/.exec(line);
        if (m?.[1] === 'PASS') passed++;
        if (m?.[1] === 'FAIL') failed++;
        if (m?.[1] === 'SCREENSHOT') {
          const file = join(SCREENSHOTS, `${m[2].replace(/[^\w.-]+/g, '-')}.png`);
          shots.push(page.screenshot({ path: file }).then(() => console.log(`e2e: screenshot ${file}`), (err: Error) => console.log(`e2e: screenshot ${file} failed: ${err.message}`)));
          continue;
        }
        // The workbench asks the extension gallery (open-vsx.org) for recommendations; this machine has no route there.
        if (!process.env.E2E_VERBOSE && /open-vsx\.org|^\s+at /.test(line)) continue;
        if (m || line.startsWith('e2e:') || type === 'error' || process.env.E2E_VERBOSE) console.log(type === 'error' && !m ? `[extension host error] ${line}` : line);
      }
    });
    const remote = (p: string): string => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(REPO)],
      ['extensionTestsPath', remote(join(REPO, 'dist/e2e/index.js'))],
    ];
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url);
    console.log(`e2e: workbench loaded (${elapsed()})`);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exitCode, new Promise<number>((res) => (timer = setTimeout(() => res(-1), TIMEOUT_MS)))]);
    clearTimeout(timer);
    console.log(`e2e: test module ended with code ${code} (${elapsed()})`);
    await Promise.all(shots);
    await page.screenshot({ path: join(SCREENSHOTS, 'final.png') }).catch(() => undefined);
    if (code === -1) {
      console.log(`e2e: FAIL the suite did not finish within ${TIMEOUT_MS} ms`);
      failed++;
    } else if (code !== 0 && failed === 0) {
      console.log(`e2e: FAIL the test module ended with code ${code} without reporting a failing test`);
      failed++;
    }
    if (passed + failed === 0) {
      console.log('e2e: FAIL no test reported a result');
      failed++;
    }
  } catch (err) {
    console.log(`e2e: FAIL the runner: ${err instanceof Error ? err.message : String(err)}`);
    failed++;
  } finally {
    await browser?.close().catch(() => undefined);
    stopGroup(server);
    if (process.env.E2E_KEEP) console.log(`e2e: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  console.log(`e2e: cleaned up (${elapsed()})`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

void main().then((code) => {
  process.exitCode = code;
});
