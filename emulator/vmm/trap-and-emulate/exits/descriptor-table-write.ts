/**
 * VMM GUEST_DESCRIPTOR_TABLE_WRITE: a guest write to a page holding its GDT or LDT, which the
 * VMM write-protects in every shadow (descriptor-protection.ts). The write is executed alone
 * with the page mapped writable (the "open, single-step, close" of shadow-paging.ts
 * `emulateTableWrite`, which also drops shadow page-table entries derived from the page if it
 * is a guest paging structure too), then the shadow GDT/LDT are rebuilt from the guest's
 * tables, so the next segment load sees the edited descriptor as on hardware. Segment
 * registers already loaded keep their hidden caches (SDM Vol. 3A §3.4.3: the cache is loaded
 * only by a segment load).
 */
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { rebuildShadowTables } from '../descriptor-protection';
import type { TrapAndEmulateState } from '../vm-state';

export function onGuestDescriptorTableWrite(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const pf = state.pageFault;
  if (pf === null || !pf.walk.ok) throw new Error('internal: descriptor-table write exit without a resolvable guest walk');
  state.paging.emulateTableWrite(cpu, state, pf.lin, pf.walk, pf.user);
  // The page often holds other data too (page granularity): rebuild only when the write may
  // have touched a descriptor (a write is at most 16 bytes; it faulted at its first byte).
  if (overlaps(pf.lin, state.gdtr.base, state.gdtr.limit) || ((state.ldtr.selector & 0xfffc) !== 0 && overlaps(pf.lin, state.ldtr.base, state.ldtr.limit))) {
    rebuildShadowTables(state);
    ctx.charge(64);
  } else ctx.charge(3);
  return RESUME;
}

/** Whether a write starting at guest-linear `lin` (up to 16 bytes, or ending there) can touch the table [base, base + limit]. */
function overlaps(lin: number, base: number, limit: number): boolean {
  const lo = (lin >>> 0) - 16;
  const hi = (lin >>> 0) + 16;
  return hi > base >>> 0 && lo <= (base >>> 0) + (limit >>> 0);
}
