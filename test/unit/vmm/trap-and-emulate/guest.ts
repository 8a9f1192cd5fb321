/**
 * Small hand-written guests for the trap-and-emulate tests: NASM-syntax source assembled by
 * our assembler at ORIGIN, loaded into a fresh TrapAndEmulateVm, entered in flat 32-bit
 * protected mode at CPL 0 (the loader's GDT: 08h code, 10h data) and deprivileged.
 * Every guest ends with `out 0xF4, al` (isa-debug-exit). Must not import vitest.
 */
import { assemble, formatDiagnostic } from '../../../../emulator/asm/index';
import { enterFlatProtectedMode } from '../../../../emulator/machine/flat-protected-mode';
import type { RingModel } from '../../../../emulator/vmm/guest-vm';
import { TrapAndEmulateVm, type VmStop } from '../../../../emulator/vmm/trap-and-emulate/vm';

export const ORIGIN = 0x100000;
export const STACK_TOP = 0x90000;

/** Assemble `body` (32-bit code at ORIGIN) and return a VM (ring model 0/1/3 unless given) entered at its first byte. */
export function guestVm(body: string, serial?: (b: number) => void, ringModel?: RingModel): TrapAndEmulateVm {
  const result = assemble(`bits 32\norg 0x${ORIGIN.toString(16)}\n${body}\n`, { fileName: 'guest.asm' });
  if (result.errors.length > 0) throw new Error(`guest does not assemble:\n${result.errors.map(formatDiagnostic).join('\n')}`);
  const vm = new TrapAndEmulateVm({ serial, ringModel });
  vm.memory.writeBytes(ORIGIN, result.bytes);
  enterFlatProtectedMode(vm.cpu, { eip: ORIGIN, esp: STACK_TOP });
  vm.enter();
  return vm;
}

/** Run until the guest stops (isa-debug-exit, or the VM stopping). */
export function runGuest(vm: TrapAndEmulateVm, budget = 1_000_000): VmStop {
  return vm.run(budget);
}

/** The 32-bit value at guest-physical `addr`. */
export const peek = (vm: TrapAndEmulateVm, addr: number): number => vm.memory.read32(addr) >>> 0;

/** A guest ending: isa-debug-exit with value 0 (status 1). */
export const EXIT = 'xor al, al\nout 0xF4, al\njmp $';
