/**
 * Segment-register and descriptor instructions: PUSH/POP Sreg, MOV to and from Sreg,
 * LDS/LES/LSS/LFS/LGS, ARPL, LAR, LSL, VERR, VERW, SLDT, STR, LLDT, LTR.
 *
 * Every segment-register load goes through segmentation.ts `loadSegment`, which makes the
 * SDM's checks. The "sensitive but unprivileged" ones among these (PUSH CS revealing the
 * CPL, SLDT/STR, LAR/LSL/VERR/VERW reading the real descriptors) are the virtualization
 * holes of Robin & Irvine; they behave here exactly as on hardware.
 *
 * The opcode table marks LAR, LSL, VERR, VERW, ARPL, SLDT, STR, LLDT and LTR PM_ONLY and
 * LLDT/LTR CPL0; the decoder does not enforce attributes, so the handlers do: #UD when
 * CR0.PE = 0, then #GP(0) when CPL > 0.
 *
 * @see Intel SDM Vol. 2A "ARPL", "LAR", "LDS/LES/LFS/LGS/LSS", "LLDT", "LSL", "LTR", "MOV";
 *      Vol. 2B "POP", "PUSH", "SLDT", "STR", "VERR/VERW"; Vol. 3A §3.4.3, §5.10 "Pointer
 *      Validation".
 */
import { EFLAGS_VM, EFLAGS_ZF } from '../../arch/eflags';
import { AR_P, AR_RW, AR_TYPE_MASK, AR_UNUSABLE, arDpl, decodeDescriptor, SegReg, selectorIsLdt, selectorIsNull, SystemType } from '../../arch/segments';
import { ESP, type Cpu } from '../cpu';
import type { Insn } from '../decoder/insn';
import type { Exec, ExecForms } from '../decoder/types';
import { gp, np, ud } from '../fault';
import { setEflagsBits } from '../flags';
import { ea, readRmw16, readV16, readV32, writeRmw16, writeSys8, writeV16 } from '../memory-access';
import { getReg16, setReg16, setRegV } from '../operands';
import { arIsCodeSeg, arIsConformingCode, arIsDataSeg, isProtectedMode, loadSegment, lookupDescriptor, readDescriptor, type DescriptorEntry } from '../segmentation';
import { push16, stackOffset, stackPointer } from '../stack-ops';
import { reportSensitive } from '../sensitive';

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** PM_ONLY instructions raise #UD in real-address mode (and in virtual-8086 mode, which is not modelled). */
function requireProtectedMode(cpu: Cpu, i: Insn): void {
  if (!isProtectedMode(cpu)) throw ud(`${i.mnemonic} is not recognised in real-address mode`);
}

/** CPL0 instructions raise #GP(0) at CPL > 0. */
function requireCpl0(cpu: Cpu, i: Insn): void {
  if (cpu.cpl !== 0) throw gp(0, `${i.mnemonic} at CPL ${cpu.cpl}`);
}

/** The 16-bit selector operand of an Ew operand (register low word or memory word). */
function selectorOperand(cpu: Cpu, i: Insn): number {
  return i.mod === 3 ? getReg16(cpu, i.rm) : readV16(cpu, i.seg, ea(cpu, i));
}

function setZF(cpu: Cpu, on: boolean): void {
  setEflagsBits(cpu, on ? EFLAGS_ZF : 0, EFLAGS_ZF);
}

// ---------------------------------------------------------------------------------------------
// PUSH, POP and MOV of segment registers.

/**
 * The segment register an opcode names: bits 5:3 of 06/07 (ES), 0E (CS), 16/17 (SS),
 * 1E/1F (DS), and of the second byte of 0F A0/A1 (FS), 0F A8/A9 (GS).
 */
const sregOf = (i: Insn): SegReg => (i.opcode >> 3) & 7;

/**
 * PUSH Sreg. With a 32-bit operand size ESP moves by 4 but only the low word of the slot is
 * written; the upper half keeps its old contents (P6 family and later, as Bochs models it;
 * SDM Vol. 2B "PUSH": "…some processors … write only the low 16 bits").
 */
