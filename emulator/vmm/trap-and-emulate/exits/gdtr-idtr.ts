/**
 * EXIT_REASON_GDTR_IDTR_ACCESS (46): LGDT and LIDT fault at CPL 1 with #GP(0) and load the
 * VIRTUAL GDTR / IDTR; LGDT then rebuilds the shadow GDT from the new guest table (SDM
 * Vol. 2A "LGDT/LIDT": a 6-byte operand, limit then base; with a 16-bit operand size only
 * 24 bits of the base are used). SGDT and SIDT do not fault at CPL 1 — the hole: they store
 * the VMM's shadow GDTR and IDTR.
 */
import { ea, readV16, readV32 } from '../../../cpu/memory-access';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { buildShadowGdt, installShadowLdt } from '../shadow-gdt';
import { guestTableReader, protectDescriptorTables } from '../descriptor-protection';
import { VmmUnsupported } from '../virtual-delivery';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

export function onGdtrIdtrAccess(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'GDTR/IDTR access');
  if (insn.reg !== 2 && insn.reg !== 3) throw new Error(`internal: GDTR/IDTR exit for 0F 01 /${insn.reg}, which does not fault at CPL 1`);
  const off = ea(cpu, insn);
  const limit = readV16(cpu, insn.seg, off);
  let base = readV32(cpu, insn.seg, (off + 2) >>> 0) >>> 0;
  if (!insn.o32) base &= 0xffffff;
  if (insn.reg === 2) {
    // The guest's tables are read at their linear bases through its own paging (descriptor-protection.ts).
    const read = guestTableReader(state);
    try {
      buildShadowGdt(state.memory, { base, limit }, state.reservedBase, state.ring, read);
      // The host LDTR still holds the shadow LDT: its descriptor slot comes back.
      if ((state.ldtr.selector & 0xfffc) !== 0) installShadowLdt(state.memory, state.ldtr, state.reservedBase, state.ring, read);
    } catch (e) {
      if (e instanceof RangeError) throw new VmmUnsupported(e.message);
      throw e;
    }
    state.gdtr.base = base;
    state.gdtr.limit = limit;
    protectDescriptorTables(cpu, state, false); // the new GDT's pages write-protected, the old ones released
    ctx.charge(64);
  } else {
    state.idtr.base = base;
    state.idtr.limit = limit;
  }
  retire(cpu, insn);
  return RESUME;
}
