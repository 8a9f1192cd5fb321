import { describe, expect, it } from 'vitest';
import { exitCauseName } from '../../../emulator/vmm/exit-cause';
import { instructionFate, resolveInstruction, type FateContext } from '../../../emulator/vmm/instruction-fate';
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

describe('instructionFate agrees with what TrapAndEmulateVm does (0/1/3, guest kernel)', () => {
  for (const s of SAMPLES) {
    it(`${s.insn}: the annotation matches the exits and holes the VM records`, () => {
      const fate = instructionFate(s.insn, KERNEL_013)!;
      expect(fate).toBeDefined();
      // The guest without the instruction, then with it: the difference is the instruction's doing.
      const run = (withInsn: boolean) => {
        const vm = guestVm(`${s.before ?? ''}\n${withInsn ? s.insn : ''}\n${s.after ?? ''}\nxor al, al\nout 0xF4, al\njmp $`);
        runGuest(vm);
        return vm;
      };
      const base = run(false);
      const withIt = run(true);
      switch (fate.kind) {
        case 'traps-emulated':
        case 'traps-reflected':
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
          throw new Error(`sample ${s.insn} has fate ${fate.kind}, which this test does not check`);
      }
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

  it('a reason the mode has no handler for is reported as stopping the VM (MOV DR → DR_ACCESS)', () => {
    expect(instructionFate('mov dr7, eax', KERNEL_013)).toMatchObject({ kind: 'not-emulated', exitReason: 'DR_ACCESS' });
  });

  it('an unknown mode gets no claim, and text that is no instruction resolves to nothing', () => {
    expect(instructionFate('hlt', { ...KERNEL_013, vmm: 'binary-translation' })?.kind).toBe('unknown-mode');
    expect(instructionFate('my_macro 1, 2', KERNEL_013)).toBeUndefined();
    expect(resolveInstruction('mov ss, ax')?.sreg).toBe(2);
  });
});
