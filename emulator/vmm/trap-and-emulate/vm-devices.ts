/**
 * The devices of one VM, on a VM-private `IoBus` that only the VMM reaches (the guest's
 * IN/OUT at CPL 1 fault and are emulated against this bus; docs/vmm-design.md, "One host
 * processor, many VMs"): a PIC pair, the PIT, COM1 (16550A) and isa-debug-exit, wired as
 * the bare `Machine` wires them (emulator/machine/machine.ts), with the VM's own virtual
 * time (`Scheduler`).
 *
 * The PIC is NOT connected to the host CPU's INTR: the VM connects a gated line that reports
 * a pending interrupt only while the guest's virtual IF allows it (trap-and-emulate/vm.ts).
 *
 * NOT YET: CMOS/RTC, the 8042, port B and the debug console of the bare machine; a port with
 * no device reads as all ones and ignores writes (IoBus behaviour).
 */
import type { Cpu } from '../../cpu/cpu';
import { DebugExit } from '../../devices/debug-exit';
import { Pic8259Pair } from '../../devices/pic-8259a';
import { Pit8254 } from '../../devices/pit-8254';
import { COM1_BASE, Uart16550A } from '../../devices/uart-16550a';
import { Scheduler } from '../../machine/scheduler';
import { IoBus } from '../../memory/io-bus';

export class VmDevices {
  readonly io = new IoBus();
  readonly clock: Scheduler;
  readonly pic = new Pic8259Pair();
  readonly pit: Pit8254;
  readonly uart: Uart16550A;
  readonly debugExit: DebugExit;
  /** Set when a device schedules an event inside the running slice (the VM loop then re-plans). */
  sliceCut = false;

  /**
   * @param cpu the host processor the VM runs on (virtual time derives from its instruction count)
   * @param serial receives each byte the guest's COM1 transmits
   */
  constructor(cpu: Cpu, serial: ((byte: number) => void) | null, instructionsPerSecond?: number) {
    this.clock = new Scheduler(cpu, instructionsPerSecond);
    this.clock.onEarlierEvent = () => {
      this.sliceCut = true;
      cpu.requestStop('a VM device event falls due inside the running slice');
    };
    this.pic.attach(this.io);
    this.pit = new Pit8254(this.clock, this.pic).attach(this.io);
    this.uart = new Uart16550A(this.pic, this.clock, serial).attach(this.io, COM1_BASE);
    this.debugExit = new DebugExit(cpu).attach(this.io);
  }
}
