/**
 * examples/mmu-heavy under the trap-and-emulate VMM: its window at 0x40000000 and fork area at
 * 0x80000000 lie far above the guest's RAM, which only works since the VMM keeps its tables in
 * the top 4 MiB of the linear space (address-space compression); its output must equal
 * examples/mmu-heavy.expected (QEMU's) under both ring models, and its page-table traffic must
 * show in the exit statistics: every PTE store a GUEST_PAGE_TABLE_WRITE exit, every INVLPG an
 * INVLPG exit.
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../emulator/arch/vmx-exit-reasons';
import { sdmCause, vmmCause, VmmExitReason } from '../../emulator/vmm/exit-cause';
import { TrapAndEmulateVm } from '../../emulator/vmm/trap-and-emulate/vm';
import { assembleExample, EXAMPLES, EXPECTED_STATUS, expectedOutput, MEMORY_MIB } from './examples';

const example = EXAMPLES.find((e) => e.name === 'mmu-heavy')!;

describe('examples/mmu-heavy under trap-and-emulate', () => {
  for (const ringModel of ['0/1/3', '0/3/3'] as const) {
    it(`ring model ${ringModel}: prints examples/mmu-heavy.expected and exits with status ${EXPECTED_STATUS}; its PTE stores and INVLPGs are exits`, () => {
      let output = '';
      const vm = new TrapAndEmulateVm({ memoryMiB: MEMORY_MIB, ringModel, serial: (b) => (output += String.fromCharCode(b)) });
      const load = vm.loadMultiboot(assembleExample(example));
      expect(load.ok).toBe(true);
      const stop = vm.run(100_000_000);
      expect(output).toBe(expectedOutput(example));
      expect(stop).toEqual({ kind: 'exit', status: EXPECTED_STATUS });
      // 4 rounds x (2,000 INVLPG mapping + 2,000 unmapping) + one INVLPG per copy-on-write fault (48).
      expect(vm.stats.count(sdmCause(ExitReason.INVLPG))).toBe(4 * 4000 + 48);
      // Every PTE store of the rounds but the very first (made before any shadow was derived
      // from the window's page table, so that page was not yet write-protected), plus fork's.
      expect(vm.stats.count(vmmCause(VmmExitReason.GUEST_PAGE_TABLE_WRITE))).toBeGreaterThanOrEqual(4 * 4000 - 1);
    }, 120_000);
  }
});
