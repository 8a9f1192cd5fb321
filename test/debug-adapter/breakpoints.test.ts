/**
 * Breakpoint kinds beyond plain source lines: conditions (register expressions), logpoints
 * with {expression} interpolation (no stop, a console line per hit), a condition that cannot
 * be evaluated (stops, saying why), instruction breakpoints from the disassembly view
 * (by reference and offset), unverified breakpoints (and bad hit conditions) with a message, and the 100 breakpoints
 * of the bench on never-run code, which must not stop a running guest.
 */
import { describe, expect, it } from 'vitest';
import { HELLO, SPIN, continueToStop, marker, nextStop, startStopped, topFrame, useDebugClient } from './harness';

const { dc } = useDebugClient();

describe('source breakpoint options', () => {
  it('a condition on the loop line stops only when it holds (AL = "M", the 21st character)', async () => {
    const line = marker(HELLO, 'loop');
    await startStopped(dc(), { program: HELLO }, () => dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line, condition: "ah == 0x4d && [esi - 1] != 0 || eax == 0xdeadbeef" }] }));
    const e = await continueToStop(dc());
    expect(e.body.reason).toBe('breakpoint');
    expect(e.body.description).toBe(`breakpoint at hello.asm:${line}`);
    const ah = (await dc().evaluateRequest({ expression: 'ah', context: 'watch' })).body.result;
    expect(ah).toMatch(/^0x0000004D/i);
  });

  it('a logpoint prints each hit with its {expressions} and never stops; the guest runs to its end', async () => {
    const line = marker(HELLO, 'loop');
    const logs: string[] = [];
    dc().on('output', (o) => {
      if (o.body.category === 'console' && o.body.output.startsWith('sent')) logs.push(o.body.output);
    });
    let stops = 0;
    await startStopped(dc(), { program: HELLO }, () => dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line, logMessage: 'sent {ah} from {esi - 1}' }] }));
    dc().on('stopped', () => stops++);
    const terminated = dc().waitForEvent('terminated');
    await dc().continueRequest({ threadId: 1 });
    await terminated;
    expect(stops).toBe(0);
    expect(logs).toHaveLength('Hello from a Multiboot kernel!\n'.length);
    expect(logs[0]).toMatch(/^sent 0x00000048 from 0x00100[0-9A-F]{3}\n$/i);
  });

  it('a comparison with one side missing is an evaluation error that stops with the reason', async () => {
    const line = marker(HELLO, 'puts-body');
    await startStopped(dc(), { program: HELLO }, () => dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line, condition: 'eax >= ' }] }));
    const e = await continueToStop(dc());
    expect(e.body.description).toContain("'>=' needs an expression on both sides");
  });

  it('a condition that cannot be evaluated stops and names the error', async () => {
    const line = marker(HELLO, 'puts-body');
    await startStopped(dc(), { program: HELLO }, () => dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line, condition: 'nosuch == 1' }] }));
    const e = await continueToStop(dc());
    expect(e.body.description).toMatch(new RegExp(`^breakpoint at hello\\.asm:${line}; condition 'nosuch == 1' failed: .*nosuch`));
  });

  it('a line outside the program and a file that is not part of it are unverified with a message', async () => {
    await startStopped(dc(), { program: HELLO });
    const r = await dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line: 100000 }] });
    expect(r.body.breakpoints[0].verified).toBe(false);
    expect(r.body.breakpoints[0].message).toMatch(/no code at or below line 100000/);
    const other = await dc().setBreakpointsRequest({ source: { path: SPIN }, breakpoints: [{ line: 3 }] });
    expect(other.body.breakpoints[0].message).toMatch(/is not part of the program/);
  });

  it('a hit condition that is no count form is unverified and says which forms there are', async () => {
    await startStopped(dc(), { program: HELLO });
    const r = await dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line: marker(HELLO, 'loop'), hitCondition: 'every third' }, { line: marker(HELLO, 'loop'), hitCondition: '% 3' }] });
    expect(r.body.breakpoints[0].verified).toBe(false);
    expect(r.body.breakpoints[0].message).toBe("hit condition 'every third' is not one of N, == N, >= N, > N, <= N, < N, % N");
    expect(r.body.breakpoints[1].verified).toBe(true);
  });
});

describe('instruction breakpoints', () => {
  it('a breakpoint at a disassembled address (reference + offset) stops there with reason "instruction breakpoint"', async () => {
    await startStopped(dc(), { program: HELLO });
    const puts = (await dc().evaluateRequest({ expression: 'puts', context: 'watch' })).body.memoryReference!;
    // The second instruction of puts: lodsb is one byte long.
    const r = await dc().customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: puts, offset: 1 }] });
    expect(r.body.breakpoints[0].verified).toBe(true);
    const e = await continueToStop(dc());
    expect(e.body.reason).toBe('instruction breakpoint');
    const at = Number(puts.replace(/^lin:/, '')) + 1;
    expect(e.body.description).toBe(`instruction breakpoint at 0x${at.toString(16).toUpperCase().padStart(8, '0')}`);
    expect(Number((await topFrame(dc())).instructionPointerReference)).toBe(at);
    expect(e.body.hitBreakpointIds).toEqual([r.body.breakpoints[0].id]);
  });

  it('a reference that is no address is unverified and says why', async () => {
    await startStopped(dc(), { program: HELLO });
    const r = await dc().customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: 'banana' }] });
    expect(r.body.breakpoints[0].verified).toBe(false);
    expect(r.body.breakpoints[0].message).toMatch(/'banana' is not an address/);
  });
});

describe('many breakpoints', () => {
  it('120 breakpoints on code that never runs are verified and do not stop the spinning guest; pause still does', async () => {
    const first = marker(SPIN, 'cold-first');
    const lines = Array.from({ length: 120 }, (_, k) => ({ line: first + k }));
    await startStopped(dc(), { program: SPIN });
    const r = await dc().setBreakpointsRequest({ source: { path: SPIN }, breakpoints: lines });
    expect(r.body.breakpoints.every((b) => b.verified)).toBe(true);
    await dc().continueRequest({ threadId: 1 });
    await new Promise((res) => setTimeout(res, 300));
    const stopped = nextStop(dc());
    await dc().pauseRequest({ threadId: 1 });
    expect((await stopped).body.reason).toBe('pause');
  });
});
