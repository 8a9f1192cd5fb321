/**
 * What the user reads when stopped: the stack trace (symbols, source, and a frame with no
 * source that VS Code opens as disassembly), `disassemble` through iced-x86 with symbols and
 * source lines, and Bochs-style commands in the debug console (`info gdt`, `page`, `x /4wx`,
 * `vmcs GUEST_CR3`, `exits`), natively and under trap-and-emulate.
 */
import { describe, expect, it } from 'vitest';
import { EXAMPLES, HELLO, SENSITIVE, TASKS, continueToStop, marker, startStopped, topFrame, useDebugClient } from './harness';

const { dc } = useDebugClient();

async function repl(expression: string): Promise<string> {
  return (await dc().evaluateRequest({ expression, context: 'repl' })).body.result;
}

describe('stack trace', () => {
  it('inside puts: frame 0 names the symbol and its source line', async () => {
    const line = marker(HELLO, 'loop');
    await startStopped(dc(), { program: HELLO }, () => dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line }] }));
    await continueToStop(dc());
    const frames = (await dc().stackTraceRequest({ threadId: 1 })).body.stackFrames;
    expect(frames[0].name).toMatch(/^puts(\.wait)?\+0x[0-9a-f]+$/);
    expect(frames[0].line).toBe(line);
    expect(frames[0].source?.path).toBe(HELLO);
  });

  it('in tasks.asm user code (run at 0x00400000, away from its assembled address) the frame has no source, a subtle hint and an instruction pointer reference', async () => {
    await startStopped(dc(), { program: TASKS, includePaths: [EXAMPLES] }, () => dc().customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x00400000' }] }));
    const e = await continueToStop(dc());
    expect(e.body.reason).toBe('instruction breakpoint');
    const frame = await topFrame(dc());
    expect(frame.source).toBeUndefined();
    expect(frame.presentationHint).toBe('subtle');
    expect(frame.instructionPointerReference).toBe('0x00400000');
    expect(frame.name).toBe('0x00400000');
    const d = await dc().disassembleRequest({ memoryReference: frame.instructionPointerReference!, instructionCount: 2 });
    expect(d.body!.instructions[0].instruction).toMatch(/^mov ebp, ?\[0x401000\]/);
    expect(d.body!.instructions[0].line).toBeUndefined();
  });
});

describe('disassemble', () => {
  it('scrolling up and down around puts gives NASM text with symbols, source lines and bytes', async () => {
    await startStopped(dc(), { program: HELLO });
    const puts = (await dc().evaluateRequest({ expression: 'puts', context: 'watch' })).body.memoryReference!;
    const d = await dc().disassembleRequest({ memoryReference: puts, instructionOffset: -2, instructionCount: 5, resolveSymbols: true });
    const insns = d.body!.instructions;
    expect(insns).toHaveLength(5);
    expect(insns[2].address.toLowerCase()).toBe(puts.replace(/^lin:/, '').toLowerCase());
    expect(insns[2].symbol).toBe('puts');
    expect(insns[2].instruction).toBe('lodsb');
    expect(insns[2].instructionBytes).toBe('ac');
    expect(insns[2].line).toBe(marker(HELLO, 'puts-body'));
    // Before puts: the .halt loop's `jmp short .halt` and its `hlt`.
    expect(insns[1].instruction).toMatch(/^jmp short 0x/);
    expect(insns[0].instruction).toBe('hlt');
    expect(insns[3].symbol).toBe('puts+0x1');
  });

  it('a guest-physical reference is refused with a message', async () => {
    await startStopped(dc(), { program: HELLO });
    await expect(dc().disassembleRequest({ memoryReference: 'phys:0x100000', instructionCount: 1 })).rejects.toThrow(/guest-physical/);
  });
});

for (const vmm of ['native', 'trap-and-emulate']) {
  describe(`debug console under ${vmm}`, () => {
    it('info gdt, page, x /4wx and exits answer with the guest state', async () => {
      const line = marker(SENSITIVE, 'paged');
      await startStopped(dc(), { program: SENSITIVE, includePaths: [EXAMPLES], vmm }, () => dc().setBreakpointsRequest({ source: { path: SENSITIVE }, breakpoints: [{ line }] }));
      await continueToStop(dc());
      const gdt = await repl('info gdt');
      expect(gdt).toMatch(/^Global Descriptor Table \(base=0x[0-9a-f]{8}, limit=79\)/);
      expect(gdt).toContain('GDT[0x0008]=Code segment, base=0x00000000, limit=0xffffffff, Execute/Read');
      const page = await repl('page 0x100000');
      expect(page).toMatch(/PDE: 0x[0-9a-f]{8}/);
      expect(page).toContain('linear page 0x00100000 maps to physical page 0x00100000');
      const x = await repl('x /4wx probe_a');
      expect(x).toMatch(/<probe_a\+\s*0>:\s+0x11111111\s+0x22222222/);
      if (vmm === 'native') {
        expect(await repl('exits')).toMatch(/^no VM exits: this guest runs on the bare machine/);
        expect(await repl('vmcs GUEST_CR3')).toMatch(/^no VMCS: this guest runs on the bare machine/);
      } else {
        // Under the VMM, page also walks the shadow tables beside the guest's.
        expect(page).toMatch(/shadow page tables \(host CR3 0x[0-9a-f]{8}\)/);
        expect(await repl('exits')).toMatch(/^reason\s+count[\s\S]*IO_INSTRUCTION \(30\)/);
        expect(await repl('vmcs GUEST_CR3')).toMatch(/^GUEST_CR3 = 0x00102018 \(natural-width, encoding 0x6802; Guest-state area/);
      }
      await expect(repl('info nonsense')).rejects.toThrow(/info nonsense: expected info gdt/);
    });
  });
}
