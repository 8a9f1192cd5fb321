/**
 * Boots an example guest in a Vanderpool `Machine` the way QEMU boots it in
 * examples.ts's `runQemu`: the same memory size, a Multiboot kernel through the loader or a
 * floppy image through the built-in BIOS, COM1 collected as the console. Must not import
 * vitest.
 */
import { Machine, type MachineStop } from '../../emulator/machine/machine';
import { MEMORY_MIB, type Example, type RunResult } from './examples';

/** Far more than any example needs (the heaviest, mmu-heavy, retires about 5 million). */
export const MAX_INSTRUCTIONS = 500_000_000;

/** Runs an example's bytes until it exits through isa-debug-exit or something else stops it. */
export function runVanderpool(example: Example, bytes: Uint8Array, maxInstructions = MAX_INSTRUCTIONS): RunResult {
  let output = '';
  const serial = (byte: number): void => {
    output += String.fromCharCode(byte);
  };
  const machine =
    example.boot === 'floppy'
      ? new Machine({ memoryMiB: MEMORY_MIB, disk: { image: bytes, kind: 'floppy' }, serial })
      : new Machine({ memoryMiB: MEMORY_MIB, serial });
  if (example.boot === 'multiboot') {
    const load = machine.loadMultiboot(bytes);
    if (!load.ok) return { output, status: null, problem: `the Multiboot loader rejects the kernel: ${load.error.message}` };
  }
  const stop: MachineStop = machine.run(maxInstructions);
  if (stop.kind === 'exit') return { output, status: stop.status, problem: null };
  return { output, status: null, problem: `stopped without an exit after ${machine.cpu.icount} instructions: ${describeStop(stop)}` };
}

function describeStop(stop: MachineStop): string {
  switch (stop.kind) {
    case 'limit':
      return 'the instruction limit was reached';
    case 'shutdown':
    case 'halted':
      return `${stop.kind}: ${stop.reason}`;
    case 'request':
      return `stop requested: ${stop.why}`;
    default:
      return JSON.stringify(stop);
  }
}
