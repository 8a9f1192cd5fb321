/**
 * Data transfer: MOV, LEA, XCHG, XADD, CMPXCHG, CMPXCHG8B, MOVZX, MOVSX, CBW/CWDE,
 * CWD/CDQ, XLAT, CMOVcc, SETcc, NOP.
 *
 * Register operands are addressed by ModRM number (operands.ts; `regs16[n << 1]` is the
 * low word of register n). A memory destination that is also read (XCHG, XADD, CMPXCHG)
 * is read for write first (readRmw*), so a fault leaves registers, flags and memory
 * unchanged; the write-back then cannot fault.
 *
 * @see Intel SDM Vol. 2A "CBW/CWDE/CDQE", "CMOVcc", "CMPXCHG", "CMPXCHG8B/CMPXCHG16B",
 *      "CWD/CDQ/CQO", "LEA"; Vol. 2B "MOV", "MOVSX/MOVSXD", "MOVZX", "NOP", "SETcc";
 *      Vol. 2C "XADD", "XCHG", "XLAT/XLATB".
 */
import { EFLAGS_ZF } from '../../arch/eflags';
import { EAX, EBX, ECX, EDX } from '../cpu';
import type { Exec, ExecForms } from '../decoder/types';
import { lazyAdd, lazySub, MASK16, MASK32, MASK8, setEflagsBits, testCC } from '../flags';
import {
  ea,
  probeWriteV,
  readRmw16,
  readRmw32,
  readRmw8,
  readV16,
  readV32,
  readV8,
  writeRmw16,
  writeRmw32,
  writeRmw8,
  writeV16,
  writeV32,
  writeV8,
} from '../memory-access';
import { getReg8, setReg8 } from '../operands';

// ---------------------------------------------------------------------------------------------
// MOV (SDM Vol. 2B "MOV"): no flags.

/** MOV Eb, Gb (88). */
export const MOV_EbGb: ExecForms = {
  r8: (cpu, i) => setReg8(cpu, i.rm, getReg8(cpu, i.reg)),
  m8: (cpu, i) => writeV8(cpu, i.seg, ea(cpu, i), getReg8(cpu, i.reg)),
};

/** MOV Ev, Gv (89). */
export const MOV_EvGv: ExecForms = {
  r16: (cpu, i) => {
    cpu.regs16[i.rm << 1] = cpu.regs16[i.reg << 1];
  },
  m16: (cpu, i) => writeV16(cpu, i.seg, ea(cpu, i), cpu.regs16[i.reg << 1]),
  r32: (cpu, i) => {
    cpu.regs[i.rm] = cpu.regs[i.reg];
  },
  m32: (cpu, i) => writeV32(cpu, i.seg, ea(cpu, i), cpu.regs[i.reg]),
};

/** MOV Gb, Eb (8A). */
export const MOV_GbEb: ExecForms = {
  r8: (cpu, i) => setReg8(cpu, i.reg, getReg8(cpu, i.rm)),
  m8: (cpu, i) => setReg8(cpu, i.reg, readV8(cpu, i.seg, ea(cpu, i))),
};

/** MOV Gv, Ev (8B). */
export const MOV_GvEv: ExecForms = {
  r16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = cpu.regs16[i.rm << 1];
  },
  m16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = readV16(cpu, i.seg, ea(cpu, i));
  },
  r32: (cpu, i) => {
    cpu.regs[i.reg] = cpu.regs[i.rm];
  },
  m32: (cpu, i) => {
    cpu.regs[i.reg] = readV32(cpu, i.seg, ea(cpu, i));
  },
};

// moffs forms (A0–A3): the decoder stored the offset in i.disp with base = index = REG_ZERO,
// so ea() yields it (masked to 16 bits for a 16-bit address size).

/** MOV AL, moffs8 (A0). */
export const MOV_ALOb: Exec = (cpu, i) => {
  cpu.regs8[0] = readV8(cpu, i.seg, ea(cpu, i));
};
/** MOV AX/EAX, moffs16/32 (A1). */
export const MOV_eAXOv: Exec = (cpu, i) => {
  if (i.o32) cpu.regs[EAX] = readV32(cpu, i.seg, ea(cpu, i));
  else cpu.regs16[0] = readV16(cpu, i.seg, ea(cpu, i));
};
/** MOV moffs8, AL (A2). */
export const MOV_ObAL: Exec = (cpu, i) => writeV8(cpu, i.seg, ea(cpu, i), cpu.regs8[0]);
/** MOV moffs16/32, AX/EAX (A3). */
export const MOV_OveAX: Exec = (cpu, i) => {
  if (i.o32) writeV32(cpu, i.seg, ea(cpu, i), cpu.regs[EAX]);
  else writeV16(cpu, i.seg, ea(cpu, i), cpu.regs16[0]);
};

