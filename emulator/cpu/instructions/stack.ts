/**
 * Stack instructions: PUSH, POP, PUSHA/PUSHAD, POPA/POPAD, ENTER, LEAVE.
 *
 * The operand size (o32) selects 2- or 4-byte pushes; the stack-address size (SS.B)
 * selects SP or ESP (stack-ops.ts). Multi-value instructions check every access before
 * changing anything, so a fault (#SS(0), #PF) leaves ESP, the registers and memory as
 * they were (SDM Vol. 3A §6.5: faults restart the instruction).
 *
 * @see Intel SDM Vol. 2B "POP—Pop a Value From the Stack", "POPA/POPAD",
 *      "PUSH—Push Word, Doubleword, or Quadword Onto the Stack", "PUSHA/PUSHAD";
 *      Vol. 2A "ENTER—Make Stack Frame for Procedure Parameters"; Vol. 2A "LEAVE".
 */
import { SegReg } from '../../arch/segments';
import { EBP, ESP, type Cpu } from '../cpu';
import type { Exec, ExecForms } from '../decoder/types';
import type { Insn } from '../decoder/insn';
import { ea, probeWriteV, readV16, readV32, writeV16, writeV32 } from '../memory-access';
import { peek, pop16, pop32, push16, push32, setStackPointer, stackOffset, stackPointer } from '../stack-ops';

/** PUSH r16/r32 (50+r). PUSH ESP/SP pushes the value before the decrement. */
export const PUSH_Zv: Exec = (cpu, i) => {
  const n = i.opcode & 7;
  if (i.o32) push32(cpu, cpu.regs[n]);
  else push16(cpu, cpu.regs16[n << 1]);
};

/** POP r16/r32 (58+r). POP ESP: the stack pointer is incremented, then overwritten with the popped value. */
export const POP_Zv: Exec = (cpu, i) => {
  const n = i.opcode & 7;
  if (i.o32) {
    const v = pop32(cpu);
    cpu.regs[n] = v;
  } else {
    const v = pop16(cpu);
    cpu.regs16[n << 1] = v;
  }
};

/** PUSH imm16/imm32 (68) and PUSH imm8 sign-extended to the operand size (6A). */
export const PUSH_I: Exec = (cpu, i) => {
  if (i.o32) push32(cpu, i.imm);
  else push16(cpu, i.imm);
};

/** PUSH Ev (FF /6). A memory operand addressed through ESP uses ESP before the push. */
export const PUSH_Ev: ExecForms = {
  r16: (cpu, i) => push16(cpu, cpu.regs16[i.rm << 1]),
  r32: (cpu, i) => push32(cpu, cpu.regs[i.rm]),
  m16: (cpu, i) => push16(cpu, readV16(cpu, i.seg, ea(cpu, i))),
  m32: (cpu, i) => push32(cpu, readV32(cpu, i.seg, ea(cpu, i))),
};

/**
 * The effective address of POP's memory destination: "If the ESP register is used as a
 * base register for addressing a destination operand in memory, the POP instruction
 * computes the effective address of the operand after it increments the ESP register"
 * (SDM Vol. 2B "POP"). ESP is restored afterwards; the caller commits it after the write.
 */
function popDestination(cpu: Cpu, i: Insn, newSp: number): number {
  const saved = cpu.regs[ESP];
  setStackPointer(cpu, newSp);
  const off = ea(cpu, i);
  cpu.regs[ESP] = saved;
  return off;
}

/** POP Ev (8F /0). The value is read, the destination written, and only then ESP moves. */
export const POP_Ev: ExecForms = {
  r16: (cpu, i) => {
    const v = pop16(cpu);
    cpu.regs16[i.rm << 1] = v;
  },
  r32: (cpu, i) => {
    const v = pop32(cpu);
    cpu.regs[i.rm] = v;
  },
  m16: (cpu, i) => {
    const sp = stackPointer(cpu);
    const v = readV16(cpu, SegReg.SS, sp);
    const newSp = sp + 2;
    writeV16(cpu, i.seg, popDestination(cpu, i, newSp), v);
    setStackPointer(cpu, newSp);
  },
  m32: (cpu, i) => {
    const sp = stackPointer(cpu);
    const v = readV32(cpu, SegReg.SS, sp);
    const newSp = sp + 4;
    writeV32(cpu, i.seg, popDestination(cpu, i, newSp), v);
    setStackPointer(cpu, newSp);
  },
};

/**
 * PUSHA/PUSHAD (60): push eAX, eCX, eDX, eBX, the original eSP, eBP, eSI, eDI. All eight
 * slots are checked for writing first (each one, so a 16-bit stack wrapping below 0 is
 * handled), then written; ESP moves once at the end.
 */
export const PUSHA: Exec = (cpu, i) => {
  const w = i.o32 ? 4 : 2;
  for (let k = 1; k <= 8; k++) probeWriteV(cpu, SegReg.SS, stackOffset(cpu, -w * k), w);
  const regs = cpu.regs;
  for (let k = 0; k < 8; k++) {
    const off = stackOffset(cpu, -w * (k + 1));
    if (i.o32) writeV32(cpu, SegReg.SS, off, regs[k]);
    else writeV16(cpu, SegReg.SS, off, regs[k]);
  }
  setStackPointer(cpu, stackOffset(cpu, -8 * w));
};

