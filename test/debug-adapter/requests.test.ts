/**
 * Requests on a stopped hello kernel: stepping by line and instruction, stepOut, scopes and
 * variables with stable handles, setVariable, evaluate, readMemory/writeMemory, disassemble,
 * function / instruction / data breakpoints, exception filters (VM exits), and error
 * responses for bad arguments.
 */
import { describe, expect, it } from 'vitest';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { HELLO, marker, startStopped, useDebugClient } from './harness';

const { dc } = useDebugClient();

async function stopAt(name: string, vmm = 'native'): Promise<void> {
  await dc().hitBreakpoint({ program: HELLO, vmm } as never, { path: HELLO, line: marker(HELLO, name) });
}

async function topLine(): Promise<number> {
  return (await dc().stackTraceRequest({ threadId: 1 })).body.stackFrames[0].line;
}

async function step(kind: 'next' | 'stepIn' | 'stepOut', granularity?: 'instruction'): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc().waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  if (kind === 'next') await dc().nextRequest({ threadId: 1, granularity });
  else if (kind === 'stepIn') await dc().stepInRequest({ threadId: 1, granularity });
  else await dc().stepOutRequest({ threadId: 1, granularity });
  return stopped;
}

for (const vmm of ['native', 'trap-and-emulate']) {
  describe(`stepping under ${vmm}`, () => {
    it('next steps over the call to puts to the following line; stepIn enters puts; stepOut returns after the call', async () => {
      await stopAt('call-puts', vmm);
      const e = await step('next');
      expect(e.body.reason).toBe('step');
      expect(await topLine()).toBe(marker(HELLO, 'after-call'));
    });

    it('stepIn at the call enters puts on its first line, and stepOut comes back to the caller', async () => {
      await stopAt('call-puts', vmm);
      await step('stepIn');
      expect(await topLine()).toBe(marker(HELLO, 'puts-body'));
      await step('stepOut');
      expect(await topLine()).toBe(marker(HELLO, 'after-call'));
    });
  });
}

