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
  // The ring-3 section's SGDT/SIDT/SLDT/STR (second occurrences of their labels: key
  // 'label#2'; its MOV AX, CS shows RPL 3 as hardware does, no hole). SYSENTER from guest user
  // code is emulated into the guest kernel, whose CS/SS carry the kernel ring as RPL (ring
  // aliasing), and its PUSHF shows the host IF (1) instead of the IF SYSENTER cleared.
  'SGDT limit#2',
  'SGDT base#2',
  'SIDT limit#2',
  'SIDT base#2',
  'SLDT#2',
  'STR#2',
  'CS (IA32_SYSENTER_CS)',
  'SS (IA32_SYSENTER_CS + 8)',
  'IF (cleared by SYSENTER)',
]);

/** The hidden-state check: FS keeps the base it was loaded with after its descriptor moved. */
const FS_MOVED = 'FS:[0] after the GDT entry moved to probe_b';

function run(options: ConstructorParameters<typeof TrapAndEmulateVm>[0]): { vm: TrapAndEmulateVm; out: string; stop: unknown } {
  let out = '';
  const vm = new TrapAndEmulateVm({ ...options, serial: (b) => (out += String.fromCharCode(b)) });
  expect(vm.loadMultiboot(assembleExample(sensitive)).ok).toBe(true);
  const stop = vm.run(50_000_000);
  return { vm, out, stop };
}

/** The check lines, each with its key: the label, '#n' added for the n-th occurrence (n ≥ 2) of a label. */
const parse = (text: string): RegExpExecArray[] => {
  const seen = new Map<string, number>();
  return text
    .split('\n')
    .map((l) => CHECK.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const n = (seen.get(m[1]) ?? 0) + 1;
      seen.set(m[1], n);
      if (n > 1) m[1] = `${m[1]}#${n}`;
      return m;
    });
};

describe('examples/sensitive under trap-and-emulate', () => {
  for (const ringModel of ['0/1/3', '0/3/3'] as const) {
    it(`ring model ${ringModel}: runs every section (paging, ring 3, SYSENTER/SYSEXIT) and differs from bare hardware exactly at the holes`, () => {
      const { vm, out, stop } = run({ ringModel });
      // Status 3: the kernel found checks that differ from hardware (the holes), nothing unexpected.
      expect(stop).toEqual({ kind: 'exit', status: 3 });
      expect(out).not.toMatch(/unexpected exception/);
      // The paging section ran on shadow page tables.
      expect(vm.stats.count(vmmCause(VmmExitReason.HIDDEN_PAGE_FAULT))).toBeGreaterThan(0);
      const bare = parse(expectedOutput(sensitive));
      const checks = parse(out);
      expect(checks.length).toBe(bare.length);
      checks.forEach(([, label, , hardware], n) => {
        expect(label).toBe(bare[n][1]);
        expect(hardware, label).toBe(bare[n][3]);
      });
      for (const [, label, observed, hardware, verdict] of checks) {
        if (HOLES.has(label)) {
          expect(verdict, label).toBe('DIFFERS');
        } else {
          expect(verdict, label).toBe('match');
          expect(observed, label).toBe(hardware);
        }
      }
      for (const label of HOLES) expect(checks.some((m) => m[1] === label), label).toBe(true);
      expect(out).toMatch(new RegExp(`^57 checks, ${checks.filter((m) => m[4] === 'DIFFERS').length} differ from bare hardware`, 'm'));
    });
  }

  it('with preserveHiddenState: false the FS check fails as the SDM predicts (probe_b instead of probe_a), one difference more than the holes', () => {
    const { out, stop } = run({ preserveHiddenState: false });
    expect(stop).toEqual({ kind: 'exit', status: 3 });
    const fs = parse(out).find((m) => m[1] === FS_MOVED)!;
    expect(fs.slice(2)).toEqual(['0x22222222', '0x11111111', 'DIFFERS']);
    const differing = parse(out).filter((m) => m[4] === 'DIFFERS').map((m) => m[1]);
    expect(differing.filter((l) => !HOLES.has(l))).toEqual([FS_MOVED]);
  });
});
