/**
 * The opcode table: the single source of truth for every instruction this CPU knows.
 *
 * Each row gives the SDM mnemonic, the operands in Appendix A notation (see types.ts), the
 * handler(s), the status-flag effect, the attributes (privilege, sensitivity, LOCK, …) and
 * the VM-exit reason where the instruction is intercepted. The decoder, the disassembly
 * checks, the language server's hover and the VMM's trap annotations all read this table.
 *
 * Layout follows the SDM opcode maps: `ONE_BYTE` is Table A-2, `TWO_BYTE` is Table A-3
 * (0F xx), ModRM.reg groups are Table A-6. Rows are keyed by opcode.
 *
 * CPU model: a Pentium Pro/II-class IA-32 processor without x87, MMX or SSE
 * (CPUID family 6): all general-purpose integer instructions, CMOVcc, SYSENTER/SYSEXIT,
 * CPUID, RDTSC, RDMSR/WRMSR, CMPXCHG8B, and the system instructions.
 *
 * @see Intel SDM Vol. 2D Appendix A "Opcode Map"; Vol. 2A–2C instruction pages.
 */
import {
  EFLAGS_AF as A,
  EFLAGS_CF as C,
  EFLAGS_DF as Df,
  EFLAGS_OF as O,
  EFLAGS_PF as P,
  EFLAGS_SF as S,
  EFLAGS_ZF as Z,
} from '../../arch/eflags';
import { Attr, type OpcodeEntry } from './types';
import * as alu from '../instructions/alu';
import * as muldiv from '../instructions/muldiv';
import * as bcd from '../instructions/bcd';
import * as shift from '../instructions/shift';
import * as bit from '../instructions/bit';
import * as xfer from '../instructions/data-xfer';
import * as stack from '../instructions/stack';
import * as ctrl from '../instructions/ctrl-xfer';
import * as far from '../instructions/far-xfer';
import * as seg from '../instructions/segment';
import * as str from '../instructions/string';
import * as flag from '../instructions/flag-ctrl';
import * as sys from '../instructions/system';
import * as io from '../instructions/io';
import { Alu } from '../instructions/alu';
import { Shift } from '../instructions/shift';

const ALL = O | S | Z | A | P | C;
const ARITH = { r: 0, w: ALL };
const LOGIC = { r: 0, w: ALL, u: A };
const CARRY_IN = { r: C, w: ALL };
const { CPL0, IOPL, SENSITIVE, LOCKABLE, PM_ONLY, BRANCH, FAR, REP, X87 } = Attr;

