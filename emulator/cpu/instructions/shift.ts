/**
 * Shifts and rotates: ROL, ROR, RCL, RCR, SHL/SAL, SHR, SAR (group 2: C0, C1, D0–D3) and the
 * double-precision shifts SHLD and SHRD (0F A4/A5/AC/AD).
 *
 * The count (1, CL or imm8) is masked to 5 bits. A masked count of 0 changes nothing, not
 * even the flags; a memory operand is still read for write first (so it can fault), as on
 * Bochs. RCL/RCR rotate through CF over 9, 17 or 33 bits (count modulo 9 / 17 for 8 / 16
 * bits).
 *
 * Flags where the SDM leaves them undefined follow Bochs 2.7 (the reference of the shared
 * test vectors):
 *   - SHL/SHR/SAR/SHLD/SHRD: AF = 0; OF is computed with the 1-bit formula for every count
 *     (SHL/SHLD: CF ^ MSB(result); SHR/SHRD: the two top bits of the result XORed; SAR: 0).
 *   - SHL/SHR of an 8/16-bit operand by a count ≥ the operand size: CF = the last bit
 *     shifted out (0 once every bit is out); SHL gives result 0, CF 0, OF 0 past the size.
 *   - ROL/ROR/RCL/RCR: OF uses the 1-bit formula for every count (ROL: CF ^ MSB, ROR and
 *     RCR: the two top bits XORed, RCL: CF ^ MSB). ROL/ROR with a count that is a nonzero
 *     multiple of the operand size leave the value unchanged but still update CF and OF.
 *   - 16-bit SHLD/SHRD with a count > 16 (destination and flags undefined): Bochs's model,
 *     shifting the 48-bit pattern dest:src:dest (SHLD) / src:dest with dest feeding back
 *     (SHRD); see shld16/shrd16.
 *
 * @see Intel SDM Vol. 2B "RCL/RCR/ROL/ROR—Rotate", "SAL/SAR/SHL/SHR—Shift",
 *      "SHLD—Double Precision Shift Left", "SHRD—Double Precision Shift Right";
 *      Vol. 1 Appendix A (undefined flags).
 */
import { EFLAGS_CF, EFLAGS_OF } from '../../arch/eflags';
import type { Cpu } from '../cpu';
import type { ExecForms } from '../decoder/types';
import type { Insn } from '../decoder/insn';
import { getCF, getEflags, setStatusFlags, szpFlags, MASK16, MASK32, MASK8 } from '../flags';
import { getReg8, setReg8 } from '../operands';
import { ea, readRmw16, readRmw32, readRmw8, writeRmw16, writeRmw32, writeRmw8 } from '../memory-access';

/** Group-2 operations in encoding order (ModRM.reg). SAL (6) is the undocumented alias of SHL. */
export enum Shift {
  ROL = 0,
  ROR = 1,
  RCL = 2,
  RCR = 3,
  SHL = 4,
  SHR = 5,
  SAL = 6,
  SAR = 7,
}

/** Where the count comes from: the constant 1 (D0/D1), CL (D2/D3) or an imm8 (C0/C1). */
export type CountSource = 'one' | 'cl' | 'imm';

/** Byte offset of CL in `cpu.regs8`. */
const CL = 4;

/** Replace CF and OF only (rotates), materialising the other flags. */
function setCfOf(cpu: Cpu, cf: number, of: number): void {
  const f = getEflags(cpu) & ~(EFLAGS_CF | EFLAGS_OF);
  cpu.flags = f | (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0);
}

/**
 * Apply group-2 operation `op` to `v` (the operand, zero-extended for 8/16 bits; any int32
 * for 32) with masked count `c` (1..31) and operand width `bits` (8, 16, 32). Sets the flags
 * and returns the result masked to the width (int32 for 32 bits).
 */
