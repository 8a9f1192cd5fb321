/**
 * Multiply and divide: MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV.
 *
 * 32×32→64-bit products and 64÷32-bit divisions are done in 16-bit limbs on doubles (exact
 * below 2^53), with no BigInt and no allocation. A division whose divisor is 0 or whose
 * quotient does not fit the destination raises #DE before anything is written.
 *
 * Flags: MUL/IMUL set CF = OF = "the upper half is significant" (SDM); SF, ZF, PF (undefined
 * in the SDM) are computed from the low half of the product and AF = 0, as Bochs does.
 * DIV/IDIV leave all six flags (undefined in the SDM) unchanged, as Bochs does.
 *
 * @see Intel SDM Vol. 2A "DIV—Unsigned Divide", "IDIV—Signed Divide", "IMUL—Signed Multiply";
 *      Vol. 2B "MUL—Unsigned Multiply"; Vol. 3A §6.15 "Interrupt 0—Divide Error Exception (#DE)".
 */
import { EFLAGS_CF, EFLAGS_OF } from '../../arch/eflags';
import { EAX, EDX, type Cpu } from '../cpu';
import type { ExecForms } from '../decoder/types';
import type { Insn } from '../decoder/insn';
import { de } from '../fault';
import { setStatusFlags, szpFlags, MASK16, MASK32, MASK8 } from '../flags';
import { getReg8 } from '../operands';
import { ea, readV16, readV32, readV8 } from '../memory-access';

const CF_OF = EFLAGS_CF | EFLAGS_OF;

/** High 32 bits (int32) of the unsigned 64-bit product of two 32-bit values (any sign representation). */
export function mulHighU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16;
  const b0 = b & 0xffff, b1 = b >>> 16;
  // Each partial product is < 2^32; mid < 3 * 2^32 stays exact in a double.
  const mid = a1 * b0 + a0 * b1 + ((a0 * b0) >>> 16);
  return (a1 * b1 + Math.floor(mid / 65536)) | 0;
}