const CC = ['O', 'NO', 'B', 'AE', 'E', 'NE', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G'] as const;
/** Flags read by condition code cc (SDM Vol. 1 Appendix B). */
const CC_FLAGS = [O, O, C, C, Z, Z, C | Z, C | Z, S, S, P, P, S | O, S | O, S | O | Z, S | O | Z];

const ALU_NAMES = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'] as const;
function aluFlags(op: Alu) {
  if (op === Alu.ADC || op === Alu.SBB) return CARRY_IN;
  if (op === Alu.OR || op === Alu.AND || op === Alu.XOR) return LOGIC;
  return ARITH;
}
/** The six rows 00+8k .. 05+8k of an ALU operation (SDM Table A-2, rows 0–3). */
function aluRows(op: Alu): Record<number, OpcodeEntry> {
  const base = op * 8;
  const mn = ALU_NAMES[op];
  const flags = aluFlags(op);
  const lock = op === Alu.CMP ? 0 : LOCKABLE;
  const sdm = mn;
  return {
    [base + 0]: { mn, ops: ['Eb', 'Gb'], exec: alu.EbGb(op), flags, attrs: lock, sdm },
    [base + 1]: { mn, ops: ['Ev', 'Gv'], exec: alu.EvGv(op), flags, attrs: lock, sdm },
    [base + 2]: { mn, ops: ['Gb', 'Eb'], exec: alu.GbEb(op), flags, sdm },
    [base + 3]: { mn, ops: ['Gv', 'Ev'], exec: alu.GvEv(op), flags, sdm },
    [base + 4]: { mn, ops: ['AL', 'Ib'], exec: alu.ALIb(op), flags, sdm },
    [base + 5]: { mn, ops: ['eAX', 'Iz'], exec: alu.eAXIz(op), flags, sdm },
  };
}
/** Group 1 (80, 81, 82, 83): ModRM.reg selects the ALU operation. */
function group1(ops: readonly string[], make: (op: Alu) => OpcodeEntry['exec']): OpcodeEntry {
  return {
    mn: 'GRP1',
    ops,
    group: ALU_NAMES.map((mn, op) => ({
      mn,
      ops,
      exec: make(op),
      flags: aluFlags(op),
      attrs: op === Alu.CMP ? 0 : LOCKABLE,
      sdm: mn,
    })),
  };
}

const SHIFT_NAMES = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL', 'SAR'] as const;
function shiftFlags(op: Shift) {
  if (op <= Shift.ROR) return { r: 0, w: C | O, u: O };
  if (op <= Shift.RCR) return { r: C, w: C | O, u: O };
  return { r: 0, w: ALL, u: A | O | C };
}
/** Group 2 (C0, C1, D0–D3): ModRM.reg selects the shift or rotate; /6 is the undocumented SAL alias of SHL. */
function group2(ops: readonly string[], count: shift.CountSource): OpcodeEntry {
  return {
    mn: 'GRP2',
    ops,
    group: SHIFT_NAMES.map((mn, op) => ({ mn, ops, exec: shift.forms(op, count), flags: shiftFlags(op), sdm: op <= 3 ? 'RCL/RCR/ROL/ROR' : 'SAL/SAR/SHL/SHR' })),
  };
}

/** Group 3 (F6 byte, F7 word/dword): ModRM.reg selects TEST, NOT, NEG, MUL, IMUL, DIV, IDIV; /1 is the undocumented TEST alias. */
function group3(e: string, imm: string): OpcodeEntry {
  const mulFlags = { r: 0, w: ALL, u: S | Z | A | P };
  const divFlags = { r: 0, w: ALL, u: ALL };
  return {
    mn: 'GRP3',
    ops: [e],
    group: [
      { mn: 'TEST', ops: [e, imm], exec: e === 'Eb' ? alu.TEST_EbIb : alu.TEST_EvIz, flags: LOGIC, sdm: 'TEST' },
      { mn: 'TEST', ops: [e, imm], exec: e === 'Eb' ? alu.TEST_EbIb : alu.TEST_EvIz, flags: LOGIC, sdm: `TEST (undocumented ${e === 'Eb' ? 'F6' : 'F7'} /1 alias)` },
      { mn: 'NOT', ops: [e], exec: alu.NOT_E, attrs: LOCKABLE, sdm: 'NOT' },
      { mn: 'NEG', ops: [e], exec: alu.NEG_E, flags: ARITH, attrs: LOCKABLE, sdm: 'NEG' },
      { mn: 'MUL', ops: [e], exec: muldiv.MUL, flags: mulFlags, sdm: 'MUL' },
      { mn: 'IMUL', ops: [e], exec: muldiv.IMUL1, flags: mulFlags, sdm: 'IMUL' },
      { mn: 'DIV', ops: [e], exec: muldiv.DIV, flags: divFlags, sdm: 'DIV' },
      { mn: 'IDIV', ops: [e], exec: muldiv.IDIV, flags: divFlags, sdm: 'IDIV' },
    ],
  };
}

function jccRows(first: number, ops: readonly string[]): Record<number, OpcodeEntry> {
  const rows: Record<number, OpcodeEntry> = {};
  CC.forEach((cc, n) => {
    rows[first + n] = { mn: `J${cc}`, ops, exec: ctrl.jcc(n), flags: { r: CC_FLAGS[n], w: 0 }, attrs: BRANCH, sdm: 'Jcc' };
  });
  return rows;
}

function rangeRows(first: number, count: number, make: (n: number) => OpcodeEntry): Record<number, OpcodeEntry> {
  const rows: Record<number, OpcodeEntry> = {};
  for (let n = 0; n < count; n++) rows[first + n] = make(n);
  return rows;
}

/**
 * Reserved x87 escape encodings, which are #UD rather than escapes: the empty cells of the
 * x87 opcode maps (SDM Vol. 2D §A.4, Tables ). `op` is the escape opcode minus D8h.
 * Valid, besides the documented cells: the undocumented aliases processors execute
 * (D9 D8–DF FSTP1, DC D0–DF FCOM2/FCOMP3, DD C8–CF FXCH4, DE D0–D7 FCOMP5, DF C0–DF
 * FFREEP/FXCH7/FSTP8/FSTP9) and the 8087/287 leftovers a 387 or later runs as FNOP
 * (DB E0 FENI, DB E1 FDISI, DB E4 FSETPM) — the same set iced-x86 decodes.
 */
function x87Reserved(i: { opcode: number; mod: number; reg: number; rm: number }): string {
  const op = i.opcode - 0xd8;
  const { reg, rm } = i;
  let bad: boolean;
  if (i.mod !== 3) {
    // Memory forms: D9 /1, DB /4, DB /6 and DD /5 are empty.
    bad = (op === 1 && reg === 1) || (op === 3 && (reg === 4 || reg === 6)) || (op === 5 && reg === 5);
  } else {
    switch (op) {
      case 1: // D9: D1–D7, E2, E3, E6, E7, EF
        bad = (reg === 2 && rm !== 0) || (reg === 4 && (rm === 2 || rm === 3 || rm >= 6)) || (reg === 5 && rm === 7);
        break;
      case 2: // DA: E0–FF except E9 (FUCOMPP)
        bad = reg >= 4 && !(reg === 5 && rm === 1);
        break;
      case 3: // DB: E5–E7, F8–FF
        bad = (reg === 4 && rm >= 5) || reg === 7;
        break;
      case 5: // DD: F0–FF
        bad = reg >= 6;
        break;
      case 6: // DE: D8, DA–DF (D9 is FCOMPP)
        bad = reg === 3 && rm !== 1;
        break;
      case 7: // DF: E1–E7, F8–FF (E0 is FNSTSW AX)
        bad = (reg === 4 && rm !== 0) || reg === 7;
        break;
      default: // D8, DC: every cell is an instruction
        bad = false;
    }
  }
  return bad ? `reserved x87 encoding ${i.opcode.toString(16).toUpperCase()}h ModRM ${((i.mod << 6) | (reg << 3) | rm).toString(16).toUpperCase()}h` : '';
}

const X87_ROW: OpcodeEntry = { mn: 'ESC', ops: ['Ev'], exec: sys.ESC_x87, attrs: X87, validate: x87Reserved, sdm: 'x87 FPU instructions (no FPU on this model)' };

/** One-byte opcode map (SDM Vol. 2D Table A-2). Prefix bytes (26 2E 36 3E 64–67 F0 F2 F3) are handled by the decoder. */
export const ONE_BYTE: Readonly<Record<number, OpcodeEntry>> = {
  ...aluRows(Alu.ADD),
  0x06: { mn: 'PUSH', ops: ['ES'], exec: seg.PUSH_Sreg, attrs: SENSITIVE, sdm: 'PUSH' },
  0x07: { mn: 'POP', ops: ['ES'], exec: seg.POP_Sreg, attrs: SENSITIVE, sdm: 'POP' },
  ...aluRows(Alu.OR),
  0x0e: { mn: 'PUSH', ops: ['CS'], exec: seg.PUSH_Sreg, attrs: SENSITIVE, sdm: 'PUSH' },
  ...aluRows(Alu.ADC),
  0x16: { mn: 'PUSH', ops: ['SS'], exec: seg.PUSH_Sreg, attrs: SENSITIVE, sdm: 'PUSH' },
  0x17: { mn: 'POP', ops: ['SS'], exec: seg.POP_Sreg, attrs: SENSITIVE, sdm: 'POP' },
  ...aluRows(Alu.SBB),
  0x1e: { mn: 'PUSH', ops: ['DS'], exec: seg.PUSH_Sreg, attrs: SENSITIVE, sdm: 'PUSH' },
  0x1f: { mn: 'POP', ops: ['DS'], exec: seg.POP_Sreg, attrs: SENSITIVE, sdm: 'POP' },
  ...aluRows(Alu.AND),
  0x27: { mn: 'DAA', ops: [], exec: bcd.DAA, flags: { r: A | C, w: ALL, u: O }, sdm: 'DAA' },
  ...aluRows(Alu.SUB),
  0x2f: { mn: 'DAS', ops: [], exec: bcd.DAS, flags: { r: A | C, w: ALL, u: O }, sdm: 'DAS' },
  ...aluRows(Alu.XOR),
  0x37: { mn: 'AAA', ops: [], exec: bcd.AAA, flags: { r: A, w: ALL, u: O | S | Z | P }, sdm: 'AAA' },
  ...aluRows(Alu.CMP),
  0x3f: { mn: 'AAS', ops: [], exec: bcd.AAS, flags: { r: A, w: ALL, u: O | S | Z | P }, sdm: 'AAS' },
  ...rangeRows(0x40, 8, () => ({ mn: 'INC', ops: ['Zv'], exec: alu.INC_Zv, flags: { r: 0, w: O | S | Z | A | P }, sdm: 'INC' })),
  ...rangeRows(0x48, 8, () => ({ mn: 'DEC', ops: ['Zv'], exec: alu.DEC_Zv, flags: { r: 0, w: O | S | Z | A | P }, sdm: 'DEC' })),
  ...rangeRows(0x50, 8, () => ({ mn: 'PUSH', ops: ['Zv'], exec: stack.PUSH_Zv, sdm: 'PUSH' })),
  ...rangeRows(0x58, 8, () => ({ mn: 'POP', ops: ['Zv'], exec: stack.POP_Zv, sdm: 'POP' })),
  0x60: { mn: 'PUSHA', mn32: 'PUSHAD', ops: [], exec: stack.PUSHA, sdm: 'PUSHA/PUSHAD' },
  0x61: { mn: 'POPA', mn32: 'POPAD', ops: [], exec: stack.POPA, sdm: 'POPA/POPAD' },
  0x62: { mn: 'BOUND', ops: ['Gv', 'Ma'], exec: ctrl.BOUND, sdm: 'BOUND' },
  0x63: { mn: 'ARPL', ops: ['Ew', 'Gw'], exec: seg.ARPL, flags: { r: 0, w: Z }, attrs: PM_ONLY, sdm: 'ARPL' },
  0x68: { mn: 'PUSH', ops: ['Iz'], exec: stack.PUSH_I, sdm: 'PUSH' },
  0x69: { mn: 'IMUL', ops: ['Gv', 'Ev', 'Iz'], exec: muldiv.IMUL_GvEvI, flags: { r: 0, w: ALL, u: S | Z | A | P }, sdm: 'IMUL' },
  0x6a: { mn: 'PUSH', ops: ['Ibs'], exec: stack.PUSH_I, sdm: 'PUSH' },
  0x6b: { mn: 'IMUL', ops: ['Gv', 'Ev', 'Ibs'], exec: muldiv.IMUL_GvEvI, flags: { r: 0, w: ALL, u: S | Z | A | P }, sdm: 'IMUL' },
  0x6c: { mn: 'INSB', ops: ['Yb', 'DX'], exec: io.INS, attrs: IOPL | REP, flags: { r: Df, w: 0 }, exit: 'IO_INSTRUCTION', sdm: 'INS/INSB/INSW/INSD' },
  0x6d: { mn: 'INSD', mn16: 'INSW', ops: ['Yz', 'DX'], exec: io.INS, attrs: IOPL | REP, flags: { r: Df, w: 0 }, exit: 'IO_INSTRUCTION', sdm: 'INS/INSB/INSW/INSD' },
  0x6e: { mn: 'OUTSB', ops: ['DX', 'Xb'], exec: io.OUTS, attrs: IOPL | REP, flags: { r: Df, w: 0 }, exit: 'IO_INSTRUCTION', sdm: 'OUTS/OUTSB/OUTSW/OUTSD' },
  0x6f: { mn: 'OUTSD', mn16: 'OUTSW', ops: ['DX', 'Xz'], exec: io.OUTS, attrs: IOPL | REP, flags: { r: Df, w: 0 }, exit: 'IO_INSTRUCTION', sdm: 'OUTS/OUTSB/OUTSW/OUTSD' },
  ...jccRows(0x70, ['Jb']),
  0x80: group1(['Eb', 'Ib'], alu.EbIb),
  0x81: group1(['Ev', 'Iz'], alu.EvIz),
  0x82: group1(['Eb', 'Ib'], alu.EbIb),
  0x83: group1(['Ev', 'Ibs'], alu.EvIz),
  0x84: { mn: 'TEST', ops: ['Eb', 'Gb'], exec: alu.TEST_EbGb, flags: LOGIC, sdm: 'TEST' },
  0x85: { mn: 'TEST', ops: ['Ev', 'Gv'], exec: alu.TEST_EvGv, flags: LOGIC, sdm: 'TEST' },
  0x86: { mn: 'XCHG', ops: ['Eb', 'Gb'], exec: xfer.XCHG_EbGb, attrs: LOCKABLE, sdm: 'XCHG' },
  0x87: { mn: 'XCHG', ops: ['Ev', 'Gv'], exec: xfer.XCHG_EvGv, attrs: LOCKABLE, sdm: 'XCHG' },
  0x88: { mn: 'MOV', ops: ['Eb', 'Gb'], exec: xfer.MOV_EbGb, sdm: 'MOV' },
  0x89: { mn: 'MOV', ops: ['Ev', 'Gv'], exec: xfer.MOV_EvGv, sdm: 'MOV' },
  0x8a: { mn: 'MOV', ops: ['Gb', 'Eb'], exec: xfer.MOV_GbEb, sdm: 'MOV' },
  0x8b: { mn: 'MOV', ops: ['Gv', 'Ev'], exec: xfer.MOV_GvEv, sdm: 'MOV' },
  0x8c: { mn: 'MOV', ops: ['Ev', 'Sw'], exec: seg.MOV_EvSw, validate: (i) => (i.reg > 5 ? 'no segment register 6 or 7' : ''), attrs: SENSITIVE, sdm: 'MOV' },
  0x8d: { mn: 'LEA', ops: ['Gv', 'M'], exec: xfer.LEA, sdm: 'LEA' },
  0x8e: { mn: 'MOV', ops: ['Sw', 'Ew'], exec: seg.MOV_SwEw, validate: (i) => (i.reg === 1 ? 'MOV to CS' : i.reg > 5 ? 'no segment register 6 or 7' : ''), attrs: SENSITIVE, sdm: 'MOV' },
  0x8f: { mn: 'GRP1A', ops: ['Ev'], group: [{ mn: 'POP', ops: ['Ev'], exec: stack.POP_Ev, sdm: 'POP' }, null, null, null, null, null, null, null] },
  0x90: { mn: 'NOP', ops: [], exec: xfer.NOP, sdm: 'NOP' },
  ...rangeRows(0x91, 7, () => ({ mn: 'XCHG', ops: ['Zv', 'eAX'], exec: xfer.XCHG_ZvAX, sdm: 'XCHG' })),
  0x98: { mn: 'CWDE', mn16: 'CBW', ops: [], exec: xfer.CBW, sdm: 'CBW/CWDE/CDQE' },
  0x99: { mn: 'CDQ', mn16: 'CWD', ops: [], exec: xfer.CWD, sdm: 'CWD/CDQ/CQO' },
  0x9a: { mn: 'CALL', ops: ['Ap'], exec: far.CALLF_Ap, attrs: BRANCH | FAR | SENSITIVE, sdm: 'CALL' },
  0x9b: { mn: 'WAIT', ops: [], exec: sys.WAIT, sdm: 'WAIT/FWAIT' },
  0x9c: { mn: 'PUSHFD', mn16: 'PUSHF', ops: [], exec: flag.PUSHF, flags: { r: ALL, w: 0 }, attrs: SENSITIVE, sdm: 'PUSHF/PUSHFD' },
  0x9d: { mn: 'POPFD', mn16: 'POPF', ops: [], exec: flag.POPF, flags: { r: 0, w: ALL }, attrs: SENSITIVE | FAR, sdm: 'POPF/POPFD' },
  0x9e: { mn: 'SAHF', ops: [], exec: flag.SAHF, flags: { r: 0, w: S | Z | A | P | C }, sdm: 'SAHF' },
  0x9f: { mn: 'LAHF', ops: [], exec: flag.LAHF, flags: { r: S | Z | A | P | C, w: 0 }, sdm: 'LAHF' },
  0xa0: { mn: 'MOV', ops: ['AL', 'Ob'], exec: xfer.MOV_ALOb, sdm: 'MOV' },
  0xa1: { mn: 'MOV', ops: ['eAX', 'Ov'], exec: xfer.MOV_eAXOv, sdm: 'MOV' },
  0xa2: { mn: 'MOV', ops: ['Ob', 'AL'], exec: xfer.MOV_ObAL, sdm: 'MOV' },
  0xa3: { mn: 'MOV', ops: ['Ov', 'eAX'], exec: xfer.MOV_OveAX, sdm: 'MOV' },
  0xa4: { mn: 'MOVSB', ops: ['Yb', 'Xb'], exec: str.MOVS, attrs: REP, flags: { r: Df, w: 0 }, sdm: 'MOVS/MOVSB/MOVSW/MOVSD' },
  0xa5: { mn: 'MOVSD', mn16: 'MOVSW', ops: ['Yv', 'Xv'], exec: str.MOVS, attrs: REP, flags: { r: Df, w: 0 }, sdm: 'MOVS/MOVSB/MOVSW/MOVSD' },
  0xa6: { mn: 'CMPSB', ops: ['Xb', 'Yb'], exec: str.CMPS, attrs: REP, flags: { r: Df, w: ALL }, sdm: 'CMPS/CMPSB/CMPSW/CMPSD' },
  0xa7: { mn: 'CMPSD', mn16: 'CMPSW', ops: ['Xv', 'Yv'], exec: str.CMPS, attrs: REP, flags: { r: Df, w: ALL }, sdm: 'CMPS/CMPSB/CMPSW/CMPSD' },
  0xa8: { mn: 'TEST', ops: ['AL', 'Ib'], exec: alu.TEST_ALIb, flags: LOGIC, sdm: 'TEST' },
  0xa9: { mn: 'TEST', ops: ['eAX', 'Iz'], exec: alu.TEST_eAXIz, flags: LOGIC, sdm: 'TEST' },
  0xaa: { mn: 'STOSB', ops: ['Yb', 'AL'], exec: str.STOS, attrs: REP, flags: { r: Df, w: 0 }, sdm: 'STOS/STOSB/STOSW/STOSD' },
  0xab: { mn: 'STOSD', mn16: 'STOSW', ops: ['Yv', 'eAX'], exec: str.STOS, attrs: REP, flags: { r: Df, w: 0 }, sdm: 'STOS/STOSB/STOSW/STOSD' },
  0xac: { mn: 'LODSB', ops: ['AL', 'Xb'], exec: str.LODS, attrs: REP, flags: { r: Df, w: 0 }, sdm: 'LODS/LODSB/LODSW/LODSD' },
  0xad: { mn: 'LODSD', mn16: 'LODSW', ops: ['eAX', 'Xv'], exec: str.LODS, attrs: REP, flags: { r: Df, w: 0 }, sdm: 'LODS/LODSB/LODSW/LODSD' },
  0xae: { mn: 'SCASB', ops: ['AL', 'Yb'], exec: str.SCAS, attrs: REP, flags: { r: Df, w: ALL }, sdm: 'SCAS/SCASB/SCASW/SCASD' },
  0xaf: { mn: 'SCASD', mn16: 'SCASW', ops: ['eAX', 'Yv'], exec: str.SCAS, attrs: REP, flags: { r: Df, w: ALL }, sdm: 'SCAS/SCASB/SCASW/SCASD' },
  ...rangeRows(0xb0, 8, () => ({ mn: 'MOV', ops: ['Zb', 'Ib'], exec: xfer.MOV_ZbIb, sdm: 'MOV' })),
  ...rangeRows(0xb8, 8, () => ({ mn: 'MOV', ops: ['Zv', 'Iv'], exec: xfer.MOV_ZvIv, sdm: 'MOV' })),
  0xc0: group2(['Eb', 'Ib'], 'imm'),
  0xc1: group2(['Ev', 'Ib'], 'imm'),
  0xc2: { mn: 'RET', ops: ['Iw'], exec: ctrl.RET_near, attrs: BRANCH, sdm: 'RET' },
  0xc3: { mn: 'RET', ops: [], exec: ctrl.RET_near, attrs: BRANCH, sdm: 'RET' },
  0xc4: { mn: 'LES', ops: ['Gz', 'Mp'], exec: seg.LxS, sdm: 'LDS/LES/LFS/LGS/LSS' },
  0xc5: { mn: 'LDS', ops: ['Gz', 'Mp'], exec: seg.LxS, sdm: 'LDS/LES/LFS/LGS/LSS' },
  0xc6: { mn: 'GRP11', ops: ['Eb', 'Ib'], group: [{ mn: 'MOV', ops: ['Eb', 'Ib'], exec: xfer.MOV_EbIb, sdm: 'MOV' }, null, null, null, null, null, null, null] },
  0xc7: { mn: 'GRP11', ops: ['Ev', 'Iz'], group: [{ mn: 'MOV', ops: ['Ev', 'Iz'], exec: xfer.MOV_EvIz, sdm: 'MOV' }, null, null, null, null, null, null, null] },
  0xc8: { mn: 'ENTER', ops: ['Iw', 'Ib'], exec: stack.ENTER, sdm: 'ENTER' },
  0xc9: { mn: 'LEAVE', ops: [], exec: stack.LEAVE, sdm: 'LEAVE' },
  0xca: { mn: 'RETF', ops: ['Iw'], exec: far.RETF, attrs: BRANCH | FAR | SENSITIVE, sdm: 'RET' },
  0xcb: { mn: 'RETF', ops: [], exec: far.RETF, attrs: BRANCH | FAR | SENSITIVE, sdm: 'RET' },
  0xcc: { mn: 'INT3', ops: [], exec: far.INT3, attrs: BRANCH | FAR, sdm: 'INT n/INTO/INT3/INT1' },
  0xcd: { mn: 'INT', ops: ['Ib'], exec: far.INT_Ib, attrs: BRANCH | FAR | SENSITIVE, sdm: 'INT n/INTO/INT3/INT1' },
  0xce: { mn: 'INTO', ops: [], exec: far.INTO, flags: { r: O, w: 0 }, attrs: BRANCH | FAR, sdm: 'INT n/INTO/INT3/INT1' },
  0xcf: { mn: 'IRETD', mn16: 'IRET', ops: [], exec: far.IRET, flags: { r: 0, w: ALL }, attrs: BRANCH | FAR, sdm: 'IRET/IRETD' },
  0xd0: group2(['Eb', '1'], 'one'),
  0xd1: group2(['Ev', '1'], 'one'),
  0xd2: group2(['Eb', 'CL'], 'cl'),
  0xd3: group2(['Ev', 'CL'], 'cl'),
  0xd4: { mn: 'AAM', ops: ['Ib'], exec: bcd.AAM, flags: { r: 0, w: ALL, u: O | A | C }, sdm: 'AAM' },
  0xd5: { mn: 'AAD', ops: ['Ib'], exec: bcd.AAD, flags: { r: 0, w: ALL, u: O | A | C }, sdm: 'AAD' },
  0xd6: { mn: 'SALC', ops: [], exec: flag.SALC, flags: { r: C, w: 0 }, sdm: 'undocumented: AL = CF ? FFh : 00h' },
  0xd7: { mn: 'XLATB', ops: [], exec: xfer.XLAT, sdm: 'XLAT/XLATB' },
  ...rangeRows(0xd8, 8, () => X87_ROW),
  0xe0: { mn: 'LOOPNE', ops: ['Jb'], exec: ctrl.LOOPNE, flags: { r: Z, w: 0 }, attrs: BRANCH, sdm: 'LOOP/LOOPcc' },
  0xe1: { mn: 'LOOPE', ops: ['Jb'], exec: ctrl.LOOPE, flags: { r: Z, w: 0 }, attrs: BRANCH, sdm: 'LOOP/LOOPcc' },
  0xe2: { mn: 'LOOP', ops: ['Jb'], exec: ctrl.LOOP, attrs: BRANCH, sdm: 'LOOP/LOOPcc' },
  0xe3: { mn: 'JECXZ', mnAddr16: 'JCXZ', ops: ['Jb'], exec: ctrl.JCXZ, attrs: BRANCH, sdm: 'Jcc' },
  0xe4: { mn: 'IN', ops: ['AL', 'Ib'], exec: io.IN_imm, attrs: IOPL, exit: 'IO_INSTRUCTION', sdm: 'IN' },
  0xe5: { mn: 'IN', ops: ['eAX', 'Ib'], exec: io.IN_imm, attrs: IOPL, exit: 'IO_INSTRUCTION', sdm: 'IN' },
  0xe6: { mn: 'OUT', ops: ['Ib', 'AL'], exec: io.OUT_imm, attrs: IOPL, exit: 'IO_INSTRUCTION', sdm: 'OUT' },
  0xe7: { mn: 'OUT', ops: ['Ib', 'eAX'], exec: io.OUT_imm, attrs: IOPL, exit: 'IO_INSTRUCTION', sdm: 'OUT' },
  0xe8: { mn: 'CALL', ops: ['Jz'], exec: ctrl.CALL_Jz, attrs: BRANCH, sdm: 'CALL' },
  0xe9: { mn: 'JMP', ops: ['Jz'], exec: ctrl.JMP_J, attrs: BRANCH, sdm: 'JMP' },
  0xea: { mn: 'JMP', ops: ['Ap'], exec: far.JMPF_Ap, attrs: BRANCH | FAR | SENSITIVE, sdm: 'JMP' },
  0xeb: { mn: 'JMP', ops: ['Jb'], exec: ctrl.JMP_J, attrs: BRANCH, sdm: 'JMP' },
  0xec: { mn: 'IN', ops: ['AL', 'DX'], exec: io.IN_DX, attrs: IOPL, exit: 'IO_INSTRUCTION', sdm: 'IN' },
  0xed: { mn: 'IN', ops: ['eAX', 'DX'], exec: io.IN_DX, attrs: IOPL, exit: 'IO_INSTRUCTION', sdm: 'IN' },
  0xee: { mn: 'OUT', ops: ['DX', 'AL'], exec: io.OUT_DX, attrs: IOPL, exit: 'IO_INSTRUCTION', sdm: 'OUT' },
  0xef: { mn: 'OUT', ops: ['DX', 'eAX'], exec: io.OUT_DX, attrs: IOPL, exit: 'IO_INSTRUCTION', sdm: 'OUT' },
  0xf1: { mn: 'INT1', ops: [], exec: far.INT1, attrs: BRANCH | FAR, sdm: 'INT n/INTO/INT3/INT1' },
  0xf4: { mn: 'HLT', ops: [], exec: sys.HLT, attrs: CPL0, exit: 'HLT', sdm: 'HLT' },
  0xf5: { mn: 'CMC', ops: [], exec: flag.CMC, flags: { r: C, w: C }, sdm: 'CMC' },
  0xf6: group3('Eb', 'Ib'),
  0xf7: group3('Ev', 'Iz'),
  0xf8: { mn: 'CLC', ops: [], exec: flag.CLC, flags: { r: 0, w: C }, sdm: 'CLC' },
  0xf9: { mn: 'STC', ops: [], exec: flag.STC, flags: { r: 0, w: C }, sdm: 'STC' },
  0xfa: { mn: 'CLI', ops: [], exec: flag.CLI, attrs: IOPL, sdm: 'CLI' },
  0xfb: { mn: 'STI', ops: [], exec: flag.STI, attrs: IOPL | FAR, sdm: 'STI' },
  0xfc: { mn: 'CLD', ops: [], exec: flag.CLD, sdm: 'CLD' },
  0xfd: { mn: 'STD', ops: [], exec: flag.STD, sdm: 'STD' },
  0xfe: {
    mn: 'GRP4',
    ops: ['Eb'],
    group: [
      { mn: 'INC', ops: ['Eb'], exec: alu.INC_E, flags: { r: 0, w: O | S | Z | A | P }, attrs: LOCKABLE, sdm: 'INC' },
      { mn: 'DEC', ops: ['Eb'], exec: alu.DEC_E, flags: { r: 0, w: O | S | Z | A | P }, attrs: LOCKABLE, sdm: 'DEC' },
      null, null, null, null, null, null,
    ],
  },
  0xff: {
    mn: 'GRP5',
    ops: ['Ev'],
    group: [
      { mn: 'INC', ops: ['Ev'], exec: alu.INC_E, flags: { r: 0, w: O | S | Z | A | P }, attrs: LOCKABLE, sdm: 'INC' },
      { mn: 'DEC', ops: ['Ev'], exec: alu.DEC_E, flags: { r: 0, w: O | S | Z | A | P }, attrs: LOCKABLE, sdm: 'DEC' },
      { mn: 'CALL', ops: ['Ev'], exec: ctrl.CALL_Ev, attrs: BRANCH, sdm: 'CALL' },
      { mn: 'CALL', ops: ['Mp'], exec: far.CALLF_Mp, attrs: BRANCH | FAR | SENSITIVE, sdm: 'CALL' },
      { mn: 'JMP', ops: ['Ev'], exec: ctrl.JMP_Ev, attrs: BRANCH, sdm: 'JMP' },
      { mn: 'JMP', ops: ['Mp'], exec: far.JMPF_Mp, attrs: BRANCH | FAR | SENSITIVE, sdm: 'JMP' },
      { mn: 'PUSH', ops: ['Ev'], exec: stack.PUSH_Ev, sdm: 'PUSH' },
      null,
    ],
  },
};

/** F3 90: PAUSE (a NOP on this model). Selected by the decoder when an F3 prefix precedes 90. */
export const PAUSE: OpcodeEntry = { mn: 'PAUSE', ops: [], exec: xfer.NOP, sdm: 'PAUSE' };

const GRP6: OpcodeEntry = {
  mn: 'GRP6',
  ops: ['Ew'],
  group: [
    { mn: 'SLDT', ops: ['Ev'], exec: seg.SLDT, attrs: PM_ONLY | SENSITIVE, exit: 'LDTR_TR_ACCESS', sdm: 'SLDT' },
    { mn: 'STR', ops: ['Ev'], exec: seg.STR, attrs: PM_ONLY | SENSITIVE, exit: 'LDTR_TR_ACCESS', sdm: 'STR' },
    { mn: 'LLDT', ops: ['Ew'], exec: seg.LLDT, attrs: PM_ONLY | CPL0, exit: 'LDTR_TR_ACCESS', sdm: 'LLDT' },
    { mn: 'LTR', ops: ['Ew'], exec: seg.LTR, attrs: PM_ONLY | CPL0, exit: 'LDTR_TR_ACCESS', sdm: 'LTR' },
    { mn: 'VERR', ops: ['Ew'], exec: seg.VERR, flags: { r: 0, w: Z }, attrs: PM_ONLY | SENSITIVE, sdm: 'VERR/VERW' },
    { mn: 'VERW', ops: ['Ew'], exec: seg.VERW, flags: { r: 0, w: Z }, attrs: PM_ONLY | SENSITIVE, sdm: 'VERR/VERW' },
    null,
    null,
  ],
};

const GRP7: OpcodeEntry = {
  mn: 'GRP7',
  ops: ['M'],
  group: [
    { mn: 'SGDT', ops: ['Ms'], exec: sys.SGDT, attrs: SENSITIVE, exit: 'GDTR_IDTR_ACCESS', sdm: 'SGDT' },
    { mn: 'SIDT', ops: ['Ms'], exec: sys.SIDT, attrs: SENSITIVE, exit: 'GDTR_IDTR_ACCESS', sdm: 'SIDT' },
    { mn: 'LGDT', ops: ['Ms'], exec: sys.LGDT, attrs: CPL0, exit: 'GDTR_IDTR_ACCESS', sdm: 'LGDT/LIDT' },
    { mn: 'LIDT', ops: ['Ms'], exec: sys.LIDT, attrs: CPL0, exit: 'GDTR_IDTR_ACCESS', sdm: 'LGDT/LIDT' },
    { mn: 'SMSW', ops: ['Ew'], exec: sys.SMSW, attrs: SENSITIVE, sdm: 'SMSW' },
    null,
    { mn: 'LMSW', ops: ['Ew'], exec: sys.LMSW, attrs: CPL0, exit: 'CR_ACCESS', sdm: 'LMSW' },
    { mn: 'INVLPG', ops: ['Mb'], exec: sys.INVLPG, attrs: CPL0, exit: 'INVLPG', sdm: 'INVLPG' },
  ],
};

const GRP8: OpcodeEntry = {
  mn: 'GRP8',
  ops: ['Ev', 'Ib'],
  group: [
    null,
    null,
    null,
    null,
    { mn: 'BT', ops: ['Ev', 'Ib'], exec: bit.BT_EvIb, flags: { r: 0, w: ALL, u: O | S | A | P }, sdm: 'BT' },
    { mn: 'BTS', ops: ['Ev', 'Ib'], exec: bit.BTS_EvIb, flags: { r: 0, w: ALL, u: O | S | A | P }, attrs: LOCKABLE, sdm: 'BTS' },
    { mn: 'BTR', ops: ['Ev', 'Ib'], exec: bit.BTR_EvIb, flags: { r: 0, w: ALL, u: O | S | A | P }, attrs: LOCKABLE, sdm: 'BTR' },
    { mn: 'BTC', ops: ['Ev', 'Ib'], exec: bit.BTC_EvIb, flags: { r: 0, w: ALL, u: O | S | A | P }, attrs: LOCKABLE, sdm: 'BTC' },
  ],
};

const GRP9: OpcodeEntry = {
  mn: 'GRP9',
  ops: ['Mq'],
  group: [null, { mn: 'CMPXCHG8B', ops: ['Mq'], exec: xfer.CMPXCHG8B, flags: { r: 0, w: Z }, attrs: LOCKABLE, sdm: 'CMPXCHG8B/CMPXCHG16B' }, null, null, null, null, null, null],
};

/** CR1, CR5, CR6 and CR7 do not exist: #UD (SDM Vol. 2B "MOV—Move to/from Control Registers"). */
const validCr = (i: { reg: number }): string => (i.reg === 1 || i.reg > 4 ? `no control register CR${i.reg}` : '');

const BT_FLAGS = { r: 0, w: ALL, u: O | S | A | P };

/**
 * The reserved-NOP hint space 0F 0D and 0F 18–0F 1E (0F 1F is the documented NOP Ev): a P6
 * executes these as NOP Ev, whatever ModRM.reg and the prefixes say, which is why later
 * processors put hints there (PREFETCHh, PREFETCHW, CLDEMOTE, ENDBR32 …) that older ones
 * ignore. SDM Vol. 2B "NOP" (the multi-byte NOP exists from family 6 on). The SDM documents
 * only 0F 1F /0; the rest is the hint-NOP behaviour of Intel P6-and-later processors as
 * iced-x86 (option ForceReservedNop) and Bochs ("0F 0D: NOP on older Intel CPUs") model it.
 */
const HINT_NOP: OpcodeEntry = { mn: 'NOP', ops: ['Ev'], exec: xfer.NOP, sdm: 'NOP (reserved-NOP hint space)' };

/** Two-byte opcode map, 0F xx (SDM Vol. 2D Table A-3). */
export const TWO_BYTE: Readonly<Record<number, OpcodeEntry>> = {
  0x00: GRP6,
  0x01: GRP7,
  0x02: { mn: 'LAR', ops: ['Gv', 'Ew'], exec: seg.LAR, flags: { r: 0, w: Z }, attrs: PM_ONLY | SENSITIVE, sdm: 'LAR' },
  0x03: { mn: 'LSL', ops: ['Gv', 'Ew'], exec: seg.LSL, flags: { r: 0, w: Z }, attrs: PM_ONLY | SENSITIVE, sdm: 'LSL' },
  0x06: { mn: 'CLTS', ops: [], exec: sys.CLTS, attrs: CPL0, exit: 'CR_ACCESS', sdm: 'CLTS' },
  0x08: { mn: 'INVD', ops: [], exec: sys.INVD, attrs: CPL0, exit: 'INVD', sdm: 'INVD' },
  0x09: { mn: 'WBINVD', ops: [], exec: sys.WBINVD, attrs: CPL0, exit: 'WBINVD', sdm: 'WBINVD' },
  0x0b: { mn: 'UD2', ops: [], exec: sys.UD, sdm: 'UD' },
  0x0d: HINT_NOP,
  ...rangeRows(0x18, 7, () => HINT_NOP),
  0x1f: { mn: 'NOP', ops: ['Ev'], exec: xfer.NOP, sdm: 'NOP' },
  0x20: { mn: 'MOV', ops: ['Rd', 'Cd'], exec: sys.MOV_RdCd, validate: validCr, attrs: CPL0, exit: 'CR_ACCESS', sdm: 'MOV (control registers)' },
  0x21: { mn: 'MOV', ops: ['Rd', 'Dd'], exec: sys.MOV_RdDd, attrs: CPL0, exit: 'DR_ACCESS', sdm: 'MOV (debug registers)' },
  0x22: { mn: 'MOV', ops: ['Cd', 'Rd'], exec: sys.MOV_CdRd, validate: validCr, attrs: CPL0, exit: 'CR_ACCESS', sdm: 'MOV (control registers)' },
  0x23: { mn: 'MOV', ops: ['Dd', 'Rd'], exec: sys.MOV_DdRd, attrs: CPL0, exit: 'DR_ACCESS', sdm: 'MOV (debug registers)' },
  0x30: { mn: 'WRMSR', ops: [], exec: sys.WRMSR, attrs: CPL0, exit: 'WRMSR', sdm: 'WRMSR' },
  0x31: { mn: 'RDTSC', ops: [], exec: sys.RDTSC, exit: 'RDTSC', sdm: 'RDTSC' },
  0x32: { mn: 'RDMSR', ops: [], exec: sys.RDMSR, attrs: CPL0, exit: 'RDMSR', sdm: 'RDMSR' },
  0x34: { mn: 'SYSENTER', ops: [], exec: far.SYSENTER, attrs: BRANCH | FAR, sdm: 'SYSENTER' },
  0x35: { mn: 'SYSEXIT', ops: [], exec: far.SYSEXIT, attrs: BRANCH | FAR | CPL0, sdm: 'SYSEXIT' },
  ...rangeRows(0x40, 16, (n) => ({ mn: `CMOV${CC[n]}`, ops: ['Gv', 'Ev'], exec: xfer.cmovcc(n), flags: { r: CC_FLAGS[n], w: 0 }, sdm: 'CMOVcc' })),
  ...jccRows(0x80, ['Jz']),
  ...rangeRows(0x90, 16, (n) => ({ mn: `SET${CC[n]}`, ops: ['Eb'], exec: xfer.setcc(n), flags: { r: CC_FLAGS[n], w: 0 }, sdm: 'SETcc' })),
  0xa0: { mn: 'PUSH', ops: ['FS'], exec: seg.PUSH_Sreg, attrs: SENSITIVE, sdm: 'PUSH' },
  0xa1: { mn: 'POP', ops: ['FS'], exec: seg.POP_Sreg, attrs: SENSITIVE, sdm: 'POP' },
  0xa2: { mn: 'CPUID', ops: [], exec: sys.CPUID, exit: 'CPUID', sdm: 'CPUID' },
  0xa3: { mn: 'BT', ops: ['Ev', 'Gv'], exec: bit.BT_EvGv, flags: BT_FLAGS, sdm: 'BT' },
  0xa4: { mn: 'SHLD', ops: ['Ev', 'Gv', 'Ib'], exec: shift.SHLD_imm, flags: { r: 0, w: ALL, u: A | O }, sdm: 'SHLD' },
  0xa5: { mn: 'SHLD', ops: ['Ev', 'Gv', 'CL'], exec: shift.SHLD_CL, flags: { r: 0, w: ALL, u: A | O }, sdm: 'SHLD' },
  0xa8: { mn: 'PUSH', ops: ['GS'], exec: seg.PUSH_Sreg, attrs: SENSITIVE, sdm: 'PUSH' },
  0xa9: { mn: 'POP', ops: ['GS'], exec: seg.POP_Sreg, attrs: SENSITIVE, sdm: 'POP' },
  0xaa: { mn: 'RSM', ops: [], exec: sys.RSM, sdm: 'RSM' },
  0xab: { mn: 'BTS', ops: ['Ev', 'Gv'], exec: bit.BTS_EvGv, flags: BT_FLAGS, attrs: LOCKABLE, sdm: 'BTS' },
  0xac: { mn: 'SHRD', ops: ['Ev', 'Gv', 'Ib'], exec: shift.SHRD_imm, flags: { r: 0, w: ALL, u: A | O }, sdm: 'SHRD' },
  0xad: { mn: 'SHRD', ops: ['Ev', 'Gv', 'CL'], exec: shift.SHRD_CL, flags: { r: 0, w: ALL, u: A | O }, sdm: 'SHRD' },
  0xaf: { mn: 'IMUL', ops: ['Gv', 'Ev'], exec: muldiv.IMUL_GvEv, flags: { r: 0, w: ALL, u: S | Z | A | P }, sdm: 'IMUL' },
  0xb0: { mn: 'CMPXCHG', ops: ['Eb', 'Gb'], exec: xfer.CMPXCHG_EbGb, flags: ARITH, attrs: LOCKABLE, sdm: 'CMPXCHG' },
  0xb1: { mn: 'CMPXCHG', ops: ['Ev', 'Gv'], exec: xfer.CMPXCHG_EvGv, flags: ARITH, attrs: LOCKABLE, sdm: 'CMPXCHG' },
  0xb2: { mn: 'LSS', ops: ['Gz', 'Mp'], exec: seg.LxS, sdm: 'LDS/LES/LFS/LGS/LSS' },
  0xb3: { mn: 'BTR', ops: ['Ev', 'Gv'], exec: bit.BTR_EvGv, flags: BT_FLAGS, attrs: LOCKABLE, sdm: 'BTR' },
  0xb4: { mn: 'LFS', ops: ['Gz', 'Mp'], exec: seg.LxS, sdm: 'LDS/LES/LFS/LGS/LSS' },
  0xb5: { mn: 'LGS', ops: ['Gz', 'Mp'], exec: seg.LxS, sdm: 'LDS/LES/LFS/LGS/LSS' },
  0xb6: { mn: 'MOVZX', ops: ['Gv', 'Eb'], exec: xfer.MOVZX_GvEb, sdm: 'MOVZX' },
  0xb7: { mn: 'MOVZX', ops: ['Gv', 'Ew'], exec: xfer.MOVZX_GvEw, sdm: 'MOVZX' },
  0xb9: { mn: 'UD1', ops: ['Gv', 'Ev'], exec: sys.UD, sdm: 'UD' },
  0xba: GRP8,
  0xbb: { mn: 'BTC', ops: ['Ev', 'Gv'], exec: bit.BTC_EvGv, flags: BT_FLAGS, attrs: LOCKABLE, sdm: 'BTC' },
  0xbc: { mn: 'BSF', ops: ['Gv', 'Ev'], exec: bit.BSF, flags: { r: 0, w: ALL, u: C | O | S | A | P }, sdm: 'BSF' },
  0xbd: { mn: 'BSR', ops: ['Gv', 'Ev'], exec: bit.BSR, flags: { r: 0, w: ALL, u: C | O | S | A | P }, sdm: 'BSR' },
  0xbe: { mn: 'MOVSX', ops: ['Gv', 'Eb'], exec: xfer.MOVSX_GvEb, sdm: 'MOVSX/MOVSXD' },
  0xbf: { mn: 'MOVSX', ops: ['Gv', 'Ew'], exec: xfer.MOVSX_GvEw, sdm: 'MOVSX/MOVSXD' },
  0xc0: { mn: 'XADD', ops: ['Eb', 'Gb'], exec: xfer.XADD_EbGb, flags: ARITH, attrs: LOCKABLE, sdm: 'XADD' },
  0xc1: { mn: 'XADD', ops: ['Ev', 'Gv'], exec: xfer.XADD_EvGv, flags: ARITH, attrs: LOCKABLE, sdm: 'XADD' },
  0xc7: GRP9,
  ...rangeRows(0xc8, 8, () => ({ mn: 'BSWAP', ops: ['Zv'], exec: bit.BSWAP, sdm: 'BSWAP' })),
  0xff: { mn: 'UD0', ops: ['Gv', 'Ev'], exec: sys.UD, sdm: 'UD' },
};

/** Every row (groups expanded), for consumers such as the language server and the annotation engine. */
export function allEntries(): OpcodeEntry[] {
  const out = new Set<OpcodeEntry>();
  const add = (e: OpcodeEntry | null | undefined) => {
    if (!e) return;
    if (e.group) e.group.forEach(add);
    else out.add(e);
    e.regForm?.forEach(add);
  };
  Object.values(ONE_BYTE).forEach(add);
  Object.values(TWO_BYTE).forEach(add);
  add(PAUSE);
  return [...out];
}

