/**
 * Finishing an emulated instruction: EIP past it (32-bit code: no wrap; 16-bit: IP wraps),
 * the instruction counted as retired (it did not retire on the CPU: it faulted), and the
 * executor sent through its slow path (EIP, and maybe CS or IF, changed behind its back).
 */
import type { Cpu } from '../../../cpu/cpu';
import { SegReg } from '../../../arch/segments';
import type { Insn } from '../../../cpu/decoder/insn';

export function retire(cpu: Cpu, insn: Insn): void {
  const next = cpu.eip + insn.len;
  cpu.eip = cpu.segs[SegReg.CS].big ? next >>> 0 : next & 0xffff;
  cpu.icount++;
  cpu.breakBlock = true;
}

/** The decoded instruction of a #GP exit; a handler reached without one is a VMM bug. */
export function exitInsn(insn: Insn | null, what: string): Insn {
  if (insn === null) throw new Error(`internal: ${what} exit without a decoded instruction`);
  return insn;
}
