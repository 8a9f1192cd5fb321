/**
 * Write protection of the guest's GDT and LDT (docs/vmm-design.md, "Ring deprivileging"): the
 * host CPU runs on SHADOW descriptor tables built from the guest's (shadow-gdt.ts), so a
 * descriptor the guest edits in memory must reach the shadow at once — as on hardware, where
 * the next segment load reads the edited descriptor. The guest-physical pages holding the
 * guest's GDT (virtual GDTR) and LDT (virtual LDTR) are write-protected in every shadow
 * page table, the identity shadow of a guest without paging included (shadow-paging.ts
 * "descriptor pages"); each guest write to them exits as GUEST_DESCRIPTOR_TABLE_WRITE, is
 * executed alone with the page writable, and the shadow tables are rebuilt
 * (exits/descriptor-table-write.ts). A segment register loaded before the edit keeps its
 * hidden cache, as on hardware (unless the VM restores segment registers by reloading them:
 * `preserveHiddenState: false`, vm.ts).
 *
 * Which pages: the guest's tables are at guest-LINEAR addresses; with the guest's paging on,
 * each page of the table is translated through the guest's own tables (a page the guest does
 * not map, or maps beyond its RAM, is not protected: a segment load from it faults for the
 * guest anyway). Recomputed at LGDT, LLDT, and each change of the guest's CR0.PG or CR3.
 * NOT YET (said plainly): a guest edit of the page tables that map its GDT (moving the GDT's
 * linear pages to other frames without a CR3 write) is not followed until the next LGDT or CR3
 * write; the shadow builders read the tables at their base as guest-physical addresses
 * (shadow-gdt.ts), right only while the guest maps them identity.
 */
import type { Cpu } from '../../cpu/cpu';
import { buildShadowGdt, installShadowLdt } from './shadow-gdt';
import { VmmUnsupported } from './virtual-delivery';
import { walkGuest } from './shadow-paging';
import type { TrapAndEmulateState } from './vm-state';

/** Guest-physical page numbers of the guest-linear range [base, base + limit] (limit in bytes - 1) that the guest maps. */
function guestPagesOf(state: TrapAndEmulateState, base: number, limit: number, into: Set<number>): void {
  const first = base >>> 12;
  const last = ((base >>> 0) + (limit >>> 0)) >>> 12;
  for (let p = first; p <= last && p <= 0xfffff; p++) {
    try {
      const w = walkGuest(state.memory, state.reservedBase, state, p << 12, false, false);
      if (w.ok) into.add(w.gpa >>> 12);
    } catch (e) {
      if (!(e instanceof VmmUnsupported)) throw e; // beyond the guest's RAM: nothing to protect
    }
  }
}

/** Write-protect exactly the pages of the guest's current GDT and LDT (see the file header). */
export function protectDescriptorTables(cpu: Cpu, state: TrapAndEmulateState): void {
  const pages = new Set<number>();
  if (state.gdtr.limit > 0) guestPagesOf(state, state.gdtr.base, state.gdtr.limit, pages);
  if ((state.ldtr.selector & 0xfffc) !== 0) guestPagesOf(state, state.ldtr.base, state.ldtr.limit, pages);
  state.paging.setDescriptorPages(cpu, pages);
}

/**
 * Rebuild the shadow GDT (and the shadow LDT when the guest has one) from the guest's tables
 * as they are now: after a guest write to a descriptor page.
 * @throws VmmUnsupported when the guest's tables no longer fit the shadow (shadow-gdt.ts RangeError)
 */
export function rebuildShadowTables(state: TrapAndEmulateState): void {
  try {
    buildShadowGdt(state.memory, state.gdtr, state.reservedBase, state.ring);
    if ((state.ldtr.selector & 0xfffc) !== 0) installShadowLdt(state.memory, state.ldtr, state.reservedBase, state.ring);
  } catch (e) {
    if (e instanceof RangeError) throw new VmmUnsupported(e.message);
    throw e;
  }
}
