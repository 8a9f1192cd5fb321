/**
 * Moving a virtual CPU's guest state between a `Cpu` and its `VmcsRecord`, as the
 * processor does on VM exit and VM entry — and, for comparison, the way a software VMM
 * before VT had to restore segment registers.
 *
 *  - `saveGuestState`: VM exit, "Saving Guest State" (SDM Vol. 3C §28.3 in current editions,
 *    §27.3 in older ones): CR0, CR3, CR4, DR7, ESP, EIP, EFLAGS, the selector, base, limit
 *    and access rights of ES, CS, SS, DS, FS, GS, LDTR and TR (access rights in the VMCS
 *    layout with bit 16 "unusable"), GDTR and IDTR, the SYSENTER MSRs, interruptibility and
 *    activity state.
 *  - `loadGuestState`: VM entry, "Loading Guest State" (§27.3.2): the same fields back, the
 *    segment caches written DIRECTLY from the record. That is what VT-x does, and why it
 *    has no hidden-state problem: the descriptor caches travel in the VMCS, whatever the
 *    descriptor tables in memory say now.
 *  - `restoreByReloading`: what a pre-VT VMM had to do instead — restore each segment
 *    register by loading its selector again, from the descriptor tables in memory (real
 *    mode: base = selector << 4 and the 64-KiB limit a virtual-8086 reload gives). When a
 *    descriptor changed after the guest loaded it, or the guest changed mode since (the
 *    "unreal mode" FS with a 4-GiB limit), the register comes back with the descriptor's
 *    current values and the guest's hidden state is lost
 *    (../shared/notes/virtualization-background.md, "The troubles", point 5, the Xen
 *    thread's example; SDM Vol. 3C §25.4.1: the caches are in the VMCS "because it is
 *    possible for a segment register's descriptor cache to be inconsistent with the segment
 *    descriptor in memory").
 *    `loadGuestState(…, { preserveHiddenState: false })` selects it; the default, true,
 *    is the VT-x behaviour.
 *
 * The VMCS has no general-purpose registers other than ESP, no CR2, DR0–DR3 or DR6: VT-x
 * leaves them in the processor and every VMM saves them in software. `GuestRegisters` is that
 * software save area; pass one to save and load them too.
 *
 * Model notes (deviations recorded):
 *  - CPL: the VMCS has no CPL field; "the value of the DPL field for SS is always equal to
 *    the logical processor's current privilege level" (§25.4.1), and VM entry makes SS.DPL
 *    the CPL (§27.3.2.2). Saving writes SS.AR with DPL = `cpu.cpl` (so the record obeys the
 *    rule even in the moments our Cpu lets SS.DPL lag, e.g. just after setting CR0.PE);
 *    loading sets the CPL from SS.DPL (0 when CR0.PE = 0).
 *  - Interruptibility: the Cpu keeps one interrupt shadow (`shadowUntil`) for STI and
 *    MOV SS, blocking INTR and NMI alike. An active shadow is saved as blocking by STI when
 *    EFLAGS.IF = 1 and as blocking by MOV SS when IF = 0 (VM entry forbids STI blocking with
 *    IF = 0, §27.3.1.5); either bit loads back as the same one-instruction shadow.
 *    Blocking by SMI is never set (no SMM on this model).
 *  - GUEST_PENDING_DBG_EXCEPTIONS is saved as 0: this model delivers the single-step trap
 *    at the instruction boundary itself and has no data breakpoints, so none is ever pending
 *    at an exit. GUEST_IA32_DEBUGCTL is not touched (the MSR is not modelled).
 *  - VM entry's checks on the guest state (§27.3.1) are not made here: they belong to the
 *    caller that decides what to load (vmentry's checkGuestState, in the layout).
 *
 * @see Intel SDM Vol. 3C §25.4 "Guest-State Area", §27.3.2 "Loading Guest State",
 *      §28.3 "Saving Guest State" (chapter numbers of current editions).
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PGE, CR4_PSE, CR4_PAE } from '../arch/control-registers';
import { EFLAGS_FIXED1, EFLAGS_IF } from '../arch/eflags';
import { AR_ACCESSED, AR_CODE, AR_DPL_MASK, AR_DPL_SHIFT, AR_P, AR_RW, AR_S, AR_UNUSABLE, arDpl, decodeDescriptor, SegReg, selectorIsNull } from '../arch/segments';
import { ActivityState, INTERRUPTIBILITY_MOV_SS, INTERRUPTIBILITY_NMI, INTERRUPTIBILITY_STI, VMCS } from '../arch/vmcs';
import type { Cpu } from '../cpu/cpu';
import { CpuFault } from '../cpu/fault';
import { getEflags } from '../cpu/flags';
import { flushTlb } from '../cpu/paging';
import type { SegmentRegister } from '../cpu/segment-register';
import { lookupDescriptor, setCpl } from '../cpu/segmentation';
import type { VmcsRecord } from './vmcs-record';

/** Access-rights bits the VMCS keeps: 16 (unusable), 15:12, 7:0; 31:17 and 11:8 are reserved (§25.4.1). */
const AR_VMCS_MASK = 0x1f0ff;
/** The eight registers with VMCS segment fields, in encoding order: ES, CS, SS, DS, FS, GS, LDTR, TR. */
const SEGMENT_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];
/** CR0/CR4 bits whose change invalidates TLB entries (as control-registers.ts flushes for). */
const CR0_TLB_BITS = CR0_PG | CR0_WP | CR0_PE;
const CR4_TLB_BITS = CR4_PGE | CR4_PSE | CR4_PAE;

