/**
 * EXIT_REASON_LDTR_TR_ACCESS (47): LLDT and LTR fault at CPL 1 with #GP(0) and are emulated
 * with the SDM's checks against the guest's own GDT (Vol. 2A "LLDT", Vol. 2A "LTR"):
 *
 *   LLDT  null selector: the virtual LDTR becomes unusable; else TI = 0, inside the guest
 *         GDT, an LDT descriptor (#GP(selector)), present (#NP(selector)). The host LDTR then
 *         holds a SHADOW LDT (descriptors shadowed as in the GDT) through shadow GDT slot
 *         VMM_LDT_INDEX, so SLDT shows the VMM's selector (the hole).
 *   LTR   non-null (#GP(0)), TI = 0, inside the guest GDT, an available TSS (#GP(selector)),
 *         present (#NP(selector)); the guest descriptor is marked busy, as LTR does. The host
 *         TR stays the VMM's TSS (STR shows it: the hole); the guest TSS's base and limit
 *         become the virtual TR (`state.tss`), where virtual delivery from guest user mode
 *         reads SS0:ESP0 at each event (virtual-delivery.ts), so a later change of the
 *         guest's ESP0 is followed. The VMM TSS's stack slots are not touched: every event is
 *         intercepted, so the host processor never switches stacks through them.
 *
 * The guest's GDT, LDT and TSS are read at their guest-LINEAR addresses through the guest's
 * own paging (descriptor-protection.ts `guestTableReader`); a GDT entry the guest does not map
 * is a guest #PF (error code: supervisor read, not present; the virtual CR2 its address), as
 * the processor's own descriptor read would take (SDM Vol. 3A §4.7).
 *
 * SLDT and STR do not fault at CPL 1 and never come here.
 * The guest LDT's pages are write-protected like its GDT's (descriptor-protection.ts), so an
 * edit of its descriptors reaches the shadow LDT at once.
 * NOT YET: a 16-bit guest TSS is accepted by LTR, but an event from guest user mode with it
 * stops the VM (virtual-delivery.ts: no 16-bit ring-0 stack switch).
 */
import { AR_P, AR_UNUSABLE, decodeDescriptor, SystemType } from '../../../arch/segments';
import { Vector } from '../../../arch/exceptions';
import { CpuFault, gp, np } from '../../../cpu/fault';
import { ea, readV16 } from '../../../cpu/memory-access';
import { getReg16 } from '../../../cpu/operands';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { installShadowLdt, shadowDescriptor, VMM_AREA_LINEAR, VMM_LDT_SELECTOR } from '../shadow-gdt';
import { guestTableReader, protectDescriptorTables } from '../descriptor-protection';
import { guestLinearToPhysical, walkGuest } from '../shadow-paging';
import { dropRaisedEntries } from '../guest-ring';
import { VmmUnsupported } from '../virtual-delivery';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

const LLDT = 2;
const LTR = 3;
/** The busy bit of a TSS descriptor's type, in the high dword. */
const TSS_BUSY_BIT_HI = 1 << 9;

/**
 * A descriptor of the guest's GDT, read at its guest-linear address through the guest's paging.
 * @returns the descriptor's dwords and the guest-PHYSICAL address of its high dword (`hiAt`, for the busy bit)
 * @throws CpuFault #GP(selector) when TI = 1 or the entry lies beyond the guest GDT limit;
 *   #PF (virtual CR2 set) when the guest does not map it; #GP(selector) when it maps it beyond its RAM
 */
function guestGdtEntry(state: TrapAndEmulateState, sel: number): { hiAt: number; lo: number; hi: number } {
  if (sel & 4) throw gp(sel & 0xfffc, `selector 0x${sel.toString(16)} names the LDT, not the GDT`);
  const index = sel >>> 3;
  if (index * 8 + 7 > state.gdtr.limit) throw gp(sel & 0xfffc, `selector 0x${sel.toString(16)} lies beyond the guest GDT limit`);
  const at = (state.gdtr.base + index * 8) >>> 0;
  const loAt = guestLinearToPhysical(state.memory, state.reservedBase, state, at);
  const hiAt = guestLinearToPhysical(state.memory, state.reservedBase, state, (at + 4) >>> 0);
  if (loAt < 0 || hiAt < 0) {
    const missing = loAt < 0 ? at : (at + 4) >>> 0;
    // Not mapped by the guest → its #PF; mapped beyond its RAM → refused like a descriptor in the VMM's area.
    if (state.cr0 >>> 31 && !guestMaps(state, missing)) {
      state.cr2 = missing;
      throw new CpuFault(Vector.PF, 0, `guest GDT entry 0x${sel.toString(16)} at linear 0x${missing.toString(16)} is not mapped`);
    }
    throw gp(sel & 0xfffc, `guest descriptor 0x${sel.toString(16)} lies beyond the guest's RAM`);
  }
  return { hiAt, lo: state.memory.read32(loAt), hi: state.memory.read32(hiAt) };
}