export function shiftOp(cpu: Cpu, op: Shift, v: number, c: number, bits: number): number {
  const mask = bits === 32 ? MASK32 : bits === 16 ? MASK16 : MASK8;
  const top = bits - 1;
  v &= mask;
  let r: number;
  let cf: number;
  switch (op) {
    case Shift.ROL: {
      const n = c & top;
      r = n === 0 ? v : ((v << n) | (v >>> (bits - n))) & mask;
      cf = r & 1;
      setCfOf(cpu, cf, cf ^ ((r >>> top) & 1));
      return r;
    }
    case Shift.ROR: {
      const n = c & top;
      r = n === 0 ? v : ((v >>> n) | (v << (bits - n))) & mask;
      cf = (r >>> top) & 1;
      setCfOf(cpu, cf, cf ^ ((r >>> (top - 1)) & 1));
      return r;
    }
    case Shift.RCL: {
      const n = bits === 32 ? c : c % (bits + 1);
      if (n === 0) return v;
      const cin = getCF(cpu);
      r = n === 1 ? (v << 1) | cin : (v << n) | (cin << (n - 1)) | (v >>> (bits + 1 - n));
      r &= mask;
      cf = (v >>> (bits - n)) & 1;
      setCfOf(cpu, cf, cf ^ ((r >>> top) & 1));
      return r;
    }
    case Shift.RCR: {
      const n = bits === 32 ? c : c % (bits + 1);
      if (n === 0) return v;
      const cin = getCF(cpu);
      r = n === 1 ? (v >>> 1) | (cin << top) : (v >>> n) | (cin << (bits - n)) | (v << (bits + 1 - n));
      r &= mask;
      cf = (v >>> (n - 1)) & 1;
      setCfOf(cpu, cf, ((r >>> top) ^ (r >>> (top - 1))) & 1);
      return r;
    }
    case Shift.SHL:
    case Shift.SAL:
      if (c <= bits) {
        r = (v << c) & mask;
        cf = (v >>> (bits - c)) & 1;
      } else {
        r = 0;
        cf = 0;
      }
      setStatusFlags(cpu, szpFlags(r, mask) | (cf ? EFLAGS_CF : 0) | ((cf ^ (r >>> top)) & 1 ? EFLAGS_OF : 0));
      return r;
    case Shift.SHR:
      r = v >>> c;
      cf = (v >>> (c - 1)) & 1;
      setStatusFlags(cpu, szpFlags(r, mask) | (cf ? EFLAGS_CF : 0) | ((((r << 1) ^ r) >>> top) & 1 ? EFLAGS_OF : 0));
      return r | 0;
    default: {
      // SAR: sign-extend to int32, then an arithmetic shift; past the width every bit is the sign.
      const sv = (v << (32 - bits)) >> (32 - bits);
      r = (sv >> c) & mask;
      cf = (sv >> (c - 1)) & 1;
      setStatusFlags(cpu, szpFlags(r, mask) | (cf ? EFLAGS_CF : 0));
      return r;
    }
  }
}

type CountFn = (cpu: Cpu, i: Insn) => number;
const countOne: CountFn = () => 1;
const countCl: CountFn = (cpu) => cpu.regs8[CL] & 0x1f;
const countImm: CountFn = (_cpu, i) => i.imm & 0x1f;
function counter(src: CountSource): CountFn {
  return src === 'one' ? countOne : src === 'cl' ? countCl : countImm;
}

/**
 * The Eb and Ev handlers of group-2 operation `op` with count source `count`
 * (C0/C1 /op ib, D0/D1 /op, D2/D3 /op).
 */
export function forms(op: Shift, count: CountSource): ExecForms {
  const cnt = counter(count);
  return {
    r8: (cpu, i) => {
      const c = cnt(cpu, i);
      if (c !== 0) setReg8(cpu, i.rm, shiftOp(cpu, op, getReg8(cpu, i.rm), c, 8));
    },
    m8: (cpu, i) => {
      const v = readRmw8(cpu, i.seg, ea(cpu, i));
      const c = cnt(cpu, i);
      if (c !== 0) writeRmw8(cpu, shiftOp(cpu, op, v, c, 8));
    },
    r16: (cpu, i) => {
      const c = cnt(cpu, i);
      if (c !== 0) cpu.regs16[i.rm << 1] = shiftOp(cpu, op, cpu.regs16[i.rm << 1], c, 16);
    },
    m16: (cpu, i) => {
      const v = readRmw16(cpu, i.seg, ea(cpu, i));
      const c = cnt(cpu, i);
      if (c !== 0) writeRmw16(cpu, shiftOp(cpu, op, v, c, 16));
    },
    r32: (cpu, i) => {
      const c = cnt(cpu, i);
      if (c !== 0) cpu.regs[i.rm] = shiftOp(cpu, op, cpu.regs[i.rm], c, 32);
    },
    m32: (cpu, i) => {
      const v = readRmw32(cpu, i.seg, ea(cpu, i));
      const c = cnt(cpu, i);
      if (c !== 0) writeRmw32(cpu, shiftOp(cpu, op, v, c, 32));
    },
  };
}

