/**
 * Shared setup of the adapter suites: the bundled adapter (dist/debug-adapter.js, built once
 * per suite by `node esbuild.mjs`), a DebugClient over stdio, and breakpoint lines found by
 * `; @bp:name` markers in the fixtures.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
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

/** The example kernels (and their %include directory, lib/*.inc). */
export const EXAMPLES = path.join(ROOT, 'examples');
export const HELLO = path.join(EXAMPLES, 'hello.asm');
export const SENSITIVE = path.join(EXAMPLES, 'sensitive.asm');
export const TASKS = path.join(EXAMPLES, 'tasks.asm');
export const TRIPLE_FAULT = path.join(FIXTURES, 'triple-fault.asm');

/**
 * Breakpoint anchors in the example kernels, which carry no test markers: the named line is the
 * `nth` (default 1st) line whose text contains `code`. A changed example fails loudly here.
 */
const EXAMPLE_ANCHORS: Record<string, Record<string, { code: string; nth?: number }>> = {
  [HELLO]: {
    start: { code: 'mov     esp, stack_top' },
    'call-puts': { code: 'call    puts' },
    'after-call': { code: 'wait until the last byte has left the UART' },
    'puts-body': { code: 'lodsb' },
    loop: { code: 'jmp     puts' },
  },
  [SENSITIVE]: {
    'fs-moved': { code: 'mov     eax, [fs:0]', nth: 2 },
    'identity-map': { code: 'call    build_identity_map' },
    paged: { code: 'mov     edx, CR0_PAGED' },
  },
};

/**
 * 1-based line of breakpoint `name` in `file`: a `; @bp:name` marker in a test fixture, or an
 * anchor of EXAMPLE_ANCHORS in an example kernel.
 * @throws Error when the marker or the anchored line is missing (or the anchor is ambiguous)
 */
export function marker(file: string, name: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const anchor = EXAMPLE_ANCHORS[file]?.[name];
  if (anchor) {
    const hits = lines.flatMap((l, k) => (l.includes(anchor.code) ? [k + 1] : []));
    const line = hits[(anchor.nth ?? 1) - 1];
    if (line === undefined) throw new Error(`anchor ${name} ('${anchor.code}' #${anchor.nth ?? 1}) not found in ${file}`);
    return line;
  }
  const k = lines.findIndex((l) => l.includes(`@bp:${name}`));
  if (k < 0) throw new Error(`no marker @bp:${name} in ${file}`);
  return k + 1;
}

/** Launch attributes of the tests (program plus the contracts' optional attributes). */
export type TestLaunch = Record<string, unknown>;

/**
 * The whole start of a session: initialize, launch, and configurationDone once the adapter
 * says `initialized` (so the adapter does not wait CONFIGURATION_WAIT_MS for it), with
 * `configure` run in between (breakpoints, filters). Resolves with the first `stopped`
 * event when `stopOnEntry` or a breakpoint stops the guest, else when configured.
 */
export async function start(client: DebugClient, args: TestLaunch, configure?: () => Promise<unknown>): Promise<void> {
  const initialized = client.waitForEvent('initialized');
  await client.initializeRequest();
  const launched = client.launchRequest(args as never);
  await initialized;
  if (configure) await configure();
  await client.configurationDoneRequest();
  await launched;
}

/** A promise for the next `stopped` event (subscribe before the request that causes it). */
export function nextStop(client: DebugClient): Promise<DebugProtocol.StoppedEvent> {
  return client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
}

/** Start with stopOnEntry and wait for the entry stop. */
export async function startStopped(client: DebugClient, args: TestLaunch, configure?: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = nextStop(client);
  await start(client, { ...args, stopOnEntry: true }, configure);
  return stopped;
}

/** Continue and wait for the next stop. */
export async function continueToStop(client: DebugClient, threadId = 1): Promise<DebugProtocol.StoppedEvent> {
  const stopped = nextStop(client);
  await client.continueRequest({ threadId });
  return stopped;
}

/** Top frame of a thread. */
export async function topFrame(client: DebugClient, threadId = 1): Promise<DebugProtocol.StackFrame> {
  return (await client.stackTraceRequest({ threadId })).body.stackFrames[0];
}

/** Variables of a scope (by name) of the top frame, or of a child path under it. */
export async function scopeVariables(client: DebugClient, scope: string, path: string[] = [], threadId = 1): Promise<DebugProtocol.Variable[]> {
  const frame = await topFrame(client, threadId);
  const scopes = (await client.scopesRequest({ frameId: frame.id })).body.scopes;
  const s = scopes.find((x) => x.name === scope);
  if (!s) throw new Error(`no scope '${scope}' (have ${scopes.map((x) => x.name).join(', ')})`);
  let ref = s.variablesReference;
  let vars = (await client.variablesRequest({ variablesReference: ref })).body.variables;
  for (const name of path) {
    const v = vars.find((x) => x.name === name);
    if (!v) throw new Error(`no variable '${name}' under ${scope} (have ${vars.map((x) => x.name).join(', ')})`);
    ref = v.variablesReference;
    vars = (await client.variablesRequest({ variablesReference: ref })).body.variables;
  }
  return vars;
}

export const SPIN = path.join(FIXTURES, 'spin.asm');
export const STEP = path.join(FIXTURES, 'step.asm');
