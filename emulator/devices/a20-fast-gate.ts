/**
 * "Fast A20" — System Control Port A at I/O port 92h: bit 1 gates address line 20, bit 0
 * pulses the processor reset (the "alternate hot reset"), without the 8042's latency.
 *
 * Follows the IBM Personal System/2 Hardware Interface Technical Reference, "System Control
 * Port A (Hex 0092)": bit 0 alternate hot reset (a 0 → 1 transition resets the processor),
 * bit 1 alternate gate A20 (1 = A20 enabled), bit 3 security lock latch, bits 6–7 fixed
 * disk activity lights; the other bits reserved. As in QEMU (hw/i386/port92.c) the port
 * reads back the value last written, starts at 00h, and resets the system on a rising edge
 * of bit 0 only; after the reset pulse bit 0 reads 0 (what QEMU shows after its system
 * reset), so the next `in al, 92h / or al, 1 / out 92h, al` resets again. The security lock
 * and the activity lights are stored, not acted on.
 *
 * A20 and the reset line are injected callbacks. `setA20` is called on every write with
 * bit 1, as QEMU and Bochs drive their A20 line from each write of either this port or the
 * 8042's output port (the last write wins). A chipset ORs the two sources; the machine
 * chooses by how it wires the callbacks to PhysicalMemory.a20Enabled.
 */
import type { IoBus, IoDevice } from '../memory/io-bus';

export const SYSTEM_CONTROL_PORT_A = 0x92;
export const PORT92_RESET = 0x01;
export const PORT92_A20 = 0x02;

export interface FastA20Callbacks {
  /** Pulse of the processor reset line (the machine resets the system). */
  reset: () => void;
  /** The A20 gate as bit 1 of the value written. */
  setA20: (enabled: boolean) => void;
}

export class FastA20Gate implements IoDevice {
  private value = 0;

  constructor(private readonly callbacks: FastA20Callbacks) {}

  /** Claim port 92h. */
  attach(bus: IoBus, port = SYSTEM_CONTROL_PORT_A): this {
    bus.register(port, 1, 'system control port A (fast A20)', this);
    return this;
  }

  /** System reset: bit 0 is cleared (the rest is kept, as in QEMU). */
  reset(): void {
    this.value &= ~PORT92_RESET;
  }

  /** The value the port reads. */
  get latch(): number {
    return this.value;
  }

  in(_port: number, size: 1 | 2 | 4): number {
    // One byte register; a wider read sees the open bus above it.
    return size === 1 ? this.value : size === 2 ? this.value | 0xff00 : (this.value | 0xffffff00) >>> 0;
  }

  out(_port: number, _size: 1 | 2 | 4, value: number): void {
    const old = this.value;
    this.value = value & 0xff;
    this.callbacks.setA20((value & PORT92_A20) !== 0);
    if (value & PORT92_RESET && !(old & PORT92_RESET)) {
      this.callbacks.reset();
      this.value &= ~PORT92_RESET;
    }
  }
}
