/**
 * VMM RESERVED_AREA_ACCESS: a guest access to the top 4 MiB of the linear space, which the
 * VMM reserves for the tables the real CPU uses (address-space compression; docs/vmm-design.md;
 * ../shared/notes/virtualization-background.md, "The troubles", point 6). Emulated "as if
 * the memory were the guest's": open, single-step, close.
 *
 * How such an access arrives:
 *   - #GP(0) from a guest segment whose limit the VMM truncated at 0xFFBFFFFF (shadow-gdt.ts)
 *     while the guest's own descriptor allows the offset (`reservedAreaAccessOf`);
 *   - a host #PF at 0xFFC00000 or above outside an emulated access (the VMM's pages are
 *     supervisor-only, so guest code at host CPL 3 faults on them; vm.ts routes it here).
 *
 * Emulation (`onReservedAreaAccess`): the VMM empties the shared area page table (every shadow
 * maps the area through it, shadow-paging.ts `openArea`), raises the limit of the segment the
 * operand uses to the guest's own limit, and runs the ONE instruction on the host CPU with
 * interrupts held off. Its access then takes a host #PF (a nested exit) that the ordinary
 * shadow-paging path resolves from the guest's tables — a hidden fill of the guest's own page
 * at that linear address, or the guest's #PF reflected with CR2 = the area address, as on bare
 * hardware. Then the VMM restores the truncated limit (unless the instruction reloaded the
 * register) and the area table (`closeArea`). Events during the step are intercepted before the
 * CPU reads the IDT or TSS, so the host tables are not needed while they are unmapped.
 *
 * NOT YET (said plainly): instructions that read descriptor tables themselves (segment loads,
 * far transfers, IRET, LAR/LSL/VERR/VERW) with an operand in the area stop the VM
 * (VmmUnsupported) — during the step the CPU would read the GDT through the guest's page;
 * an access through SS (stack beyond the truncated SS limit, #SS) and code fetched from the
 * area are reflected as the guest's faults; the guest's true segment limit is taken from its
 * descriptor in memory when the cached base still matches it (a segment whose descriptor
 * changed since it was loaded keeps the truncated limit and takes the #GP); the VMM's own
 * emulation of a privileged instruction whose operand lies in the area (LGDT [0xFFC00000])
 * reflects #GP.
 */
import { guestTableReader } from '../descriptor-protection';
import { Vector } from '../../../arch/exceptions';
import { AR_CODE, AR_DC, AR_S, AR_UNUSABLE, decodeDescriptor, SegReg } from '../../../arch/segments';
import type { Cpu, CpuEvent } from '../../../cpu/cpu';
import type { Insn } from '../../../cpu/decoder/insn';
import { ea } from '../../../cpu/memory-access';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { decodeAtEip } from '../classify';
import { VMM_AREA_LINEAR } from '../shadow-gdt';
import { stepGuestInstruction } from '../shadow-paging';
import { VmmUnsupported } from '../virtual-delivery';
import type { TrapAndEmulateState } from '../vm-state';

/** A guest access to the VMM area found at an exit. */
export interface ReservedAreaAccess {
  /** The instruction at CS:EIP. */
  readonly insn: Insn;
  /** Guest-linear address of the access's first byte (for a #PF: the faulting address). */
  readonly lin: number;
  /** Segment register whose truncated limit faulted, and the guest's own limit for it (bytes - 1); -1 for a #PF. */
  readonly seg: number;
  readonly guestLimit: number;
}

/** Opcodes (decoder numbering) that read a descriptor table while they execute. */
const READS_DESCRIPTORS = new Set([0x8e, 0x07, 0x17, 0x1f, 0x0fa1, 0x0fa9, 0xc4, 0xc5, 0x0fb2, 0x0fb4, 0x0fb5, 0x9a, 0xea, 0xca, 0xcb, 0xcf, 0x0f02, 0x0f03]);

function readsDescriptors(insn: Insn): boolean {
  if (READS_DESCRIPTORS.has(insn.opcode)) return true;
  if (insn.opcode === 0xff && (insn.reg === 3 || insn.reg === 5)) return true; // CALL/JMP far m16:32
  return insn.opcode === 0x0f00; // LLDT, LTR, VERR, VERW
}

/**
 * The limit (bytes - 1) the guest's own descriptor gives segment register `s`, or -1 when it
 * cannot be known: the guest descriptor (read at the guest's GDT/LDT linear base through the
 * guest's paging, as the shadow builders do) must still have the cached base.
 */
