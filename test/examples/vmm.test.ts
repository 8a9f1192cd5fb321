/**
 * Runs the example kernels that use guest user mode and the ones that need nothing more
 * (hello, tasks) under the trap-and-emulate VMM in both ring models and holds them to the
 * same examples/<name>.expected output and isa-debug-exit status as QEMU and the bare
 * machine (issue 5, acceptance: "hello, tasks and mmu-heavy print the same console output on
 * the bare machine and under both models"; mmu-heavy is held to it by the address-space
 * compression tests).
 */
import { describe, expect, it } from 'vitest';
import { RING_MODELS } from '../../emulator/vmm/guest-vm';
import { TrapAndEmulateVm } from '../../emulator/vmm/trap-and-emulate/vm';
import { assembleExample, EXAMPLES, EXPECTED_STATUS, expectedOutput, MEMORY_MIB } from './examples';
import { MAX_INSTRUCTIONS } from './vanderpool-run';

const UNDER_VMM = ['hello', 'tasks'];

describe.each([...RING_MODELS])('example guests under trap-and-emulate, ring model %s', (ringModel) => {
  for (const name of UNDER_VMM) {
    const example = EXAMPLES.find((e) => e.name === name);
    if (example === undefined) throw new Error(`examples.ts lists no example '${name}'`);
    it(`${name}: prints examples/${name}.expected on COM1 and exits with status ${EXPECTED_STATUS}`, () => {
      let output = '';
      const vm = new TrapAndEmulateVm({ memoryMiB: MEMORY_MIB, ringModel, serial: (b) => (output += String.fromCharCode(b)) });
      const load = vm.loadMultiboot(assembleExample(example));
      expect(load.ok).toBe(true);
      const stop = vm.run(MAX_INSTRUCTIONS);
      expect(output).toBe(expectedOutput(example));
      expect(stop).toEqual({ kind: 'exit', status: EXPECTED_STATUS });
    }, 120_000);
  }
});
