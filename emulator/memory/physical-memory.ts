/**
 * Guest-physical memory: RAM in one `Uint8Array`, plus memory-mapped regions (device
 * registers, ROM) that claim physical ranges. Reads of addresses nobody claims return all
 * ones, as on a PC's open bus, and are counted for reporting.
 *
 * The CPU reads and writes RAM directly through `ram`/`view` on its fast path (after its
 * TLB said the page is RAM); every other access comes here. Writers other than the CPU
 * (loaders, the debugger, DMA) must use `write*` or `writeBytes` so that caches derived
 * from memory see the change: pages in `watchedPages` hold decoded instructions
 * (WATCH_CODE, reported to `codeWriteListener`) or paging structures the TLB was filled
 * from (WATCH_PAGING, counted in `pagingStamp`).
 *
 * Addresses are guest-physical byte addresses (uint32). Sizes are in bytes.
 */

/** A device or ROM claiming a physical range. Offsets passed in are relative to the region start. */
export interface MmioHandler {
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** `watchedPages` bits. */
export const WATCH_CODE = 1 << 0;
export const WATCH_PAGING = 1 << 1;
/**
 * A debugger data watchpoint covers bytes of the page and watches writes (cpu/watchpoints.ts):
 * writes to the page take the slow path, which reports them to `dataAccessListener`.
 */
export const WATCH_DATA_WRITE = 1 << 2;
/**
 * A debugger data watchpoint covers bytes of the page and watches reads: the CPU's TLB gives
 * the page no fast (TLB_RAM) access, so its reads take memory-access.ts `readLinear`, which
 * reports them through `notifyDataRead` (cpu/watchpoints.ts).
 */
export const WATCH_DATA_READ = 1 << 3;

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
   * One byte per 4-KiB page of RAM: WATCH_CODE while the executor holds decoded
   * instructions from the page, WATCH_PAGING once a page walk has read a paging structure
   * from it. Every write to a watched page goes through `notifyWatched`.
   */
  readonly watchedPages: Uint8Array;
  /** Called with (physical address, byte length) when a write touches a WATCH_CODE page. */
  codeWriteListener: ((paddr: number, length: number) => void) | null = null;
  /**
   * Called with (physical address, byte length, write) for a CPU write to a WATCH_DATA_WRITE
   * page (after the bytes are written) and a CPU read of a WATCH_DATA_READ page
   * (`notifyDataRead`); the listener (cpu/watchpoints.ts) checks the exact byte range.
   */
  dataAccessListener: ((paddr: number, length: number, write: boolean) => void) | null = null;
  /**
   * Counts writes to WATCH_PAGING pages (other than the page walker's own A/D updates).
   * The TLB compares it to decide whether a CR3 reload can keep its entries.
   */
  pagingStamp = 0;
  /** Reads of unclaimed physical addresses (returned as all ones). */
  unassignedReads = 0;
  /** Writes to unclaimed physical addresses (dropped). */
  unassignedWrites = 0;
  /** Optional observer of accesses to unclaimed physical addresses (after they are counted), for reporting. */
  unassignedObserver: ((paddr: number, size: number, write: boolean) => void) | null = null;
  private readonly regions: MmioRegion[] = [];

  /**
   * The A20 gate (the PC's address line 20 mask, driven by the 8042 output port bit 1 and
   * port 92h bit 1): when disabled, physical address bit 20 is forced to 0 on the CPU's
   * accesses, so real-mode FFFF:0010 wraps to 0 as on an 8086. It applies to the CPU only
   * (paging.ts `translate` masks the addresses it puts in the TLB, the page-walk reads
   * included); the accessors of this class, used by loaders, the debugger and DMA, take
   * addresses as given. Enabled at power-on, as in QEMU and Bochs.
   */
  private a20 = true;
  private a20AndMask = -1;
  /**
   * Called when `a20Enabled` changes. The machine flushes the CPU's TLB here (paging.ts
   * `flushTlb(cpu, true)`): its entries hold addresses masked for the old state.
   */
  a20Listener: ((enabled: boolean) => void) | null = null;

  /** Whether the A20 gate lets physical address bit 20 through. */
  get a20Enabled(): boolean {
    return this.a20;
  }

  /** Open (true) or close (false) the A20 gate; notifies `a20Listener` when the state changes. */
  set a20Enabled(enabled: boolean) {
    if (enabled === this.a20) return;
    this.a20 = enabled;
    this.a20AndMask = enabled ? -1 : ~(1 << 20);
    this.a20Listener?.(enabled);
  }

  /** AND-mask for CPU physical addresses: all ones with A20 enabled, ~(1 << 20) with it disabled. */
  get a20Mask(): number {
    return this.a20AndMask;
  }

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
    this.watchedPages = new Uint8Array(this.size >>> 12);
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

  /** Whether [paddr, paddr + size) lies in one plain-RAM page (the fast path of the accessors below). */
  private plain(paddr: number, size: number): boolean {
    return paddr < this.size && (paddr & 0xfff) <= 0x1000 - size && this.plainRam[paddr >>> 12] === 1;
  }

  read8(paddr: number): number {
    paddr >>>= 0;
    if (this.plain(paddr, 1)) return this.ram[paddr];
    const r = this.region(paddr);
    if (r) return r.handler.read(paddr - r.start, 1) & 0xff;
    if (paddr < this.size) return this.ram[paddr];
    this.unassignedReads++;
    this.unassignedObserver?.(paddr, 1, false);
    return 0xff;
  }

