/**
 * Types shared by the opcode table, the decoder and the instruction handlers.
 *
 * Operand codes follow the Intel SDM Vol. 2D Appendix A.2 notation: an addressing-method
 * letter and an operand-type letter, e.g. `Ev` (ModRM r/m, word or dword by operand size),
 * `Gb` (ModRM reg, byte), `Ib` (byte immediate), `Jz` (relative offset, word or dword),
 * `Sw` (ModRM reg selects a segment register), `Cd`/`Dd` (control / debug register),
 * `Ap` (far pointer immediate), `Mp` (memory far pointer), `Ms` (memory pseudo-descriptor),
 * `Ob`/`Ov` (moffs), `Xb`/`Xv` (DS:eSI), `Yb`/`Yv` (ES:eDI). Fixed registers are written by
 * name (`AL`, `eAX`, `DX`, `CL`, `ES` …), `1` is the constant count of D0/D1.
 * Two codes of our own, since Appendix A explains them only in footnotes:
 *   `Zb`/`Zv`: a register selected by the low three bits of the opcode (B0+r, 50+r, …);
 *   `Ibs`: a byte immediate sign-extended to the operand size (83 /r, 6B, 6A).
 */
import type { Cpu } from '../cpu';
import type { Insn } from './insn';
import type { ExitReason } from '../../arch/vmx-exit-reasons';

/** An instruction handler. `cpu.eip` already points past the instruction when it runs. */
export type Exec = (cpu: Cpu, i: Insn) => void;

/**
 * Handlers specialised by operand form: `r`/`m` = ModRM register or memory operand,
 * followed by the operand size. The decoder picks one at decode time; a missing form is
 * an invalid encoding (#UD), e.g. LEA has no `r` forms.
 */
export interface ExecForms {
  r8?: Exec;
  m8?: Exec;
  r16?: Exec;
  m16?: Exec;
  r32?: Exec;
  m32?: Exec;
}
export type ExecSpec = Exec | ExecForms;

/** Instruction attributes (bit set). */
export const Attr = {
  /** Faults with #GP(0) unless CPL = 0 (privileged). */
  CPL0: 1 << 0,
  /** Faults with #GP(0) when CPL > IOPL (or consults the TSS I/O bitmap, for I/O). */
  IOPL: 1 << 1,
  /**
   * Sensitive but not privileged: reads or changes privileged state, or behaves differently
   * by privilege, without faulting at CPL > 0 (Robin & Irvine 2000). The virtualization holes.
   */
  SENSITIVE: 1 << 2,
  /** The LOCK prefix is allowed (with a memory destination). */
  LOCKABLE: 1 << 3,
  /** #UD in real mode (and virtual-8086 mode): LAR, LSL, VERR, VERW, ARPL, SLDT, STR, LLDT, LTR. */
  PM_ONLY: 1 << 4,
  /** Changes EIP (jumps, calls, returns, interrupts). */
  BRANCH: 1 << 5,
  /** Changes CS or the CPU mode: the executor must re-examine its state afterwards. */
  FAR: 1 << 6,
  /** Honours REP/REPE/REPNE (string instructions). */
  REP: 1 << 7,
  /** An x87 escape: #NM with CR0.EM or CR0.TS (this model has no FPU). */
  X87: 1 << 8,
} as const;

/** What an instruction does to the six status flags (bit masks of EFLAGS_CF … EFLAGS_OF). */
export interface FlagEffect {
  /** Flags read. */
  r: number;
  /** Flags written (with defined or undefined values). */
  w: number;
  /** Of the written flags, those left undefined (SDM Vol. 1 Appendix A). */
  u?: number;
}

/**
 * Basic VM-exit reasons by their SDM names (Vol. 3C Appendix C), for instructions that
 * cause a VM exit under hardware assist or are emulated under trap-and-emulate. Derived
 * from the one ExitReason definition, so the table cannot name a reason that does not exist.
 */
export type ExitReasonName = keyof typeof ExitReason;

/** One row of the opcode table. */
export interface OpcodeEntry {
  /** SDM mnemonic (upper case). */
  mn: string;
  /** Mnemonic when the operand size is 16 / 32, where it differs (CBW/CWDE, PUSHA/PUSHAD, IRET/IRETD …). */
  mn16?: string;
  mn32?: string;
  /**
   * Mnemonic when the ADDRESS size is 16 / 32, where it differs (JCXZ/JECXZ: the count
   * register is CX or ECX by address size, SDM Vol. 2A "Jcc"). Takes precedence over mn16/mn32.
   */
  mnAddr16?: string;
  mnAddr32?: string;
  /** Operands in Appendix A notation (see the file header), destination first. */
  ops: readonly string[];
  /** Handler(s). Absent only on group rows (`group` set). */
  exec?: ExecSpec;
  /** Status-flag effect. */
  flags?: FlagEffect;
  /** Attr bits. */
  attrs?: number;
  /** VM-exit reason this instruction causes when intercepted. */
  exit?: ExitReasonName;
  /** The Intel SDM Vol. 2 page (instruction name) describing it. */
  sdm?: string;
  /**
   * A ModRM.reg group: eight rows selected by ModRM bits 5:3 (null = invalid).
   * Group rows have no exec; the selected row provides it.
   */
  group?: readonly (OpcodeEntry | null)[];
  /**
   * Extra encoding rule checked at decode time; returns why the encoding is invalid (#UD),
   * or '' when it is valid (e.g. MOV to CS, a nonexistent control register).
   */
  validate?: (i: Insn) => string;
  /**
   * Rows selected by ModRM.mod == 3 (register form) when it decodes to a different
   * instruction than the memory form (e.g. 0F 01 /7 mod=3). Keyed by ModRM r/m (0..7).
   */
  regForm?: readonly (OpcodeEntry | null)[];
}
