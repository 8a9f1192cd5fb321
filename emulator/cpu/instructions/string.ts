/**
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS, with the REP/REPE/REPNE prefixes.
 *
 * Element size by opcode (A4–AF): even = byte, odd = word or dword by the operand size.
 * The address size selects SI/DI/CX or ESI/EDI/ECX. The source DS:eSI honours a segment
 * override; the destination ES:eDI cannot be overridden. EFLAGS.DF = 1 walks downwards.
 *
 * Repetition (SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ"): with a count of 0 nothing
 * happens (no access, no flag change). Each iteration updates eSI/eDI and the count as it
 * completes, so a fault in iteration k leaves the k−1 completed iterations in place and
 * the restarted instruction continues from there (this is architectural: REP string
 * instructions are restartable). A handler runs at most REP_CHUNK iterations; if the
 * count is not exhausted (and, for CMPS/SCAS, the REPE/REPNE condition still holds) it
 * points EIP back at the instruction and sets breakBlock, so the executor re-examines
 * pending interrupts between chunks, as hardware recognises them between iterations.
 * F3 is REP (REPE for CMPS/SCAS), F2 is REPNE for CMPS/SCAS; for MOVS/STOS/LODS (and
 * INS/OUTS) F2 acts as REP too.
 *
 * @see Intel SDM Vol. 2A "CMPS/CMPSB/CMPSW/CMPSD", "LODS/LODSB/LODSW/LODSD";
 *      Vol. 2B "MOVS/MOVSB/MOVSW/MOVSD", "REP/REPE/REPZ/REPNE/REPNZ",
 *      "SCAS/SCASB/SCASW/SCASD", "STOS/STOSB/STOSW/STOSD".
 */
import { EFLAGS_DF } from '../../arch/eflags';
import { SegReg } from '../../arch/segments';
import { ECX, EDI, ESI, type Cpu } from '../cpu';
import type { Exec } from '../decoder/types';
import { PFX_REP, PFX_REPNE, type Insn } from '../decoder/insn';
import { lazySub, MASK16, MASK32, MASK8 } from '../flags';
import { readV16, readV32, readV8, writeV16, writeV32, writeV8 } from '../memory-access';

/** Most iterations one execution of a REP string instruction performs. */
export const REP_CHUNK = 1024;

/** Either repeat prefix. */
export const PFX_ANY_REP = PFX_REP | PFX_REPNE;

/** Element size in bytes of a string instruction: even opcode = byte, odd = word/dword by operand size. */
export function elementSize(i: Insn): number {
  return (i.opcode & 1) === 0 ? 1 : i.o32 ? 4 : 2;
}

/** The per-iteration pointer step: +size, or −size when EFLAGS.DF = 1 (DF is never lazy). */
export function stepFor(cpu: Cpu, size: number): number {
  return (cpu.flags & EFLAGS_DF) !== 0 ? -size : size;
}

/** The count register (CX or ECX by the address size), unsigned. */
export function repCount(cpu: Cpu, a32: boolean): number {
  return a32 ? cpu.regs[ECX] >>> 0 : cpu.regs16[ECX << 1];
}

/** Store the count register (CX or ECX by the address size). */
export function setRepCount(cpu: Cpu, a32: boolean, n: number): void {
  if (a32) cpu.regs[ECX] = n;
  else cpu.regs16[ECX << 1] = n;
}

/** An index register (SI/DI or ESI/EDI by the address size) as an offset. */
export function indexReg(cpu: Cpu, r: number, a32: boolean): number {
  return a32 ? cpu.regs[r] >>> 0 : cpu.regs16[r << 1];
}

/** Add `delta` to an index register at the address size (SI/DI wrap at 16 bits). */
export function advanceIndex(cpu: Cpu, r: number, a32: boolean, delta: number): void {
  if (a32) cpu.regs[r] = (cpu.regs[r] + delta) | 0;
  else cpu.regs16[r << 1] += delta;
}

