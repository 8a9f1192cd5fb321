/**
 * The x86 I/O address space: 65,536 byte-addressed ports. Devices claim port ranges;
 * reads of unclaimed ports return all ones (as on a PC's ISA bus) and are counted.
 *
 * Ports are numbers 0..0xFFFF; sizes are 1, 2 or 4 bytes. A word or dword access to a
 * device that registered only byte handlers is split into byte accesses at consecutive
 * ports, as the ISA bus does.
 *
 * @see Intel SDM Vol. 1 §19 "Input/Output".
 */
export interface IoDevice {
  /** Read `size` bytes at `port` (the port number, not an offset). */
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}

export class IoBus {
  private readonly devices: (IoDevice | undefined)[] = new Array(0x10000);
  private readonly names: (string | undefined)[] = new Array(0x10000);
  unassignedReads = 0;
  unassignedWrites = 0;
  /** Optional observer of every access (tracing, statistics); off the hot path when null. */
  observer: ((port: number, size: number, write: boolean, value: number) => void) | null = null;
  /** Optional observer of accesses to unclaimed ports (after they are counted), for reporting. */
  unassignedObserver: ((port: number, size: number, write: boolean) => void) | null = null;

  /**
   * Claim ports [first, first + count) for `device`.
   * @throws RangeError when a port is already claimed or the range leaves 0..0xFFFF.
   */
  register(first: number, count: number, name: string, device: IoDevice): void {
    if (first < 0 || count <= 0 || first + count > 0x10000) throw new RangeError(`I/O range ${name} 0x${first.toString(16)}+${count} is out of range`);
    for (let p = first; p < first + count; p++) {
      if (this.devices[p]) throw new RangeError(`I/O port 0x${p.toString(16)} claimed by ${this.names[p]} cannot also be ${name}`);
    }
    for (let p = first; p < first + count; p++) {
      this.devices[p] = device;
      this.names[p] = name;
    }
  }

  /** Name of the device owning `port`, if any. */
  owner(port: number): string | undefined {
    return this.names[port & 0xffff];
  }

  in(port: number, size: 1 | 2 | 4): number {
    port &= 0xffff;
    const d = this.devices[port];
    let v: number;
    if (d) v = d.in(port, size);
    else {
      this.unassignedReads++;
      this.unassignedObserver?.(port, size, false);
      v = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    }
    v = size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff);
    this.observer?.(port, size, false, v);
    return v;
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    port &= 0xffff;
    this.observer?.(port, size, true, value);
    const d = this.devices[port];
    if (d) d.out(port, size, size === 4 ? value | 0 : value & (size === 1 ? 0xff : 0xffff));
    else {
      this.unassignedWrites++;
      this.unassignedObserver?.(port, size, true);
    }
  }
}
