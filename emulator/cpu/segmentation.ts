/**
 * Segment-register loads: the one choke point through which every selector reaches a
 * segment register's hidden descriptor cache.
 *
 * Real-address mode (CR0.PE = 0): only the selector and the base (selector × 16) change;
 * the limit and the access rights stay what an earlier protected-mode load left in the
 * cache. That is how "unreal" (flat real) mode works, and why a VMM that saves FS by its
 * selector and restores it by reloading it breaks such a guest (SDM Vol. 3A §9.9.2;
 * ../shared/notes/virtualization-background.md, point 5).
 *
 * Protected mode: the descriptor is read from the GDT or LDT with implicit supervisor
 * accesses, checked in the order of the SDM's pseudocode (one check, one comment, one
 * named fault), its accessed bit is set in memory, and only then is the cache written.
 * The cache is *not* refreshed when the descriptor in memory changes later.
 *
 * Multi-step instructions (far transfers, interrupts, IRET, LDS…) use the two halves
 * separately: `check*` reads and validates (may fault, changes nothing but accessed bits),
 * `commitSegment` / `loadCodeSegment` write the caches once nothing else can fault.
 *
 *   Selector:  15            3  2  1 0         Descriptor high dword (AR = bits 23:8):
 *              |    index     |TI| RPL|        G D/B L AVL lim19:16 P DPL S type base23:16
 *
 * @see Intel SDM Vol. 3A §3.4.2 "Segment Selectors", §3.4.3 "Segment Registers",
 *      §5.4 "Segment Selectors and Descriptors Checks", §5.5 "Privilege Levels",
 *      §5.6 "Privilege Level Checking When Accessing Data Segments", §5.7 "Privilege
 *      Level Checking When Loading the SS Register"; Vol. 2A "MOV", Vol. 2B "POP",
 *      Vol. 2A "LDS/LES/LFS/LGS/LSS".
 */
import { CR0_PE } from '../arch/control-registers';
import { Vector } from '../arch/exceptions';
import {
  AR_ACCESSED,
  AR_CODE,
  AR_DC,
  AR_P,
  AR_RW,
  AR_S,
  AR_UNUSABLE,
  arDpl,
  decodeDescriptor,
  SegReg,
  SEGREG_NAMES,
  selectorIsLdt,
  selectorIsNull,
} from '../arch/segments';
import type { Cpu } from './cpu';
import { CpuFault } from './fault';
import { readSys32, updateAccessMasks, writeSys8 } from './memory-access';

