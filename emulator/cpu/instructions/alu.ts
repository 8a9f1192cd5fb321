/**
 * The ALU group: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP in all their forms, TEST, INC,
 * DEC, NEG and NOT.
 *
 * Handlers are built per operation by small factories so each decoded instruction gets a
 * handler specialised for its form (register or memory) and operand size. Status flags are
 * recorded lazily (flags.ts). A memory destination is read for write first (readRmw*), so
 * a fault leaves memory and registers unchanged.
 *
 * @see Intel SDM Vol. 2A "ADD", "ADC", "AND", "CMP", "DEC", "INC"; Vol. 2B "NEG", "NOT",
 *      "OR", "SBB", "SUB", "TEST", "XOR".
 */
import { EAX, type Cpu } from '../cpu';
import { getReg8, setReg16, setReg8 } from '../operands';
import type { Exec, ExecForms } from '../decoder/types';
import type { Insn } from '../decoder/insn';
import { getCF, lazyAdd, lazyDec, lazyInc, lazyIncDec, lazyLogic, lazySub, MASK16, MASK32, MASK8 } from '../flags';
import { ea, readRmw16, readRmw32, readRmw8, readV16, readV32, readV8, writeRmw16, writeRmw32, writeRmw8 } from '../memory-access';

/** ALU operations in encoding order (opcode bits 5:3, ModRM.reg of group 1). */
export enum Alu {
  ADD = 0,
  OR = 1,
  ADC = 2,
  SBB = 3,
  AND = 4,
  SUB = 5,
  XOR = 6,
  CMP = 7,
}

/*
 * One small function per operation: computes `a op b` for an operand-size mask, records
 * the flags lazily and returns the result (masked; int32 for 32-bit). CMP uses `sub` and
 * callers do not write its result back.
 */
const add = (cpu: Cpu, a: number, b: number, m: number): number => {
  const r = (a + b) & m;
  lazyAdd(cpu, a, b, r, m);
  return r;
};
const or = (cpu: Cpu, a: number, b: number, m: number): number => {
  const r = (a | b) & m;
  lazyLogic(cpu, r, m);
  return r;
};
const adc = (cpu: Cpu, a: number, b: number, m: number): number => {
  const r = (a + b + getCF(cpu)) & m;
  lazyAdd(cpu, a, b, r, m);
  return r;
};
const sbb = (cpu: Cpu, a: number, b: number, m: number): number => {
  const r = (a - b - getCF(cpu)) & m;
  lazySub(cpu, a, b, r, m);
  return r;
};
const and = (cpu: Cpu, a: number, b: number, m: number): number => {
  const r = a & b & m;
  lazyLogic(cpu, r, m);
  return r;
};
const sub = (cpu: Cpu, a: number, b: number, m: number): number => {
  const r = (a - b) & m;
  lazySub(cpu, a, b, r, m);
  return r;
};
const xor = (cpu: Cpu, a: number, b: number, m: number): number => {
  const r = (a ^ b) & m;
  lazyLogic(cpu, r, m);
  return r;
};
const ALU_FNS = [add, or, adc, sbb, and, sub, xor, sub] as const;

/**
 * Compute `a op b` for an operand-size mask, record the flags, and return the result
 * (masked to the size; int32 for 32-bit). CMP returns the difference but callers do not
 * write it back.
 */
export function alu(cpu: Cpu, op: Alu, a: number, b: number, mask: number): number {
  return ALU_FNS[op](cpu, a, b, mask);
}

/*
 * The 32-bit forms that dominate real code get one function literal per operation, so
 * each has its own type feedback and V8 inlines the operation into compiled blocks
 * (block-compiler.ts); a closure over `op` would share one feedback vector for all eight
 * and stay a generic call. Indexed by Alu.
 */
