import { describe, expect, it } from 'vitest';
import { vmmCause, VmmExitReason } from '../../emulator/vmm/exit-cause';
import { TrapAndEmulateVm } from '../../emulator/vmm/trap-and-emulate/vm';
import { assembleExample, EXAMPLES, expectedOutput } from '../examples/examples';

const sensitive = EXAMPLES.find((e) => e.name === 'sensitive')!;

/** A check line of sensitive.asm: label, observed value, bare hardware's value, verdict. */
const CHECK = /^ {2}(.+?)\s+(\S+)\s+hardware (\S+)\s+(match|DIFFERS)$/;

/** The ring-0 checks where trap-and-emulate must differ from bare hardware: the holes of docs/vmm-design.md. */
const HOLES = new Set([
  // Ring aliasing: CS carries RPL 1.
  'PUSH CS (RPL = CPL = 0)',
  'MOV AX, CS',
  // Non-faulting access to privileged state: the VMM's shadow GDTR, IDTR, LDTR and TR.
  'SGDT limit',
  'SGDT base',
  'SIDT limit',
  'SIDT base',
  'SLDT',
  'STR',
  // PUSHF shows the host's IF (1), not the virtual IF that CLI cleared.
  'IF after PUSHF; CLI',
  // LAR and LSL see the VMM's descriptors: DPL raised to 1, limits truncated, system descriptors the VMM's.
  'LAR 0x08 (code, execute/read)',
  'LAR 0x10 (data, read/write)',
  'LAR 0x28 (TSS, busy after LTR)',
  'LAR 0x30 (LDT)',
  'LSL 0x08 (4 GiB, page granular)',
  'LSL 0x28 (TSS)',
]);

/**
 * Differences that are NOT holes but a limitation of this slice: the guest GDT is not
 * write-protected, so the descriptor sensitive.asm moves reaches the shadow GDT only at the
 * next LGDT. Write-protecting the guest GDT pages (docs/vmm-design.md) must empty this list.
 */
const SHADOW_NOT_COHERENT = new Set(['LSL 0x38 reads the new limit from the GDT', 'FS:[0] after reloading FS']);

describe('examples/sensitive under trap-and-emulate (0/1/3 with shadow paging, no guest user mode yet)', () => {
  it('runs its ring-0 sections, paging included, differing from bare hardware exactly at the holes, and stops at the SYSEXIT to ring 3', () => {
    let out = '';
    const vm = new TrapAndEmulateVm({ serial: (b) => (out += String.fromCharCode(b)) });
    expect(vm.loadMultiboot(assembleExample(sensitive)).ok).toBe(true);
    const stop = vm.run(50_000_000);
    // SYSEXIT at CPL 1 is #GP and not emulated yet (guest user mode): the kernel reports the
    // unexpected exception and exits through isa-debug-exit.
    expect(stop).toEqual({ kind: 'exit', status: 5 });
    const sysexit = out.indexOf('[ring 0 -> 3] SYSEXIT');
    expect(sysexit).toBeGreaterThan(0);
    expect(out.slice(sysexit).split(/\r?\n/).filter((l) => l.trim() !== '')[1]).toMatch(/^unexpected exception #GP\(0x0000\)/);
    // The paging section ran on shadow page tables.
    expect(vm.state.paging.active).toBe(true);
    expect(vm.stats.count(vmmCause(VmmExitReason.HIDDEN_PAGE_FAULT))).toBeGreaterThan(0);

    const parse = (text: string) => text.split('\n').map((l) => CHECK.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    const bare = parse(expectedOutput(sensitive));
    const checks = parse(out);
    // Every ring-0 check ran (the last ones read back CR3 and CR0 with paging on).
    expect(checks.length).toBe(32);
    expect(checks.at(-1)![1]).toBe('SMSW after paging is on');
    // The same checks in the same order as on bare hardware (a prefix of them), with the same hardware values.
    checks.forEach(([, label, , hardware], n) => {
      expect(label).toBe(bare[n][1]);
      expect(hardware, label).toBe(bare[n][3]);
    });
    for (const [, label, observed, hardware, verdict] of checks) {
      if (HOLES.has(label) || SHADOW_NOT_COHERENT.has(label)) {
        expect(verdict, label).toBe('DIFFERS');
      } else {
        expect(verdict, label).toBe('match');
        expect(observed, label).toBe(hardware);
      }
    }
    for (const label of HOLES) expect(checks.some((m) => m[1] === label), label).toBe(true);
  });
});