const segmentOf = (cpu: Cpu, n: number): SegmentRegister => (n < 6 ? cpu.segs[n] : n === 6 ? cpu.ldtr : cpu.tr);

/**
 * The guest state the VMCS does not hold and a VMM saves in software: EAX..EDI (the ESP slot
 * is kept too, but GUEST_RSP is what loads), CR2, DR0–DR3 and DR6.
 */
export class GuestRegisters {
  /** EAX..EDI in ModRM order (int32). */
  readonly gpr = new Int32Array(8);
  cr2 = 0;
  /** DR0..DR3. */
  readonly dr = new Int32Array(4);
  dr6 = 0;

  /** A plain JSON-safe copy, for VM snapshots. */
  snapshot(): GuestRegistersSnapshot {
    return { gpr: Array.from(this.gpr), cr2: this.cr2 >>> 0, dr: Array.from(this.dr), dr6: this.dr6 >>> 0 };
  }

  restore(s: Readonly<GuestRegistersSnapshot>): void {
    if (s.gpr.length !== 8 || s.dr.length !== 4) throw new RangeError('GuestRegisters snapshot: expected 8 GPRs and 4 debug registers');
    this.gpr.set(s.gpr);
    this.cr2 = s.cr2 >>> 0;
    this.dr.set(s.dr);
    this.dr6 = s.dr6 | 0;
  }
}

export interface GuestRegistersSnapshot {
  gpr: number[];
  cr2: number;
  dr: number[];
  dr6: number;
}

/**
 * VM exit, saving guest state (SDM Vol. 3C §28.3): write the guest-state area of `record`
 * from `cpu`. Materialises lazily computed flags (getEflags). EIP is saved as it stands:
 * the caller positions it (the faulting instruction for a fault-like exit, the next one
 * for a trap-like exit, §28.3.3's RIP rules). With `regs`, also saves the state VT-x leaves
 * to software (see GuestRegisters).
 */