export const PUSH_Sreg: Exec = (cpu, i) => {
  const seg = sregOf(i);
  const sel = cpu.segs[seg].selector;
  if (!i.o32) {
    push16(cpu, sel);
  } else {
    const sp = stackOffset(cpu, -4);
    writeV16(cpu, SegReg.SS, sp, sel);
    if (cpu.segs[SegReg.SS].big) cpu.regs[ESP] = sp;
    else cpu.regs[ESP] = (cpu.regs[ESP] & ~0xffff) | sp;
  }
  if (cpu.hooks.onSensitive !== undefined && (seg === SegReg.CS || seg === SegReg.SS)) reportRingAliasing(cpu, i, seg, 'PUSH');
};

/**
 * Ring aliasing (sensitive.ts): PUSH or MOV r/m of CS or SS stores a selector whose RPL is the
 * CPL in protected mode, so deprivileged code sees its real ring (Robin & Irvine 2000).
 */
function reportRingAliasing(cpu: Cpu, i: Insn, seg: SegReg, op: string): void {
  // In real and virtual-8086 mode CS and SS hold paragraph numbers, not selectors: nothing to reveal.
  if (!isProtectedMode(cpu) || (cpu.flags & EFLAGS_VM) !== 0) return;
  const sel = cpu.segs[seg].selector;
  reportSensitive(cpu, i, 'ring-aliasing', `${op} ${seg === SegReg.CS ? 'CS' : 'SS'}`, { selector: sel, rpl: sel & 3 });
}

/** MOV r/m, Sreg with CS or SS as the source reveals the CPL: report it when a hook is set. */
function movSregObserved(cpu: Cpu, i: Insn): void {
  if (cpu.hooks.onSensitive !== undefined && (i.reg === SegReg.CS || i.reg === SegReg.SS)) reportRingAliasing(cpu, i, i.reg, 'MOV r/m,');
}

/**
 * POP ES/SS/DS/FS/GS: read the selector (a word, or the low word of a dword slot), load it
 * through loadSegment (all checks; POP SS sets the interrupt shadow), then move ESP by the
 * operand size with the stack width in force *before* the load. A fault leaves ESP alone.
 */
export const POP_Sreg: Exec = (cpu, i) => {
  const seg = sregOf(i);
  const sp = stackPointer(cpu);
  const sel = i.o32 ? readV32(cpu, SegReg.SS, sp) & 0xffff : readV16(cpu, SegReg.SS, sp);
  const big = cpu.segs[SegReg.SS].big;
  const next = sp + (i.o32 ? 4 : 2);
  loadSegment(cpu, seg, sel);
  if (big) cpu.regs[ESP] = next;
  else cpu.regs[ESP] = (cpu.regs[ESP] & ~0xffff) | (next & 0xffff);
};

/**
 * MOV r/m, Sreg (8C). A register destination with a 32-bit operand size receives the
 * selector zero-extended; a memory destination is always a 16-bit write (SDM Vol. 2A "MOV").
 */
export const MOV_EvSw: ExecForms = {
  r16: (cpu, i) => {
    setReg16(cpu, i.rm, cpu.segs[i.reg].selector);
    movSregObserved(cpu, i);
  },
  r32: (cpu, i) => {
    cpu.regs[i.rm] = cpu.segs[i.reg].selector;
    movSregObserved(cpu, i);
  },
  m16: (cpu, i) => {
    writeV16(cpu, i.seg, ea(cpu, i), cpu.segs[i.reg].selector);
    movSregObserved(cpu, i);
  },
  m32: (cpu, i) => {
    writeV16(cpu, i.seg, ea(cpu, i), cpu.segs[i.reg].selector);
    movSregObserved(cpu, i);
  },
};

/** MOV Sreg, r/m16 (8E). MOV to CS is rejected by the table; MOV SS sets the interrupt shadow. */
export const MOV_SwEw: ExecForms = {
  r16: (cpu, i) => loadSegment(cpu, i.reg, getReg16(cpu, i.rm)),
  m16: (cpu, i) => loadSegment(cpu, i.reg, readV16(cpu, i.seg, ea(cpu, i))),
};

/** The segment register LxS loads, by opcode. */
function lxsSegment(opcode: number): SegReg {
  switch (opcode) {
    case 0xc4:
      return SegReg.ES;
    case 0xc5:
      return SegReg.DS;
    case 0x0fb2:
      return SegReg.SS;
    case 0x0fb4:
      return SegReg.FS;
    default:
      return SegReg.GS; // 0F B5
  }
}

