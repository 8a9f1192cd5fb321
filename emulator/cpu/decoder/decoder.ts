/**
 * The instruction decoder: bytes → `Insn`, driven entirely by the opcode table.
 *
 * Steps, as SDM Vol. 2A §2.1 lays out the format: legacy prefixes (at most 15 bytes in all),
 * the opcode (one byte, or 0F and a second byte), ModRM and SIB with displacement when an
 * operand code needs them, then immediates in operand order. The handler is chosen here,
 * once, by operand form (register or memory) and operand size, so execution never
 * re-examines the encoding.
 *
 * Invalid encodings decode to an `Insn` whose handler raises #UD (or #GP(0) for an
 * instruction longer than 15 bytes, SDM Vol. 2A §2.3.11), with `invalid` saying why; the
 * decoder never throws for bad bytes. It may throw a `CpuFault` from the byte source
 * (a #PF or #GP on instruction fetch), which the executor delivers.
 *
 * @see Intel SDM Vol. 2A §2.1–2.2; Vol. 2D Appendix A (opcode maps and operand codes).
 */
import { SegReg } from '../../arch/segments';
import { Vector } from '../../arch/exceptions';
import { CpuFault } from '../fault';
import { REG_ZERO, EBP, ESP, EBX, ESI, EDI } from '../cpu';
import { Insn, PFX_ADSIZE, PFX_LOCK, PFX_OPSIZE, PFX_REP, PFX_REPNE, PFX_SEG } from './insn';
import { ONE_BYTE, PAUSE, TWO_BYTE } from './opcode-table';
import { Attr, type Exec, type ExecForms, type OpcodeEntry } from './types';

/** Where instruction bytes come from. `byte(k)` returns the k-th byte of the instruction; it may throw a CpuFault. */
export interface ByteSource {
  byte(k: number): number;
}

/** Maximum instruction length (SDM Vol. 2A §2.3.11). */
export const MAX_INSN_LENGTH = 15;

/** Per-row facts derived once from the operand codes. */
interface RowInfo {
  modrm: boolean;
  /** Any operand requires a memory form (M*): mod = 3 is #UD. */
  memOnly: boolean;
  /** An operand is Rd/Cd/Dd: ModRM.mod is ignored and treated as 3 (SDM "MOV—Move to/from Control Registers"). */
  forceReg: boolean;
  /** Immediate / offset operand codes in order. */
  imms: string[];
  /** Operand-size source for form selection: 8, 16, 32 or 0 for "operand size". */
  size: number;
}

const infoCache = new Map<OpcodeEntry, RowInfo>();

/** Whether instructions of this table row carry a ModRM byte (for the block compiler's register-only test). */
export function hasModrm(e: OpcodeEntry): boolean {
  return rowInfo(e).modrm;
}

function rowInfo(e: OpcodeEntry): RowInfo {
  let info = infoCache.get(e);
  if (info) return info;
  let modrm = !!e.group;
  let memOnly = false;
  let forceReg = false;
  let size = -1;
  const imms: string[] = [];
  for (const op of e.ops) {
    const m = op[0];
    if (op === 'Ibs' || op === 'Ib' || op === 'Iw' || op === 'Iz' || op === 'Iv' || op === 'Jb' || op === 'Jz' || op === 'Ap' || op === 'Ob' || op === 'Ov') {
      imms.push(op);
      continue;
    }
    if (op.length >= 1 && 'EGMRSCD'.includes(m) && op !== 'CS' && op !== 'DS' && op !== 'SS' && op !== 'ES' && op !== 'GS' && op !== 'FS' && op !== 'CL' && op !== 'DX') {
      modrm = true;
      if (m === 'M') memOnly = true;
      if (m === 'R' || m === 'C' || m === 'D') forceReg = true;
      if (size < 0 && (m === 'E' || m === 'G')) {
        const t = op.slice(1);
        size = t === 'b' ? 8 : t === 'w' ? 16 : t === 'd' ? 32 : 0;
      }
      if (size < 0 && m === 'S') size = 16;
    }
  }
  info = { modrm, memOnly, forceReg, imms, size: size < 0 ? 0 : size };
  infoCache.set(e, info);
  return info;
}

function raiseUD(_cpu: unknown, i: Insn): void {
  throw new CpuFault(Vector.UD, -1, `invalid opcode: ${i.invalid}`);
}
function raiseTooLong(): void {
  throw new CpuFault(Vector.GP, 0, 'instruction longer than 15 bytes');
}
const UD_EXEC = raiseUD as Exec;
const TOO_LONG_EXEC = raiseTooLong as Exec;

/** 16-bit addressing: base and index registers for ModRM.rm 0..7 (SDM Vol. 2A Table 2-1). */
const RM16_BASE = [EBX, EBX, EBP, EBP, ESI, EDI, EBP, EBX];
const RM16_INDEX = [ESI, EDI, ESI, EDI, REG_ZERO, REG_ZERO, REG_ZERO, REG_ZERO];