describe('stopped view on the bare machine', () => {
  it('instruction stepping advances EIP by one instruction', async () => {
    await stopAt('start');
    const before = (await dc().stackTraceRequest({ threadId: 1 })).body.stackFrames[0].instructionPointerReference!;
    await step('stepIn', 'instruction');
    const after = (await dc().stackTraceRequest({ threadId: 1 })).body.stackFrames[0].instructionPointerReference!;
    expect(Number(after) - Number(before)).toBe(5); // mov esp, imm32
  });

  it('scopes give registers with stable handles across stops; setVariable writes EAX', async () => {
    await stopAt('call-puts');
    const frame = (await dc().stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    const scopes = (await dc().scopesRequest({ frameId: frame.id })).body.scopes;
    expect(scopes[0].name).toBe('General registers');
    expect(scopes[0].presentationHint).toBe('registers');
    const vars = (await dc().variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    const esp = vars.find((v) => v.name === 'ESP');
    expect(esp?.value.toLowerCase()).toMatch(/0x00/);
    await dc().setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'EAX', value: '0x1234' });
    expect((await dc().evaluateRequest({ expression: 'eax', context: 'hover' })).body.result).toMatch(/^0x00001234/);
    await step('next');
    const frame2 = (await dc().stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    const scopes2 = (await dc().scopesRequest({ frameId: frame2.id })).body.scopes;
    expect(scopes2[0].variablesReference).toBe(scopes[0].variablesReference);
  });

  it('evaluate: symbols, [deref], an error naming an unknown name, and Bochs-style help in the console', async () => {
    await stopAt('call-puts');
    const r = await dc().evaluateRequest({ expression: 'msg_hello', context: 'watch' });
    expect(r.body.memoryReference).toMatch(/^lin:0x/);
    const mem = await dc().customRequest("readMemory", { memoryReference: r.body.memoryReference!, count: 5 });
    expect(Buffer.from(mem.body!.data!, 'base64').toString()).toBe('Hello');
    await expect(dc().evaluateRequest({ expression: 'nosuchname', context: 'watch' })).rejects.toThrow(/nosuchname/);
    const help = await dc().evaluateRequest({ expression: 'help', context: 'repl' });
    expect(help.body.result).toContain('info gdt');
  });

  it('writeMemory changes guest bytes, readMemory on phys: reads them back', async () => {
    await stopAt('call-puts');
    const addr = (await dc().evaluateRequest({ expression: 'msg_hello', context: 'watch' })).body.result.split(' ')[0];
    await dc().customRequest("writeMemory", { memoryReference: `lin:${addr}`, data: Buffer.from('Jello').toString('base64') });
    const mem = await dc().customRequest("readMemory", { memoryReference: `phys:${addr}`, count: 5 });
    expect(Buffer.from(mem.body!.data!, 'base64').toString()).toBe('Jello');
  });

  it('disassemble shows NASM text with symbols and source lines', async () => {
    await stopAt('call-puts');
    const ip = (await dc().stackTraceRequest({ threadId: 1 })).body.stackFrames[0].instructionPointerReference!;
    const d = await dc().disassembleRequest({ memoryReference: ip, instructionCount: 3, instructionOffset: -1, resolveSymbols: true });
    const insns = d.body!.instructions;
    expect(insns).toHaveLength(3);
    expect(insns[1].address.toLowerCase()).toBe(ip.toLowerCase());
    expect(insns[1].instruction).toMatch(/^call /);
    expect(insns[1].line).toBe(marker(HELLO, 'call-puts'));
  });

  it('a function breakpoint on puts stops there; a hit condition of 3 on the loop line stops at the third pass', async () => {
    await startStopped(dc(), { program: HELLO });
    const fb = await dc().setFunctionBreakpointsRequest({ breakpoints: [{ name: 'puts' }] });
    expect(fb.body.breakpoints[0].verified).toBe(true);
    let stopped = dc().waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc().continueRequest({ threadId: 1 });
    expect((await stopped).body.reason).toBe('function breakpoint');
    await dc().setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line: marker(HELLO, 'loop'), hitCondition: '3' }] });
    stopped = dc().waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc().continueRequest({ threadId: 1 });
    expect((await stopped).body.reason).toBe('breakpoint');
    // Three characters have been sent: ESI has moved three bytes into the message.
    const esi = (await dc().evaluateRequest({ expression: 'esi - msg_hello', context: 'watch' })).body.result;
    expect(esi).toMatch(/^0x00000003/);
  });

  it('a data breakpoint on the write of a byte stops after the writing instruction', async () => {
    await stopAt('start');
    const info = await dc().dataBreakpointInfoRequest({ name: 'stack_top - 4', bytes: 4 });
    expect(info.body.dataId).toMatch(/^lin:0x[0-9a-f]{8}\/4$/);
    await dc().setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    const stopped = dc().waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc().continueRequest({ threadId: 1 });
    const e = await stopped;
    expect(e.body.reason).toBe('data breakpoint');
    expect(e.body.description).toMatch(/write of 4 bytes at linear/);
  });
});

describe('VM exits and errors', () => {
  it('an exit-reason filter stops at the first IO_INSTRUCTION exit with the instruction in the description', async () => {
    await startStopped(dc(), { program: HELLO, vmm: 'trap-and-emulate' });
    await dc().setExceptionBreakpointsRequest({ filters: ['exit:IO_INSTRUCTION'] });
    const stopped = dc().waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc().continueRequest({ threadId: 1 });
    const e = await stopped;
    expect(e.body.reason).toBe('exception');
    expect(e.body.description).toMatch(/^VM exit IO_INSTRUCTION: out dx, al at 0x00100/);
  });

  it('a bad vmm gets an error response naming the attribute', async () => {
    await expect(dc().launch({ program: HELLO, vmm: 'kvm' } as never)).rejects.toThrow(/'vmm' must be one of native, trap-and-emulate, not 'kvm'/);
  });

  it('an unknown exception filter and a malformed memory reference get error responses and the session goes on', async () => {
    await startStopped(dc(), { program: HELLO });
    await expect(dc().setExceptionBreakpointsRequest({ filters: ['#XX'] })).rejects.toThrow(/unknown exception filter #XX/);
    await expect(dc().customRequest("readMemory", { memoryReference: 'banana', count: 4 })).rejects.toThrow(/memory reference 'banana'/);
    const t = await dc().threadsRequest();
    expect(t.body.threads).toHaveLength(1);
  });
});