/**
 * LES, LDS, LSS, LFS, LGS r, m16:16 / m16:32: read the far pointer (offset, then selector),
 * load the segment register (all checks), then the general register. Nothing changes when
 * any step faults. LSS does not set the MOV SS interrupt shadow (it loads SS:ESP at once).
 */
export const LxS: Exec = (cpu, i) => {
  const off = ea(cpu, i);
  const size = i.o32 ? 4 : 2;
  const offset = i.o32 ? readV32(cpu, i.seg, off) : readV16(cpu, i.seg, off);
  const selOff = i.a32 ? (off + size) >>> 0 : (off + size) & 0xffff;
  const selector = readV16(cpu, i.seg, selOff);
  loadSegment(cpu, lxsSegment(i.opcode), selector, false);
  setRegV(cpu, i.o32, i.reg, offset);
};

// ---------------------------------------------------------------------------------------------
// Pointer validation: ARPL, LAR, LSL, VERR, VERW (SDM Vol. 3A §5.10).

/**
 * ARPL r/m16, r16 (63): if the destination selector's RPL is below the source's, raise it
 * to the source's and set ZF; else clear ZF.
 */
export const ARPL: Exec = (cpu, i) => {
  requireProtectedMode(cpu, i);
  const src = getReg16(cpu, i.reg) & 3;
  if (i.mod === 3) {
    const dst = getReg16(cpu, i.rm);
    const raise = (dst & 3) < src;
    if (raise) setReg16(cpu, i.rm, (dst & ~3) | src);
    setZF(cpu, raise);
    return;
  }
  const dst = readRmw16(cpu, i.seg, ea(cpu, i));
  const raise = (dst & 3) < src;
  if (raise) writeRmw16(cpu, (dst & ~3) | src);
  setZF(cpu, raise);
};

/** System-descriptor types whose access rights LAR reports (SDM Vol. 2A "LAR" Operation: TSSs, the LDT, call and task gates; not interrupt or trap gates). */
const LAR_SYSTEM_TYPES = new Set<number>([
  SystemType.TSS16_AVAILABLE,
  SystemType.LDT,
  SystemType.TSS16_BUSY,
  SystemType.CALL_GATE16,
  SystemType.TASK_GATE,
  SystemType.TSS32_AVAILABLE,
  SystemType.TSS32_BUSY,
  SystemType.CALL_GATE32,
]);
/** System-descriptor types whose limit LSL reports (SDM Vol. 2A "LSL": TSSs and the LDT). */
const LSL_SYSTEM_TYPES = new Set<number>([
  SystemType.TSS16_AVAILABLE,
  SystemType.LDT,
  SystemType.TSS16_BUSY,
  SystemType.TSS32_AVAILABLE,
  SystemType.TSS32_BUSY,
]);

/**
 * The descriptor LAR or LSL may report, or null when ZF must be cleared: a null selector,
 * an index beyond the table, a type not in `systemTypes`, or (except for conforming code)
 * DPL < CPL or DPL < RPL. Reads the real GDT/LDT (a #PF there is raised).
 */
function visibleDescriptor(cpu: Cpu, sel: number, systemTypes: Set<number>): DescriptorEntry | null {
  if (selectorIsNull(sel)) return null;
  const d = lookupDescriptor(cpu, sel);
  if (d === null) return null;
  const ar = d.ar;
  if (!arIsCodeSeg(ar) && !arIsDataSeg(ar) && !systemTypes.has(ar & 0x1f)) return null;
  const dpl = arDpl(ar);
  if (!arIsConformingCode(ar) && (dpl < cpu.cpl || dpl < (sel & 3))) return null;
  return d;
}

/**
 * LAR r, r/m16 (0F 02): load the access-rights bytes of the descriptor — high dword
 * AND 00F0FF00h (32-bit) or AND FF00h (16-bit) — and set ZF, or clear ZF when the
 * descriptor is not visible at the CPL and RPL.
 */
