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
 * guest anyway). Recomputed at LGDT, LLDT, and each change of the guest's CR0.PG or CR3. The
 * shadow builders read the tables the same way (`guestTableReader`: guest-linear through the
 * virtual CR0/CR3/CR4, shadow-paging.ts `readGuestLinear32`), and when a CR0.PG or CR3 change
 * maps the tables' linear pages to other guest-physical frames, the shadow tables are rebuilt
 * from the frames now mapped (SDM Vol. 3A §3.5.1: GDTR and LDTR hold linear base addresses).
 * NOT YET (said plainly): a guest edit of the page tables that map its GDT (moving the GDT's
 * linear pages to other frames without a CR3 write) is not followed until the next LGDT or CR3
 * write.
 */
import type { Cpu } from '../../cpu/cpu';
import { buildShadowGdt, installShadowLdt, type GuestRead32 } from './shadow-gdt';
import { VmmUnsupported } from './virtual-delivery';
import { readGuestLinear32, walkGuest } from './shadow-paging';
import type { TrapAndEmulateState } from './vm-state';

/**
 * Guest-physical page numbers of the guest-linear range [base, base + limit] (limit in bytes - 1)
 * that the guest maps, in linear order; -1 for a page it does not map (or maps beyond its RAM).
 */
function guestPagesOf(state: TrapAndEmulateState, base: number, limit: number, into: number[]): void {
  const first = base >>> 12;
  const last = ((base >>> 0) + (limit >>> 0)) >>> 12;
  for (let p = first; p <= last && p <= 0xfffff; p++) {
    try {
      const w = walkGuest(state.memory, state.reservedBase, state, p << 12, false, false);
      into.push(w.ok ? w.gpa >>> 12 : -1);
    } catch (e) {
      if (!(e instanceof VmmUnsupported)) throw e; // beyond the guest's RAM: nothing to protect
      into.push(-1);
    }
  }
}

/**
 * Reads the guest's descriptor tables as the processor does: at guest-LINEAR addresses
 * through the guest's own paging (virtual CR0, CR3, CR4), the identity while it is off.
 */
export function guestTableReader(state: TrapAndEmulateState): GuestRead32 {
  return (lin) => readGuestLinear32(state.memory, state.reservedBase, state, lin);
}

/**
 * Write-protect exactly the pages of the guest's current GDT and LDT (see the file header).
 * @param rebuildIfMoved rebuild the shadow tables when the frames behind the tables' linear
 *   pages changed since the last call (a CR0.PG or CR3 write); false when the caller has just
 *   built them (LGDT, LLDT, VM entry)
 * @throws VmmUnsupported as `rebuildShadowTables`
 */
export function protectDescriptorTables(cpu: Cpu, state: TrapAndEmulateState, rebuildIfMoved = true): void {
  const frames: number[] = [];
  if (state.gdtr.limit > 0) guestPagesOf(state, state.gdtr.base, state.gdtr.limit, frames);
  frames.push(-2); // separates the GDT's frames from the LDT's in the signature
  if ((state.ldtr.selector & 0xfffc) !== 0) guestPagesOf(state, state.ldtr.base, state.ldtr.limit, frames);
  state.paging.setDescriptorPages(cpu, frames.filter((p) => p >= 0));
  const signature = frames.join(',');
  const moved = signature !== state.descriptorFrames;
  state.descriptorFrames = signature;
  if (moved && rebuildIfMoved) rebuildShadowTables(state);
}

/**
 * Rebuild the shadow GDT (and the shadow LDT when the guest has one) from the guest's tables
 * as they are now, read at their linear bases (`guestTableReader`): after a guest write to a
 * descriptor page, or when the tables' linear pages map to other frames.
 * @throws VmmUnsupported when the guest's tables no longer fit the shadow (shadow-gdt.ts RangeError)
 */
export function rebuildShadowTables(state: TrapAndEmulateState): void {
  const read = guestTableReader(state);
  try {
    buildShadowGdt(state.memory, state.gdtr, state.reservedBase, state.ring, read);
    if ((state.ldtr.selector & 0xfffc) !== 0) installShadowLdt(state.memory, state.ldtr, state.reservedBase, state.ring, read);
  } catch (e) {
    if (e instanceof RangeError) throw new VmmUnsupported(e.message);
    throw e;
  }
}
