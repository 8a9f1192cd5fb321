/**
 * Events the VMM does not resolve itself go to the guest through its own IDT
 * (virtual-delivery.ts): EXCEPTION_NMI (0) for an exception the guest caused (#DE, #UD, a
 * #GP that is not a privileged instruction …), the VMM reason SOFTWARE_INTERRUPT for INT n
 * / INT3 / INTO, and EXTERNAL_INTERRUPT (1) for a vector the VM's PIC supplied while the
 * virtual IF allowed it.
 */
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { reflectEvent } from '../virtual-delivery';
import type { TrapAndEmulateState } from '../vm-state';

export function onReflect(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const event = ctx.state.event;
  if (event === null) throw new Error('internal: reflection without an event');
  reflectEvent(ctx.cpu, ctx.state, event.vector, event.errorCode);
  ctx.charge(3);
  return RESUME;
}
