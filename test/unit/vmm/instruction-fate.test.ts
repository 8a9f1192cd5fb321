import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../../emulator/arch/vmx-exit-reasons';
import { allEntries } from '../../../emulator/cpu/decoder/opcode-table';
import { Attr } from '../../../emulator/cpu/decoder/types';
import { TRAP_AND_EMULATE } from '../../../emulator/vmm/trap-and-emulate/mode';
import { exitCauseName } from '../../../emulator/vmm/exit-cause';
import { RING_MODELS, type RingModel } from '../../../emulator/vmm/guest-vm';
import { instructionFate, resolveInstruction, type FateContext, type InstructionFate } from '../../../emulator/vmm/instruction-fate';
import { guestVm, runGuest } from './trap-and-emulate/guest';

const KERNEL_013: FateContext = { vmm: 'trap-and-emulate', ringModel: '0/1/3', cpl: 'kernel' };
const R = 0x8000;

/** Exits the VM recorded with the reason named `name`. */
function exitsOf(vm: ReturnType<typeof guestVm>, name: string): number {
  return vm.stats.causes().find((c) => exitCauseName(c.cause) === name)?.count ?? 0;
}

/** Holes the VM recorded of one kind. */
const holesOf = (vm: ReturnType<typeof guestVm>, kind: string): number => (vm.holes.countsByKind() as Record<string, number>)[kind] ?? 0;

/**
 * Each sample: the instruction under test, a prologue that makes it harmless in a tiny
 * guest, and what follows. The guest ends with `out 0xF4, al` (one IO_INSTRUCTION exit of
 * its own), so the instruction's own exit must be a reason other than that — or, for I/O,
 * counted twice.
 */
const SAMPLES: { insn: string; before?: string; after?: string }[] = [
  { insn: 'mov eax, cr0' },
  { insn: 'mov cr0, eax', before: 'mov eax, cr0' },
  { insn: 'lgdt [0x8000]', before: `sgdt [${R}]` },
  { insn: 'cli' },
  { insn: 'sti', before: 'mov al, 0xff\nout 0x21, al\nout 0xa1, al' },
  { insn: 'rdmsr', before: 'mov ecx, 0x174' },
  { insn: 'in al, 0x61' },
  // No guest IDT: the reflection ends in a guest triple fault, after the exit was counted.
  { insn: 'int 0x30' },
  { insn: 'sgdt [0x8000]' },
  { insn: 'smsw ax' },
  { insn: 'push cs', after: 'pop eax' },
  { insn: 'mov ax, ss' },
  { insn: 'pushfd', before: 'cli', after: 'pop eax' },
  { insn: 'popfd', before: 'mov al, 0xff\nout 0x21, al\nout 0xa1, al\nsti\npushfd\ncli' },
  { insn: 'lar eax, ebx', before: 'mov ebx, 0x08' },
  { insn: 'push ds', after: 'pop eax' },
  { insn: 'cpuid', before: 'xor eax, eax' },
];

type Vm = ReturnType<typeof guestVm>;

/**
 * The behavioural check: the guest run without the instruction (`base`) and with it
 * (`withIt`); the difference is the instruction's doing and must be what the fate claims.
 */
function expectFateMatches(fate: InstructionFate, base: Vm, withIt: Vm, sample: string): void {
  switch (fate.kind) {
    case 'traps-emulated':
    case 'traps-reflected':
    case 'faults-in-guest':
      expect(exitsOf(withIt, fate.exitReason!)).toBeGreaterThan(exitsOf(base, fate.exitReason!));
      expect(withIt.holes.total).toBe(base.holes.total);
      break;
    case 'hole':
      expect(holesOf(withIt, fate.holeKind!)).toBeGreaterThan(holesOf(base, fate.holeKind!));
      expect(withIt.stats.total).toBe(base.stats.total);
      break;
    case 'runs-directly':
      expect(withIt.stats.total).toBe(base.stats.total);
      expect(withIt.holes.total).toBe(base.holes.total);
      break;
    default:
      throw new Error(`sample ${sample} has fate ${fate.kind}, which this test does not check`);
  }
}

