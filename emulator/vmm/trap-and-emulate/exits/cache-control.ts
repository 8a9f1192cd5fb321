/**
 * EXIT_REASON_INVD (13) and EXIT_REASON_WBINVD (54): the cache-control instructions fault
 * at the guest kernel's host CPL with #GP(0). The VMM performs them on the guest's behalf —
 * this model has no caches (cpu/instructions/system.ts INVD, WBINVD), so there is nothing to
 * invalidate or write back — and the guest continues after the instruction (SDM Vol. 2A
 * "INVD", Vol. 2B "WBINVD"; VT-x exits on INVD unconditionally and on WBINVD with
 * "WBINVD exiting", Vol. 3C §26.1.2 and §25.6.2).
 */
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

export function onCacheControl(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  retire(ctx.cpu, exitInsn(ctx.state.insn, 'INVD/WBINVD'));
  ctx.charge(1);
  return RESUME;
}
