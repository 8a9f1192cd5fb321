/**
 * Writing and reading the control registers CR0, CR2, CR3, CR4 and the debug registers
 * DR0–DR7, with every side effect a write has (TLB flushes, mode changes, fixed bits).
 *
 * One implementation shared by MOV to/from CRn and DRn, LMSW, CLTS, the task switch (which
 * loads CR3 and sets CR0.TS) and the VMM, which emulates these instructions against a guest
 * `Cpu` when it intercepts them (exit reasons CR_ACCESS and DR_ACCESS). Each function
 * checks everything first and then commits, so a #GP leaves the registers unchanged.
 * Privilege (CPL 0) is the caller's check: the instruction handlers make it, the task
 * switch and the VMM do not need it.
 *
 * CR0 (SDM Vol. 3A §2.5; Vol. 2B "MOV—Move to/from Control Registers"):
 *   - PG = 1 with PE = 0, or NW = 1 with CD = 0, is #GP(0).
 *   - Reserved bits of CR0[31:0] are ignored on a write and read as 0 (§2.5: "Attempting to
 *     set any reserved bits in CR0[31:0] is ignored"); ET is hard-wired to 1 (P6 family).
 *   - A change of PG, WP or PE flushes the whole TLB including global entries: the SDM
 *     requires it for PG 1→0 (§4.10.4.1) and our TLB entries also encode PG (identity
 *     entries are cached while PG = 0) and WP (supervisor write permission), so any
 *     change of those must drop them. PE cannot change while PG = 1, so a PE change only
 *     drops identity entries; it is flushed for simplicity and costs nothing measurable.
 *   - Any write ends the executor's decoded chain (`breakBlock`): PE changes the mode.
 * CR3 (§4.10.4.1 "MOV to CR3"): stored as written (32-bit paging ignores bits 2:0 and 11:5);
 *   invalidates all TLB entries except global ones.
 * CR4 (§2.5, Vol. 2B "MOV—Move to/from Control Registers"): setting a bit outside
 *   CR4_SUPPORTED (a reserved bit, or a feature this model does not report: VME, PVI, PAE,
 *   MCE …) is #GP(0). A change of PGE, PSE or PAE flushes the whole TLB including global
 *   entries (§4.10.4.1 for PGE; PSE changes how our cached entries were formed).
 * DR0–DR7 (Vol. 2B "MOV—Move to/from Debug Registers"; Vol. 3B §18.2):
 *   - DR4/DR5 alias DR6/DR7 when CR4.DE = 0; with CR4.DE = 1 referencing them is #UD.
 *   - DR7.GD = 1 makes any access a #DB fault with DR6.BD set; the processor clears DR7.GD
 *     on entering the #DB handler (§18.2.4), which we do before raising the fault.
 *   - Order of the checks, as Bochs (crregs.cc MOV_DdRd/MOV_RdDd): #UD (DE), then #DB (GD),
 *     then the caller's #GP(0) for CPL > 0 — GD "causes a debug exception to be generated
 *     prior to any MOV instruction that accesses a debug register" (Vol. 3B §18.2.4).
 *   - DR6: bits 31:16 and 11:4 read as 1, bit 12 as 0; only B0–B3, BD, BS, BT are writable.
 *     DR7: bit 10 reads as 1, bits 12, 14, 15 as 0 (Pentium and later, as Bochs).
 *   NOT IMPLEMENTED: the breakpoints themselves. DR0–DR3 and DR7 are stored and read back,
 *   but no instruction, data or I/O breakpoint ever matches (no #DB from DR0–DR3). The
 *   single-step trap (TF) and general detect (GD) are implemented.
 */
import {
  CR0_ET,
  CR0_CD,
  CR0_EM,
  CR0_MP,
  CR0_NW,
  CR0_PE,
  CR0_PG,
  CR0_TS,
  CR0_WP,
  CR0_WRITABLE,
  CR4_DE,
  CR4_PAE,
  CR4_PGE,
  CR4_PSE,
  CR4_SUPPORTED,
  DR6_BD,
  DR6_FIXED1,
  DR7_FIXED1,
  DR7_GD,
} from '../arch/control-registers';
import { Vector } from '../arch/exceptions';
import type { Cpu } from './cpu';
import { CpuFault, gp, ud } from './fault';
import { flushTlb, loadCr3 } from './paging';