export const LAR: Exec = (cpu, i) => {
  requireProtectedMode(cpu, i);
  const d = visibleDescriptor(cpu, selectorOperand(cpu, i), LAR_SYSTEM_TYPES);
  if (d !== null) setRegV(cpu, i.o32, i.reg, i.o32 ? d.hi & 0x00f0ff00 : d.hi & 0xff00);
  setZF(cpu, d !== null);
  if (cpu.hooks.onSensitive !== undefined) reportQuery(cpu, i, 'LAR', d !== null, d !== null ? (i.o32 ? d.hi & 0x00f0ff00 : d.hi & 0xff00) : -1);
};

/** Descriptor query (sensitive.ts): the selector, ZF and the loaded value (-1 when ZF = 0). */
function reportQuery(cpu: Cpu, i: Insn, mnemonic: string, zf: boolean, value: number): void {
  reportSensitive(cpu, i, 'descriptor-query', mnemonic, { selector: selectorOperand(cpu, i), zf, value });
}

/** LSL r, r/m16 (0F 03): load the byte-granular segment limit (scaled by G) and set ZF, else clear ZF. */
export const LSL: Exec = (cpu, i) => {
  requireProtectedMode(cpu, i);
  const d = visibleDescriptor(cpu, selectorOperand(cpu, i), LSL_SYSTEM_TYPES);
  if (d !== null) {
    const limit = decodeDescriptor(d.lo, d.hi).limit;
    setRegV(cpu, i.o32, i.reg, i.o32 ? limit | 0 : limit & 0xffff);
  }
  setZF(cpu, d !== null);
  if (cpu.hooks.onSensitive !== undefined) reportQuery(cpu, i, 'LSL', d !== null, d !== null ? decodeDescriptor(d.lo, d.hi).limit >>> 0 : -1);
};

/** VERR r/m16 (0F 00 /4): ZF = 1 when the segment is readable at the CPL and RPL. */
export const VERR: Exec = (cpu, i) => {
  requireProtectedMode(cpu, i);
  const sel = selectorOperand(cpu, i);
  const d = selectorIsNull(sel) ? null : lookupDescriptor(cpu, sel);
  let ok = d !== null && (arIsDataSeg(d.ar) || (arIsCodeSeg(d.ar) && (d.ar & AR_RW) !== 0));
  if (ok && d !== null && !arIsConformingCode(d.ar)) ok = arDpl(d.ar) >= cpu.cpl && arDpl(d.ar) >= (sel & 3);
  setZF(cpu, ok);
  if (cpu.hooks.onSensitive !== undefined) reportQuery(cpu, i, 'VERR', ok, -1);
};

/** VERW r/m16 (0F 00 /5): ZF = 1 when the segment is a writable data segment accessible at the CPL and RPL. */
export const VERW: Exec = (cpu, i) => {
  requireProtectedMode(cpu, i);
  const sel = selectorOperand(cpu, i);
  const d = selectorIsNull(sel) ? null : lookupDescriptor(cpu, sel);
  const ok = d !== null && arIsDataSeg(d.ar) && (d.ar & AR_RW) !== 0 && arDpl(d.ar) >= cpu.cpl && arDpl(d.ar) >= (sel & 3);
  setZF(cpu, ok);
  if (cpu.hooks.onSensitive !== undefined) reportQuery(cpu, i, 'VERW', ok, -1);
};

// ---------------------------------------------------------------------------------------------
// LDTR and TR: SLDT, STR, LLDT, LTR.

/** SLDT/STR store forms: register destinations get the selector zero-extended to the operand size; memory gets a word. */
function storeSelector(mnemonic: string, get: (cpu: Cpu) => number): ExecForms {
  // A privileged-state read (sensitive.ts), reported after the store when a hook is set.
  const observed = (cpu: Cpu, i: Insn): void => {
    if (cpu.hooks.onSensitive !== undefined) reportSensitive(cpu, i, 'privileged-state-read', mnemonic, { value: get(cpu) });
  };
  return {
    r16: (cpu, i) => {
      requireProtectedMode(cpu, i);
      setReg16(cpu, i.rm, get(cpu));
      observed(cpu, i);
    },
    r32: (cpu, i) => {
      requireProtectedMode(cpu, i);
      cpu.regs[i.rm] = get(cpu);
      observed(cpu, i);
    },
    m16: (cpu, i) => {
      requireProtectedMode(cpu, i);
      writeV16(cpu, i.seg, ea(cpu, i), get(cpu));
      observed(cpu, i);
    },
    m32: (cpu, i) => {
      requireProtectedMode(cpu, i);
      writeV16(cpu, i.seg, ea(cpu, i), get(cpu));
      observed(cpu, i);
    },
  };
}