/** A descriptor read from the GDT or LDT: its two dwords, where it lives, and the selector that named it. */
export interface DescriptorEntry {
  /** The selector used to find it (RPL included). */
  selector: number;
  /** Linear address of the 8-byte entry. */
  linear: number;
  /** Low and high dwords as stored. */
  lo: number;
  hi: number;
  /** Access rights in the VMCS layout (descriptor bits 55:40, see arch/segments.ts). */
  ar: number;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** Whether the processor is in protected mode (CR0.PE = 1). Virtual-8086 mode is not modelled. */
export function isProtectedMode(cpu: Cpu): boolean {
  return (cpu.cr0 & CR0_PE) !== 0;
}

/** Set the current privilege level: recompute the user/supervisor access masks and leave the decoded chain. */
export function setCpl(cpu: Cpu, cpl: number): void {
  cpu.cpl = cpl & 3;
  updateAccessMasks(cpu);
  cpu.breakBlock = true;
}

/** AR predicates (S = 1 code/data segments). */
export const arIsCodeSeg = (ar: number): boolean => (ar & (AR_S | AR_CODE)) === (AR_S | AR_CODE);
export const arIsDataSeg = (ar: number): boolean => (ar & (AR_S | AR_CODE)) === AR_S;
export const arIsConformingCode = (ar: number): boolean => (ar & (AR_S | AR_CODE | AR_DC)) === (AR_S | AR_CODE | AR_DC);

/**
 * Find the descriptor named by `selector` without faulting on the table limit.
 * @returns the entry, or null when the index lies beyond the GDT/LDT limit (or TI = 1 with
 *   no usable LDT)
 * @throws CpuFault only #PF from reading the table (paging on)
 */
export function lookupDescriptor(cpu: Cpu, selector: number): DescriptorEntry | null {
  let base: number;
  let limit: number;
  if (selectorIsLdt(selector)) {
    const ldtr = cpu.ldtr;
    if (!ldtr.usable) return null;
    base = ldtr.base;
    limit = ldtr.limit;
  } else {
    base = cpu.gdtr.base;
    limit = cpu.gdtr.limit;
  }
  const offset = selector & 0xfff8;
  if (offset + 7 > limit) return null;
  const linear = (base + offset) | 0;
  const lo = readSys32(cpu, linear);
  const hi = readSys32(cpu, (linear + 4) | 0);
  return { selector: selector & 0xffff, linear, lo, hi, ar: (hi >>> 8) & 0xf0ff };
}

/**
 * Read the 8-byte descriptor for `selector` from the GDT (TI = 0) or the LDT (TI = 1),
 * with implicit supervisor-mode reads (SDM Vol. 3A §5.4 "the index must lie within the
 * table limit").
 * @param errorVector the fault for an index beyond the limit: #GP by default, #TS for
 *   TSS stack selectors
 * @throws CpuFault errorVector(selector & 0xFFFC) beyond the table limit; #PF from the read
 */
export function readDescriptor(cpu: Cpu, selector: number, errorVector: Vector = Vector.GP): DescriptorEntry {
  const d = lookupDescriptor(cpu, selector);
  if (d === null) {
    const table = selectorIsLdt(selector) ? (cpu.ldtr.usable ? 'LDT' : 'LDT (LDTR is null)') : 'GDT';
    throw new CpuFault(errorVector, selector & 0xfffc, `selector ${hex(selector)} lies beyond the ${table} limit`);
  }
  return d;
}

/**
 * Set the accessed bit (type bit 0) of a code or data descriptor in memory, as the
 * processor does on every load (SDM Vol. 3A §3.4.5.1). A write to byte 5 of the entry.
 * @throws CpuFault #PF when the table page is not writable
 */
export function markAccessed(cpu: Cpu, d: DescriptorEntry): void {
  if (d.ar & AR_ACCESSED) return;
  d.hi |= AR_ACCESSED << 8;
  d.ar |= AR_ACCESSED;
  writeSys8(cpu, (d.linear + 5) | 0, (d.hi >>> 8) & 0xff);
}

/**
 * Checks for loading DS, ES, FS or GS with a selector in protected mode
 * (SDM Vol. 2A "MOV" Operation, protected-mode part; Vol. 3A §5.6).
 * @returns the descriptor (accessed bit set in memory), or null for a null selector, which
 *   the data registers accept (they become unusable)
 * @throws CpuFault #GP(selector), #NP(selector), #PF
 */
export function checkDataSegment(cpu: Cpu, seg: SegReg, selector: number): DescriptorEntry | null {
  const name = SEGREG_NAMES[seg];
  // A null selector may be loaded into DS, ES, FS and GS; the register becomes unusable.
  if (selectorIsNull(selector)) return null;
  // The index must lie within the descriptor table, else #GP(selector).
  const d = readDescriptor(cpu, selector);
  const ar = d.ar;
  // The segment must be a data segment or a readable code segment, else #GP(selector).
  if (!arIsDataSeg(ar) && !(arIsCodeSeg(ar) && ar & AR_RW)) {
    throw new CpuFault(Vector.GP, selector & 0xfffc, `${name} load: selector ${hex(selector)} names neither a data segment nor a readable code segment`);
  }
  // For data and nonconforming code: RPL <= DPL and CPL <= DPL, else #GP(selector).
  const dpl = arDpl(ar);
  if (!arIsConformingCode(ar) && ((selector & 3) > dpl || cpu.cpl > dpl)) {
    throw new CpuFault(Vector.GP, selector & 0xfffc, `${name} load: DPL ${dpl} is less than RPL ${selector & 3} or CPL ${cpu.cpl}`);
  }
  // The segment must be present, else #NP(selector).
  if (!(ar & AR_P)) throw new CpuFault(Vector.NP, selector & 0xfffc, `${name} load: segment ${hex(selector)} is not present`);
  markAccessed(cpu, d);
  return d;
}

/**
 * Checks for a stack-segment selector (SDM Vol. 2A "MOV" for SS; Vol. 3A §5.7; the
 * stack checks of far CALL through a call gate, INT n, IRET and far RET, which differ only
 * in the fault raised for a bad selector).
 * @param cpl the privilege level the stack is for: RPL and DPL must both equal it
 * @param errorVector #GP for MOV/POP/LSS/IRET/RET, #TS for a stack taken from the TSS
 * @returns the descriptor, accessed bit set in memory
 * @throws CpuFault errorVector(0) for a null selector, errorVector(selector) for a bad
 *   one, #SS(selector) when not present, #PF
 */
export function checkStackSegment(cpu: Cpu, selector: number, cpl: number, errorVector: Vector): DescriptorEntry {
  // A null selector cannot be loaded into SS: #GP(0) (#TS(0) for a TSS stack).
  if (selectorIsNull(selector)) throw new CpuFault(errorVector, 0, `SS load: null selector ${hex(selector)}`);
  // The index must lie within the descriptor table.
  const d = readDescriptor(cpu, selector, errorVector);
  const ar = d.ar;
  // The selector's RPL must equal the privilege level of the stack.
  if ((selector & 3) !== cpl) throw new CpuFault(errorVector, selector & 0xfffc, `SS load: RPL ${selector & 3} of ${hex(selector)} is not ${cpl}`);
  // The segment must be a writable data segment.
  if (!arIsDataSeg(ar) || !(ar & AR_RW)) throw new CpuFault(errorVector, selector & 0xfffc, `SS load: ${hex(selector)} is not a writable data segment`);
  // Its DPL must equal the privilege level of the stack.
  if (arDpl(ar) !== cpl) throw new CpuFault(errorVector, selector & 0xfffc, `SS load: DPL ${arDpl(ar)} of ${hex(selector)} is not ${cpl}`);
  // The segment must be present, else #SS(selector).
  if (!(ar & AR_P)) throw new CpuFault(Vector.SS, selector & 0xfffc, `SS load: segment ${hex(selector)} is not present`);
  markAccessed(cpu, d);
  return d;
}

/**
 * Write a checked descriptor into a segment register's cache (no checks here; callers
 * made them). A null `d` makes the register unusable: selector stored, AR_UNUSABLE set,
 * the rest of the cache kept (as Bochs clears only its "valid" bit).
 * Sets breakBlock for CS and SS (CS.D and SS.B change how the next instruction decodes
 * and uses the stack). Does not change the CPL: see `loadCodeSegment`.
 */
export function commitSegment(cpu: Cpu, seg: SegReg, selector: number, d: DescriptorEntry | null): void {
  const s = cpu.segs[seg];
  if (d === null) {
    s.setCache(selector, s.base, s.limit, s.ar | AR_UNUSABLE);
  } else {
    const { base, limit, ar } = decodeDescriptor(d.lo, d.hi);
    s.setCache(selector, base, limit, ar);
  }
  if (seg === SegReg.CS || seg === SegReg.SS) cpu.breakBlock = true;
}

/**
 * Load CS from a checked code-segment descriptor and enter privilege level `cpl`: the
 * selector's RPL becomes `cpl` (SDM Vol. 3A §5.8.1: "the RPL of CS is set to the CPL").
 * Sets breakBlock (CS.D and the CPL may have changed).
 */
export function loadCodeSegment(cpu: Cpu, d: DescriptorEntry, cpl: number): void {
  commitSegment(cpu, SegReg.CS, (d.selector & 0xfffc) | cpl, d);
  setCpl(cpu, cpl);
}

/**
 * Real-address-mode segment load (SDM Vol. 3A §20.1.1 "Address Translation in
 * Real-Address Mode"): selector and base = selector << 4. Limit, D/B, G, type and DPL are
 * left in the cache untouched, so limits set in protected mode survive ("unreal mode").
 * Deviation recorded: a cache left unusable by a protected-mode null load (or not present)
 * becomes usable and present again, as Bochs does — a real-mode load cannot fail.
 */
export function loadRealModeSegment(cpu: Cpu, seg: SegReg, selector: number): void {
  const s = cpu.segs[seg];
  selector &= 0xffff;
  s.setCache(selector, selector << 4, s.limit, (s.ar & ~AR_UNUSABLE) | AR_P);
  if (seg === SegReg.CS || seg === SegReg.SS) cpu.breakBlock = true;
}

/**
 * Load ES, SS, DS, FS or GS with `selector`, as MOV Sreg, POP Sreg and LxS do.
 * Real mode: base = selector << 4 (see loadRealModeSegment). Protected mode: the checks of
 * `checkDataSegment` / `checkStackSegment`, then the cache. Loading SS sets the interrupt
 * shadow: interrupts, NMI and single-step traps are held off until the next instruction
 * has completed (SDM Vol. 3A §6.8.3), so that MOV SS, MOV ESP is atomic.
 * CS cannot be loaded here (far transfers use loadCodeSegment).
 * @param inhibitInterrupts for SS: set the interrupt shadow (MOV SS, POP SS). LSS passes
 *   false: the SDM's shadow (§6.8.3) is for MOV SS and POP SS only, LSS loads SS:ESP at once.
 * @throws CpuFault #GP, #NP, #SS with the SDM error codes; #PF from the descriptor tables.
 *   A fault changes no register.
 */
export function loadSegment(cpu: Cpu, seg: SegReg, selector: number, inhibitInterrupts = true): void {
  if (seg === SegReg.CS) throw new Error('internal: loadSegment cannot load CS; far transfers use loadCodeSegment');
  selector &= 0xffff;
  if (!isProtectedMode(cpu)) {
    loadRealModeSegment(cpu, seg, selector);
  } else if (seg === SegReg.SS) {
    commitSegment(cpu, SegReg.SS, selector, checkStackSegment(cpu, selector, cpu.cpl, Vector.GP));
  } else {
    commitSegment(cpu, seg, selector, checkDataSegment(cpu, seg, selector));
  }
  if (seg === SegReg.SS && inhibitInterrupts) {
    cpu.shadowUntil = cpu.icount + 1;
    cpu.breakBlock = true;
  }
}

/**
 * Write a segment register's hidden cache directly, without checks: for machine set-up
 * code (tests, program loaders, the VMM loading guest state from a VMCS). Loading CS also
 * sets the CPL to the DPL in `ar` (as VM entry derives it from the guest's access rights);
 * in real mode use DPL 0.
 * @param base linear base (uint32); @param limit byte-granular limit; @param ar VMCS-layout access rights
 */
export function loadSegmentCache(cpu: Cpu, seg: SegReg, selector: number, base: number, limit: number, ar: number): void {
  cpu.segs[seg].setCache(selector, base, limit, ar);
  if (seg === SegReg.CS) setCpl(cpu, arDpl(ar));
  cpu.breakBlock = true;
}

/**
 * On a return to an outer privilege level (far RET, IRET), make ES, DS, FS and GS unusable
 * when they could not be accessed at the new CPL: a data or nonconforming-code segment
 * with DPL < CPL (the DPL from the hidden cache, as the processor holds it). The selector
 * becomes 0. SDM Vol. 2B "RET" and Vol. 2A "IRET": "FOR each of segment register (ES, FS,
 * GS, and DS) … SegmentSelector ← 0".
 * @param cpl the new CPL (default: the processor's, already switched)
 * @param dplOf the DPL a register's segment has (default: its hidden cache's); a VMM that
 *   raised descriptor DPLs passes the guest's DPL here
 */
export function nullInaccessibleDataSegments(cpu: Cpu, cpl: number = cpu.cpl, dplOf: (selector: number, ar: number) => number = (_selector, ar) => arDpl(ar)): void {
  for (const seg of [SegReg.ES, SegReg.DS, SegReg.FS, SegReg.GS]) {
    const s = cpu.segs[seg];
    const ar = s.ar;
    // Already null (unusable): only the selector's RPL bits are cleared.
    if (ar & AR_UNUSABLE) {
      if (s.selector !== 0) s.setCache(0, s.base, s.limit, ar);
      continue;
    }
    // Data or nonconforming code with DPL < CPL: no longer accessible, becomes null.
    if ((arIsDataSeg(ar) || (arIsCodeSeg(ar) && !arIsConformingCode(ar))) && dplOf(s.selector, ar) < cpl) {
      s.setCache(0, s.base, s.limit, ar | AR_UNUSABLE);
    }
  }
}
