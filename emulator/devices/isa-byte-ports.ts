/**
 * Word and dword accesses to 8-bit ISA devices. An 8-bit device on the ISA bus answers one
 * byte per port; the bus splits a wider access into byte accesses at consecutive ports,
 * low byte first (Intel SDM Vol. 1 §19.3 "I/O Address Space": a 16- or 32-bit port is the
 * set of consecutive 8-bit ports). The devices of this folder that have only byte
 * registers use these helpers, so they behave so whether or not the I/O bus splits for
 * them. A byte at a port the device does not own reads as all ones (the open bus) and is
 * not written.
 */

/** A device made of byte registers at ports [first, first + count). */
export interface ByteRegisters {
  readonly portFirst: number;
  readonly portCount: number;
  /** Read the byte register at `port` (inside the device's range). */
  readByte(port: number): number;
  /** Write the byte register at `port` (inside the device's range); `value` is 0..255. */
  writeByte(port: number, value: number): void;
}

/** An `in` of `size` bytes at `port`, split into byte reads. */
export function readSplit(dev: ByteRegisters, port: number, size: 1 | 2 | 4): number {
  if (size === 1) return dev.readByte(port) & 0xff;
  let v = 0;
  for (let k = 0; k < size; k++) {
    const p = port + k;
    const b = p >= dev.portFirst && p < dev.portFirst + dev.portCount ? dev.readByte(p) & 0xff : 0xff;
    v |= b << (8 * k);
  }
  return size === 4 ? v >>> 0 : v;
}

/** An `out` of `size` bytes at `port`, split into byte writes. */
export function writeSplit(dev: ByteRegisters, port: number, size: 1 | 2 | 4, value: number): void {
  if (size === 1) {
    dev.writeByte(port, value & 0xff);
    return;
  }
  for (let k = 0; k < size; k++) {
    const p = port + k;
    if (p >= dev.portFirst && p < dev.portFirst + dev.portCount) dev.writeByte(p, (value >>> (8 * k)) & 0xff);
  }
}