/** CR0 bits whose change invalidates every TLB entry including global ones. */
const CR0_FLUSH_BITS = CR0_PG | CR0_WP | CR0_PE;
/** CR4 bits whose change invalidates every TLB entry including global ones. */
const CR4_FLUSH_BITS = CR4_PGE | CR4_PSE | CR4_PAE;
/** DR6 bits software can write: B0–B3 (3:0), BD (13), BS (14), BT (15). */
export const DR6_WRITABLE = 0x0000e00f;
/** DR7 bits software can write (Pentium and later): all but 10 (reads 1) and 12, 14, 15 (read 0). */
export const DR7_WRITABLE = 0xffff2bff | 0;
/** The bits LMSW can load: PE, MP, EM, TS (SDM Vol. 2A "LMSW"). */
const MSW_BITS = CR0_PE | CR0_MP | CR0_EM | CR0_TS;

// ---------------------------------------------------------------------------------------------
// Control registers.

/**
 * Why writing `value` to CR0 would be #GP(0), or '' when it is a valid value.
 * Reserved bits are not a reason (they are ignored). SDM Vol. 2B "MOV—Move to/from
 * Control Registers", Protected Mode Exceptions; Vol. 3A §2.5.
 */
export function cr0WriteError(value: number): string {
  if (value & CR0_PG && !(value & CR0_PE)) return 'CR0.PG = 1 with CR0.PE = 0';
  if (value & CR0_NW && !(value & CR0_CD)) return 'CR0.NW = 1 with CR0.CD = 0';
  return '';
}

/**
 * Load CR0 (MOV to CR0, and the common path of LMSW and CLTS).
 * @param value the 32-bit value written; reserved bits are dropped, ET is forced to 1
 * @throws CpuFault #GP(0) for PG without PE or NW without CD (CR0 unchanged)
 * Side effects: full TLB flush when PG, WP or PE changes; always `breakBlock`.
 */
export function writeCr0(cpu: Cpu, value: number): void {
  const why = cr0WriteError(value);
  if (why) throw gp(0, `MOV to CR0: ${why}`);
  const next = (value & CR0_WRITABLE) | CR0_ET;
  const changed = cpu.cr0 ^ next;
  cpu.cr0 = next;
  if (changed & CR0_FLUSH_BITS) flushTlb(cpu, true);
  cpu.breakBlock = true;
}

/** Load CR2 (the page-fault linear address). No side effects. */
export function writeCr2(cpu: Cpu, value: number): void {
  cpu.cr2 = value >>> 0;
}

/**
 * Load CR3 (MOV to CR3; a task switch with paging). Stored as written.
 * Side effect: invalidates all non-global TLB entries (SDM Vol. 3A §4.10.4.1), even when
 * the value is unchanged or paging is off.
 */
export function writeCr3(cpu: Cpu, value: number): void {
  loadCr3(cpu, value);
}

/** Why writing `value` to CR4 would be #GP(0), or '' when valid (SDM Vol. 3A §2.5). */
export function cr4WriteError(value: number): string {
  const bad = value & ~CR4_SUPPORTED;
  if (bad) return `reserved or unsupported CR4 bits 0x${(bad >>> 0).toString(16)}`;
  return '';
}

/**
 * Load CR4 (MOV to CR4).
 * @throws CpuFault #GP(0) when a bit outside CR4_SUPPORTED is set (CR4 unchanged)
 * Side effects: full TLB flush when PGE, PSE or PAE changes; always `breakBlock`.
 */
export function writeCr4(cpu: Cpu, value: number): void {
  const why = cr4WriteError(value);
  if (why) throw gp(0, `MOV to CR4: ${why}`);
  const changed = cpu.cr4 ^ value;
  cpu.cr4 = value >>> 0;
  if (changed & CR4_FLUSH_BITS) flushTlb(cpu, true);
  cpu.breakBlock = true;
}

/** Read CRn (n = 0, 2, 3, 4) as a uint32; the decoder has rejected CR1 and CR5–CR7 (#UD). */
export function readCr(cpu: Cpu, n: number): number {
  switch (n) {
    case 0:
      return cpu.cr0 >>> 0;
    case 2:
      return cpu.cr2 >>> 0;
    case 3:
      return cpu.cr3 >>> 0;
    case 4:
      return cpu.cr4 >>> 0;
    default:
      throw ud(`no control register CR${n}`);
  }
}