function invalid(i: Insn, len: number, why: string, exec: Exec = UD_EXEC): Insn {
  i.exec = exec;
  i.entry = null;
  i.len = len;
  i.invalid = why;
  return i;
}

/**
 * Decode one instruction.
 * @param src the instruction bytes (k = 0 is the first prefix or opcode byte)
 * @param code32 the default operand and address size is 32 bits (CS.D = 1)
 * @param out an Insn to fill (a new one when omitted)
 * @returns the decoded instruction; invalid encodings are returned, not thrown
 * @throws CpuFault only from `src` (instruction-fetch faults)
 */
export function decode(src: ByteSource, code32: boolean, out?: Insn): Insn {
  const i = out ?? new Insn(UD_EXEC);
  i.entry = null;
  i.invalid = '';
  i.next = null;
  i.mod = i.reg = i.rm = 0;
  i.base = i.index = REG_ZERO;
  i.scale = 0;
  i.disp = 0;
  i.imm = i.imm2 = 0;

  let k = 0;
  let prefixes = 0;
  let segOverride = -1;
  let b: number;
  for (;;) {
    if (k >= MAX_INSN_LENGTH) return invalid(i, k, 'instruction longer than 15 bytes', TOO_LONG_EXEC);
    b = src.byte(k++);
    switch (b) {
      case 0x66: prefixes |= PFX_OPSIZE; continue;
      case 0x67: prefixes |= PFX_ADSIZE; continue;
      case 0x26: segOverride = SegReg.ES; continue;
      case 0x2e: segOverride = SegReg.CS; continue;
      case 0x36: segOverride = SegReg.SS; continue;
      case 0x3e: segOverride = SegReg.DS; continue;
      case 0x64: segOverride = SegReg.FS; continue;
      case 0x65: segOverride = SegReg.GS; continue;
      case 0xf0: prefixes |= PFX_LOCK; continue;
      // Of F2 and F3, the last one counts (as on Intel processors and in iced/Bochs).
      case 0xf2: prefixes = (prefixes & ~PFX_REP) | PFX_REPNE; continue;
      case 0xf3: prefixes = (prefixes & ~PFX_REPNE) | PFX_REP; continue;
    }
    break;
  }
  if (segOverride >= 0) prefixes |= PFX_SEG;
  const o32 = code32 !== ((prefixes & PFX_OPSIZE) !== 0);
  const a32 = code32 !== ((prefixes & PFX_ADSIZE) !== 0);
  i.prefixes = prefixes;
  i.o32 = o32;
  i.a32 = a32;

  let opcode = b;
  let entry: OpcodeEntry | undefined;
  if (b === 0x0f) {
    if (k >= MAX_INSN_LENGTH) return invalid(i, k, 'instruction longer than 15 bytes', TOO_LONG_EXEC);
    const b2 = src.byte(k++);
    opcode = 0x0f00 | b2;
    entry = TWO_BYTE[b2];
  } else {
    entry = ONE_BYTE[b];
    if (b === 0x90 && prefixes & PFX_REP) entry = PAUSE;
  }
  i.opcode = opcode;
  if (!entry) return invalid(i, k, `opcode ${opcode > 0xff ? '0F ' : ''}${(opcode & 0xff).toString(16).padStart(2, '0').toUpperCase()}h is not defined on this processor`);

  let info = rowInfo(entry);
  let seg = SegReg.DS;
  if (info.modrm) {
    if (k >= MAX_INSN_LENGTH) return invalid(i, k, 'instruction longer than 15 bytes', TOO_LONG_EXEC);
    const modrm = src.byte(k++);
    let mod = modrm >> 6;
    const reg = (modrm >> 3) & 7;
    const rm = modrm & 7;
    if (entry.group) {
      const row = entry.group[reg];
      if (!row) return invalid(i, k, `${entry.mn} /${reg} is not defined`);
      entry = row;
      info = rowInfo(entry);
    }
    if (mod === 3 && entry.regForm) {
      const row = entry.regForm[rm];
      if (!row) return invalid(i, k, `${entry.mn} with a register operand is not defined`);
      entry = row;
      info = rowInfo(entry);
    }
    if (info.forceReg) mod = 3;
    i.mod = mod;
    i.reg = reg;
    i.rm = rm;
    if (mod !== 3) {
      if (a32) {
        let base = rm;
        if (rm === 4) {
          if (k >= MAX_INSN_LENGTH) return invalid(i, k, 'instruction longer than 15 bytes', TOO_LONG_EXEC);
          const sib = src.byte(k++);
          const index = (sib >> 3) & 7;
          base = sib & 7;
          i.index = index === 4 ? REG_ZERO : index;
          i.scale = sib >> 6;
          if (base === 5 && mod === 0) {
            base = REG_ZERO;
            mod = 2; // a disp32 follows
          }
        } else if (rm === 5 && mod === 0) {
          base = REG_ZERO;
          mod = 2;
        }
        i.base = base;
        if (base === ESP || base === EBP) seg = SegReg.SS;
        if (mod === 1) {
          if (k >= MAX_INSN_LENGTH) return invalid(i, k, 'instruction longer than 15 bytes', TOO_LONG_EXEC);
          i.disp = (src.byte(k++) << 24) >> 24;
        } else if (mod === 2) {
          if (k + 4 > MAX_INSN_LENGTH) return invalid(i, MAX_INSN_LENGTH, 'instruction longer than 15 bytes', TOO_LONG_EXEC);
          i.disp = src.byte(k) | (src.byte(k + 1) << 8) | (src.byte(k + 2) << 16) | (src.byte(k + 3) << 24);
          k += 4;
        }
      } else {
        if (mod === 0 && rm === 6) {
          i.base = REG_ZERO;
          i.index = REG_ZERO;
          mod = 2;
        } else {
          i.base = RM16_BASE[rm];
          i.index = RM16_INDEX[rm];
          if (rm === 2 || rm === 3 || rm === 6) seg = SegReg.SS;
        }
        if (mod === 1) {
          if (k >= MAX_INSN_LENGTH) return invalid(i, k, 'instruction longer than 15 bytes', TOO_LONG_EXEC);
          i.disp = (src.byte(k++) << 24) >> 24;
        } else if (mod === 2) {
          if (k + 2 > MAX_INSN_LENGTH) return invalid(i, MAX_INSN_LENGTH, 'instruction longer than 15 bytes', TOO_LONG_EXEC);
          i.disp = src.byte(k) | (src.byte(k + 1) << 8);
          k += 2;
        }
      }
    } else if (info.memOnly) {
      return invalid(i, k, `${entry.mn} requires a memory operand`);
    }
  }

  // Immediates and offsets, in operand order.
  let nImm = 0;
  for (const op of info.imms) {
    let v: number;
    let n: number;
    switch (op) {
      case 'Ib': n = 1; break;
      case 'Ibs': case 'Jb': n = 1; break;
      case 'Iw': n = 2; break;
      case 'Iz': case 'Iv': case 'Jz': n = o32 ? 4 : 2; break;
      case 'Ap': n = o32 ? 6 : 4; break;
      default: n = a32 ? 4 : 2; break; // Ob, Ov: moffs sized by the address size
    }
    if (k + n > MAX_INSN_LENGTH) return invalid(i, MAX_INSN_LENGTH, 'instruction longer than 15 bytes', TOO_LONG_EXEC);
    if (op === 'Ap') {
      const offLen = n - 2;
      v = 0;
      for (let j = 0; j < offLen; j++) v |= src.byte(k + j) << (8 * j);
      i.imm = offLen === 4 ? v | 0 : v;
      i.imm2 = src.byte(k + offLen) | (src.byte(k + offLen + 1) << 8);
      k += n;
      nImm = 2;
      continue;
    }
    v = 0;
    for (let j = 0; j < n; j++) v |= src.byte(k + j) << (8 * j);
    k += n;
    if (op === 'Ibs' || op === 'Jb') v = (v << 24) >> 24;
    else if (op === 'Jz' && n === 2) v = (v << 16) >> 16;
    if (op === 'Ob' || op === 'Ov') {
      i.disp = v;
      i.base = REG_ZERO;
      i.index = REG_ZERO;
      continue;
    }
    if (nImm === 0) i.imm = v;
    else i.imm2 = v;
    nImm++;
  }

  i.seg = segOverride >= 0 ? segOverride : seg;
  i.len = k;
  i.entry = entry;

  const attrs = entry.attrs ?? 0;
  if (prefixes & PFX_LOCK && (!(attrs & Attr.LOCKABLE) || i.mod === 3 || !info.modrm)) {
    return invalid(i, k, `LOCK prefix on ${entry.mn}${info.modrm && i.mod === 3 ? ' with a register destination' : ''}`);
  }
  if (entry.validate) {
    const why = entry.validate(i);
    if (why) return invalid(i, k, why);
  }

  const spec = entry.exec;
  if (typeof spec === 'function') {
    i.exec = spec;
  } else if (spec) {
    const size = info.size === 0 ? (o32 ? 32 : 16) : info.size;
    const key = `${i.mod === 3 ? 'r' : 'm'}${size}` as keyof ExecForms;
    const exec = spec[key];
    if (!exec) return invalid(i, k, `${entry.mn} has no ${i.mod === 3 ? 'register' : 'memory'} form of ${size} bits`);
    i.exec = exec;
  } else {
    return invalid(i, k, `internal: ${entry.mn} has no handler`);
  }
  return i;
}

/** A ByteSource over an array (tests, the disassembler, the debugger). Bytes past the end read as 0. */
export function arraySource(bytes: Uint8Array, start = 0): ByteSource {
  return { byte: (k: number) => (start + k < bytes.length ? bytes[start + k] : 0) };
}
