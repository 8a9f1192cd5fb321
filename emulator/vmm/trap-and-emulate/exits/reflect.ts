/**
 * Events the VMM does not resolve itself go to the guest through its own IDT
 * (virtual-delivery.ts): EXCEPTION_NMI (0) for an exception the guest caused (#DE, #UD, a
 * #GP that is not a privileged instruction …), the VMM reason SOFTWARE_INTERRUPT for INT n
 * / INT3 / INTO (with the gate DPL check against the guest's CPL), and EXTERNAL_INTERRUPT (1) for a vector the VM's PIC supplied while the
 * virtual IF allowed it.
 */
import { SegReg } from '../../../arch/segments';
import { CpuFault } from '../../../cpu/fault';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { reflectEvent } from '../virtual-delivery';
import type { TrapAndEmulateState } from '../vm-state';

export function onReflect(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const event = ctx.state.event;
  if (event === null) throw new Error('internal: reflection without an event');
  const software = event.type === 'software-interrupt' || event.type === 'software-exception';
  try {
    reflectEvent(ctx.cpu, ctx.state, event.vector, event.errorCode, software);
  } catch (e) {
    // A fault while delivering INT n / INT3 / INTO / INT1 is a fault of that instruction: the
    // EIP it reports is the instruction's own, as the executor restores it on the bare machine.
    if (e instanceof CpuFault && event.instructionLength > 0) {
      const cpu = ctx.cpu;
      const back = cpu.eip - event.instructionLength;
      cpu.eip = cpu.segs[SegReg.CS].big ? back >>> 0 : back & 0xffff;
    }
    throw e;
  }
  ctx.charge(3);
  return RESUME;
}