/**
 * Write CRn (n = 0, 2, 3, 4) with the effects of MOV to CRn.
 * @throws CpuFault #GP(0) as writeCr0 / writeCr4; #UD for a nonexistent CRn
 */
export function writeCr(cpu: Cpu, n: number, value: number): void {
  switch (n) {
    case 0:
      return writeCr0(cpu, value);
    case 2:
      return writeCr2(cpu, value);
    case 3:
      return writeCr3(cpu, value);
    case 4:
      return writeCr4(cpu, value);
    default:
      throw ud(`no control register CR${n}`);
  }
}

/**
 * LMSW: load PE, MP, EM and TS from the low 4 bits of `msw`; the other bits of CR0 are
 * unchanged, and PE can be set but not cleared (SDM Vol. 2A "LMSW", Operation).
 */
export function lmsw(cpu: Cpu, msw: number): void {
  let bits = msw & MSW_BITS;
  if (cpu.cr0 & CR0_PE) bits |= CR0_PE;
  writeCr0(cpu, (cpu.cr0 & ~MSW_BITS) | bits);
}

/** The machine status word SMSW stores: CR0 bits 15:0 (the register form with a 32-bit operand stores all of CR0, see system.ts). */
export function smsw(cpu: Cpu): number {
  return cpu.cr0 & 0xffff;
}

/** CLTS: clear CR0.TS (SDM Vol. 2A "CLTS"). No TLB or mode effect. */
export function clts(cpu: Cpu): void {
  cpu.cr0 &= ~CR0_TS;
}

// ---------------------------------------------------------------------------------------------
// Debug registers.

/**
 * The checks of MOV to/from DRn (CPL is the caller's): #UD for DR4/DR5 with CR4.DE = 1, then
 * #DB when DR7.GD = 1 — which sets DR6.BD and clears DR7.GD, as the processor does when it
 * raises this fault (SDM Vol. 3B §18.2.4). Returns the register actually addressed
 * (DR4 → DR6, DR5 → DR7 when CR4.DE = 0).
 */
export function checkDrAccess(cpu: Cpu, n: number): number {
  if (n === 4 || n === 5) {
    if (cpu.cr4 & CR4_DE) throw ud(`DR${n} referenced with CR4.DE = 1`);
    n += 2;
  }
  if (cpu.dr[7] & DR7_GD) {
    cpu.dr[6] |= DR6_BD;
    cpu.dr[7] &= ~DR7_GD;
    throw new CpuFault(Vector.DB, -1, 'debug-register access with DR7.GD = 1 (general detect)');
  }
  return n;
}

/** Read the debug register `r` (0–3, 6, 7; already resolved by checkDrAccess) as a uint32. */
export function getDr(cpu: Cpu, r: number): number {
  return cpu.dr[r] >>> 0;
}

/**
 * Write the debug register `r` (0–3, 6, 7; already resolved by checkDrAccess). DR6 and DR7
 * keep their fixed bits. Breakpoint matching is not implemented (see the file header).
 */
export function setDr(cpu: Cpu, r: number, value: number): void {
  if (r === 6) cpu.dr[6] = DR6_FIXED1 | (value & DR6_WRITABLE);
  else if (r === 7) cpu.dr[7] = DR7_FIXED1 | (value & DR7_WRITABLE);
  else cpu.dr[r] = value;
}

/**
 * MOV r32, DRn as the VMM emulates it at CPL 0: checkDrAccess, then getDr.
 * @throws CpuFault #UD (DR4/DR5 with CR4.DE), #DB (DR7.GD)
 */
export function readDr(cpu: Cpu, n: number): number {
  return getDr(cpu, checkDrAccess(cpu, n));
}

/**
 * MOV DRn, r32 as the VMM emulates it at CPL 0: checkDrAccess, then setDr.
 * @throws CpuFault #UD (DR4/DR5 with CR4.DE), #DB (DR7.GD)
 */
export function writeDr(cpu: Cpu, n: number, value: number): void {
  setDr(cpu, checkDrAccess(cpu, n), value);
}