/** High 32 bits (int32) of the signed 64-bit product of two int32 values. */
export function mulHighS32(a: number, b: number): number {
  return (mulHighU32(a, b) - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
}

/** Set the flags of a multiply: SZP of the low part (Bochs), AF = 0, CF = OF = `wide`. */
function mulFlags(cpu: Cpu, low: number, mask: number, wide: boolean): void {
  setStatusFlags(cpu, szpFlags(low, mask) | (wide ? CF_OF : 0));
}

// Source operand readers for the one-operand forms (Eb / Ew / Ed).
const src8r = (cpu: Cpu, i: Insn): number => getReg8(cpu, i.rm);
const src8m = (cpu: Cpu, i: Insn): number => readV8(cpu, i.seg, ea(cpu, i));
const src16r = (cpu: Cpu, i: Insn): number => cpu.regs16[i.rm << 1];
const src16m = (cpu: Cpu, i: Insn): number => readV16(cpu, i.seg, ea(cpu, i));
const src32r = (cpu: Cpu, i: Insn): number => cpu.regs[i.rm];
const src32m = (cpu: Cpu, i: Insn): number => readV32(cpu, i.seg, ea(cpu, i));

// ---- MUL: AX = AL * r/m8; DX:AX = AX * r/m16; EDX:EAX = EAX * r/m32 (unsigned). ----

function mul8(cpu: Cpu, s: number): void {
  const p = cpu.regs8[0] * s;
  cpu.regs16[0] = p;
  mulFlags(cpu, p, MASK8, p > 0xff);
}
function mul16(cpu: Cpu, s: number): void {
  const p = cpu.regs16[0] * s; // < 2^32, exact
  cpu.regs16[EAX << 1] = p;
  cpu.regs16[EDX << 1] = p >>> 16;
  mulFlags(cpu, p, MASK16, p > 0xffff);
}
function mul32(cpu: Cpu, s: number): void {
  const a = cpu.regs[EAX];
  const hi = mulHighU32(a, s);
  const lo = Math.imul(a, s);
  cpu.regs[EAX] = lo;
  cpu.regs[EDX] = hi;
  mulFlags(cpu, lo, MASK32, hi !== 0);
}

/** MUL Eb/Ev (F6 /4, F7 /4). */
export const MUL: ExecForms = {
  r8: (cpu, i) => mul8(cpu, src8r(cpu, i)),
  m8: (cpu, i) => mul8(cpu, src8m(cpu, i)),
  r16: (cpu, i) => mul16(cpu, src16r(cpu, i)),
  m16: (cpu, i) => mul16(cpu, src16m(cpu, i)),
  r32: (cpu, i) => mul32(cpu, src32r(cpu, i)),
  m32: (cpu, i) => mul32(cpu, src32m(cpu, i)),
};

// ---- IMUL (one operand): as MUL, signed; CF = OF = the product does not fit the low half. ----

function imul8(cpu: Cpu, s: number): void {
  const p = ((cpu.regs8[0] << 24) >> 24) * ((s << 24) >> 24);
  cpu.regs16[0] = p;
  mulFlags(cpu, p, MASK8, p !== (p << 24) >> 24);
}
function imul16(cpu: Cpu, s: number): void {
  const p = ((cpu.regs16[0] << 16) >> 16) * ((s << 16) >> 16);
  cpu.regs16[EAX << 1] = p;
  cpu.regs16[EDX << 1] = p >> 16;
  mulFlags(cpu, p, MASK16, p !== (p << 16) >> 16);
}
function imul32(cpu: Cpu, s: number): void {
  const a = cpu.regs[EAX];
  const hi = mulHighS32(a, s | 0);
  const lo = Math.imul(a, s);
  cpu.regs[EAX] = lo;
  cpu.regs[EDX] = hi;
  mulFlags(cpu, lo, MASK32, hi !== lo >> 31);
}

/** IMUL Eb/Ev, one-operand form (F6 /5, F7 /5). */
export const IMUL1: ExecForms = {
  r8: (cpu, i) => imul8(cpu, src8r(cpu, i)),
  m8: (cpu, i) => imul8(cpu, src8m(cpu, i)),
  r16: (cpu, i) => imul16(cpu, src16r(cpu, i)),
  m16: (cpu, i) => imul16(cpu, src16m(cpu, i)),
  r32: (cpu, i) => imul32(cpu, src32r(cpu, i)),
  m32: (cpu, i) => imul32(cpu, src32m(cpu, i)),
};

// ---- IMUL Gv, Ev[, imm]: truncated signed product into Gv. ----

/** 16-bit truncating signed multiply: sets flags, returns the low word. */
function imulTrunc16(cpu: Cpu, a: number, b: number): number {
  const p = ((a << 16) >> 16) * ((b << 16) >> 16);
  const r = p & 0xffff;
  mulFlags(cpu, r, MASK16, p !== (p << 16) >> 16);
  return r;
}
/** 32-bit truncating signed multiply: sets flags, returns the low dword. */
function imulTrunc32(cpu: Cpu, a: number, b: number): number {
  const lo = Math.imul(a, b);
  mulFlags(cpu, lo, MASK32, mulHighS32(a | 0, b | 0) !== lo >> 31);
  return lo;
}

/** IMUL Gv, Ev, Iz (69) and IMUL Gv, Ev, Ibs (6B): Gv = Ev * imm (the 16-bit immediate is sign-extended here). */
export const IMUL_GvEvI: ExecForms = {
  r16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = imulTrunc16(cpu, cpu.regs16[i.rm << 1], i.imm);
  },
  m16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = imulTrunc16(cpu, readV16(cpu, i.seg, ea(cpu, i)), i.imm);
  },
  r32: (cpu, i) => {
    cpu.regs[i.reg] = imulTrunc32(cpu, cpu.regs[i.rm], i.imm);
  },
  m32: (cpu, i) => {
    cpu.regs[i.reg] = imulTrunc32(cpu, readV32(cpu, i.seg, ea(cpu, i)), i.imm);
  },
};

/** IMUL Gv, Ev (0F AF): Gv = Gv * Ev. */
export const IMUL_GvEv: ExecForms = {
  r16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = imulTrunc16(cpu, cpu.regs16[i.reg << 1], cpu.regs16[i.rm << 1]);
  },
  m16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = imulTrunc16(cpu, cpu.regs16[i.reg << 1], readV16(cpu, i.seg, ea(cpu, i)));
  },
  r32: (cpu, i) => {
    cpu.regs[i.reg] = imulTrunc32(cpu, cpu.regs[i.reg], cpu.regs[i.rm]);
  },
  m32: (cpu, i) => {
    cpu.regs[i.reg] = imulTrunc32(cpu, cpu.regs[i.reg], readV32(cpu, i.seg, ea(cpu, i)));
  },
};

// ---- DIV / IDIV. ----

/** Quotient and remainder of the last `udiv64` (module scratch, so the hot path does not allocate). */
let quot = 0;
let rem = 0;

/**
 * Unsigned divide of the 64-bit value hi:lo (uint32 halves) by d (1..2^32-1), where hi < d so
 * the quotient fits 32 bits. Leaves the quotient and remainder (uint32) in `quot` / `rem`.
 * Two 48-by-32-bit steps on doubles: each dividend is < 2^48 and each floor is exact.
 */
