/**
 * QEMU's isa-debug-exit device: a write of value V to its port ends the VM with exit
 * status (V << 1) | 1, so a guest can report success or failure to the host.
 * Vanderpool places it at 0xF4 with a 4-byte window, as the usual
 * `-device isa-debug-exit,iobase=0xf4,iosize=0x04` does.
 *
 * @see QEMU hw/misc/debugexit.c (device behaviour), QEMU docs "isa-debug-exit".
 */
import type { Cpu } from '../cpu/cpu';
import type { IoBus, IoDevice } from '../memory/io-bus';

export const DEBUG_EXIT_PORT = 0xf4;

export class DebugExit implements IoDevice {
  /** The exit status once the guest wrote to the port, else null. */
  status: number | null = null;

  /** @param cpu the processor to stop when the guest exits */
  constructor(private readonly cpu: Cpu) {}

  /** Claim ports 0xF4..0xF7 on `bus`. */
  attach(bus: IoBus): this {
    bus.register(DEBUG_EXIT_PORT, 4, 'isa-debug-exit', this);
    return this;
  }

  in(): number {
    return 0xffffffff; // the device has no readable register
  }

  out(_port: number, _size: 1 | 2 | 4, value: number): void {
    this.status = ((value << 1) | 1) >>> 0;
    this.cpu.requestStop(`guest exit through isa-debug-exit, status ${this.status}`);
  }
}
