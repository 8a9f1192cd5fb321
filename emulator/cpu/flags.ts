/**
 * EFLAGS with lazily computed status flags.
 *
 * The arithmetic instructions that dominate real code (ADD/ADC/SUB/SBB/CMP/INC/DEC/NEG and
 * the logic group) do not compute their six status flags. They record the operation kind,
 * the operands, the result and the operand-size mask (`Cpu.lzOp/lzA/lzB/lzRes/lzMask`) and
 * mark the flags as stale in `Cpu.lazyMask`; a flag is computed only when something reads
 * it (Jcc, SETcc, PUSHF, ADC, …). Instructions with unusual flag rules (shifts, multiply,
 * BCD, bit tests) compute flags directly with `setStatusFlags`.
 *
 * The formulas (for operand sign bit s, operands a and b, result r):
 *   ADD family: CF = carry out of bit s = ((a & b) | ((a | b) & ~r)) bit s
 *               OF = ((a ^ r) & (b ^ r)) bit s        (also right with a carry-in, for ADC)
 *   SUB family: CF = borrow out of bit s = ((~a & b) | (~(a ^ b) & r)) bit s
 *               OF = ((a ^ b) & (a ^ r)) bit s        (also right with a borrow-in, for SBB)
 *   both:       AF = (a ^ b ^ r) bit 4;  ZF = (r & mask) == 0;  SF = r bit s;  PF = even parity of r bits 7:0
 *   LOGIC:      CF = OF = 0, AF = 0 (AF is undefined; Bochs and QEMU give 0)
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

/** Lazy-flag operation kinds. */
export const enum LazyOp {
  ADD = 1,
  SUB = 2,
  LOGIC = 3,
}

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

/** Sign bit of the lazy operand size. */
function signBit(mask: number): number {
  return mask === MASK8 ? 0x80 : mask === MASK16 ? 0x8000 : 0x80000000 | 0;
}

/** Record an ADD-family result (ADD, ADC, XADD): all six status flags become lazy. */
export function lazyAdd(cpu: Cpu, a: number, b: number, r: number, mask: number): void {
  cpu.lzOp = LazyOp.ADD;
  cpu.lzA = a;
  cpu.lzB = b;
  cpu.lzRes = r;
  cpu.lzMask = mask;
  cpu.lazyMask = EFLAGS_STATUS;
}

/** Record a SUB-family result (SUB, SBB, CMP, NEG as 0 - b, CMPXCHG, CMPS, SCAS). */
export function lazySub(cpu: Cpu, a: number, b: number, r: number, mask: number): void {
  cpu.lzOp = LazyOp.SUB;
  cpu.lzA = a;
  cpu.lzB = b;
  cpu.lzRes = r;
  cpu.lzMask = mask;
  cpu.lazyMask = EFLAGS_STATUS;
}

/** Record a logic result (AND, OR, XOR, TEST): CF = OF = 0. */
export function lazyLogic(cpu: Cpu, r: number, mask: number): void {
  cpu.lzOp = LazyOp.LOGIC;
  cpu.lzA = 0;
  cpu.lzB = 0;
  cpu.lzRes = r;
  cpu.lzMask = mask;
  cpu.lazyMask = EFLAGS_STATUS;
}

/** INC and DEC: like ADD/SUB of 1 but CF is preserved (SDM Vol. 2A "INC", "DEC"). */
export function lazyIncDec(cpu: Cpu, a: number, r: number, mask: number, isDec: boolean): void {
  if (cpu.lazyMask & EFLAGS_CF) cpu.flags = (cpu.flags & ~EFLAGS_CF) | computeCF(cpu);
  cpu.lzOp = isDec ? LazyOp.SUB : LazyOp.ADD;
  cpu.lzA = a;
  cpu.lzB = 1;
  cpu.lzRes = r;
  cpu.lzMask = mask;
  cpu.lazyMask = EFLAGS_STATUS & ~EFLAGS_CF;
}

function computeCF(cpu: Cpu): number {
  const a = cpu.lzA, b = cpu.lzB, r = cpu.lzRes;
  const s = signBit(cpu.lzMask);
  switch (cpu.lzOp) {
    case LazyOp.ADD:
      return ((a & b) | ((a | b) & ~r)) & s ? EFLAGS_CF : 0;
    case LazyOp.SUB:
      return ((~a & b) | (~(a ^ b) & r)) & s ? EFLAGS_CF : 0;
    default:
      return 0;
  }
}

function computeOF(cpu: Cpu): number {
  const a = cpu.lzA, b = cpu.lzB, r = cpu.lzRes;
  const s = signBit(cpu.lzMask);
  switch (cpu.lzOp) {
    case LazyOp.ADD:
      return (a ^ r) & (b ^ r) & s ? EFLAGS_OF : 0;
    case LazyOp.SUB:
      return (a ^ b) & (a ^ r) & s ? EFLAGS_OF : 0;
    default:
      return 0;
  }
}

/** CF as 0 or 1. */
export function getCF(cpu: Cpu): number {
  if (cpu.lazyMask & EFLAGS_CF) return computeCF(cpu) ? 1 : 0;
  return cpu.flags & EFLAGS_CF;
}

/** ZF as a boolean. */
export function getZF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_ZF) return (cpu.lzRes & cpu.lzMask) === 0;
  return (cpu.flags & EFLAGS_ZF) !== 0;
}

/** SF as a boolean. */
export function getSF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_SF) return (cpu.lzRes & signBit(cpu.lzMask)) !== 0;
  return (cpu.flags & EFLAGS_SF) !== 0;
}

/** OF as a boolean. */
export function getOF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_OF) return computeOF(cpu) !== 0;
  return (cpu.flags & EFLAGS_OF) !== 0;
}

/** PF as a boolean. */
export function getPF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_PF) return PARITY[cpu.lzRes & 0xff] === 1;
  return (cpu.flags & EFLAGS_PF) !== 0;
}

/** AF as a boolean. */
export function getAF(cpu: Cpu): boolean {
  if (cpu.lazyMask & EFLAGS_AF) return cpu.lzOp !== LazyOp.LOGIC && ((cpu.lzA ^ cpu.lzB ^ cpu.lzRes) & 0x10) !== 0;
  return (cpu.flags & EFLAGS_AF) !== 0;
}

/** Fold every lazy flag into `cpu.flags` and return EFLAGS (bit 1 always set). */
export function getEflags(cpu: Cpu): number {
  const m = cpu.lazyMask;
  if (m !== 0) {
    let f = cpu.flags & ~m;
    if (m & EFLAGS_CF && computeCF(cpu)) f |= EFLAGS_CF;
    if (m & EFLAGS_PF && getPF(cpu)) f |= EFLAGS_PF;
    if (m & EFLAGS_AF && getAF(cpu)) f |= EFLAGS_AF;
    if (m & EFLAGS_ZF && getZF(cpu)) f |= EFLAGS_ZF;
    if (m & EFLAGS_SF && getSF(cpu)) f |= EFLAGS_SF;
    if (m & EFLAGS_OF && computeOF(cpu)) f |= EFLAGS_OF;
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
  if (v & signBit(mask)) f |= EFLAGS_SF;
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