  read16(paddr: number): number {
    paddr >>>= 0;
    if (this.plain(paddr, 2)) return this.view.getUint16(paddr, true);
    const r = this.region(paddr);
    if (r && paddr + 1 < r.end) return r.handler.read(paddr - r.start, 2) & 0xffff;
    return this.read8(paddr) | (this.read8(paddr + 1) << 8);
  }

  read32(paddr: number): number {
    paddr >>>= 0;
    if (this.plain(paddr, 4)) return this.view.getInt32(paddr, true);
    const r = this.region(paddr);
    if (r && paddr + 3 < r.end) return r.handler.read(paddr - r.start, 4) | 0;
    return (this.read16(paddr) | (this.read16(paddr + 2) << 16)) | 0;
  }

  write8(paddr: number, value: number): void {
    paddr >>>= 0;
    if (this.plain(paddr, 1)) {
      this.ram[paddr] = value;
      if (this.watchedPages[paddr >>> 12]) this.notifyWatched(paddr, 1);
      return;
    }
    const r = this.region(paddr);
    if (r) return r.handler.write(paddr - r.start, 1, value & 0xff);
    if (paddr < this.size) {
      this.ram[paddr] = value;
      if (this.watchedPages[paddr >>> 12]) this.notifyWatched(paddr, 1);
      return;
    }
    this.unassignedWrites++;
    this.unassignedObserver?.(paddr, 1, true);
  }

  write16(paddr: number, value: number): void {
    paddr >>>= 0;
    if (this.plain(paddr, 2)) {
      this.view.setUint16(paddr, value, true);
      if (this.watchedPages[paddr >>> 12]) this.notifyWatched(paddr, 2);
      return;
    }
    const r = this.region(paddr);
    if (r && paddr + 1 < r.end) return r.handler.write(paddr - r.start, 2, value & 0xffff);
    this.write8(paddr, value);
    this.write8(paddr + 1, value >>> 8);
  }

  write32(paddr: number, value: number): void {
    paddr >>>= 0;
    if (this.plain(paddr, 4)) {
      this.view.setInt32(paddr, value, true);
      if (this.watchedPages[paddr >>> 12]) this.notifyWatched(paddr, 4);
      return;
    }
    const r = this.region(paddr);
    if (r && paddr + 3 < r.end) return r.handler.write(paddr - r.start, 4, value | 0);
    this.write16(paddr, value);
    this.write16(paddr + 2, value >>> 16);
  }

  /**
   * Report a write of `length` bytes at `paddr` that touched (or may have touched) a
   * watched page: bumps `pagingStamp` for paging-structure pages and calls
   * `codeWriteListener` for code pages. Called by the accessors here and by the CPU's
   * fast path when `watchedPages` is non-zero for the page it wrote.
   */
  notifyWatched(paddr: number, length: number): void {
    let bits = 0;
    for (let p = paddr >>> 12; p <= (paddr + length - 1) >>> 12 && p < this.watchedPages.length; p++) bits |= this.watchedPages[p];
    if (bits & WATCH_PAGING) this.pagingStamp++;
    if (bits & WATCH_CODE) this.codeWriteListener?.(paddr, length);
    if (bits & WATCH_DATA_WRITE) this.dataAccessListener?.(paddr, length, true);
  }

  /** A CPU read of `length` bytes at `paddr` from a WATCH_DATA_READ page (memory-access.ts `readLinear`). */
  notifyDataRead(paddr: number, length: number): void {
    this.dataAccessListener?.(paddr, length, false);
  }

  /**
   * The page walker's update of accessed/dirty flags in a paging-structure entry at
   * `paddr` (dword-aligned, in RAM or MMIO): unlike other writes it does not bump
   * `pagingStamp`, since the TLB entry being filled already reflects it.
   */
  writePagingEntry(paddr: number, value: number): void {
    paddr >>>= 0;
    if (this.plain(paddr, 4)) {
      this.view.setInt32(paddr, value, true);
      if (this.watchedPages[paddr >>> 12] & WATCH_CODE) this.codeWriteListener?.(paddr, 4);
      return;
    }
    this.write32(paddr, value);
  }

  /** Mark the page holding `paddr` as holding paging structures (no-op outside RAM). */
  watchPaging(paddr: number): void {
    this.watch(paddr >>> 12, WATCH_PAGING);
  }

  /**
   * Add `bits` (WATCH_CODE, WATCH_PAGING) to page `ppn`'s watch. When a page becomes
   * watched, `watchStartListeners` hear of it first, so that CPUs drop the fast write
   * permission their TLBs hold for it: from then on every write to the page takes a slow
   * path that reports it.
   */
  watch(ppn: number, bits: number): void {
    if (ppn >= this.watchedPages.length) return;
    const before = this.watchedPages[ppn];
    if (before === 0) for (const l of this.watchStartListeners) l(ppn);
    this.watchedPages[ppn] = before | bits;
  }

  /** Stop watching page `ppn` for `bits`. */
  unwatch(ppn: number, bits: number): void {
    if (ppn < this.watchedPages.length) this.watchedPages[ppn] &= ~bits;
  }

  /** Called with a page number when the page goes from unwatched to watched (see `watch`). */
  readonly watchStartListeners: ((ppn: number) => void)[] = [];

  /** Copy bytes into guest-physical memory (loaders, debugger writes). Bytes beyond RAM go through MMIO or are dropped. */
  writeBytes(paddr: number, bytes: Uint8Array): void {
    paddr >>>= 0;
    if (paddr + bytes.length <= this.size && !this.regions.some((r) => paddr < r.end && r.start < paddr + bytes.length)) {
      this.ram.set(bytes, paddr);
      if (bytes.length > 0) this.notifyWatched(paddr, bytes.length);
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
