/**
 * Bit instructions: BT, BTS, BTR, BTC (register offset 0F A3/AB/B3/BB and immediate offset
 * 0F BA /4–/7), BSF, BSR (0F BC/BD) and BSWAP (0F C8+r).
 *
 * Bit-string addressing (SDM Vol. 2A "BT", Table 3-2 and §3.1.1.9): with a register bit
 * offset and a memory operand, the offset is a signed 16- or 32-bit value that selects a bit
 * anywhere in the segment: the operand is read at ea + 2·(offset >> 4) (16-bit) or
 * ea + 4·(offset >> 5) (32-bit), wrapped to the address size, and the bit is offset mod 16/32.
 * With a register operand, or an immediate offset, the offset is taken modulo the operand size.
 *
 * Flags: BT* set CF to the selected bit and leave ZF unchanged (OF, SF, AF, PF are undefined
 * in the SDM; left unchanged, as on Bochs). BSF/BSR with a nonzero source set ZF = 0 and, as on
 * Bochs, CF = OF = AF = 0 with SF/PF from the index; with a zero source they set ZF = 1 and
 * change neither the destination nor any other flag (Bochs; the SDM leaves the destination
 * and CF/OF/SF/AF/PF undefined).
 *
 * BSWAP with a 16-bit operand size is undefined in the SDM; as Bochs (and real processors)
 * do, it clears the low 16 bits of the register and leaves the upper 16 unchanged.
 *
 * @see Intel SDM Vol. 2A "BSF—Bit Scan Forward", "BSR—Bit Scan Reverse", "BSWAP—Byte Swap",
 *      "BT—Bit Test", "BTC—Bit Test and Complement", "BTR—Bit Test and Reset",
 *      "BTS—Bit Test and Set".
 */
import { EFLAGS_ZF } from '../../arch/eflags';
import type { Cpu } from '../cpu';
import type { Exec, ExecForms } from '../decoder/types';
import type { Insn } from '../decoder/insn';
import { getEflags, setCF, setStatusFlags, szpFlags, MASK16, MASK32 } from '../flags';
import { ea, readRmw16, readRmw32, readV16, readV32, writeRmw16, writeRmw32 } from '../memory-access';

/** What a BT-family instruction does to the selected bit after copying it to CF. */
const enum BitOp {
  TEST = 0,
  SET = 1,
  RESET = 2,
  COMPLEMENT = 3,
}

/** Apply `op` to bit `n` of `v`, set CF to the old bit, and return the new value. */
function bitOp(cpu: Cpu, op: BitOp, v: number, n: number): number {
  const m = 1 << n;
  setCF(cpu, (v & m) !== 0);
  switch (op) {
    case BitOp.SET:
      return v | m;
    case BitOp.RESET:
      return v & ~m;
    case BitOp.COMPLEMENT:
      return v ^ m;
    default:
      return v;
  }
}

/** Offset of the addressed operand for bit-string addressing with a register bit offset (see the header). */
function bitStringAddr(cpu: Cpu, i: Insn, byteDisp: number): number {
  const a = ea(cpu, i) + byteDisp;
  return i.a32 ? a >>> 0 : a & 0xffff;
}

/** BT/BTS/BTR/BTC Ev, Gv: the register bit offset forms. */
function evGv(op: BitOp): ExecForms {
  const write = op !== BitOp.TEST;
  return {
    r16: (cpu, i) => {
      const v = bitOp(cpu, op, cpu.regs16[i.rm << 1], cpu.regs16[i.reg << 1] & 15);
      if (write) cpu.regs16[i.rm << 1] = v;
    },
    r32: (cpu, i) => {
      const v = bitOp(cpu, op, cpu.regs[i.rm], cpu.regs[i.reg] & 31);
      if (write) cpu.regs[i.rm] = v;
    },
    m16: write
      ? (cpu, i) => {
          const off = (cpu.regs16[i.reg << 1] << 16) >> 16;
          const v = readRmw16(cpu, i.seg, bitStringAddr(cpu, i, (off >> 4) * 2));
          writeRmw16(cpu, bitOp(cpu, op, v, off & 15));
        }
      : (cpu, i) => {
          const off = (cpu.regs16[i.reg << 1] << 16) >> 16;
          bitOp(cpu, op, readV16(cpu, i.seg, bitStringAddr(cpu, i, (off >> 4) * 2)), off & 15);
        },
    m32: write
      ? (cpu, i) => {
          const off = cpu.regs[i.reg];
          const v = readRmw32(cpu, i.seg, bitStringAddr(cpu, i, (off >> 5) * 4));
          writeRmw32(cpu, bitOp(cpu, op, v, off & 31));
        }
      : (cpu, i) => {
          const off = cpu.regs[i.reg];
          bitOp(cpu, op, readV32(cpu, i.seg, bitStringAddr(cpu, i, (off >> 5) * 4)), off & 31);
        },
  };
}