/** Whether the guest's page tables map guest-linear `lin` at all (to any frame, within RAM or not). */
function guestMaps(state: TrapAndEmulateState, lin: number): boolean {
  try {
    return walkGuest(state.memory, 0xffffffff, state, lin, false, false).ok;
  } catch {
    return true;
  }
}

export function onLdtrTrAccess(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'LDTR/TR access');
  if (insn.reg !== LLDT && insn.reg !== LTR) throw new Error(`internal: LDTR/TR exit for 0F 00 /${insn.reg}, which does not fault at CPL 1`);
  const sel = insn.mod === 3 ? getReg16(cpu, insn.rm) : readV16(cpu, insn.seg, ea(cpu, insn));
  const mem = state.memory;
  if (insn.reg === LLDT) {
    if ((sel & 0xfffc) === 0) {
      state.ldtr = { selector: sel, base: 0, limit: 0 };
      state.ring.userCodeLdt.length = 0;
      state.ring.raisedLdt.fill(0);
      dropRaisedEntries(state.ring, true);
      cpu.ldtr.setCache(0, 0, 0, AR_UNUSABLE);
    } else {
      const e = guestGdtEntry(state, sel);
      const d = decodeDescriptor(e.lo, e.hi);
      if ((d.ar & 0x1f) !== SystemType.LDT) throw gp(sel & 0xfffc, `LLDT: selector 0x${sel.toString(16)} is not an LDT descriptor`);
      if (!(d.ar & AR_P)) throw np(sel & 0xfffc, `LLDT: LDT 0x${sel.toString(16)} is not present`);
      let shadow;
      try {
        shadow = installShadowLdt(mem, { base: d.base, limit: d.limit }, state.reservedBase, state.ring, guestTableReader(state));
      } catch (err) {
        if (err instanceof RangeError) throw new VmmUnsupported(err.message);
        throw err;
      }
      state.ldtr = { selector: sel, base: d.base, limit: d.limit };
      cpu.ldtr.setCache(VMM_LDT_SELECTOR, shadow.base, shadow.limit, AR_P | SystemType.LDT);
    }
  } else {
    if ((sel & 0xfffc) === 0) throw gp(0, 'LTR: null selector');
    const e = guestGdtEntry(state, sel);
    const d = decodeDescriptor(e.lo, e.hi);
    const type = d.ar & 0x1f;
    if (type !== SystemType.TSS32_AVAILABLE && type !== SystemType.TSS16_AVAILABLE) throw gp(sel & 0xfffc, `LTR: selector 0x${sel.toString(16)} is not an available TSS`);
    if (!(d.ar & AR_P)) throw np(sel & 0xfffc, `LTR: TSS 0x${sel.toString(16)} is not present`);
    const hi = e.hi | TSS_BUSY_BIT_HI;
    mem.write32(e.hiAt, hi);
    const [slo, shi] = shadowDescriptor(e.lo, hi, VMM_AREA_LINEAR, state.ring.kernelRing);
    mem.write32(state.reservedBase + (sel >>> 3) * 8, slo);
    mem.write32(state.reservedBase + (sel >>> 3) * 8 + 4, shi);
    state.tr = sel;
    state.tss = { base: d.base >>> 0, limit: d.limit >>> 0, is32: type === SystemType.TSS32_AVAILABLE, ar: d.ar | (TSS_BUSY_BIT_HI >>> 8) };
  }
  protectDescriptorTables(cpu, state, false); // LLDT: the guest LDT's pages write-protected (its shadow just built)
  retire(cpu, insn);
  return RESUME;
}