describe.each([...RING_MODELS])('instructionFate agrees with what TrapAndEmulateVm does (ring model %s, guest kernel)', (ringModel) => {
  for (const s of SAMPLES) {
    it(`${s.insn}: the annotation matches the exits and holes the VM records`, () => {
      const fate = instructionFate(s.insn, { vmm: 'trap-and-emulate', ringModel, cpl: 'kernel' })!;
      expect(fate).toBeDefined();
      // Under both models a privileged instruction of the guest kernel is emulated, never left to the guest.
      expect(fate.kind).not.toBe('not-emulated');
      const run = (withInsn: boolean) => {
        const vm = guestVm(`${s.before ?? ''}\n${withInsn ? s.insn : ''}\n${s.after ?? ''}\nxor al, al\nout 0xF4, al\njmp $`, undefined, ringModel);
        runGuest(vm);
        return vm;
      };
      expectFateMatches(fate, run(false), run(true), s.insn);
    });
  }
});

/**
 * A guest kernel that enters user code (ring 3, the way test/unit/vmm/trap-and-emulate/
 * user-guest.ts does: its own GDT with user segments, a TSS, an IDT, SYSENTER MSRs, IRET to
 * ring 3) and runs `user` there. User code ends with INT 0x82 (gate DPL 3) whose handler
 * writes isa-debug-exit; a #GP (vector 13) ends the run the same way, so a privileged
 * instruction in user code is the guest's own fault, delivered to its kernel. INT 0x30 (DPL
 * 3) returns at once; the SYSENTER entry returns with SYSEXIT (EDX = EIP, ECX = ESP).
 */
function userModeGuest(user: string, ringModel: RingModel): Vm {
  const o = 0x100000;
  const at = (l: string) => `(${l} - $$ + 0x${o.toString(16)})`;
  return guestVm(
    `        mov al, 0xff
        out 0x21, al
        out 0xa1, al
        lgdt [gdtr]
        jmp 0x08:.cs
.cs:    mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x90000
        lidt [idtr]
        mov ax, 0x28
        ltr ax
        xor edx, edx
        mov ecx, 0x174
        mov eax, 0x08
        wrmsr
        mov ecx, 0x175
        mov eax, 0x88000
        wrmsr
        mov ecx, 0x176
        mov eax, sysenter_entry
        wrmsr
        push dword 0x23
        push dword 0x7f000
        push dword 0x202
        push dword 0x1b
        push dword user
        iretd
user:   mov ax, 0x23
        mov ds, ax
        mov es, ax
${user}
        int 0x82
quick:  iretd
sysenter_entry:
        sysexit
done:   xor al, al
        out 0xf4, al
        jmp $
%macro gate 2
        dw ${at('%1')} & 0xffff
        dw 0x08
        db 0, %2
        dw ${at('%1')} >> 16
%endmacro
        align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF
        dq 0x00CF92000000FFFF
        dq 0x00CFFA000000FFFF
        dq 0x00CFF2000000FFFF
        dw 103, ${at('tss')} & 0xffff
        db (${at('tss')} >> 16) & 0xff, 0x89, 0, ${at('tss')} >> 24
gdt_end:
gdtr:   dw gdt_end - gdt - 1
        dd gdt
idtr:   dw idt_end - idt - 1
        dd idt
        align 8
idt:    times 13 dq 0
        gate done, 0x8E
        times 0x30 - 14 dq 0
        gate quick, 0xEE
        times 0x82 - 0x31 dq 0
        gate done, 0xEE
idt_end:
        align 4
tss:    dd 0, 0x90000, 0x10
        times 23 dd 0
        dd 104 << 16`,
    undefined,
    ringModel,
  );
}