/** BT/BTS/BTR/BTC Ev, Ib (0F BA /4–/7): the offset is the immediate modulo the operand size. */
function evIb(op: BitOp): ExecForms {
  const write = op !== BitOp.TEST;
  return {
    r16: (cpu, i) => {
      const v = bitOp(cpu, op, cpu.regs16[i.rm << 1], i.imm & 15);
      if (write) cpu.regs16[i.rm << 1] = v;
    },
    r32: (cpu, i) => {
      const v = bitOp(cpu, op, cpu.regs[i.rm], i.imm & 31);
      if (write) cpu.regs[i.rm] = v;
    },
    m16: write
      ? (cpu, i) => writeRmw16(cpu, bitOp(cpu, op, readRmw16(cpu, i.seg, ea(cpu, i)), i.imm & 15))
      : (cpu, i) => void bitOp(cpu, op, readV16(cpu, i.seg, ea(cpu, i)), i.imm & 15),
    m32: write
      ? (cpu, i) => writeRmw32(cpu, bitOp(cpu, op, readRmw32(cpu, i.seg, ea(cpu, i)), i.imm & 31))
      : (cpu, i) => void bitOp(cpu, op, readV32(cpu, i.seg, ea(cpu, i)), i.imm & 31),
  };
}

/** BT Ev, Gv (0F A3). */
export const BT_EvGv = evGv(BitOp.TEST);
/** BTS Ev, Gv (0F AB). */
export const BTS_EvGv = evGv(BitOp.SET);
/** BTR Ev, Gv (0F B3). */
export const BTR_EvGv = evGv(BitOp.RESET);
/** BTC Ev, Gv (0F BB). */
export const BTC_EvGv = evGv(BitOp.COMPLEMENT);
/** BT Ev, Ib (0F BA /4). */
export const BT_EvIb = evIb(BitOp.TEST);
/** BTS Ev, Ib (0F BA /5). */
export const BTS_EvIb = evIb(BitOp.SET);
/** BTR Ev, Ib (0F BA /6). */
export const BTR_EvIb = evIb(BitOp.RESET);
/** BTC Ev, Ib (0F BA /7). */
export const BTC_EvIb = evIb(BitOp.COMPLEMENT);

/**
 * Common part of BSF/BSR: for a zero source set ZF only and return -1 (destination kept);
 * otherwise set the flags from the bit index (ZF = 0) and return it.
 */
function scanFlags(cpu: Cpu, index: number, mask: number): number {
  if (index < 0) {
    cpu.flags = getEflags(cpu) | EFLAGS_ZF;
    return -1;
  }
  setStatusFlags(cpu, szpFlags(index, mask) & ~EFLAGS_ZF);
  return index;
}

/** Index of the lowest set bit of v (int32), or -1 when v = 0. */
function lowestBit(v: number): number {
  return v === 0 ? -1 : 31 - Math.clz32(v & -v);
}
/** Index of the highest set bit of v (int32), or -1 when v = 0. */
function highestBit(v: number): number {
  return v === 0 ? -1 : 31 - Math.clz32(v);
}

/** BSF/BSR Gv, Ev forms using the given scan. */
function scanForms(scan: (v: number) => number): ExecForms {
  const put16 = (cpu: Cpu, i: Insn, v: number) => {
    const n = scanFlags(cpu, scan(v), MASK16);
    if (n >= 0) cpu.regs16[i.reg << 1] = n;
  };
  const put32 = (cpu: Cpu, i: Insn, v: number) => {
    const n = scanFlags(cpu, scan(v), MASK32);
    if (n >= 0) cpu.regs[i.reg] = n;
  };
  return {
    r16: (cpu, i) => put16(cpu, i, cpu.regs16[i.rm << 1]),
    m16: (cpu, i) => put16(cpu, i, readV16(cpu, i.seg, ea(cpu, i))),
    r32: (cpu, i) => put32(cpu, i, cpu.regs[i.rm]),
    m32: (cpu, i) => put32(cpu, i, readV32(cpu, i.seg, ea(cpu, i))),
  };
}

/** BSF Gv, Ev (0F BC). */
export const BSF: ExecForms = scanForms(lowestBit);
/** BSR Gv, Ev (0F BD). */
export const BSR: ExecForms = scanForms(highestBit);

/** BSWAP r32 (0F C8+r); with a 16-bit operand size the low word becomes 0 (see the header). */
export const BSWAP: Exec = (cpu, i) => {
  const n = i.opcode & 7;
  if (!i.o32) {
    cpu.regs16[n << 1] = 0;
    return;
  }
  const v = cpu.regs[n];
  cpu.regs[n] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
};