function guestLimitOf(cpu: Cpu, state: TrapAndEmulateState, s: number): number {
  const seg = cpu.segs[s];
  const sel = seg.selector;
  if ((sel & 0xfffc) === 0) return -1;
  const table = sel & 4 ? { base: state.ldtr.base, limit: (state.ldtr.selector & 0xfffc) === 0 ? -1 : state.ldtr.limit } : state.gdtr;
  const off = sel & 0xfff8;
  if (off + 7 > table.limit) return -1;
  const at = (table.base + off) >>> 0;
  const read = guestTableReader(state);
  const lo = read(at);
  const hi = read((at + 4) >>> 0);
  if (lo === null || hi === null) return -1;
  const d = decodeDescriptor(lo, hi);
  if (!(d.ar & AR_S) || d.base >>> 0 !== seg.base >>> 0) return -1;
  return d.limit >>> 0;
}

/**
 * Whether a #GP(0) the guest took at host CPL > 0 is an access beyond a limit the VMM truncated
 * (file header) that the guest's own limit allows, and to what.
 * @returns the access, or null when the #GP is the guest's own (reflected as usual)
 */
export function reservedAreaAccessOf(cpu: Cpu, state: TrapAndEmulateState, event: CpuEvent): ReservedAreaAccess | null {
  if (event.type !== 'hardware-exception' || event.vector !== Vector.GP || event.errorCode !== 0 || cpu.cpl === 0) return null;
  const insn = decodeAtEip(cpu);
  if (insn === null || insn.entry === null || insn.mod === 3) return null;
  const s = insn.seg;
  if (s === SegReg.CS || s === SegReg.SS) return null;
  const seg = cpu.segs[s];
  if (seg.ar & AR_UNUSABLE || (seg.ar & (AR_CODE | AR_DC)) === AR_DC) return null;
  const base = seg.base >>> 0;
  const off = ea(cpu, insn) >>> 0;
  // Truncated caches end exactly below the area (byte granular) or on the page below it.
  const truncatedAt = VMM_AREA_LINEAR - 1 - base;
  if (base >= VMM_AREA_LINEAR || seg.limit >>> 0 < truncatedAt - 0xfff || seg.limit >>> 0 > truncatedAt) return null;
  if (off + 15 <= seg.limit >>> 0) return null; // not near the truncated limit: another reason
  const guestLimit = guestLimitOf(cpu, state, s);
  if (guestLimit <= seg.limit >>> 0 || off > guestLimit) return null;
  return { insn, lin: (base + off) >>> 0, seg: s, guestLimit };
}

/**
 * The access of a host #PF at `lin` in the VMM area outside an emulated access (a guest at
 * host CPL 3 reaching the VMM's supervisor pages), or null when it is not one.
 */
export function reservedAreaFaultOf(cpu: Cpu, lin: number): ReservedAreaAccess | null {
  if (lin >>> 0 < VMM_AREA_LINEAR) return null;
  const insn = decodeAtEip(cpu);
  if (insn === null) return null;
  return { insn, lin: lin >>> 0, seg: -1, guestLimit: -1 };
}

export function onReservedAreaAccess(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const a = state.areaAccess;
  if (a === null) throw new Error('internal: RESERVED_AREA_ACCESS exit without the access');
  if (readsDescriptors(a.insn)) {
    throw new VmmUnsupported(`a descriptor-loading instruction (opcode 0x${a.insn.opcode.toString(16)}) with its operand at 0x${a.lin.toString(16)} in the VMM's linear area is not emulated`);
  }
  const seg = a.seg >= 0 ? cpu.segs[a.seg] : null;
  const saved = seg === null ? null : { selector: seg.selector, base: seg.base, limit: seg.limit, ar: seg.ar };
  const eip = cpu.eip;
  const cs = cpu.segs[SegReg.CS].selector;
  const icount = cpu.icount;
  state.paging.openArea(cpu);
  try {
    if (seg !== null && saved !== null) seg.setCache(saved.selector, saved.base, a.guestLimit, saved.ar);
    cpu.breakBlock = true;
    // One instruction; a hidden fill of the guest's page (nested exit) leaves it unretired: run it again.
    for (let attempt = 0; attempt < 4; attempt++) {
      stepGuestInstruction(cpu);
      if (cpu.icount !== icount || cpu.eip !== eip || cpu.segs[SegReg.CS].selector !== cs || cpu.stopReason !== null) break;
    }
  } finally {
    if (seg !== null && saved !== null && seg.selector === saved.selector && seg.base === saved.base && seg.limit === a.guestLimit && seg.ar === saved.ar) {
      seg.setCache(saved.selector, saved.base, saved.limit, saved.ar);
    }
    state.paging.closeArea(cpu);
    cpu.breakBlock = true;
  }
  ctx.charge(4);
  return RESUME;
}