/** Samples in guest user code: the instruction, what makes it harmless there, what follows. */
const USER_SAMPLES: { insn: string; before?: string; after?: string }[] = [
  { insn: 'mov cr3, eax', before: 'xor eax, eax' },
  { insn: 'hlt' },
  { insn: 'cli' },
  { insn: 'in al, 0x61' },
  { insn: 'lgdt [0x8000]' },
  { insn: 'sysexit' },
  { insn: 'int 0x30' },
  { insn: 'sysenter', before: 'mov ecx, esp\nmov edx, back', after: 'back:' },
  { insn: 'sgdt [0x8000]' },
  { insn: 'smsw ax' },
  { insn: 'lar eax, ebx', before: 'mov ebx, 0x1b' },
  { insn: 'popfd', before: 'pushfd\nand dword [esp], ~0x200' },
  { insn: 'push cs', after: 'pop eax' },
  { insn: 'mov ax, ss' },
  { insn: 'mov ss, ax', before: 'mov ax, 0x23' },
  { insn: 'cpuid', before: 'xor eax, eax' },
];

describe.each([...RING_MODELS])('instructionFate agrees with what TrapAndEmulateVm does (ring model %s, guest user code)', (ringModel) => {
  it('the user-mode guest reaches ring 3 and ends through its INT 0x82 handler (the harness is sound)', () => {
    const vm = userModeGuest('mov dword [0x8000], 0x11', ringModel);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(vm.memory.read32(0x8000)).toBe(0x11);
    expect(vm.state.guestCpl).toBe(0);
    expect(exitsOf(vm, 'IRET')).toBe(1);
    expect(exitsOf(vm, 'SOFTWARE_INTERRUPT')).toBe(1);
  });

  for (const s of USER_SAMPLES) {
    it(`${s.insn}: the annotation matches the exits and holes the VM records`, () => {
      const fate = instructionFate(s.insn, { vmm: 'trap-and-emulate', ringModel, cpl: 'user' })!;
      expect(fate).toBeDefined();
      const run = (withInsn: boolean) => {
        const vm = userModeGuest(`${s.before ?? ''}\n${withInsn ? s.insn : ''}\n${s.after ?? ''}`, ringModel);
        expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
        return vm;
      };
      expectFateMatches(fate, run(false), run(true), s.insn);
    });
  }
});