/** SLDT r/m (0F 00 /0): store the LDTR selector (not privileged: a virtualization hole). */
export const SLDT: ExecForms = storeSelector('SLDT', (cpu) => cpu.ldtr.selector);
/** STR r/m (0F 00 /1): store the TR selector (not privileged: a virtualization hole). */
export const STR: ExecForms = storeSelector('STR', (cpu) => cpu.tr.selector);

/**
 * LLDT r/m16 (0F 00 /2): load LDTR from an LDT descriptor in the GDT. A null selector
 * makes LDTR unusable (later LDT references fault).
 * @throws CpuFault #UD in real mode, #GP(0) at CPL > 0, #GP(selector) for TI = 1, an index
 *   beyond the GDT or a descriptor that is not an LDT, #NP(selector) when not present
 */
export const LLDT: Exec = (cpu, i) => {
  requireProtectedMode(cpu, i);
  requireCpl0(cpu, i);
  const sel = selectorOperand(cpu, i);
  const ldtr = cpu.ldtr;
  // A null selector marks LDTR invalid (unusable).
  if (selectorIsNull(sel)) {
    ldtr.setCache(sel, ldtr.base, ldtr.limit, ldtr.ar | AR_UNUSABLE);
    return;
  }
  // The selector must point into the GDT (TI = 0), else #GP(selector).
  if (selectorIsLdt(sel)) throw gp(sel & 0xfffc, `LLDT: selector ${hex(sel)} has TI = 1`);
  // It must lie within the GDT limit, else #GP(selector).
  const d = readDescriptor(cpu, sel);
  // It must be an LDT descriptor, else #GP(selector).
  if ((d.ar & 0x1f) !== SystemType.LDT) throw gp(sel & 0xfffc, `LLDT: ${hex(sel)} is not an LDT descriptor`);
  // It must be present, else #NP(selector).
  if (!(d.ar & AR_P)) throw np(sel & 0xfffc, `LLDT: LDT descriptor ${hex(sel)} is not present`);
  const { base, limit, ar } = decodeDescriptor(d.lo, d.hi);
  ldtr.setCache(sel, base, limit, ar);
};

/**
 * LTR r/m16 (0F 00 /3): load TR from an available TSS descriptor in the GDT and mark the
 * descriptor busy in memory (type 1 → 3, 9 → 11).
 * @throws CpuFault #UD in real mode, #GP(0) at CPL > 0 or for a null selector,
 *   #GP(selector) for TI = 1, an index beyond the GDT or a descriptor that is not an
 *   available TSS, #NP(selector) when not present
 */
export const LTR: Exec = (cpu, i) => {
  requireProtectedMode(cpu, i);
  requireCpl0(cpu, i);
  const sel = selectorOperand(cpu, i);
  // The selector must not be null, else #GP(0).
  if (selectorIsNull(sel)) throw gp(0, 'LTR: null selector');
  // The selector must point into the GDT (TI = 0), else #GP(selector).
  if (selectorIsLdt(sel)) throw gp(sel & 0xfffc, `LTR: selector ${hex(sel)} has TI = 1`);
  // It must lie within the GDT limit, else #GP(selector).
  const d = readDescriptor(cpu, sel);
  const type = d.ar & 0x1f;
  // It must be an available 16- or 32-bit TSS, else #GP(selector).
  if (type !== SystemType.TSS16_AVAILABLE && type !== SystemType.TSS32_AVAILABLE) {
    throw gp(sel & 0xfffc, `LTR: ${hex(sel)} is not an available TSS (type ${type & AR_TYPE_MASK})`);
  }
  // It must be present, else #NP(selector).
  if (!(d.ar & AR_P)) throw np(sel & 0xfffc, `LTR: TSS descriptor ${hex(sel)} is not present`);
  // Mark the TSS busy in the GDT (type bit 1), then load TR.
  writeSys8(cpu, (d.linear + 5) | 0, ((d.hi >>> 8) & 0xff) | 2);
  const { base, limit, ar } = decodeDescriptor(d.lo, d.hi);
  cpu.tr.setCache(sel, base, limit, ar | 2);
};
