/**
 * VMM reason INTERRUPT_FLAG: CLI and STI at CPL 1 > IOPL fault with #GP(0) and update the
 * VIRTUAL IF (SDM Vol. 2A "CLI", "STI"). STI that sets the virtual IF opens the interrupt
 * window after the next instruction (the STI shadow, §6.8.3), kept in the host CPU's shadow.
 * POPF does not trap (the hole: it silently keeps the host's IF at CPL > IOPL).
 */
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

export const CLI_OPCODE = 0xfa;
export const STI_OPCODE = 0xfb;

export function onInterruptFlag(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'CLI/STI');
  retire(cpu, insn);
  if (insn.opcode === CLI_OPCODE) {
    state.vif = false;
  } else {
    // Interrupts are recognised only when icount > shadowUntil: not before the next instruction retires.
    if (!state.vif) cpu.shadowUntil = cpu.icount;
    state.vif = true;
  }
  return RESUME;
}
