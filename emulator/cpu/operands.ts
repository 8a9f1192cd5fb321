/**
 * Register operands by ModRM number, for instruction handlers.
 *
 * 8-bit registers 0..7 are AL, CL, DL, BL, AH, CH, DH, BH (SDM Vol. 2A §2.1.5, Table 2-2);
 * the high-byte registers alias bits 15:8 of EAX..EBX. Writing a 16-bit or 8-bit register
 * leaves the other bits of the 32-bit register unchanged.
 */
import { REG8_INDEX, type Cpu } from './cpu';

export function getReg8(cpu: Cpu, n: number): number {
  return cpu.regs8[REG8_INDEX[n]];
}
export function setReg8(cpu: Cpu, n: number, v: number): void {
  cpu.regs8[REG8_INDEX[n]] = v;
}
export function getReg16(cpu: Cpu, n: number): number {
  return cpu.regs16[n << 1];
}
export function setReg16(cpu: Cpu, n: number, v: number): void {
  cpu.regs16[n << 1] = v;
}
/** A register of the operand size: 32-bit (int32) or 16-bit. */
export function getRegV(cpu: Cpu, o32: boolean, n: number): number {
  return o32 ? cpu.regs[n] : cpu.regs16[n << 1];
}
export function setRegV(cpu: Cpu, o32: boolean, n: number, v: number): void {
  if (o32) cpu.regs[n] = v;
  else cpu.regs16[n << 1] = v;
}
