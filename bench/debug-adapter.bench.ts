/**
 * Debug adapter figures (issue 6), measured on the BUNDLED adapter (dist/debug-adapter.js,
 * built by `npm run bench`) driven over stdio by @vscode/debugadapter-testsupport's
 * DebugClient — what VS Code sees, process boundary and JSON framing included:
 *
 *  - step round trip: host milliseconds from sending `next` (line granularity) or `stepIn`
 *    with `granularity: "instruction"` to the `stopped` event, median over STEPS steps in
 *    the loop of test/fixtures/debug/spin.asm (target < 5 ms);
 *  - continue speed with 100 source breakpoints set (on spin.asm's never-called `cold`
 *    function, on the same code page as the loop) against none: guest MIPS over a
 *    WINDOW_MS continue, measured from ECX (6 instructions per pass) between two pauses;
 *    the figure is the ratio of paired windows (target ≥ 90 %);
 *  - the same with a data watchpoint (write, 4 bytes) on the never-touched page `watched`
 *    while the loop stores to and loads from `scratch` every pass.
 *
 * All on the bare machine (vmm native): the figures are about the adapter and the
 * emulator's breakpoint and watch mechanisms, not the VMM.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { BenchResult } from './cpu.bench';

const STEPS = 200;
const WINDOW_MS = 1000;
const PAIRS = 5;
const INSTRUCTIONS_PER_PASS = 6;

/** The repository root: this file runs from bench/ (tsx) or as dist/bench.js. */
const ROOT = path.resolve(__dirname, '..');
const SPIN = path.join(ROOT, 'test/fixtures/debug/spin.asm');

function adapterPath(): string {
  const p = path.join(ROOT, 'dist/debug-adapter.js');
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: run 'node esbuild.mjs' first`);
  return p;
}

/** 1-based line of a `; @bp:name` marker in spin.asm. */
function marker(name: string): number {
  const k = fs.readFileSync(SPIN, 'utf8').split('\n').findIndex((l) => l.includes(`@bp:${name}`));
  if (k < 0) throw new Error(`no marker @bp:${name} in ${SPIN}`);
  return k + 1;
}

async function session<T>(body: (dc: DebugClient) => Promise<T>): Promise<T> {
  const dc = new DebugClient('node', adapterPath(), 'vanderpool');
  dc.defaultTimeout = 30_000;
  await dc.start();
  try {
    return await body(dc);
  } finally {
    await dc.stop();
  }
}

/** Launch spin.asm stopped on entry (initialize → launch → configurationDone → stopped). */
async function launchSpin(dc: DebugClient): Promise<void> {
  const stopped = dc.waitForEvent('stopped');
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  const launched = dc.launchRequest({ program: SPIN, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await dc.configurationDoneRequest();
  await launched;
  await stopped;
}

async function ecx(dc: DebugClient): Promise<number> {
  const r = await dc.evaluateRequest({ expression: 'ecx', context: 'watch' });
  return Number(r.body.result.split(' ')[0]);
}

/** Guest MIPS over one continue of WINDOW_MS, from ECX before and after. */
async function window(dc: DebugClient): Promise<number> {
  const before = await ecx(dc);
  const t0 = performance.now();
  await dc.continueRequest({ threadId: 1 });
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const stopped = dc.waitForEvent('stopped');
  await dc.pauseRequest({ threadId: 1 });
  await stopped;
  const ms = performance.now() - t0;
  const passes = ((await ecx(dc)) - before) >>> 0;
  return (passes * INSTRUCTIONS_PER_PASS) / ms / 1000;
}

async function stepRoundTrips(dc: DebugClient, granularity: 'line' | 'instruction'): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < STEPS; k++) {
    const stopped = dc.waitForEvent('stopped');
    const t0 = performance.now();
    if (granularity === 'line') void dc.nextRequest({ threadId: 1 });
    else void dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
    await stopped;
    times.push(performance.now() - t0);
  }
  return times;
}

/** Paired windows with and without `arm`'s breakpoints; returns the with/without ratios (%) and both speeds. */
async function pairedWindows(dc: DebugClient, arm: () => Promise<unknown>, disarm: () => Promise<unknown>): Promise<{ ratio: number[]; without: number[]; withSet: number[] }> {
  const ratio: number[] = [];
  const without: number[] = [];
  const withSet: number[] = [];
  await window(dc); // warm-up: compiled blocks, JIT
  for (let k = 0; k < PAIRS; k++) {
    const a = await window(dc);
    await arm();
    const b = await window(dc);
    await disarm();
    without.push(a);
    withSet.push(b);
    ratio.push((100 * b) / a);
  }
  return { ratio, without, withSet };
}

/** Every debug-adapter figure (see the file header). */
export async function benchDebugAdapter(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  await session(async (dc) => {
    await launchSpin(dc);
    await dc.setBreakpointsRequest({ source: { path: SPIN }, breakpoints: [{ line: marker('loop-top') }] });
    const stopped = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    await stopped;
    await dc.setBreakpointsRequest({ source: { path: SPIN }, breakpoints: [] });
    results.push({ name: 'step round trip, line (next → stopped; target < 5 ms)', unit: 'ms', runs: await stepRoundTrips(dc, 'line') });
    results.push({ name: 'step round trip, instruction (stepIn → stopped)', unit: 'ms', runs: await stepRoundTrips(dc, 'instruction') });
  });
  await session(async (dc) => {
    await launchSpin(dc);
    const first = marker('cold-first');
    const hundred = Array.from({ length: 100 }, (_, k) => ({ line: first + k }));
    const r = await pairedWindows(
      dc,
      () => dc.setBreakpointsRequest({ source: { path: SPIN }, breakpoints: hundred }),
      () => dc.setBreakpointsRequest({ source: { path: SPIN }, breakpoints: [] }),
    );
    results.push({ name: 'continue, no breakpoints', unit: 'MIPS', runs: r.without });
    results.push({ name: 'continue, 100 breakpoints set', unit: 'MIPS', runs: r.withSet });
    results.push({ name: 'continue with 100 breakpoints / none (target >= 90 %)', unit: '%', runs: r.ratio });
  });
  await session(async (dc) => {
    await launchSpin(dc);
    const info = await dc.dataBreakpointInfoRequest({ name: 'watched', bytes: 4 });
    const dataId = info.body.dataId;
    if (!dataId) throw new Error(`no data breakpoint for 'watched': ${info.body.description}`);
    const r = await pairedWindows(
      dc,
      () => dc.setDataBreakpointsRequest({ breakpoints: [{ dataId, accessType: 'write' }] }),
      () => dc.setDataBreakpointsRequest({ breakpoints: [] }),
    );
    results.push({ name: 'continue with a write watch on an untouched page / none', unit: '%', runs: r.ratio });
  });
  return results;
}