/**
 * The chunk ended with iterations left: point EIP back at this instruction (EIP has
 * already moved past it; IP wraps at 16 bits in 16-bit code) and make the executor
 * re-examine the machine state (pending interrupts) before running it again.
 */
export function repeatLater(cpu: Cpu, i: Insn): void {
  cpu.eip = cpu.segs[SegReg.CS].big ? (cpu.eip - i.len) >>> 0 : (cpu.eip - i.len) & 0xffff;
  cpu.breakBlock = true;
}

/** Read a string element of `size` bytes at seg:off. */
export function readElem(cpu: Cpu, seg: number, off: number, size: number): number {
  return size === 1 ? readV8(cpu, seg, off) : size === 2 ? readV16(cpu, seg, off) : readV32(cpu, seg, off);
}

/** Write a string element of `size` bytes at seg:off. */
export function writeElem(cpu: Cpu, seg: number, off: number, size: number, v: number): void {
  if (size === 1) writeV8(cpu, seg, off, v);
  else if (size === 2) writeV16(cpu, seg, off, v);
  else writeV32(cpu, seg, off, v);
}

function accumulator(cpu: Cpu, size: number): number {
  return size === 1 ? cpu.regs8[0] : size === 2 ? cpu.regs16[0] : cpu.regs[0];
}

function setAccumulator(cpu: Cpu, size: number, v: number): void {
  if (size === 1) cpu.regs8[0] = v;
  else if (size === 2) cpu.regs16[0] = v;
  else cpu.regs[0] = v;
}

function maskFor(size: number): number {
  return size === 1 ? MASK8 : size === 2 ? MASK16 : MASK32;
}

// One iteration of each instruction. Each returns after updating eSI/eDI; the callers
// update the count.

function movsOnce(cpu: Cpu, seg: number, a32: boolean, size: number, d: number): void {
  const v = readElem(cpu, seg, indexReg(cpu, ESI, a32), size);
  writeElem(cpu, SegReg.ES, indexReg(cpu, EDI, a32), size, v);
  advanceIndex(cpu, ESI, a32, d);
  advanceIndex(cpu, EDI, a32, d);
}

/** CMPS: SRC1 = seg:[eSI], SRC2 = ES:[eDI], flags of SRC1 − SRC2. Returns ZF. */
function cmpsOnce(cpu: Cpu, seg: number, a32: boolean, size: number, d: number): boolean {
  const a = readElem(cpu, seg, indexReg(cpu, ESI, a32), size);
  const b = readElem(cpu, SegReg.ES, indexReg(cpu, EDI, a32), size);
  const mask = maskFor(size);
  const r = (a - b) & mask;
  lazySub(cpu, a, b, r, mask);
  advanceIndex(cpu, ESI, a32, d);
  advanceIndex(cpu, EDI, a32, d);
  return r === 0;
}

/** SCAS: flags of accumulator − ES:[eDI]. Returns ZF. */
function scasOnce(cpu: Cpu, a32: boolean, size: number, d: number): boolean {
  const a = accumulator(cpu, size);
  const b = readElem(cpu, SegReg.ES, indexReg(cpu, EDI, a32), size);
  const mask = maskFor(size);
  const r = (a - b) & mask;
  lazySub(cpu, a, b, r, mask);
  advanceIndex(cpu, EDI, a32, d);
  return r === 0;
}

function lodsOnce(cpu: Cpu, seg: number, a32: boolean, size: number, d: number): void {
  setAccumulator(cpu, size, readElem(cpu, seg, indexReg(cpu, ESI, a32), size));
  advanceIndex(cpu, ESI, a32, d);
}

function stosOnce(cpu: Cpu, a32: boolean, size: number, d: number): void {
  writeElem(cpu, SegReg.ES, indexReg(cpu, EDI, a32), size, accumulator(cpu, size));
  advanceIndex(cpu, EDI, a32, d);
}

