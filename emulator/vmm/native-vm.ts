/**
 * `NativeVm`: the bare machine (`--vmm native`, the baseline) as a `GuestVm` — the guest owns
 * the processor, so its state is the processor's state and there is no VMM to monitor.
 */
import { saveGuestState, type GuestRegisters } from './guest-state';
import type { GuestStop, GuestVm } from './guest-vm';
import { VmcsRecord } from './vmcs-record';
import type { Machine } from '../machine/machine';

/** The bare `Machine` behind the `GuestVm` interface: no VMM, no exits, the processor's state is the guest's (file header). */
export class NativeVm implements GuestVm {
  readonly vmm = 'native' as const;
  readonly ringModel = null;
  readonly monitor = null;

  /** @param machine the PC the guest runs on, already loaded (Machine.loadMultiboot etc.) */
  constructor(readonly machine: Machine) {}

  get cpu() {
    return this.machine.cpu;
  }

  get memory() {
    return this.machine.memory;
  }

  run(maxInstructions: number): GuestStop {
    return this.machine.run(maxInstructions);
  }

  requestStop(why: string): void {
    this.machine.requestStop(why);
  }

  setBreakpoints(linear: Iterable<number>): void {
    this.machine.setBreakpoints(linear);
  }

  /** The processor's state in VMCS guest-state field names (SDM Vol. 3C §28.3, as a VM exit would save it), with `regs` the registers the VMCS lacks. */
  guestState(into: VmcsRecord = new VmcsRecord(), regs?: GuestRegisters): VmcsRecord {
    saveGuestState(this.machine.cpu, into, regs);
    return into;
  }
}