const EvGv_r32: readonly Exec[] = [
  (cpu, i) => { const r = cpu.regs; r[i.rm] = add(cpu, r[i.rm], r[i.reg], MASK32); }, // ADD
  (cpu, i) => { const r = cpu.regs; r[i.rm] = or(cpu, r[i.rm], r[i.reg], MASK32); }, // OR
  (cpu, i) => { const r = cpu.regs; r[i.rm] = adc(cpu, r[i.rm], r[i.reg], MASK32); }, // ADC
  (cpu, i) => { const r = cpu.regs; r[i.rm] = sbb(cpu, r[i.rm], r[i.reg], MASK32); }, // SBB
  (cpu, i) => { const r = cpu.regs; r[i.rm] = and(cpu, r[i.rm], r[i.reg], MASK32); }, // AND
  (cpu, i) => { const r = cpu.regs; r[i.rm] = sub(cpu, r[i.rm], r[i.reg], MASK32); }, // SUB
  (cpu, i) => { const r = cpu.regs; r[i.rm] = xor(cpu, r[i.rm], r[i.reg], MASK32); }, // XOR
  (cpu, i) => { const r = cpu.regs; sub(cpu, r[i.rm], r[i.reg], MASK32); }, // CMP
];
const EvGv_m32: readonly Exec[] = [
  (cpu, i) => writeRmw32(cpu, add(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), cpu.regs[i.reg], MASK32)), // ADD
  (cpu, i) => writeRmw32(cpu, or(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), cpu.regs[i.reg], MASK32)), // OR
  (cpu, i) => writeRmw32(cpu, adc(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), cpu.regs[i.reg], MASK32)), // ADC
  (cpu, i) => writeRmw32(cpu, sbb(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), cpu.regs[i.reg], MASK32)), // SBB
  (cpu, i) => writeRmw32(cpu, and(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), cpu.regs[i.reg], MASK32)), // AND
  (cpu, i) => writeRmw32(cpu, sub(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), cpu.regs[i.reg], MASK32)), // SUB
  (cpu, i) => writeRmw32(cpu, xor(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), cpu.regs[i.reg], MASK32)), // XOR
  (cpu, i) => void sub(cpu, readV32(cpu, i.seg, ea(cpu, i)), cpu.regs[i.reg], MASK32), // CMP
];
const GvEv_r32: readonly Exec[] = [
  (cpu, i) => { const r = cpu.regs; r[i.reg] = add(cpu, r[i.reg], r[i.rm], MASK32); }, // ADD
  (cpu, i) => { const r = cpu.regs; r[i.reg] = or(cpu, r[i.reg], r[i.rm], MASK32); }, // OR
  (cpu, i) => { const r = cpu.regs; r[i.reg] = adc(cpu, r[i.reg], r[i.rm], MASK32); }, // ADC
  (cpu, i) => { const r = cpu.regs; r[i.reg] = sbb(cpu, r[i.reg], r[i.rm], MASK32); }, // SBB
  (cpu, i) => { const r = cpu.regs; r[i.reg] = and(cpu, r[i.reg], r[i.rm], MASK32); }, // AND
  (cpu, i) => { const r = cpu.regs; r[i.reg] = sub(cpu, r[i.reg], r[i.rm], MASK32); }, // SUB
  (cpu, i) => { const r = cpu.regs; r[i.reg] = xor(cpu, r[i.reg], r[i.rm], MASK32); }, // XOR
  (cpu, i) => { const r = cpu.regs; sub(cpu, r[i.reg], r[i.rm], MASK32); }, // CMP
];
const GvEv_m32: readonly Exec[] = [
  (cpu, i) => { const r = cpu.regs; r[i.reg] = add(cpu, r[i.reg], readV32(cpu, i.seg, ea(cpu, i)), MASK32); }, // ADD
  (cpu, i) => { const r = cpu.regs; r[i.reg] = or(cpu, r[i.reg], readV32(cpu, i.seg, ea(cpu, i)), MASK32); }, // OR
  (cpu, i) => { const r = cpu.regs; r[i.reg] = adc(cpu, r[i.reg], readV32(cpu, i.seg, ea(cpu, i)), MASK32); }, // ADC
  (cpu, i) => { const r = cpu.regs; r[i.reg] = sbb(cpu, r[i.reg], readV32(cpu, i.seg, ea(cpu, i)), MASK32); }, // SBB
  (cpu, i) => { const r = cpu.regs; r[i.reg] = and(cpu, r[i.reg], readV32(cpu, i.seg, ea(cpu, i)), MASK32); }, // AND
  (cpu, i) => { const r = cpu.regs; r[i.reg] = sub(cpu, r[i.reg], readV32(cpu, i.seg, ea(cpu, i)), MASK32); }, // SUB
  (cpu, i) => { const r = cpu.regs; r[i.reg] = xor(cpu, r[i.reg], readV32(cpu, i.seg, ea(cpu, i)), MASK32); }, // XOR
  (cpu, i) => { const r = cpu.regs; sub(cpu, r[i.reg], readV32(cpu, i.seg, ea(cpu, i)), MASK32); }, // CMP
];
const EvIz_r32: readonly Exec[] = [
  (cpu, i) => { const r = cpu.regs; r[i.rm] = add(cpu, r[i.rm], i.imm, MASK32); }, // ADD
  (cpu, i) => { const r = cpu.regs; r[i.rm] = or(cpu, r[i.rm], i.imm, MASK32); }, // OR
  (cpu, i) => { const r = cpu.regs; r[i.rm] = adc(cpu, r[i.rm], i.imm, MASK32); }, // ADC
  (cpu, i) => { const r = cpu.regs; r[i.rm] = sbb(cpu, r[i.rm], i.imm, MASK32); }, // SBB
  (cpu, i) => { const r = cpu.regs; r[i.rm] = and(cpu, r[i.rm], i.imm, MASK32); }, // AND
  (cpu, i) => { const r = cpu.regs; r[i.rm] = sub(cpu, r[i.rm], i.imm, MASK32); }, // SUB
  (cpu, i) => { const r = cpu.regs; r[i.rm] = xor(cpu, r[i.rm], i.imm, MASK32); }, // XOR
  (cpu, i) => { const r = cpu.regs; sub(cpu, r[i.rm], i.imm, MASK32); }, // CMP
];
const EvIz_m32: readonly Exec[] = [
  (cpu, i) => writeRmw32(cpu, add(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), i.imm, MASK32)), // ADD
  (cpu, i) => writeRmw32(cpu, or(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), i.imm, MASK32)), // OR
  (cpu, i) => writeRmw32(cpu, adc(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), i.imm, MASK32)), // ADC
  (cpu, i) => writeRmw32(cpu, sbb(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), i.imm, MASK32)), // SBB
  (cpu, i) => writeRmw32(cpu, and(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), i.imm, MASK32)), // AND
  (cpu, i) => writeRmw32(cpu, sub(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), i.imm, MASK32)), // SUB
  (cpu, i) => writeRmw32(cpu, xor(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), i.imm, MASK32)), // XOR
  (cpu, i) => void sub(cpu, readV32(cpu, i.seg, ea(cpu, i)), i.imm, MASK32), // CMP
];