/** Values popped by POPA, read before any register changes (module scratch: no allocation per execution). */
const popaScratch = new Int32Array(8);

/**
 * POPA/POPAD (61): pop eDI, eSI, eBP, (skip the saved eSP), eBX, eDX, eCX, eAX. All
 * eight values are read first, so a fault changes nothing; ESP then moves by 16 or 32.
 */
export const POPA: Exec = (cpu, i) => {
  const w = i.o32 ? 4 : 2;
  for (let k = 0; k < 8; k++) popaScratch[7 - k] = peek(cpu, i.o32, w * k);
  const newSp = stackOffset(cpu, 8 * w);
  const regs = cpu.regs;
  for (let r = 0; r < 8; r++) {
    if (r === ESP) continue;
    if (i.o32) regs[r] = popaScratch[r];
    else cpu.regs16[r << 1] = popaScratch[r];
  }
  setStackPointer(cpu, newSp);
};

/**
 * ENTER imm16, imm8 (C8): make a stack frame of `imm16` bytes with nesting level
 * `imm8 MOD 32`, following the SDM pseudocode:
 *
 *   Push(eBP); FrameTemp ← eSP;
 *   for i = 1 .. NestingLevel-1: eBP ← eBP − w; Push([SS:eBP])   (display of enclosing frames)
 *   if NestingLevel > 0: Push(FrameTemp);
 *   eBP ← FrameTemp; eSP ← eSP − imm16;
 *
 * w is the operand size; eBP/eSP mean BP/SP or EBP/ESP by the stack-address size (SS.B),
 * and with a 16-bit operand size only BP is replaced.
 *
 * All-or-nothing: a first pass checks every read and push slot and the final stack
 * pointer (the SDM lists #SS/#PF "if a write using the final value of the stack pointer …
 * would cause" one); the second pass then performs the accesses in the SDM's order (a
 * display read may see a value this ENTER just pushed, when eBP points near eSP), and none
 * of them can fault any more.
 */
export const ENTER: Exec = (cpu, i) => {
  const o32 = i.o32;
  const w = o32 ? 4 : 2;
  const big = cpu.segs[SegReg.SS].big;
  const level = i.imm2 & 31;
  const size = i.imm & 0xffff;
  const ebp = cpu.regs[EBP];

  // Pass 1: checks only.
  for (let k = 1; k < level; k++) {
    const off = big ? (ebp - w * k) >>> 0 : (ebp - w * k) & 0xffff;
    if (o32) readV32(cpu, SegReg.SS, off);
    else readV16(cpu, SegReg.SS, off);
  }
  const pushes = level === 0 ? 1 : level + 1;
  for (let k = 1; k <= pushes; k++) probeWriteV(cpu, SegReg.SS, stackOffset(cpu, -w * k), w);
  const finalSp = stackOffset(cpu, -w * pushes - size);
  probeWriteV(cpu, SegReg.SS, finalSp, w);

  // Pass 2: the SDM's sequence.
  const frameSp = stackOffset(cpu, -w); // eSP after Push(eBP)
  const frameTemp = big ? frameSp : (cpu.regs[ESP] & ~0xffff) | frameSp; // the whole ESP, as after the push
  if (o32) writeV32(cpu, SegReg.SS, frameSp, ebp);
  else writeV16(cpu, SegReg.SS, frameSp, ebp);
  if (level > 0) {
    for (let k = 1; k < level; k++) {
      const src = big ? (ebp - w * k) >>> 0 : (ebp - w * k) & 0xffff;
      const dst = stackOffset(cpu, -w * (k + 1));
      if (o32) writeV32(cpu, SegReg.SS, dst, readV32(cpu, SegReg.SS, src));
      else writeV16(cpu, SegReg.SS, dst, readV16(cpu, SegReg.SS, src));
    }
    const off = stackOffset(cpu, -w * (level + 1));
    if (o32) writeV32(cpu, SegReg.SS, off, frameTemp);
    else writeV16(cpu, SegReg.SS, off, frameTemp);
  }
  setStackPointer(cpu, finalSp);
  if (o32) cpu.regs[EBP] = frameTemp;
  else cpu.regs16[EBP << 1] = frameTemp;
};

/**
 * LEAVE (C9): eSP ← eBP (by the stack-address size), then pop eBP (by the operand size).
 * The value is read at the old eBP first, so a fault changes nothing. SDM Vol. 2A "LEAVE".
 */
export const LEAVE: Exec = (cpu, i) => {
  const big = cpu.segs[SegReg.SS].big;
  const ebp = cpu.regs[EBP];
  const off = big ? ebp >>> 0 : ebp & 0xffff;
  const w = i.o32 ? 4 : 2;
  const v = i.o32 ? readV32(cpu, SegReg.SS, off) : readV16(cpu, SegReg.SS, off);
  setStackPointer(cpu, off + w);
  if (i.o32) cpu.regs[EBP] = v;
  else cpu.regs16[EBP << 1] = v;
};
