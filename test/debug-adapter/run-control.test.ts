/**
 * Running the guest: pause (with reason `pause`), terminate while running, restart (the
 * guest starts again and stops at the same breakpoint), line and instruction stepping
 * around a loop (hello.asm's puts), the stop descriptions of each, and `--server=PORT`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ADAPTER, HELLO, SPIN, STEP, continueToStop, marker, nextStop, start, startStopped, topFrame, useDebugClient } from './harness';

const { dc } = useDebugClient();

async function step(kind: 'next' | 'stepIn', granularity?: 'instruction'): Promise<DebugProtocol.StoppedEvent> {
  const stopped = nextStop(dc());
  if (kind === 'next') await dc().nextRequest({ threadId: 1, granularity });
  else await dc().stepInRequest({ threadId: 1, granularity });
  return stopped;
}

for (const vmm of ['native', 'trap-and-emulate']) {
  describe(`under ${vmm}`, () => {
    it('pause stops a guest that never ends with reason pause; continue and pause again', async () => {
      await start(dc(), { program: SPIN, vmm });
      await new Promise((r) => setTimeout(r, 200));
      let stopped = nextStop(dc());
      await dc().pauseRequest({ threadId: 1 });
      let e = await stopped;
      expect(e.body.reason).toBe('pause');
      const line = (await topFrame(dc())).line;
      expect(e.body.description).toMatch(new RegExp(`^paused at spin\\.asm:${line} \\(0x00100[0-9A-F]{3}\\)$`));
      expect(line).toBeGreaterThanOrEqual(marker(SPIN, 'loop-top'));
      expect(line).toBeLessThanOrEqual(marker(SPIN, 'loop-end'));
      await dc().continueRequest({ threadId: 1 });
      stopped = nextStop(dc());
      await dc().pauseRequest({ threadId: 1 });
      e = await stopped;
      expect(e.body.reason).toBe('pause');
      // Pausing a stopped guest is an error response, not a crash.
      await expect(dc().pauseRequest({ threadId: 1 })).rejects.toThrow(/not running/);
    });

    it('terminate while the guest runs ends the session with terminated', async () => {
      await start(dc(), { program: SPIN, vmm });
      await new Promise((r) => setTimeout(r, 100));
      let stops = 0;
      dc().on('stopped', () => stops++);
      const terminated = dc().waitForEvent('terminated');
      await dc().terminateRequest({});
      await terminated;
      // The run loop ends silently: no stray stop after terminated.
      await new Promise((r) => setTimeout(r, 200));
      expect(stops).toBe(0);
    });

    it('restart runs the program again from its entry: the same breakpoint stops it again, with fresh output', async () => {
      const line = marker(HELLO, 'after-call');
      const out: string[] = [];
      dc().on('output', (o) => {
        if (o.body.category === 'stdout') out.push(o.body.output);
      });
      await startStopped(dc(), { program: HELLO, vmm }, () => dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line }] }));
      let e = await continueToStop(dc());
      expect(e.body.description).toBe(`breakpoint at hello.asm:${line}`);
      expect(out.join('')).toBe('Hello from a Multiboot kernel!\n');
      const again = nextStop(dc());
      await dc().customRequest('restart', {});
      // The launch configuration is reused: stopOnEntry holds again.
      e = await again;
      expect(e.body.reason).toBe('entry');
      e = await continueToStop(dc());
      expect(e.body.reason).toBe('breakpoint');
      expect((await topFrame(dc())).line).toBe(line);
      expect(out.join('')).toBe('Hello from a Multiboot kernel!\n'.repeat(2));
    });

    it('restart while the guest runs starts it again without a stray stop; pause then stops the new run', async () => {
      await start(dc(), { program: SPIN, vmm });
      await new Promise((r) => setTimeout(r, 100));
      const reasons: string[] = [];
      dc().on('stopped', (e) => reasons.push(e.body.reason));
      await dc().customRequest('restart', {});
      await new Promise((r) => setTimeout(r, 300));
      expect(reasons).toEqual([]);
      const stopped = nextStop(dc());
      await dc().pauseRequest({ threadId: 1 });
      expect((await stopped).body.reason).toBe('pause');
      expect(reasons).toEqual(['pause']);
    });

    it('line steps go round the puts loop line by line; instruction steps move one instruction each', async () => {
      await startStopped(dc(), { program: HELLO, vmm }, () => dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line: marker(HELLO, 'loop') }] }));
      await continueToStop(dc());
      await dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [] });
      // jmp puts → lodsb (the loop's first line), then each following line in turn.
      const seen: number[] = [];
      for (let k = 0; k < 14; k++) {
        const e = await step('next');
        expect(e.body.reason).toBe('step');
        seen.push((await topFrame(dc())).line);
        expect(e.body.description).toMatch(new RegExp(`^step over to hello\\.asm:${seen[k]} \\(0x00100[0-9A-F]{3}\\)$`));
      }
      const body = marker(HELLO, 'puts-body');
      const loop = marker(HELLO, 'loop');
      expect(seen[0]).toBe(body);
      // Every line is inside puts, and the loop comes round to its first line again.
      expect(seen.filter((l) => l < body || l > loop)).toEqual([]);
      expect(seen.slice(1).includes(body)).toBe(true);
      // A line step never stops twice on one line (puts has no one-line loop).
      for (let k = 1; k < seen.length; k++) expect(seen[k]).not.toBe(seen[k - 1]);
      // Instruction granularity: each step moves EIP to the next instruction (or the jump's target).
      const ips: number[] = [];
      for (let k = 0; k < 6; k++) {
        const e = await step('stepIn', 'instruction');
        ips.push(Number((await topFrame(dc())).instructionPointerReference));
        expect(e.body.description).toMatch(/^step in \(instruction\) to hello\.asm:\d+ \(0x00100[0-9A-F]{3}\)$/);
      }
      expect(new Set(ips).size).toBeGreaterThan(1);
      for (let k = 1; k < ips.length; k++) expect(ips[k]).not.toBe(ips[k - 1]);
    });
  });
}

describe('what counts as a call when stepping over', () => {
  async function lineAfter(kind: 'next' | 'stepIn', granularity?: 'instruction'): Promise<number> {
    await step(kind, granularity);
    return (await topFrame(dc())).line;
  }

  it('a PUSH of an address a few bytes ahead is stepped over as one instruction, not run to that address as if it were a call', async () => {
    await startStopped(dc(), { program: STEP }, () => dc().setBreakpointsRequest({ source: { path: STEP }, breakpoints: [{ line: marker(STEP, 'push-ahead') }] }));
    await continueToStop(dc());
    expect(await lineAfter('next', 'instruction')).toBe(marker(STEP, 'nop'));
  });

  it('next steps over CALL through a register and through memory; stepIn enters the callee and stepOut returns', async () => {
    await startStopped(dc(), { program: STEP }, () => dc().setBreakpointsRequest({ source: { path: STEP }, breakpoints: [{ line: marker(STEP, 'call-reg') }] }));
    await continueToStop(dc());
    await dc().setBreakpointsRequest({ source: { path: STEP }, breakpoints: [] });
    expect(await lineAfter('next')).toBe(marker(STEP, 'after-call-reg'));
    expect(await lineAfter('next')).toBe(marker(STEP, 'call-mem'));
    expect(await lineAfter('next', 'instruction')).toBe(marker(STEP, 'after-call-mem'));
    const ecx = (await dc().evaluateRequest({ expression: 'ecx', context: 'watch' })).body.result;
    expect(ecx).toMatch(/^0x00000002/);
  });

  it('stepIn at CALL EAX enters the callee; stepOut comes back after the call', async () => {
    await startStopped(dc(), { program: STEP }, () => dc().setBreakpointsRequest({ source: { path: STEP }, breakpoints: [{ line: marker(STEP, 'call-reg') }] }));
    await continueToStop(dc());
    expect(await lineAfter('stepIn')).toBe(marker(STEP, 'callee'));
    const stopped = nextStop(dc());
    await dc().stepOutRequest({ threadId: 1 });
    expect((await stopped).body.reason).toBe('step');
    expect((await topFrame(dc())).line).toBe(marker(STEP, 'after-call-reg'));
  });
});

describe('--server=PORT', () => {
  it('serves a session over TCP: a breakpoint stops the guest with the same description as over stdio', async () => {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const server: ChildProcess = spawn(process.execPath, [ADAPTER, `--server=${port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout!.on('data', () => resolve());
        server.on('exit', (code) => reject(new Error(`the adapter exited with ${code}`)));
        setTimeout(resolve, 1500);
      });
      const client = new DebugClient('node', ADAPTER, 'vanderpool');
      client.defaultTimeout = 20_000;
      await client.start(port);
      try {
        const line = marker(HELLO, 'call-puts');
        await client.hitBreakpoint({ program: HELLO } as never, { path: HELLO, line });
        const frame = (await client.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
        expect(frame.line).toBe(line);
      } finally {
        await client.stop();
      }
    } finally {
      server.kill();
    }
  });
});