const r8get = getReg8;
const r8set = setReg8;
const r16set = setReg16;

/** op Eb, Gb (00, 08, … 38). */
export function EbGb(op: Alu): ExecForms {
  const wb = op !== Alu.CMP;
  return {
    r8: (cpu, i) => {
      const r = alu(cpu, op, r8get(cpu, i.rm), r8get(cpu, i.reg), MASK8);
      if (wb) r8set(cpu, i.rm, r);
    },
    m8: wb
      ? (cpu, i) => writeRmw8(cpu, alu(cpu, op, readRmw8(cpu, i.seg, ea(cpu, i)), r8get(cpu, i.reg), MASK8))
      : (cpu, i) => void alu(cpu, op, readV8(cpu, i.seg, ea(cpu, i)), r8get(cpu, i.reg), MASK8),
  };
}

/** op Ev, Gv (01, 09, … 39). */
export function EvGv(op: Alu): ExecForms {
  const wb = op !== Alu.CMP;
  return {
    r16: (cpu, i) => {
      const r = alu(cpu, op, cpu.regs16[i.rm << 1], cpu.regs16[i.reg << 1], MASK16);
      if (wb) r16set(cpu, i.rm, r);
    },
    r32: EvGv_r32[op],
    m16: wb
      ? (cpu, i) => writeRmw16(cpu, alu(cpu, op, readRmw16(cpu, i.seg, ea(cpu, i)), cpu.regs16[i.reg << 1], MASK16))
      : (cpu, i) => void alu(cpu, op, readV16(cpu, i.seg, ea(cpu, i)), cpu.regs16[i.reg << 1], MASK16),
    m32: EvGv_m32[op],
  };
}

/** op Gb, Eb (02, 0A, … 3A). */
export function GbEb(op: Alu): ExecForms {
  const wb = op !== Alu.CMP;
  const apply = (cpu: Cpu, i: Insn, b: number) => {
    const r = alu(cpu, op, r8get(cpu, i.reg), b, MASK8);
    if (wb) r8set(cpu, i.reg, r);
  };
  return {
    r8: (cpu, i) => apply(cpu, i, r8get(cpu, i.rm)),
    m8: (cpu, i) => apply(cpu, i, readV8(cpu, i.seg, ea(cpu, i))),
  };
}

