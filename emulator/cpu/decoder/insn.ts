/**
 * A decoded instruction, as kept in the executor's decoded-instruction cache.
 *
 * All fields are plain numbers with fixed initial values so V8 keeps one hidden class.
 * Memory operands are pre-digested for branch-free effective-address computation:
 * `base` and `index` name GPRs, or REG_ZERO (8) when absent; for 16-bit addressing `scale`
 * is 0 and the sum is masked to 16 bits (see memory-access.ts `ea`).
 *
 * @see Intel SDM Vol. 2A §2.1 "Instruction Format for Protected Mode, Real-Address Mode, and Virtual-8086 Mode".
 */
import { REG_ZERO } from '../cpu';
import { SegReg } from '../../arch/segments';
import type { Exec, OpcodeEntry } from './types';
import type { CompiledBlock } from '../block-compiler';

/** Prefix bits recorded in `Insn.prefixes`. */
export const PFX_OPSIZE = 1 << 0;
export const PFX_ADSIZE = 1 << 1;
export const PFX_LOCK = 1 << 2;
export const PFX_REP = 1 << 3; // F3
export const PFX_REPNE = 1 << 4; // F2
export const PFX_SEG = 1 << 5; // a segment-override prefix is present

export class Insn {
  /** The handler chosen at decode time. */
  exec: Exec;
  /** The table row, or null for an invalid encoding. */
  entry: OpcodeEntry | null = null;
  /** Length in bytes (1..15). */
  len = 0;
  /** Opcode: 0x00..0xFF, or 0x0F00 | second byte for the two-byte map. */
  opcode = 0;
  prefixes = 0;
  /** 32-bit operand size. */
  o32 = true;
  /** 32-bit address size. */
  a32 = true;
  /** ModRM fields (0 when the instruction has no ModRM). */
  mod = 0;
  reg = 0;
  rm = 0;
  /** Effective-address parts: GPR numbers or REG_ZERO, scale as a shift count, displacement (int32). */
  base = REG_ZERO;
  index = REG_ZERO;
  scale = 0;
  disp = 0;
  /** Segment register of the memory operand (default or override), SegReg. */
  seg = SegReg.DS;
  /** First and second immediate (sign-extended where the operand code says so). */
  imm = 0;
  imm2 = 0;
  /** Why the encoding is invalid, when `entry` is null or the form is missing. */
  invalid = '';
  /** The instruction that follows (fall-through), linked lazily by the executor; valid while nextGen is current. */
  next: Insn | null = null;
  nextGen = 0;
  /** The last branch target taken from here, at EIP `targetEip`; valid while targetGen is current. */
  target: Insn | null = null;
  targetEip = -1;
  targetGen = 0;
  /** The compiled block starting here (block-compiler.ts), once this instruction has become a hot block head. */
  block: CompiledBlock | null = null;
  /** Times execution arrived here as a block head (after a branch or a lookup). */
  hits = 0;

  constructor(exec: Exec) {
    this.exec = exec;
  }

  /**
   * Mnemonic for this address and operand size, e.g. 'CWDE' for 98 with a 32-bit operand
   * size, 'JCXZ' for E3 with a 16-bit address size.
   */
  get mnemonic(): string {
    const e = this.entry;
    if (!e) return '(bad)';
    return (this.a32 ? e.mnAddr32 : e.mnAddr16) ?? (this.o32 ? e.mn32 : e.mn16) ?? e.mn;
  }
}
