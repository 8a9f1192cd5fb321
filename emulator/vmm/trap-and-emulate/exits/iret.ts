/**
 * VMM reason IRET: the guest kernel's IRET to its own ring faults at host CPL 1 or 3 (the
 * popped CS has RPL 0 < CPL, #GP(selector)), its IRET to guest user code takes #NP(selector)
 * (the user code descriptor is hidden while the guest kernel runs: guest-ring.ts); both are
 * emulated: virtual-delivery.ts `emulateIret`.
 */
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { emulateIret } from '../virtual-delivery';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn } from './retire';

export const IRET_OPCODE = 0xcf;

export function onIret(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  emulateIret(cpu, state, exitInsn(state.insn, 'IRET').o32);
  cpu.icount++;
  return RESUME;
}
