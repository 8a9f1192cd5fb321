/**
 * EXIT_REASON_HLT (12): HLT at CPL 1 faults with #GP(0); the vCPU idles until a virtual
 * interrupt its virtual IF accepts (SDM Vol. 2A "HLT"). The VM loop puts the host CPU in
 * the HLT state on WAIT, so the executor wakes it through the VM's gated interrupt line.
 */
import { WAIT, type ExitAction, type ExitContext } from '../../exit-dispatch';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

export function onHlt(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  retire(ctx.cpu, exitInsn(ctx.state.insn, 'HLT'));
  return WAIT;
}
