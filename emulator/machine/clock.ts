/**
 * Virtual time for a machine, derived from the CPU's retired-instruction count so that
 * runs repeat exactly: the same guest, the same inputs, the same interrupts at the same
 * instructions, whatever the host's speed.
 *
 * The machine's virtual processor retires `instructionsPerSecond` instructions per second
 * of virtual time (default 100 million, a Pentium II-class figure). Devices that keep time
 * (the 8254 PIT, the RTC, the UART's transmit timing) read `now()` in nanoseconds and ask
 * to be called back at a virtual time with `schedule`, so that the machine can run the CPU
 * exactly up to the next event and fast-forward over HLT.
 */

/** Nanoseconds of virtual time. */
export type VirtualNs = number;

export interface Clock {
  /** Current virtual time in nanoseconds. */
  now(): VirtualNs;
  /**
   * Call `callback` once when virtual time reaches `at` (ns). Returns a handle for
   * `cancel`. Callbacks run between instructions, in time order.
   */
  schedule(at: VirtualNs, callback: () => void): number;
  cancel(handle: number): void;
}

/**
 * An interrupt-request input of the interrupt controller, as a device sees it: the device
 * drives its IRQ line high or low (the 8259A is edge-triggered on a PC: it latches a
 * request on the rising edge).
 */
export interface IrqLine {
  /** Drive IRQ `irq` (0..15) high (`true`) or low (`false`). */
  setIrq(irq: number, level: boolean): void;
}