/** MOV r8, imm8 (B0+r): the register is opcode bits 2:0. */
export const MOV_ZbIb: Exec = (cpu, i) => setReg8(cpu, i.opcode & 7, i.imm);
/** MOV r16/r32, imm16/32 (B8+r). */
export const MOV_ZvIv: Exec = (cpu, i) => {
  if (i.o32) cpu.regs[i.opcode & 7] = i.imm;
  else cpu.regs16[(i.opcode & 7) << 1] = i.imm;
};

/** MOV Eb, Ib (C6 /0). */
export const MOV_EbIb: ExecForms = {
  r8: (cpu, i) => setReg8(cpu, i.rm, i.imm),
  m8: (cpu, i) => writeV8(cpu, i.seg, ea(cpu, i), i.imm),
};

/** MOV Ev, Iz (C7 /0). */
export const MOV_EvIz: ExecForms = {
  r16: (cpu, i) => {
    cpu.regs16[i.rm << 1] = i.imm;
  },
  m16: (cpu, i) => writeV16(cpu, i.seg, ea(cpu, i), i.imm),
  r32: (cpu, i) => {
    cpu.regs[i.rm] = i.imm;
  },
  m32: (cpu, i) => writeV32(cpu, i.seg, ea(cpu, i), i.imm),
};

/**
 * LEA Gv, M (8D): the effective address, computed at the address size (ea() already
 * truncates a 16-bit address), then stored at the operand size: a 16-bit operand keeps
 * the low 16 bits, a 32-bit operand with a 16-bit address gets it zero-extended
 * (SDM Vol. 2A "LEA", its operand-size/address-size table). No memory access; the register form is #UD (no r forms).
 */
export const LEA: ExecForms = {
  m16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = ea(cpu, i);
  },
  m32: (cpu, i) => {
    cpu.regs[i.reg] = ea(cpu, i);
  },
};

/** NOP (90), PAUSE (F3 90) and the multi-byte NOP Ev (0F 1F /0): no operation, no memory access. */
export const NOP: Exec = () => {};

// ---------------------------------------------------------------------------------------------
// XCHG (SDM Vol. 2C "XCHG"): with a memory operand it is always locked (no visible effect in
// this single-processor model).

/** XCHG Eb, Gb (86). */
export const XCHG_EbGb: ExecForms = {
  r8: (cpu, i) => {
    const a = getReg8(cpu, i.rm);
    setReg8(cpu, i.rm, getReg8(cpu, i.reg));
    setReg8(cpu, i.reg, a);
  },
  m8: (cpu, i) => {
    const m = readRmw8(cpu, i.seg, ea(cpu, i));
    writeRmw8(cpu, getReg8(cpu, i.reg));
    setReg8(cpu, i.reg, m);
  },
};

/** XCHG Ev, Gv (87). */
export const XCHG_EvGv: ExecForms = {
  r16: (cpu, i) => {
    const r = cpu.regs16;
    const a = r[i.rm << 1];
    r[i.rm << 1] = r[i.reg << 1];
    r[i.reg << 1] = a;
  },
  m16: (cpu, i) => {
    const m = readRmw16(cpu, i.seg, ea(cpu, i));
    writeRmw16(cpu, cpu.regs16[i.reg << 1]);
    cpu.regs16[i.reg << 1] = m;
  },
  r32: (cpu, i) => {
    const r = cpu.regs;
    const a = r[i.rm];
    r[i.rm] = r[i.reg];
    r[i.reg] = a;
  },
  m32: (cpu, i) => {
    const m = readRmw32(cpu, i.seg, ea(cpu, i));
    writeRmw32(cpu, cpu.regs[i.reg]);
    cpu.regs[i.reg] = m;
  },
};

