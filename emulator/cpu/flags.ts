/**
 * EFLAGS with lazily computed status flags.
 *
 * The arithmetic instructions that dominate real code (ADD/ADC/SUB/SBB/CMP/INC/DEC/NEG and
 * the logic group) do not compute their six status flags. They record the result, the
 * carry vector and the operand size (`Cpu.lzRes`, `Cpu.lzCv`, `Cpu.lzShift`) and mark the
 * flags stale in `Cpu.lazyMask`; a flag is computed only when something reads it (Jcc,
 * SETcc, PUSHF, ADC, …). Instructions with unusual flag rules (shifts, multiply, BCD, bit
 * tests) set flags directly with `setStatusFlags`.
 *
 * The carry vector cv has bit n set when the operation carries (ADD family) or borrows
 * (SUB family) out of bit n, for operands a, b and result r (any carry-in included):
 *   ADD family: cv = (a & b) | ((a | b) & ~r)        (majority of a, b, not-r)
 *   SUB family: cv = (~a & b) | (~(a ^ b) & r)       (borrow out)
 *   LOGIC:      cv = 0
 * and then, for the operand's sign bit s:
 *   CF = cv bit s;  OF = cv bit s XOR cv bit s-1 (carry into the sign bit differs from
 *   carry out of it);  AF = cv bit 3;  ZF = (r & mask) == 0;  SF = r bit s;
 *   PF = even parity of r bits 7:0.
 * Bochs keeps its lazy flags the same way (result plus auxiliary carry bits). Bit s is
 * tested by shifting it to bit 31 (`Cpu.lzShift` = 24, 16 or 0), so nothing branches on
 * the operand size, and INC/DEC can keep the previous CF with one shift.
 *
 * @see Intel SDM Vol. 1 §3.4.3.1 "Status Flags", Appendix A "EFLAGS Cross-Reference".
 */
import {
  EFLAGS_AF,
  EFLAGS_CF,
  EFLAGS_FIXED1,
  EFLAGS_OF,
  EFLAGS_PF,
  EFLAGS_SF,
  EFLAGS_STATUS,
  EFLAGS_ZF,
} from '../arch/eflags';
import type { Cpu } from './cpu';

export const MASK8 = 0xff;
export const MASK16 = 0xffff;
export const MASK32 = -1;

/** Even-parity table for PF: 1 where the byte has an even number of set bits. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i;
  b ^= b >> 4;
  b ^= b >> 2;
  b ^= b >> 1;
  PARITY[i] = (b & 1) ^ 1;
}

/** The operand size as a left shift that brings its sign bit to bit 31 (24, 16 or 0). */
function sizeShift(mask: number): number {
  return mask === MASK32 ? 0 : mask === MASK16 ? 16 : 24;
}

/** Record an ADD-family result (ADD, ADC, XADD): all six status flags become lazy. */
export function lazyAdd(cpu: Cpu, a: number, b: number, r: number, mask: number): void {
  cpu.lzRes = r;
  cpu.lzCv = (a & b) | ((a | b) & ~r);
  cpu.lzShift = sizeShift(mask);
  cpu.lazyMask = EFLAGS_STATUS;
}

/** Record a SUB-family result (SUB, SBB, CMP, NEG as 0 - b, CMPXCHG, CMPS, SCAS). */
export function lazySub(cpu: Cpu, a: number, b: number, r: number, mask: number): void {
  cpu.lzRes = r;
  cpu.lzCv = (~a & b) | (~(a ^ b) & r);
  cpu.lzShift = sizeShift(mask);
  cpu.lazyMask = EFLAGS_STATUS;
}

/** Record a logic result (AND, OR, XOR, TEST): CF = OF = 0, AF = 0 (undefined; Bochs and QEMU give 0). */
export function lazyLogic(cpu: Cpu, r: number, mask: number): void {
  cpu.lzRes = r;
  cpu.lzCv = 0;
  cpu.lzShift = sizeShift(mask);
  cpu.lazyMask = EFLAGS_STATUS;
}

/** Fold a lazily kept CF into `cpu.flags` (before an instruction that preserves CF records new lazy flags). */
function keepCF(cpu: Cpu): void {
  if (cpu.lazyMask & EFLAGS_CF) cpu.flags = cpu.lzCv << cpu.lzShift < 0 ? cpu.flags | EFLAGS_CF : cpu.flags & ~EFLAGS_CF;
}

/** INC: like ADD of 1 but CF is preserved (SDM Vol. 2A "INC"). */
export function lazyInc(cpu: Cpu, a: number, r: number, mask: number): void {
  keepCF(cpu);
  cpu.lzRes = r;
  cpu.lzCv = (a & 1) | ((a | 1) & ~r);
  cpu.lzShift = sizeShift(mask);
  cpu.lazyMask = EFLAGS_STATUS & ~EFLAGS_CF;
}

/** DEC: like SUB of 1 but CF is preserved (SDM Vol. 2A "DEC"). */
export function lazyDec(cpu: Cpu, a: number, r: number, mask: number): void {
  keepCF(cpu);
  cpu.lzRes = r;
  cpu.lzCv = (~a & 1) | (~(a ^ 1) & r);
  cpu.lzShift = sizeShift(mask);
  cpu.lazyMask = EFLAGS_STATUS & ~EFLAGS_CF;
}