function udiv64(hi: number, lo: number, d: number): void {
  let n = hi * 65536 + (lo >>> 16);
  let q1 = Math.floor(n / d);
  let r = n - q1 * d;
  if (r < 0) { q1--; r += d; } else if (r >= d) { q1++; r -= d; }
  n = r * 65536 + (lo & 0xffff);
  let q0 = Math.floor(n / d);
  r = n - q0 * d;
  if (r < 0) { q0--; r += d; } else if (r >= d) { q0++; r -= d; }
  quot = q1 * 65536 + q0;
  rem = r;
}

function div8(cpu: Cpu, s: number): void {
  if (s === 0) throw de('DIV by zero');
  const a = cpu.regs16[0];
  const q = Math.floor(a / s);
  if (q > 0xff) throw de(`DIV quotient 0x${q.toString(16)} does not fit AL`);
  cpu.regs8[0] = q;
  cpu.regs8[1] = a - q * s;
}
function div16(cpu: Cpu, s: number): void {
  if (s === 0) throw de('DIV by zero');
  const a = ((cpu.regs16[EDX << 1] << 16) | cpu.regs16[0]) >>> 0;
  const q = Math.floor(a / s);
  if (q > 0xffff) throw de(`DIV quotient 0x${q.toString(16)} does not fit AX`);
  cpu.regs16[EAX << 1] = q;
  cpu.regs16[EDX << 1] = a - q * s;
}
function div32(cpu: Cpu, s: number): void {
  const d = s >>> 0;
  if (d === 0) throw de('DIV by zero');
  const hi = cpu.regs[EDX] >>> 0;
  if (hi >= d) throw de('DIV quotient does not fit EAX');
  udiv64(hi, cpu.regs[EAX] >>> 0, d);
  cpu.regs[EAX] = quot;
  cpu.regs[EDX] = rem;
}

/** DIV Eb/Ev (F6 /6, F7 /6). #DE on a zero divisor or a quotient too wide, with no state change. */
export const DIV: ExecForms = {
  r8: (cpu, i) => div8(cpu, src8r(cpu, i)),
  m8: (cpu, i) => div8(cpu, src8m(cpu, i)),
  r16: (cpu, i) => div16(cpu, src16r(cpu, i)),
  m16: (cpu, i) => div16(cpu, src16m(cpu, i)),
  r32: (cpu, i) => div32(cpu, src32r(cpu, i)),
  m32: (cpu, i) => div32(cpu, src32m(cpu, i)),
};

function idiv8(cpu: Cpu, s: number): void {
  const d = (s << 24) >> 24;
  if (d === 0) throw de('IDIV by zero');
  const a = (cpu.regs16[0] << 16) >> 16;
  const q = Math.trunc(a / d);
  if (q > 0x7f || q < -0x80) throw de(`IDIV quotient ${q} does not fit AL`);
  cpu.regs8[0] = q;
  cpu.regs8[1] = a - q * d;
}
function idiv16(cpu: Cpu, s: number): void {
  const d = (s << 16) >> 16;
  if (d === 0) throw de('IDIV by zero');
  const a = (cpu.regs16[EDX << 1] << 16) | cpu.regs16[0];
  const q = Math.trunc(a / d);
  if (q > 0x7fff || q < -0x8000) throw de(`IDIV quotient ${q} does not fit AX`);
  cpu.regs16[EAX << 1] = q;
  cpu.regs16[EDX << 1] = a - q * d;
}
function idiv32(cpu: Cpu, s: number): void {
  const d = s | 0;
  if (d === 0) throw de('IDIV by zero');
  let hi = cpu.regs[EDX];
  let lo = cpu.regs[EAX];
  const negN = hi < 0;
  if (negN) {
    // 64-bit two's-complement negation of hi:lo.
    lo = -lo | 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
  }
  const absD = d < 0 ? -d >>> 0 : d;
  if (hi >>> 0 >= absD) throw de('IDIV quotient does not fit EAX');
  udiv64(hi >>> 0, lo >>> 0, absD);
  const negQ = negN !== d < 0;
  if (negQ ? quot > 0x80000000 : quot > 0x7fffffff) throw de('IDIV quotient does not fit EAX');
  cpu.regs[EAX] = negQ ? -quot : quot;
  cpu.regs[EDX] = negN ? -rem : rem;
}

/** IDIV Eb/Ev (F6 /7, F7 /7): quotient truncated toward zero, remainder has the dividend's sign. */
export const IDIV: ExecForms = {
  r8: (cpu, i) => idiv8(cpu, src8r(cpu, i)),
  m8: (cpu, i) => idiv8(cpu, src8m(cpu, i)),
  r16: (cpu, i) => idiv16(cpu, src16r(cpu, i)),
  m16: (cpu, i) => idiv16(cpu, src16m(cpu, i)),
  r32: (cpu, i) => idiv32(cpu, src32r(cpu, i)),
  m32: (cpu, i) => idiv32(cpu, src32m(cpu, i)),
};