/** XCHG r16/r32, AX/EAX (91+r; 90 is NOP). */
export const XCHG_ZvAX: Exec = (cpu, i) => {
  const n = i.opcode & 7;
  if (i.o32) {
    const r = cpu.regs;
    const a = r[n];
    r[n] = r[EAX];
    r[EAX] = a;
  } else {
    const r = cpu.regs16;
    const a = r[n << 1];
    r[n << 1] = r[0];
    r[0] = a;
  }
};

// ---------------------------------------------------------------------------------------------
// Sign extension of the accumulator.

/** CBW (AX ← sign-extend AL) / CWDE (EAX ← sign-extend AX), 98. SDM Vol. 2A "CBW/CWDE/CDQE". */
export const CBW: Exec = (cpu, i) => {
  if (i.o32) cpu.regs[EAX] = (cpu.regs16[0] << 16) >> 16;
  else cpu.regs16[0] = (cpu.regs8[0] << 24) >> 24;
};

/** CWD (DX:AX ← sign-extend AX) / CDQ (EDX:EAX ← sign-extend EAX), 99. SDM Vol. 2A "CWD/CDQ/CQO". */
export const CWD: Exec = (cpu, i) => {
  if (i.o32) cpu.regs[EDX] = cpu.regs[EAX] >> 31;
  else cpu.regs16[EDX << 1] = (cpu.regs16[0] << 16) >> 31;
};

/**
 * XLAT (D7): AL ← DS:[eBX + zero-extended AL], the segment overridable, BX or EBX by the
 * address size (the sum wraps at the address size). SDM Vol. 2C "XLAT/XLATB".
 */
export const XLAT: Exec = (cpu, i) => {
  const off = i.a32 ? (cpu.regs[EBX] + cpu.regs8[0]) >>> 0 : (cpu.regs16[EBX << 1] + cpu.regs8[0]) & 0xffff;
  cpu.regs8[0] = readV8(cpu, i.seg, off);
};

// ---------------------------------------------------------------------------------------------
// Conditional moves and sets (condition codes: flags.ts testCC).

/**
 * CMOVcc Gv, Ev (0F 40+cc). The source is read (and a memory source may fault) whatever
 * the condition; when the condition is false the destination is unchanged, in 32-bit as
 * in 16-bit operand size (this is IA-32: no zero-extension into a 64-bit register).
 * SDM Vol. 2A "CMOVcc".
 */
export function cmovcc(cc: number): ExecForms {
  return {
    r16: (cpu, i) => {
      if (testCC(cpu, cc)) cpu.regs16[i.reg << 1] = cpu.regs16[i.rm << 1];
    },
    m16: (cpu, i) => {
      const v = readV16(cpu, i.seg, ea(cpu, i));
      if (testCC(cpu, cc)) cpu.regs16[i.reg << 1] = v;
    },
    r32: (cpu, i) => {
      if (testCC(cpu, cc)) cpu.regs[i.reg] = cpu.regs[i.rm];
    },
    m32: (cpu, i) => {
      const v = readV32(cpu, i.seg, ea(cpu, i));
      if (testCC(cpu, cc)) cpu.regs[i.reg] = v;
    },
  };
}

/** SETcc Eb (0F 90+cc): the byte becomes 1 when the condition holds, else 0. SDM Vol. 2B "SETcc". */
export function setcc(cc: number): ExecForms {
  return {
    r8: (cpu, i) => setReg8(cpu, i.rm, testCC(cpu, cc) ? 1 : 0),
    m8: (cpu, i) => writeV8(cpu, i.seg, ea(cpu, i), testCC(cpu, cc) ? 1 : 0),
  };
}

// ---------------------------------------------------------------------------------------------
// MOVZX / MOVSX (SDM Vol. 2B "MOVZX", "MOVSX/MOVSXD"): the form key names the destination
// (operand) size; the source is a byte (…Eb) or a word (…Ew).

/** MOVZX Gv, Eb (0F B6). */
export const MOVZX_GvEb: ExecForms = {
  r16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = getReg8(cpu, i.rm);
  },
  m16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = readV8(cpu, i.seg, ea(cpu, i));
  },
  r32: (cpu, i) => {
    cpu.regs[i.reg] = getReg8(cpu, i.rm);
  },
  m32: (cpu, i) => {
    cpu.regs[i.reg] = readV8(cpu, i.seg, ea(cpu, i));
  },
};