/** MOVS (A4, A5): ES:[eDI] ← seg:[eSI]. */
export const MOVS: Exec = (cpu, i) => {
  const size = elementSize(i);
  const d = stepFor(cpu, size);
  const a32 = i.a32;
  if ((i.prefixes & PFX_ANY_REP) === 0) {
    movsOnce(cpu, i.seg, a32, size, d);
    return;
  }
  let count = repCount(cpu, a32);
  if (count === 0) return;
  for (let n = REP_CHUNK; ; ) {
    movsOnce(cpu, i.seg, a32, size, d);
    setRepCount(cpu, a32, --count);
    if (count === 0) return;
    if (--n === 0) return repeatLater(cpu, i);
  }
};

/** STOS (AA, AB): ES:[eDI] ← AL/AX/EAX. */
export const STOS: Exec = (cpu, i) => {
  const size = elementSize(i);
  const d = stepFor(cpu, size);
  const a32 = i.a32;
  if ((i.prefixes & PFX_ANY_REP) === 0) {
    stosOnce(cpu, a32, size, d);
    return;
  }
  let count = repCount(cpu, a32);
  if (count === 0) return;
  for (let n = REP_CHUNK; ; ) {
    stosOnce(cpu, a32, size, d);
    setRepCount(cpu, a32, --count);
    if (count === 0) return;
    if (--n === 0) return repeatLater(cpu, i);
  }
};

/** LODS (AC, AD): AL/AX/EAX ← seg:[eSI]. */
export const LODS: Exec = (cpu, i) => {
  const size = elementSize(i);
  const d = stepFor(cpu, size);
  const a32 = i.a32;
  if ((i.prefixes & PFX_ANY_REP) === 0) {
    lodsOnce(cpu, i.seg, a32, size, d);
    return;
  }
  let count = repCount(cpu, a32);
  if (count === 0) return;
  for (let n = REP_CHUNK; ; ) {
    lodsOnce(cpu, i.seg, a32, size, d);
    setRepCount(cpu, a32, --count);
    if (count === 0) return;
    if (--n === 0) return repeatLater(cpu, i);
  }
};

/**
 * CMPS (A6, A7). REPE (F3) repeats while equal (ZF = 1), REPNE (F2) while not equal;
 * the condition is tested after the count, as in the SDM's REP pseudocode.
 */
export const CMPS: Exec = (cpu, i) => {
  const size = elementSize(i);
  const d = stepFor(cpu, size);
  const a32 = i.a32;
  if ((i.prefixes & PFX_ANY_REP) === 0) {
    cmpsOnce(cpu, i.seg, a32, size, d);
    return;
  }
  const whileEqual = (i.prefixes & PFX_REP) !== 0;
  let count = repCount(cpu, a32);
  if (count === 0) return;
  for (let n = REP_CHUNK; ; ) {
    const zf = cmpsOnce(cpu, i.seg, a32, size, d);
    setRepCount(cpu, a32, --count);
    if (count === 0 || zf !== whileEqual) return;
    if (--n === 0) return repeatLater(cpu, i);
  }
};

/** SCAS (AE, AF): compare the accumulator with ES:[eDI]; REPE/REPNE as for CMPS. */
export const SCAS: Exec = (cpu, i) => {
  const size = elementSize(i);
  const d = stepFor(cpu, size);
  const a32 = i.a32;
  if ((i.prefixes & PFX_ANY_REP) === 0) {
    scasOnce(cpu, a32, size, d);
    return;
  }
  const whileEqual = (i.prefixes & PFX_REP) !== 0;
  let count = repCount(cpu, a32);
  if (count === 0) return;
  for (let n = REP_CHUNK; ; ) {
    const zf = scasOnce(cpu, a32, size, d);
    setRepCount(cpu, a32, --count);
    if (count === 0 || zf !== whileEqual) return;
    if (--n === 0) return repeatLater(cpu, i);
  }
};