/** op Gv, Ev (03, 0B, … 3B). */
export function GvEv(op: Alu): ExecForms {
  const wb = op !== Alu.CMP;
  const apply16 = (cpu: Cpu, i: Insn, b: number) => {
    const r = alu(cpu, op, cpu.regs16[i.reg << 1], b, MASK16);
    if (wb) r16set(cpu, i.reg, r);
  };
  return {
    r16: (cpu, i) => apply16(cpu, i, cpu.regs16[i.rm << 1]),
    m16: (cpu, i) => apply16(cpu, i, readV16(cpu, i.seg, ea(cpu, i))),
    r32: GvEv_r32[op],
    m32: GvEv_m32[op],
  };
}

/** op AL, Ib (04, 0C, … 3C). */
export function ALIb(op: Alu): Exec {
  const wb = op !== Alu.CMP;
  return (cpu, i) => {
    const r = alu(cpu, op, cpu.regs8[0], i.imm, MASK8);
    if (wb) cpu.regs8[0] = r;
  };
}

/** op eAX, Iz (05, 0D, … 3D). */
export function eAXIz(op: Alu): Exec {
  const wb = op !== Alu.CMP;
  return (cpu, i) => {
    if (i.o32) {
      const r = alu(cpu, op, cpu.regs[EAX], i.imm, MASK32);
      if (wb) cpu.regs[EAX] = r;
    } else {
      const r = alu(cpu, op, cpu.regs16[0], i.imm, MASK16);
      if (wb) cpu.regs16[0] = r;
    }
  };
}

/** Group 1 op Eb, Ib (80 /op, 82 /op). */
export function EbIb(op: Alu): ExecForms {
  const wb = op !== Alu.CMP;
  return {
    r8: (cpu, i) => {
      const r = alu(cpu, op, r8get(cpu, i.rm), i.imm, MASK8);
      if (wb) r8set(cpu, i.rm, r);
    },
    m8: wb
      ? (cpu, i) => writeRmw8(cpu, alu(cpu, op, readRmw8(cpu, i.seg, ea(cpu, i)), i.imm, MASK8))
      : (cpu, i) => void alu(cpu, op, readV8(cpu, i.seg, ea(cpu, i)), i.imm, MASK8),
  };
}

/** Group 1 op Ev, Iz (81 /op) and op Ev, Ibs (83 /op): the decoder has sign-extended the immediate. */
export function EvIz(op: Alu): ExecForms {
  const wb = op !== Alu.CMP;
  return {
    r16: (cpu, i) => {
      const r = alu(cpu, op, cpu.regs16[i.rm << 1], i.imm, MASK16);
      if (wb) r16set(cpu, i.rm, r);
    },
    r32: EvIz_r32[op],
    m16: wb
      ? (cpu, i) => writeRmw16(cpu, alu(cpu, op, readRmw16(cpu, i.seg, ea(cpu, i)), i.imm, MASK16))
      : (cpu, i) => void alu(cpu, op, readV16(cpu, i.seg, ea(cpu, i)), i.imm, MASK16),
    m32: EvIz_m32[op],
  };
}

// TEST: AND without writing the result (SDM Vol. 2B "TEST").
export const TEST_EbGb: ExecForms = {
  r8: (cpu, i) => lazyLogic(cpu, r8get(cpu, i.rm) & r8get(cpu, i.reg), MASK8),
  m8: (cpu, i) => lazyLogic(cpu, readV8(cpu, i.seg, ea(cpu, i)) & r8get(cpu, i.reg), MASK8),
};
export const TEST_EvGv: ExecForms = {
  r16: (cpu, i) => lazyLogic(cpu, cpu.regs16[i.rm << 1] & cpu.regs16[i.reg << 1], MASK16),
  m16: (cpu, i) => lazyLogic(cpu, readV16(cpu, i.seg, ea(cpu, i)) & cpu.regs16[i.reg << 1], MASK16),
  r32: (cpu, i) => lazyLogic(cpu, cpu.regs[i.rm] & cpu.regs[i.reg], MASK32),
  m32: (cpu, i) => lazyLogic(cpu, readV32(cpu, i.seg, ea(cpu, i)) & cpu.regs[i.reg], MASK32),
};
export const TEST_ALIb: Exec = (cpu, i) => lazyLogic(cpu, cpu.regs8[0] & i.imm, MASK8);
export const TEST_eAXIz: Exec = (cpu, i) =>
  i.o32 ? lazyLogic(cpu, cpu.regs[EAX] & i.imm, MASK32) : lazyLogic(cpu, cpu.regs16[0] & i.imm & 0xffff, MASK16);