export function saveGuestState(cpu: Cpu, record: VmcsRecord, regs?: GuestRegisters): void {
  // §28.3.1: control registers, debug register DR7.
  record.write(VMCS.GUEST_CR0, cpu.cr0);
  record.write(VMCS.GUEST_CR3, cpu.cr3);
  record.write(VMCS.GUEST_CR4, cpu.cr4);
  record.write(VMCS.GUEST_DR7, cpu.dr[7]);
  // §28.3.3: RSP, RIP, RFLAGS (lazy flags folded in).
  record.write(VMCS.GUEST_RSP, cpu.regs[4]);
  record.write(VMCS.GUEST_RIP, cpu.eip);
  record.write(VMCS.GUEST_RFLAGS, getEflags(cpu));
  // §28.3.2: segment registers (selector, base, limit, access rights with the unusable bit), GDTR, IDTR.
  for (let n = 0; n < 8; n++) {
    const s = segmentOf(cpu, n);
    let ar = s.ar & AR_VMCS_MASK;
    if (n === SegReg.SS) ar = (ar & ~AR_DPL_MASK) | (cpu.cpl << AR_DPL_SHIFT); // SS.DPL is the CPL (§25.4.1)
    record.write(VMCS.GUEST_ES_SELECTOR + 2 * n, s.selector);
    record.write(VMCS.GUEST_ES_BASE + 2 * n, s.base);
    record.write(VMCS.GUEST_ES_LIMIT + 2 * n, s.limit);
    record.write(VMCS.GUEST_ES_AR_BYTES + 2 * n, ar);
  }
  record.write(VMCS.GUEST_GDTR_BASE, cpu.gdtr.base);
  record.write(VMCS.GUEST_GDTR_LIMIT, cpu.gdtr.limit);
  record.write(VMCS.GUEST_IDTR_BASE, cpu.idtr.base);
  record.write(VMCS.GUEST_IDTR_LIMIT, cpu.idtr.limit);
  // §28.3.1: the SYSENTER MSRs.
  record.write(VMCS.GUEST_SYSENTER_CS, cpu.sysenterCs);
  record.write(VMCS.GUEST_SYSENTER_ESP, cpu.sysenterEsp);
  record.write(VMCS.GUEST_SYSENTER_EIP, cpu.sysenterEip);
  // §28.3.4 "Saving Non-Register State": activity, interruptibility, pending debug exceptions.
  record.write(VMCS.GUEST_ACTIVITY_STATE, cpu.shutdown ? ActivityState.SHUTDOWN : cpu.halted ? ActivityState.HLT : ActivityState.ACTIVE);
  let intr = 0;
  if (cpu.shadowUntil >= cpu.icount) intr |= cpu.flags & EFLAGS_IF ? INTERRUPTIBILITY_STI : INTERRUPTIBILITY_MOV_SS;
  if (cpu.nmiBlocked) intr |= INTERRUPTIBILITY_NMI;
  record.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, intr);
  record.write(VMCS.GUEST_PENDING_DBG_EXCEPTIONS, 0);
  if (regs) {
    regs.gpr.set(cpu.regs.subarray(0, 8));
    regs.cr2 = cpu.cr2 >>> 0;
    regs.dr.set(cpu.dr.subarray(0, 4));
    regs.dr6 = cpu.dr[6];
  }
}

/** Where `restoreByReloading` reads descriptors from. */
export interface DescriptorTables {
  /**
   * The two dwords of the descriptor `selector` names, or null when it lies beyond the
   * table limit (or TI = 1 with no usable LDT).
   * @throws CpuFault when the table cannot be read (#PF)
   */
  descriptor(selector: number): { lo: number; hi: number } | null;
}

/** The guest's own tables, through the Cpu's GDTR and LDTR (implicit supervisor reads, segmentation.ts). */
export function guestDescriptorTables(cpu: Cpu): DescriptorTables {
  return { descriptor: (selector) => lookupDescriptor(cpu, selector) };
}

export interface LoadGuestStateOptions {
  /**
   * true (default): write the segment caches directly from the record, as VT-x VM entry
   * does. false: restore them by reloading each selector from the descriptor tables, as a
   * pre-VT VMM had to (`restoreByReloading`), losing hidden state that no longer matches
   * memory.
   */
  preserveHiddenState?: boolean;
  /** Descriptor tables for the reloading path; default: the guest's, through the loaded GDTR/LDTR. */
  tables?: DescriptorTables;
  /** Also load the software-saved registers (GPRs, CR2, DR0–DR3, DR6). */
  regs?: GuestRegisters;
}

/** A segment register whose cache came back different from the record's (hidden state lost). */
export interface HiddenStateLoss {
  register: SegmentName;
  selector: number;
  saved: { base: number; limit: number; ar: number };
  reloaded: { base: number; limit: number; ar: number };
  /** What the reload saw: the descriptor's current values, a real-mode reload, a null or unreadable selector. */
  why: string;
}

/**
 * VM entry, loading guest state (SDM Vol. 3C §27.3.2): set `cpu` from the guest-state area
 * of `record`. Then flushes the TLB when CR0.PG/WP/PE, CR3, CR4.PGE/PSE/PAE changed or a
 * paging structure was written since the last flush, sets the CPL (segmentation `setCpl`,
 * which recomputes the access masks) and `breakBlock`.
 * @returns the segment registers whose hidden state was lost (always empty when the hidden
 *   state is preserved)
 */
