/**
 * Guest-physical memory: RAM in one `Uint8Array`, plus memory-mapped regions (device
 * registers, ROM) that claim physical ranges. Reads of addresses nobody claims return all
 * ones, as on a PC's open bus, and are counted for reporting.
 *
 * The CPU reads and writes RAM directly through `ram`/`view` on its fast path (after its
 * TLB said the page is RAM); every other access comes here. Writers other than the CPU
 * (loaders, the debugger, DMA) must use `write*` or `writeBytes` so that decoded-code
 * caches see the change (`codeWriteListener`).
 *
 * Addresses are guest-physical byte addresses (uint32). Sizes are in bytes.
 */

/** A device or ROM claiming a physical range. Offsets passed in are relative to the region start. */
export interface MmioHandler {
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

interface MmioRegion {
  start: number;
  end: number; // exclusive
  name: string;
  handler: MmioHandler;
}

export class PhysicalMemory {
  readonly ram: Uint8Array;
  readonly view: DataView;
  /** RAM size in bytes (a multiple of 4 KiB). */
  readonly size: number;
  /**
   * One byte per 4-KiB page of RAM: non-zero while the executor holds decoded instructions
   * from that page. Writes to such a page call `codeWriteListener`.
   */
  readonly codePages: Uint8Array;
  /** Called with (physical address, byte length) when a write touches a page marked in `codePages`. */
  codeWriteListener: ((paddr: number, length: number) => void) | null = null;
  /** Reads of unclaimed physical addresses (returned as all ones). */
  unassignedReads = 0;
  /** Writes to unclaimed physical addresses (dropped). */
  unassignedWrites = 0;
  private readonly regions: MmioRegion[] = [];

  /**
   * @param sizeBytes RAM size in bytes; rounded up to a whole 4-KiB page. At most 2 GiB, so
   *   that the top of the 4-GiB space stays free for ROM and devices (and page frame
   *   addresses of RAM fit a positive int32 in the CPU's TLB).
   * @throws RangeError when the size is not positive or too large.
   */
  constructor(sizeBytes: number) {
    if (!(sizeBytes > 0) || sizeBytes > 0x80000000) {
      throw new RangeError(`physical memory size ${sizeBytes} bytes is out of range (1 byte .. 2 GiB)`);
    }
    this.size = Math.ceil(sizeBytes / 4096) * 4096;
    this.ram = new Uint8Array(this.size);
    this.view = new DataView(this.ram.buffer);
    this.codePages = new Uint8Array(this.size >>> 12);
    this.plainRam = new Uint8Array(this.size >>> 12).fill(1);
  }

  /**
   * One byte per 4-KiB page of RAM: 1 when no MMIO region overlaps the page, so the CPU may
   * read and write it directly. Page-granular mirror of `isRamPage`.
   */
  readonly plainRam: Uint8Array;

  /**
   * Claim the physical range [start, start + length) for a device or ROM. Claims take
   * precedence over RAM (e.g. the BIOS ROM shadowing the top of the first MiB). Map regions
   * before the CPU runs, or flush its TLB afterwards (paging.ts `flushTlb`).
   * @throws RangeError if the range overlaps an existing claim.
   */
  mapMmio(start: number, length: number, name: string, handler: MmioHandler): void {
    const end = start + length;
    for (const r of this.regions) {
      if (start < r.end && r.start < end) {
        throw new RangeError(`MMIO region ${name} [0x${start.toString(16)}, 0x${end.toString(16)}) overlaps ${r.name}`);
      }
    }
    this.regions.push({ start, end, name, handler });
    this.regions.sort((a, b) => a.start - b.start);
    for (let p = start >>> 12; p < Math.min(this.plainRam.length, Math.ceil(end / 4096)); p++) this.plainRam[p] = 0;
  }

  /** Whether the 4-KiB page holding `paddr` is plain RAM (no MMIO claim), so the CPU may access it directly. */
  isRamPage(paddr: number): boolean {
    paddr >>>= 0;
    return paddr < this.size && this.plainRam[paddr >>> 12] === 1;
  }

  private region(paddr: number): MmioRegion | undefined {
    for (const r of this.regions) if (paddr >= r.start && paddr < r.end) return r;
    return undefined;
  }

  read8(paddr: number): number {
    paddr >>>= 0;
    const r = this.region(paddr);
    if (r) return r.handler.read(paddr - r.start, 1) & 0xff;
    if (paddr < this.size) return this.ram[paddr];
    this.unassignedReads++;
    return 0xff;
  }

  read16(paddr: number): number {
    paddr >>>= 0;
    if (paddr + 1 < this.size && (paddr & 0xfff) !== 0xfff && !this.region(paddr)) return this.view.getUint16(paddr, true);
    const r = this.region(paddr);
    if (r && paddr + 1 < r.end) return r.handler.read(paddr - r.start, 2) & 0xffff;
    return this.read8(paddr) | (this.read8(paddr + 1) << 8);
  }

  read32(paddr: number): number {
    paddr >>>= 0;
    if (paddr + 3 < this.size && (paddr & 0xfff) <= 0xffc && !this.region(paddr)) return this.view.getInt32(paddr, true);
    const r = this.region(paddr);
    if (r && paddr + 3 < r.end) return r.handler.read(paddr - r.start, 4) | 0;
    return (this.read16(paddr) | (this.read16(paddr + 2) << 16)) | 0;
  }

  write8(paddr: number, value: number): void {
    paddr >>>= 0;
    const r = this.region(paddr);
    if (r) return r.handler.write(paddr - r.start, 1, value & 0xff);
    if (paddr < this.size) {
      this.ram[paddr] = value;
      if (this.codePages[paddr >>> 12]) this.codeWriteListener?.(paddr, 1);
      return;
    }
    this.unassignedWrites++;
  }

  write16(paddr: number, value: number): void {
    paddr >>>= 0;
    const r = this.region(paddr);
    if (r && paddr + 1 < r.end) return r.handler.write(paddr - r.start, 2, value & 0xffff);
    this.write8(paddr, value);
    this.write8(paddr + 1, value >>> 8);
  }

  write32(paddr: number, value: number): void {
    paddr >>>= 0;
    const r = this.region(paddr);
    if (r && paddr + 3 < r.end) return r.handler.write(paddr - r.start, 4, value | 0);
    this.write16(paddr, value);
    this.write16(paddr + 2, value >>> 16);
  }

  /** Copy bytes into guest-physical memory (loaders, debugger writes). Bytes beyond RAM go through MMIO or are dropped. */
  writeBytes(paddr: number, bytes: Uint8Array): void {
    paddr >>>= 0;
    if (paddr + bytes.length <= this.size && !this.regions.some((r) => paddr < r.end && r.start < paddr + bytes.length)) {
      this.ram.set(bytes, paddr);
      for (let p = paddr >>> 12; p <= (paddr + bytes.length - 1) >>> 12; p++) {
        if (this.codePages[p]) {
          this.codeWriteListener?.(paddr, bytes.length);
          break;
        }
      }
      return;
    }
    for (let i = 0; i < bytes.length; i++) this.write8(paddr + i, bytes[i]);
  }

  /** Copy bytes out of guest-physical memory (debugger reads). */
  readBytes(paddr: number, length: number): Uint8Array {
    paddr >>>= 0;
    const out = new Uint8Array(length);
    if (paddr + length <= this.size && !this.regions.some((r) => paddr < r.end && r.start < paddr + length)) {
      out.set(this.ram.subarray(paddr, paddr + length));
      return out;
    }
    for (let i = 0; i < length; i++) out[i] = this.read8(paddr + i);
    return out;
  }
}