/** MOVZX Gv, Ew (0F B7); with a 16-bit operand size it is a plain 16-bit move. */
export const MOVZX_GvEw: ExecForms = {
  r16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = cpu.regs16[i.rm << 1];
  },
  m16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = readV16(cpu, i.seg, ea(cpu, i));
  },
  r32: (cpu, i) => {
    cpu.regs[i.reg] = cpu.regs16[i.rm << 1];
  },
  m32: (cpu, i) => {
    cpu.regs[i.reg] = readV16(cpu, i.seg, ea(cpu, i));
  },
};

/** MOVSX Gv, Eb (0F BE). */
export const MOVSX_GvEb: ExecForms = {
  r16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = (getReg8(cpu, i.rm) << 24) >> 24;
  },
  m16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = (readV8(cpu, i.seg, ea(cpu, i)) << 24) >> 24;
  },
  r32: (cpu, i) => {
    cpu.regs[i.reg] = (getReg8(cpu, i.rm) << 24) >> 24;
  },
  m32: (cpu, i) => {
    cpu.regs[i.reg] = (readV8(cpu, i.seg, ea(cpu, i)) << 24) >> 24;
  },
};

/** MOVSX Gv, Ew (0F BF); with a 16-bit operand size it is a plain 16-bit move. */
export const MOVSX_GvEw: ExecForms = {
  r16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = cpu.regs16[i.rm << 1];
  },
  m16: (cpu, i) => {
    cpu.regs16[i.reg << 1] = readV16(cpu, i.seg, ea(cpu, i));
  },
  r32: (cpu, i) => {
    cpu.regs[i.reg] = (cpu.regs16[i.rm << 1] << 16) >> 16;
  },
  m32: (cpu, i) => {
    cpu.regs[i.reg] = (readV16(cpu, i.seg, ea(cpu, i)) << 16) >> 16;
  },
};

// ---------------------------------------------------------------------------------------------
// XADD (SDM Vol. 2C "XADD"): TEMP ← SRC + DEST; SRC ← DEST; DEST ← TEMP, flags as ADD.
// With the same register as both operands the final value is the sum (DEST is written last).

/** XADD Eb, Gb (0F C0). */
export const XADD_EbGb: ExecForms = {
  r8: (cpu, i) => {
    const d = getReg8(cpu, i.rm);
    const s = getReg8(cpu, i.reg);
    const r = (d + s) & MASK8;
    lazyAdd(cpu, d, s, r, MASK8);
    setReg8(cpu, i.reg, d);
    setReg8(cpu, i.rm, r);
  },
  m8: (cpu, i) => {
    const d = readRmw8(cpu, i.seg, ea(cpu, i));
    const s = getReg8(cpu, i.reg);
    const r = (d + s) & MASK8;
    writeRmw8(cpu, r);
    lazyAdd(cpu, d, s, r, MASK8);
    setReg8(cpu, i.reg, d);
  },
};

/** XADD Ev, Gv (0F C1). */
export const XADD_EvGv: ExecForms = {
  r16: (cpu, i) => {
    const r16 = cpu.regs16;
    const d = r16[i.rm << 1];
    const s = r16[i.reg << 1];
    const r = (d + s) & MASK16;
    lazyAdd(cpu, d, s, r, MASK16);
    r16[i.reg << 1] = d;
    r16[i.rm << 1] = r;
  },
  m16: (cpu, i) => {
    const d = readRmw16(cpu, i.seg, ea(cpu, i));
    const s = cpu.regs16[i.reg << 1];
    const r = (d + s) & MASK16;
    writeRmw16(cpu, r);
    lazyAdd(cpu, d, s, r, MASK16);
    cpu.regs16[i.reg << 1] = d;
  },
  r32: (cpu, i) => {
    const regs = cpu.regs;
    const d = regs[i.rm];
    const s = regs[i.reg];
    const r = (d + s) | 0;
    lazyAdd(cpu, d, s, r, MASK32);
    regs[i.reg] = d;
    regs[i.rm] = r;
  },
  m32: (cpu, i) => {
    const d = readRmw32(cpu, i.seg, ea(cpu, i));
    const s = cpu.regs[i.reg];
    const r = (d + s) | 0;
    writeRmw32(cpu, r);
    lazyAdd(cpu, d, s, r, MASK32);
    cpu.regs[i.reg] = d;
  },
};