/** OF and CF bits for a double shift, plus ZF/SF/PF of the result; AF = 0 (Bochs). */
function dshFlags(cpu: Cpu, r: number, mask: number, cf: number, of: number): void {
  setStatusFlags(cpu, szpFlags(r, mask) | (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0));
}

/** SHLD dest(32), src(32) by masked count c (1..31): returns the new destination. */
function shld32(cpu: Cpu, d: number, s: number, c: number): number {
  const r = (d << c) | (s >>> (32 - c));
  const cf = (d >>> (32 - c)) & 1;
  dshFlags(cpu, r, MASK32, cf, cf ^ (r >>> 31));
  return r;
}

/**
 * SHLD dest(16), src(16) by masked count c (1..31). Counts above 16 are undefined in the SDM;
 * as on Bochs the bits shifted in past the source come from the destination again.
 */
function shld16(cpu: Cpu, d: number, s: number, c: number): number {
  const t = ((d << 16) | s) >>> 0;
  let r32 = t << c;
  if (c > 16) r32 |= d << (c - 16);
  const r = (r32 >>> 16) & 0xffff;
  const cf = (t >>> (32 - c)) & 1;
  dshFlags(cpu, r, MASK16, cf, cf ^ (r >>> 15));
  return r;
}

/** SHRD dest(32), src(32) by masked count c (1..31). */
function shrd32(cpu: Cpu, d: number, s: number, c: number): number {
  const r = (s << (32 - c)) | (d >>> c);
  dshFlags(cpu, r, MASK32, (d >>> (c - 1)) & 1, ((r >>> 31) ^ (r >>> 30)) & 1);
  return r;
}

/** SHRD dest(16), src(16) by masked count c (1..31); counts above 16 as on Bochs (see shld16). */
function shrd16(cpu: Cpu, d: number, s: number, c: number): number {
  const t = ((s << 16) | d) >>> 0;
  let r32 = t >>> c;
  if (c > 16) r32 |= d << (32 - c);
  const r = r32 & 0xffff;
  dshFlags(cpu, r, MASK16, (d >>> (c - 1)) & 1, ((r >>> 15) ^ (r >>> 14)) & 1);
  return r;
}

type DoubleFn = (cpu: Cpu, d: number, s: number, c: number) => number;

/** The Ev,Gv,(Ib|CL) forms of a double shift. */
function doubleForms(f16: DoubleFn, f32: DoubleFn, cnt: CountFn): ExecForms {
  return {
    r16: (cpu, i) => {
      const c = cnt(cpu, i);
      if (c !== 0) cpu.regs16[i.rm << 1] = f16(cpu, cpu.regs16[i.rm << 1], cpu.regs16[i.reg << 1], c);
    },
    m16: (cpu, i) => {
      const v = readRmw16(cpu, i.seg, ea(cpu, i));
      const c = cnt(cpu, i);
      if (c !== 0) writeRmw16(cpu, f16(cpu, v, cpu.regs16[i.reg << 1], c));
    },
    r32: (cpu, i) => {
      const c = cnt(cpu, i);
      if (c !== 0) cpu.regs[i.rm] = f32(cpu, cpu.regs[i.rm], cpu.regs[i.reg], c);
    },
    m32: (cpu, i) => {
      const v = readRmw32(cpu, i.seg, ea(cpu, i));
      const c = cnt(cpu, i);
      if (c !== 0) writeRmw32(cpu, f32(cpu, v, cpu.regs[i.reg], c));
    },
  };
}

/** SHLD Ev, Gv, Ib (0F A4). */
export const SHLD_imm: ExecForms = doubleForms(shld16, shld32, countImm);
/** SHLD Ev, Gv, CL (0F A5). */
export const SHLD_CL: ExecForms = doubleForms(shld16, shld32, countCl);
/** SHRD Ev, Gv, Ib (0F AC). */
export const SHRD_imm: ExecForms = doubleForms(shrd16, shrd32, countImm);
/** SHRD Ev, Gv, CL (0F AD). */
export const SHRD_CL: ExecForms = doubleForms(shrd16, shrd32, countCl);