export const TEST_EbIb: ExecForms = {
  r8: (cpu, i) => lazyLogic(cpu, r8get(cpu, i.rm) & i.imm, MASK8),
  m8: (cpu, i) => lazyLogic(cpu, readV8(cpu, i.seg, ea(cpu, i)) & i.imm, MASK8),
};
export const TEST_EvIz: ExecForms = {
  r16: (cpu, i) => lazyLogic(cpu, cpu.regs16[i.rm << 1] & i.imm & 0xffff, MASK16),
  m16: (cpu, i) => lazyLogic(cpu, readV16(cpu, i.seg, ea(cpu, i)) & i.imm & 0xffff, MASK16),
  r32: (cpu, i) => lazyLogic(cpu, cpu.regs[i.rm] & i.imm, MASK32),
  m32: (cpu, i) => lazyLogic(cpu, readV32(cpu, i.seg, ea(cpu, i)) & i.imm, MASK32),
};

// INC / DEC: CF is preserved (SDM Vol. 2A "INC", "DEC").
function incdec(cpu: Cpu, a: number, mask: number, dec: boolean): number {
  const r = (dec ? a - 1 : a + 1) & mask;
  lazyIncDec(cpu, a, r, mask, dec);
  return r;
}

/** INC r16/r32 (40+r). */
export const INC_Zv: Exec = (cpu, i) => {
  const n = i.opcode & 7;
  if (i.o32) {
    const a = cpu.regs[n];
    const r = (a + 1) | 0;
    lazyInc(cpu, a, r, MASK32);
    cpu.regs[n] = r;
  } else r16set(cpu, n, incdec(cpu, cpu.regs16[n << 1], MASK16, false));
};

/** DEC r16/r32 (48+r). */
export const DEC_Zv: Exec = (cpu, i) => {
  const n = i.opcode & 7;
  if (i.o32) {
    const a = cpu.regs[n];
    const r = (a - 1) | 0;
    lazyDec(cpu, a, r, MASK32);
    cpu.regs[n] = r;
  } else r16set(cpu, n, incdec(cpu, cpu.regs16[n << 1], MASK16, true));
};

/**
 * A unary read-modify-write operation on Eb/Ev in every form (INC, DEC, NEG, NOT):
 * `f(cpu, value, mask)` returns the new value and records flags.
 */
function unaryForms(f: (cpu: Cpu, a: number, mask: number) => number): ExecForms {
  return {
    r8: (cpu, i) => r8set(cpu, i.rm, f(cpu, r8get(cpu, i.rm), MASK8)),
    m8: (cpu, i) => writeRmw8(cpu, f(cpu, readRmw8(cpu, i.seg, ea(cpu, i)), MASK8)),
    r16: (cpu, i) => r16set(cpu, i.rm, f(cpu, cpu.regs16[i.rm << 1], MASK16)),
    m16: (cpu, i) => writeRmw16(cpu, f(cpu, readRmw16(cpu, i.seg, ea(cpu, i)), MASK16)),
    r32: (cpu, i) => {
      cpu.regs[i.rm] = f(cpu, cpu.regs[i.rm], MASK32);
    },
    m32: (cpu, i) => writeRmw32(cpu, f(cpu, readRmw32(cpu, i.seg, ea(cpu, i)), MASK32)),
  };
}

/** INC Eb/Ev (FE /0, FF /0). */
export const INC_E = unaryForms((cpu, a, mask) => incdec(cpu, a, mask, false));
/** DEC Eb/Ev (FE /1, FF /1). */
export const DEC_E = unaryForms((cpu, a, mask) => incdec(cpu, a, mask, true));
/** NEG Eb/Ev (F6 /3, F7 /3): 0 - a, CF = (a != 0). */
export const NEG_E = unaryForms((cpu, a, mask) => {
  const r = -a & mask;
  lazySub(cpu, 0, a, r, mask);
  return r;
});
/** NOT Eb/Ev (F6 /2, F7 /2): no flags. */
export const NOT_E = unaryForms((_cpu, a, mask) => ~a & mask);