// ---------------------------------------------------------------------------------------------
// CMPXCHG (SDM Vol. 2A "CMPXCHG"): compare the accumulator with DEST (flags as CMP acc, DEST);
// equal → DEST ← SRC; else accumulator ← DEST. "The destination operand is written back if
// the comparison fails", so a memory destination is always written (read-for-write first).

/** CMPXCHG Eb, Gb (0F B0). */
export const CMPXCHG_EbGb: ExecForms = {
  r8: (cpu, i) => {
    const acc = cpu.regs8[0];
    const d = getReg8(cpu, i.rm);
    lazySub(cpu, acc, d, (acc - d) & MASK8, MASK8);
    if (acc === d) setReg8(cpu, i.rm, getReg8(cpu, i.reg));
    else cpu.regs8[0] = d;
  },
  m8: (cpu, i) => {
    const acc = cpu.regs8[0];
    const d = readRmw8(cpu, i.seg, ea(cpu, i));
    lazySub(cpu, acc, d, (acc - d) & MASK8, MASK8);
    if (acc === d) writeRmw8(cpu, getReg8(cpu, i.reg));
    else {
      writeRmw8(cpu, d);
      cpu.regs8[0] = d;
    }
  },
};

/** CMPXCHG Ev, Gv (0F B1). */
export const CMPXCHG_EvGv: ExecForms = {
  r16: (cpu, i) => {
    const r16 = cpu.regs16;
    const acc = r16[0];
    const d = r16[i.rm << 1];
    lazySub(cpu, acc, d, (acc - d) & MASK16, MASK16);
    if (acc === d) r16[i.rm << 1] = r16[i.reg << 1];
    else r16[0] = d;
  },
  m16: (cpu, i) => {
    const acc = cpu.regs16[0];
    const d = readRmw16(cpu, i.seg, ea(cpu, i));
    lazySub(cpu, acc, d, (acc - d) & MASK16, MASK16);
    if (acc === d) writeRmw16(cpu, cpu.regs16[i.reg << 1]);
    else {
      writeRmw16(cpu, d);
      cpu.regs16[0] = d;
    }
  },
  r32: (cpu, i) => {
    const regs = cpu.regs;
    const acc = regs[EAX];
    const d = regs[i.rm];
    lazySub(cpu, acc, d, (acc - d) | 0, MASK32);
    if (acc === d) regs[i.rm] = regs[i.reg];
    else regs[EAX] = d;
  },
  m32: (cpu, i) => {
    const acc = cpu.regs[EAX];
    const d = readRmw32(cpu, i.seg, ea(cpu, i));
    lazySub(cpu, acc, d, (acc - d) | 0, MASK32);
    if (acc === d) writeRmw32(cpu, cpu.regs[i.reg]);
    else {
      writeRmw32(cpu, d);
      cpu.regs[EAX] = d;
    }
  },
};

/**
 * CMPXCHG8B m64 (0F C7 /1): compare EDX:EAX with m64; equal → ZF = 1, m64 ← ECX:EBX;
 * else ZF = 0, EDX:EAX ← m64 and m64 is written back unchanged. Only ZF changes. The
 * two dwords of the quadword are checked for writing before anything is read or written (no partial
 * state). The register form is #UD (memory-only operand). SDM Vol. 2A "CMPXCHG8B/CMPXCHG16B".
 */
export const CMPXCHG8B: Exec = (cpu, i) => {
  const off = ea(cpu, i);
  const hiOff = i.a32 ? (off + 4) >>> 0 : (off + 4) & 0xffff;
  probeWriteV(cpu, i.seg, off, 4);
  probeWriteV(cpu, i.seg, hiOff, 4);
  const lo = readV32(cpu, i.seg, off);
  const hi = readV32(cpu, i.seg, hiOff);
  const regs = cpu.regs;
  if (lo === regs[EAX] && hi === regs[EDX]) {
    writeV32(cpu, i.seg, off, regs[EBX]);
    writeV32(cpu, i.seg, hiOff, regs[ECX]);
    setEflagsBits(cpu, EFLAGS_ZF, EFLAGS_ZF);
  } else {
    writeV32(cpu, i.seg, off, lo);
    writeV32(cpu, i.seg, hiOff, hi);
    regs[EAX] = lo;
    regs[EDX] = hi;
    setEflagsBits(cpu, 0, EFLAGS_ZF);
  }
};