/** INC or DEC by `isDec`. */
export function lazyIncDec(cpu: Cpu, a: number, r: number, mask: number, isDec: boolean): void {
  if (isDec) lazyDec(cpu, a, r, mask);
  else lazyInc(cpu, a, r, mask);
}

/** CF as 0 or 1. */
export function getCF(cpu: Cpu): number {
  if (cpu.lazyMask & EFLAGS_CF) return cpu.lzCv << cpu.lzShift < 0 ? 1 : 0;
  return cpu.flags & EFLAGS_CF;
}

/** ZF as a boolean. */
export function getZF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_ZF) return cpu.lzRes << cpu.lzShift === 0;
  return (cpu.flags & EFLAGS_ZF) !== 0;
}

/** SF as a boolean. */
export function getSF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_SF) return cpu.lzRes << cpu.lzShift < 0;
  return (cpu.flags & EFLAGS_SF) !== 0;
}

/** OF as a boolean. */
export function getOF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_OF) {
    const cv = cpu.lzCv;
    return (cv ^ (cv << 1)) << cpu.lzShift < 0;
  }
  return (cpu.flags & EFLAGS_OF) !== 0;
}

/** PF as a boolean. */
export function getPF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_PF) return PARITY[cpu.lzRes & 0xff] === 1;
  return (cpu.flags & EFLAGS_PF) !== 0;
}

/** AF as a boolean. */
export function getAF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_AF) return (cpu.lzCv & 0x08) !== 0;
  return (cpu.flags & EFLAGS_AF) !== 0;
}

/** Fold every lazy flag into `cpu.flags` and return EFLAGS (bit 1 always set). */
export function getEflags(cpu: Cpu): number {
  const m = cpu.lazyMask;
  if (m !== 0) {
    let f = cpu.flags & ~m;
    if (m & EFLAGS_CF && getCF(cpu)) f |= EFLAGS_CF;
    if (m & EFLAGS_PF && getPF(cpu)) f |= EFLAGS_PF;
    if (m & EFLAGS_AF && getAF(cpu)) f |= EFLAGS_AF;
    if (m & EFLAGS_ZF && getZF(cpu)) f |= EFLAGS_ZF;
    if (m & EFLAGS_SF && getSF(cpu)) f |= EFLAGS_SF;
    if (m & EFLAGS_OF && getOF(cpu)) f |= EFLAGS_OF;
    cpu.flags = f;
    cpu.lazyMask = 0;
  }
  return cpu.flags | EFLAGS_FIXED1;
}

/**
 * Replace the bits of EFLAGS selected by `mask` with those of `value` (no privilege rules:
 * callers such as POPF, IRET and SAHF apply those first). Clears the lazy state of those bits.
 */
export function setEflagsBits(cpu: Cpu, value: number, mask: number): void {
  const cur = getEflags(cpu);
  cpu.flags = ((cur & ~mask) | (value & mask) | EFLAGS_FIXED1) >>> 0;
}

/**
 * Set the six status flags explicitly (for instructions that compute their own flags).
 * `status` holds CF/PF/AF/ZF/SF/OF bits; the other EFLAGS bits are kept.
 */
export function setStatusFlags(cpu: Cpu, status: number): void {
  cpu.flags = (cpu.flags & ~EFLAGS_STATUS) | (status & EFLAGS_STATUS);
  cpu.lazyMask = 0;
}

/** Set CF only (keeping the other flags, lazily computed ones included). */
export function setCF(cpu: Cpu, on: boolean): void {
  if (cpu.lazyMask & EFLAGS_CF) cpu.lazyMask &= ~EFLAGS_CF;
  cpu.flags = on ? cpu.flags | EFLAGS_CF : cpu.flags & ~EFLAGS_CF;
}

/** ZF, SF and PF for a result of the given mask: the common part of setStatusFlags callers. */
export function szpFlags(r: number, mask: number): number {
  const v = r & mask;
  let f = 0;
  if (v === 0) f |= EFLAGS_ZF;
  if (v << sizeShift(mask) < 0) f |= EFLAGS_SF;
  if (PARITY[v & 0xff]) f |= EFLAGS_PF;
  return f;
}

/**
 * Evaluate condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc opcodes):
 * 0 O, 1 NO, 2 B, 3 AE, 4 E, 5 NE, 6 BE, 7 A, 8 S, 9 NS, A P, B NP, C L, D GE, E LE, F G.
 * @see Intel SDM Vol. 1 Appendix B "EFLAGS Condition Codes".
 */
export function testCC(cpu: Cpu, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = getOF(cpu); break;
    case 1: r = getCF(cpu) !== 0; break;
    case 2: r = getZF(cpu); break;
    case 3: r = getCF(cpu) !== 0 || getZF(cpu); break;
    case 4: r = getSF(cpu); break;
    case 5: r = getPF(cpu); break;
    case 6: r = getSF(cpu) !== getOF(cpu); break;
    default: r = getZF(cpu) || getSF(cpu) !== getOF(cpu); break;
  }
  return (cc & 1) !== 0 ? !r : r;
}
