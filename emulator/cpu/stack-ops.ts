/**
 * PUSH and POP on SS:ESP (or SS:SP when SS.B = 0), as every instruction that uses the
 * stack does. A push writes first and moves ESP only once the write succeeded, so a
 * faulting push leaves ESP unchanged (SDM Vol. 3A §6.5: faults restart the instruction).
 *
 * @see Intel SDM Vol. 1 §6.2 "Stacks"; Vol. 2B "PUSH", "POP".
 */
import { SegReg } from '../arch/segments';
import { ESP, type Cpu } from './cpu';
import { readV16, readV32, writeV16, writeV32 } from './memory-access';

/** Current stack pointer as an offset in SS (ESP, or SP for a 16-bit stack). */
export function stackPointer(cpu: Cpu): number {
  return cpu.segs[SegReg.SS].big ? cpu.regs[ESP] >>> 0 : cpu.regs[ESP] & 0xffff;
}

/** Set the stack pointer: all of ESP for a 32-bit stack, only SP for a 16-bit one. */
export function setStackPointer(cpu: Cpu, sp: number): void {
  if (cpu.segs[SegReg.SS].big) cpu.regs[ESP] = sp;
  else cpu.regs[ESP] = (cpu.regs[ESP] & ~0xffff) | (sp & 0xffff);
}

/** The stack-pointer offset `delta` bytes from the current one, wrapped to the stack width. */
export function stackOffset(cpu: Cpu, delta: number): number {
  return cpu.segs[SegReg.SS].big ? (cpu.regs[ESP] + delta) >>> 0 : (cpu.regs[ESP] + delta) & 0xffff;
}

export function push32(cpu: Cpu, v: number): void {
  const sp = stackOffset(cpu, -4);
  writeV32(cpu, SegReg.SS, sp, v);
  setStackPointer(cpu, sp);
}

export function push16(cpu: Cpu, v: number): void {
  const sp = stackOffset(cpu, -2);
  writeV16(cpu, SegReg.SS, sp, v);
  setStackPointer(cpu, sp);
}

/** Push a value of the operand size (`o32` → 4 bytes, else 2). */
export function push(cpu: Cpu, o32: boolean, v: number): void {
  if (o32) push32(cpu, v);
  else push16(cpu, v);
}

export function pop32(cpu: Cpu): number {
  const sp = stackPointer(cpu);
  const v = readV32(cpu, SegReg.SS, sp);
  setStackPointer(cpu, sp + 4);
  return v;
}

export function pop16(cpu: Cpu): number {
  const sp = stackPointer(cpu);
  const v = readV16(cpu, SegReg.SS, sp);
  setStackPointer(cpu, sp + 2);
  return v;
}

/** Pop a value of the operand size. */
export function pop(cpu: Cpu, o32: boolean): number {
  return o32 ? pop32(cpu) : pop16(cpu);
}

/** Read the stack at `delta` bytes above the stack pointer without popping (for multi-value pops that must not fault halfway). */
export function peek(cpu: Cpu, o32: boolean, delta: number): number {
  const off = stackOffset(cpu, delta);
  return o32 ? readV32(cpu, SegReg.SS, off) : readV16(cpu, SegReg.SS, off);
}
