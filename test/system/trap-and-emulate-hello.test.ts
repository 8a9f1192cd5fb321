import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../emulator/arch/vmx-exit-reasons';
import { sdmCause, vmmCause, VmmExitReason } from '../../emulator/vmm/exit-cause';
import { TrapAndEmulateVm } from '../../emulator/vmm/trap-and-emulate/vm';
import { assembleExample, EXAMPLES, expectedOutput, EXPECTED_STATUS } from '../examples/examples';

const example = (name: string) => EXAMPLES.find((e) => e.name === name)!;

describe('examples/hello under trap-and-emulate (0/1/3)', () => {
  it('prints exactly hello.expected and exits through isa-debug-exit, every IN/OUT an IO_INSTRUCTION exit', () => {
    let out = '';
    const vm = new TrapAndEmulateVm({ serial: (b) => (out += String.fromCharCode(b)) });
    const load = vm.loadMultiboot(assembleExample(example('hello')));
    expect(load.ok).toBe(true);
    const stop = vm.run(10_000_000);
    expect(stop).toEqual({ kind: 'exit', status: EXPECTED_STATUS });
    expect(out).toBe(expectedOutput(example('hello')));
    const io = vm.stats.count(sdmCause(ExitReason.IO_INSTRUCTION));
    // 5 OUTs of the UART setup, per character one IN of LSR and one OUT, at least one IN while draining, the exit OUT.
    const chars = out.length;
    expect(io).toBeGreaterThanOrEqual(5 + 2 * chars + 2);
    expect(vm.stats.count(vmmCause(VmmExitReason.INTERRUPT_FLAG))).toBe(0);
    expect(vm.cpu.cpl).toBe(1);
  });
});
