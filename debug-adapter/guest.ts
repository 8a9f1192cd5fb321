/**
 * Small questions about a stopped guest that several requests ask: where it is (linear EIP,
 * ESP), and its bytes at a guest-linear address (through emulator/inspect, which walks the
 * guest's own page tables without side effects). All addresses are guest-linear, uint32.
 */
import { SegReg } from '../emulator/arch/segments';
import { readGuestLinear } from '../emulator/inspect/guest-memory';
import type { GuestVm } from '../emulator/vmm/guest-vm';

/** CS base + EIP. */
export function linearEip(vm: GuestVm): number {
  return (vm.cpu.segs[SegReg.CS].base + vm.cpu.eip) >>> 0;
}

/** SS base + ESP (ESP masked to SP when SS is a 16-bit stack). */
export function linearEsp(vm: GuestVm): number {
  const ss = vm.cpu.segs[SegReg.SS];
  const esp = ss.big ? vm.cpu.regs[4] >>> 0 : vm.cpu.regs[4] & 0xffff;
  return (ss.base + esp) >>> 0;
}

/** ESP as a number (uint32). */
export function esp(vm: GuestVm): number {
  return vm.cpu.regs[4] >>> 0;
}

/** Code width of CS (CS.D). */
export function codeBits(vm: GuestVm): 16 | 32 {
  return vm.cpu.segs[SegReg.CS].big ? 32 : 16;
}

/** Bytes at guest-linear `lin`; null when any of them cannot be read (unmapped, beyond RAM). */
export function readLinearBytes(vm: GuestVm, lin: number, length: number): Uint8Array | null {
  const r = readGuestLinear(vm, lin >>> 0, length);
  return r.unreadable.length === 0 ? r.bytes : null;
}

/** The dword at guest-linear `lin`, or null when unreadable. */
export function readLinearDword(vm: GuestVm, lin: number): number | null {
  const b = readLinearBytes(vm, lin, 4);
  return b === null ? null : (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

/** Up to 15 bytes of code at guest-linear `lin` (fewer when the next page cannot be read); empty when none can. */
export function readCodeBytes(vm: GuestVm, lin: number): Uint8Array {
  const full = readLinearBytes(vm, lin, 15);
  if (full) return full;
  return readLinearBytes(vm, lin, Math.min(15, 0x1000 - (lin & 0xfff))) ?? new Uint8Array(0);
}