export function loadGuestState(cpu: Cpu, record: VmcsRecord, options: LoadGuestStateOptions = {}): HiddenStateLoss[] {
  const { preserveHiddenState = true, regs } = options;
  const cr0 = record.read(VMCS.GUEST_CR0);
  const cr3 = record.read(VMCS.GUEST_CR3);
  const cr4 = record.read(VMCS.GUEST_CR4);
  const flush =
    ((cpu.cr0 ^ cr0) & CR0_TLB_BITS) !== 0 || cpu.cr3 >>> 0 !== cr3 || ((cpu.cr4 ^ cr4) & CR4_TLB_BITS) !== 0 || cpu.memory.pagingStamp !== cpu.tlbStamp;
  // §27.3.2.1: control registers, DR7, SYSENTER MSRs.
  cpu.cr0 = cr0 | 0; // int32, as control-registers.ts keeps it (PG is bit 31)
  cpu.cr3 = cr3;
  cpu.cr4 = cr4;
  if (flush) flushTlb(cpu, true);
  cpu.dr[7] = record.read(VMCS.GUEST_DR7);
  cpu.sysenterCs = record.read(VMCS.GUEST_SYSENTER_CS);
  cpu.sysenterEsp = record.read(VMCS.GUEST_SYSENTER_ESP);
  cpu.sysenterEip = record.read(VMCS.GUEST_SYSENTER_EIP);
  // §27.3.2.2: GDTR and IDTR from base and limit (no hidden state beyond them).
  cpu.gdtr.base = record.read(VMCS.GUEST_GDTR_BASE);
  cpu.gdtr.limit = record.read(VMCS.GUEST_GDTR_LIMIT) & 0xffff;
  cpu.idtr.base = record.read(VMCS.GUEST_IDTR_BASE);
  cpu.idtr.limit = record.read(VMCS.GUEST_IDTR_LIMIT) & 0xffff;
  // §27.3.2.3: RSP, RIP, RFLAGS (any lazy flag state is replaced).
  cpu.regs[4] = record.read(VMCS.GUEST_RSP);
  cpu.eip = record.read(VMCS.GUEST_RIP);
  cpu.flags = (record.read(VMCS.GUEST_RFLAGS) | EFLAGS_FIXED1) >>> 0;
  cpu.lazyMask = 0;
  // §27.3.2.2: segment registers.
  let losses: HiddenStateLoss[] = [];
  if (preserveHiddenState) {
    for (let n = 0; n < 8; n++) {
      segmentOf(cpu, n).setCache(
        record.read(VMCS.GUEST_ES_SELECTOR + 2 * n),
        record.read(VMCS.GUEST_ES_BASE + 2 * n),
        record.read(VMCS.GUEST_ES_LIMIT + 2 * n),
        record.read(VMCS.GUEST_ES_AR_BYTES + 2 * n) & AR_VMCS_MASK,
      );
    }
    // SS.DPL becomes the CPL (§27.3.2.2); real mode runs at CPL 0.
    setCpl(cpu, cr0 & CR0_PE ? arDpl(cpu.segs[SegReg.SS].ar) : 0);
  } else {
    losses = restoreByReloading(cpu, record, options.tables ?? guestDescriptorTables(cpu));
  }
  // §27.3.2.5 (non-register state): interruptibility and activity.
  const intr = record.read(VMCS.GUEST_INTERRUPTIBILITY_INFO);
  cpu.shadowUntil = intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS) ? cpu.icount : -1;
  cpu.nmiBlocked = (intr & INTERRUPTIBILITY_NMI) !== 0;
  const activity = record.read(VMCS.GUEST_ACTIVITY_STATE);
  cpu.halted = activity === ActivityState.HLT;
  cpu.shutdown = activity === ActivityState.SHUTDOWN;
  if (regs) {
    for (let r = 0; r < 8; r++) if (r !== 4) cpu.regs[r] = regs.gpr[r];
    cpu.cr2 = regs.cr2 >>> 0;
    cpu.dr.set(regs.dr, 0);
    cpu.dr[6] = regs.dr6;
  }
  cpu.breakBlock = true;
  return losses;
}

/** Access rights a selector load in virtual-8086 mode gives, as a real-mode cache (DPL 0): present, accessed read/write data, or code for CS. */
const REAL_MODE_DATA_AR = AR_P | AR_S | AR_RW | AR_ACCESSED;

