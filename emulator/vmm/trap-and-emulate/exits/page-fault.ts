/**
 * Shadow-paging exits (shadow-paging.ts; docs/vmm-design.md, "Shadow paging"):
 *
 *   VMM HIDDEN_PAGE_FAULT       a host #PF the guest's own tables allow: the shadow entry is
 *                               filled (guest A/D set) and the instruction restarts.
 *   VMM GUEST_PAGE_TABLE_WRITE  a write the guest's tables allow to a write-protected guest
 *                               paging structure: executed once with the page writable, then
 *                               the derived shadow entries are dropped.
 *   INVLPG (14)                 INVLPG at CPL 1 faults with #GP(0) (SDM Vol. 2A "INVLPG") and
 *                               drops the shadow entry of the guest-virtual page.
 *
 * A host #PF the guest's tables do NOT allow is EXCEPTION_NMI and reflected (reflect.ts) with
 * the guest's error code and the virtual CR2 (vm.ts decides which exit a #PF is).
 */
import { ea } from '../../../cpu/memory-access';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

function pendingFault(state: TrapAndEmulateState) {
  const pf = state.pageFault;
  if (pf === null || !pf.walk.ok) throw new Error('internal: page-fault exit without a resolvable guest walk');
  return { ...pf, walk: pf.walk };
}

export function onHiddenPageFault(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const pf = pendingFault(state);
  state.paging.fill(cpu, state, pf.lin, pf.walk, pf.write, pf.user);
  ctx.charge(2);
  return RESUME;
}

export function onGuestPageTableWrite(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const pf = pendingFault(state);
  state.paging.emulateTableWrite(cpu, state, pf.lin, pf.walk, pf.user);
  ctx.charge(3);
  return RESUME;
}

export function onInvlpg(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'INVLPG');
  const lin = (cpu.segs[insn.seg].base + ea(cpu, insn)) >>> 0;
  state.paging.invalidate(cpu, lin);
  retire(cpu, insn);
  return RESUME;
}
