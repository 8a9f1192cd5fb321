/**
 * EXIT_REASON_DR_ACCESS (29): MOV to or from DR0–DR7 faults at the guest kernel's host CPL
 * with #GP(0) and is emulated with the CPU's own semantics (cpu/instructions/system.ts
 * MOV_RdDd / MOV_DdRd: #UD for DR4/DR5 with CR4.DE set, #DB when DR7.GD is set, the fixed
 * bits of DR6/DR7), judged against the guest's VIRTUAL CR4 and at the guest's CPL 0 (SDM
 * Vol. 2B "MOV—Move to/from Debug Registers"; Vol. 3C §25.1.3 and Table 28-4 for the
 * exit qualification, which classify.ts records). A fault of the emulation (#UD, #DB) is
 * the guest's and is reflected.
 *
 * The guest's debug registers live in the host processor's (the VMM uses none of its own);
 * this model stores DR0–DR3 but never matches them (cpu.ts), so a guest breakpoint set in
 * them is kept and read back but never fires — on the bare machine as under the VMM.
 */
import type { Cpu } from '../../../cpu/cpu';
import { MOV_DdRd, MOV_RdDd } from '../../../cpu/instructions/system';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

/** Opcode of MOV r32, DRn (0F 21); MOV DRn, r32 is 0F 23. */
const MOV_FROM_DR = 0x0f21;

/** Run `f` as the guest kernel would: at CPL 0 with the virtual CR4, then put the host's values back. */
function asGuestKernel(cpu: Cpu, state: TrapAndEmulateState, f: () => void): void {
  const cpl = cpu.cpl;
  const cr4 = cpu.cr4;
  cpu.cpl = 0;
  cpu.cr4 = state.cr4;
  try {
    f();
  } finally {
    cpu.cpl = cpl;
    cpu.cr4 = cr4;
  }
}

export function onDrAccess(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'MOV DR');
  asGuestKernel(cpu, state, () => (insn.opcode === MOV_FROM_DR ? MOV_RdDd : MOV_DdRd)(cpu, insn));
  retire(cpu, insn);
  return RESUME;
}