/**
 * Restore ES, CS, SS, DS, FS, GS, LDTR and TR from `record` the way a software VMM without
 * VT had to: by loading each saved selector again. Everything else (CR0, GDTR…) must
 * already be in `cpu`; `loadGuestState(…, { preserveHiddenState: false })` arranges that.
 *
 *  - Protected mode (GUEST_CR0.PE = 1): LDTR and TR from the GDT first, then CS, SS, DS,
 *    ES, FS, GS from the GDT or LDT; the cache gets the descriptor's CURRENT base, limit
 *    and access rights (accessed bit set, as a load sets it). A null selector makes the
 *    register unusable; a selector beyond its table, or a table that cannot be read, too
 *    (a real VMM would have faulted on it) — each reported.
 *  - Real mode: base = selector << 4 with the 64-KiB limit and present read/write data
 *    rights (code for CS) that the VMM's reload in virtual-8086 mode gives — a limit a
 *    protected-mode load left in the cache ("unreal mode") does not survive. LDTR and TR
 *    cannot be reloaded in real mode (LLDT/LTR are #UD there); they are left as saved.
 *  - CPL: the RPL of the reloaded CS in protected mode (SDM Vol. 3A §5.8.1), 0 in real mode.
 * No privilege or type checks are made: the VMM reloads at ring 0 what the guest had
 * loaded. The accessed bits are not written back to the guest's tables.
 * @returns every register whose cache differs from the record's (for unusable registers
 *   only the selector and the unusable bit are compared): the hidden state lost
 */
export function restoreByReloading(cpu: Cpu, record: VmcsRecord, tables: DescriptorTables): HiddenStateLoss[] {
  const losses: HiddenStateLoss[] = [];
  const protectedMode = (record.read(VMCS.GUEST_CR0) & CR0_PE) !== 0;
  // LDTR (6) and TR (7) first: the other selectors may name LDT entries.
  for (const n of [6, 7, SegReg.CS, SegReg.SS, SegReg.DS, SegReg.ES, SegReg.FS, SegReg.GS]) {
    const selector = record.read(VMCS.GUEST_ES_SELECTOR + 2 * n);
    const saved = {
      base: record.read(VMCS.GUEST_ES_BASE + 2 * n),
      limit: record.read(VMCS.GUEST_ES_LIMIT + 2 * n),
      ar: record.read(VMCS.GUEST_ES_AR_BYTES + 2 * n) & AR_VMCS_MASK,
    };
    let reloaded: { base: number; limit: number; ar: number };
    let why: string;
    if (!protectedMode) {
      if (n >= 6) {
        reloaded = saved;
        why = 'not reloadable in real mode; kept as saved';
      } else {
        reloaded = { base: (selector << 4) >>> 0, limit: 0xffff, ar: REAL_MODE_DATA_AR | (n === SegReg.CS ? AR_CODE : 0) };
        why = 'real-mode reload: base = selector << 4, 64-KiB limit';
      }
    } else {
      ({ reloaded, why } = reloadProtected(tables, n, selector));
    }
    segmentOf(cpu, n).setCache(selector, reloaded.base, reloaded.limit, reloaded.ar);
    if (differs(saved, reloaded)) losses.push({ register: SEGMENT_NAMES[n], selector, saved, reloaded, why });
  }
  setCpl(cpu, protectedMode ? cpu.segs[SegReg.CS].selector & 3 : 0);
  cpu.breakBlock = true;
  return losses;
}

function reloadProtected(tables: DescriptorTables, n: number, selector: number): { reloaded: { base: number; limit: number; ar: number }; why: string } {
  const name = SEGMENT_NAMES[n];
  // A null selector (or TI = 1 for LDTR/TR, which live in the GDT only) leaves the register unusable.
  if (selectorIsNull(selector) || (n >= 6 && selector & 4)) {
    return { reloaded: { base: 0, limit: 0, ar: AR_UNUSABLE }, why: `null selector: ${name} is unusable` };
  }
  let d: { lo: number; hi: number } | null;
  try {
    d = tables.descriptor(selector);
  } catch (e) {
    if (!(e instanceof CpuFault)) throw e;
    return { reloaded: { base: 0, limit: 0, ar: AR_UNUSABLE }, why: `descriptor table unreadable (${e.toString()}): ${name} is unusable` };
  }
  if (d === null) {
    return { reloaded: { base: 0, limit: 0, ar: AR_UNUSABLE }, why: `selector 0x${selector.toString(16)} lies beyond its table: ${name} is unusable` };
  }
  const { base, limit, ar } = decodeDescriptor(d.lo, d.hi);
  return { reloaded: { base, limit, ar: ar & AR_S ? ar | AR_ACCESSED : ar }, why: "reloaded from the descriptor's current contents" };
}

function differs(a: { base: number; limit: number; ar: number }, b: { base: number; limit: number; ar: number }): boolean {
  const ua = (a.ar & AR_UNUSABLE) !== 0;
  const ub = (b.ar & AR_UNUSABLE) !== 0;
  if (ua || ub) return ua !== ub;
  return a.base >>> 0 !== b.base >>> 0 || a.limit >>> 0 !== b.limit >>> 0 || a.ar !== b.ar;
}