describe('instructionFate texts and kinds', () => {
  it('names the exit reason of a trapped instruction and cites the SDM volume of its page', () => {
    expect(instructionFate('mov cr3, eax', KERNEL_013)).toMatchObject({ kind: 'traps-emulated', exitReason: 'CR_ACCESS', text: 'traps → emulated (CR_ACCESS)', sdm: 'Vol. 2B MOV (control registers)' });
    expect(instructionFate('popf', KERNEL_013)).toMatchObject({ kind: 'hole', holeKind: 'popf-if-ignored', text: 'silently keeps IF at CPL 1 — virtualization hole', sdm: 'Vol. 2B POPF/POPFD' });
    expect(instructionFate('sgdt [x]', KERNEL_013)?.text).toMatch(/^leaks the host GDTR/);
  });

  it('on the bare machine everything runs directly in the kernel, and privileged instructions fault in user code', () => {
    expect(instructionFate('mov cr3, eax', { ...KERNEL_013, vmm: 'native' })).toMatchObject({ kind: 'runs-directly' });
    expect(instructionFate('hlt', { vmm: 'native', ringModel: '0/1/3', cpl: 'user' })).toMatchObject({ kind: 'faults-in-guest' });
  });

  it('PUSH CS shows RPL 1 under 0/1/3 and RPL 3 under 0/3/3 in the guest kernel, nothing in user code', () => {
    expect(instructionFate('push cs', KERNEL_013)?.text).toContain('RPL 1');
    expect(instructionFate('push cs', { ...KERNEL_013, ringModel: '0/3/3' })?.text).toContain('RPL 3');
    expect(instructionFate('push cs', { ...KERNEL_013, cpl: 'user' })?.kind).toBe('runs-directly');
  });

  it('under 0/3/3 (guest kernel at host CPL 3) every privileged instruction fares as under 0/1/3: the same exit reason and handling', () => {
    for (const insn of ['mov cr3, eax', 'mov eax, cr0', 'clts', 'hlt', 'cli', 'sti', 'in al, dx', 'out 0x80, al', 'lgdt [x]', 'lidt [x]', 'lldt ax', 'ltr ax', 'rdmsr', 'wrmsr', 'invlpg [x]', 'sysexit', 'iretd', 'mov ss, ax', 'pop ss', 'mov dr7, eax', 'wbinvd']) {
      const f013 = instructionFate(insn, KERNEL_013)!;
      const f033 = instructionFate(insn, { ...KERNEL_013, ringModel: '0/3/3' })!;
      expect({ insn, kind: f033.kind, exitReason: f033.exitReason, text: f033.text }).toEqual({ insn, kind: f013.kind, exitReason: f013.exitReason, text: f013.text });
    }
    expect(instructionFate('hlt', { ...KERNEL_013, ringModel: '0/3/3' })).toMatchObject({ kind: 'traps-emulated', exitReason: 'HLT', text: 'traps → emulated (HLT)' });
    expect(instructionFate('popf', { ...KERNEL_013, ringModel: '0/3/3' })?.text).toBe('silently keeps IF at CPL 3 — virtualization hole');
  });

  it('in guest user code, under both models, privileged instructions fault in the guest, INT n is reflected and SYSENTER emulated', () => {
    for (const ringModel of RING_MODELS) {
      const user: FateContext = { vmm: 'trap-and-emulate', ringModel, cpl: 'user' };
      expect(instructionFate('mov cr3, eax', user)).toMatchObject({ kind: 'faults-in-guest', exitReason: 'EXCEPTION_NMI' });
      expect(instructionFate('cli', user)?.text).toMatch(/^faults in the guest \(#GP\(0\).*as on bare hardware/);
      expect(instructionFate('int 0x80', user)).toMatchObject({ kind: 'traps-reflected', exitReason: 'SOFTWARE_INTERRUPT' });
      expect(instructionFate('sysenter', user)).toMatchObject({ kind: 'traps-emulated', exitReason: 'SYSTEM_CALL' });
      expect(instructionFate('sysexit', user)).toMatchObject({ kind: 'faults-in-guest' });
      expect(instructionFate('sgdt [x]', user)).toMatchObject({ kind: 'hole', holeKind: 'privileged-state-read' });
    }
  });

  it('MOV DR, WBINVD and INVD trap and are emulated (DR_ACCESS, WBINVD, INVD): no privileged instruction is left that would stop the VM', () => {
    expect(instructionFate('mov dr7, eax', KERNEL_013)).toMatchObject({ kind: 'traps-emulated', exitReason: 'DR_ACCESS' });
    expect(instructionFate('wbinvd', KERNEL_013)).toMatchObject({ kind: 'traps-emulated', exitReason: 'WBINVD' });
    expect(instructionFate('invd', KERNEL_013)).toMatchObject({ kind: 'traps-emulated', exitReason: 'INVD' });
    for (const row of allEntries().filter((e) => ((e.attrs ?? 0) & (Attr.CPL0 | Attr.IOPL)) !== 0 && e.exit !== undefined)) {
      expect({ mn: row.mn, exit: row.exit, handled: ExitReason[row.exit!] in TRAP_AND_EMULATE.handlers }).toEqual({ mn: row.mn, exit: row.exit, handled: true });
    }
  });

  it('an unknown mode gets no claim, and text that is no instruction resolves to nothing', () => {
    expect(instructionFate('hlt', { ...KERNEL_013, vmm: 'binary-translation' })?.kind).toBe('unknown-mode');
    expect(instructionFate('my_macro 1, 2', KERNEL_013)).toBeUndefined();
    expect(resolveInstruction('mov ss, ax')?.sreg).toBe(2);
  });
});
