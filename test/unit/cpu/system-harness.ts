/**
 * A small machine for the system-instruction and paging tests: a CPU with RAM, flat
 * protected-mode segments loaded straight into the hidden caches, page tables built in
 * physical memory, and a way to execute one instruction and see the fault it raises
 * without going through event delivery.
 */
import { CR0_PE, CR0_PG } from '../../../emulator/arch/control-registers';
import { PTE_P, PTE_RW, PTE_US } from '../../../emulator/arch/paging';
import { AR_ACCESSED, AR_CODE, AR_DB, AR_G, AR_P, AR_RW, AR_S, SegReg } from '../../../emulator/arch/segments';
import { Cpu } from '../../../emulator/cpu/cpu';
import { arraySource, decode } from '../../../emulator/cpu/decoder/decoder';
import { CpuFault } from '../../../emulator/cpu/fault';
import { updateAccessMasks } from '../../../emulator/cpu/memory-access';
import { flushTlb } from '../../../emulator/cpu/paging';
import { IoBus } from '../../../emulator/memory/io-bus';
import { PhysicalMemory } from '../../../emulator/memory/physical-memory';

export const MIB = 1 << 20;

/** A CPU in its reset state with `ramBytes` of RAM. */
export function makeCpu(ramBytes = 16 * MIB): Cpu {
  return new Cpu(new PhysicalMemory(ramBytes), new IoBus());
}

/**
 * Enter 32-bit protected mode with flat 4-GiB segments at privilege `cpl` by writing the
 * segment caches directly (no GDT is needed for these tests). Paging stays as it is.
 */
export function flatProtectedMode(cpu: Cpu, cpl = 0): void {
  cpu.cr0 |= CR0_PE;
  const dpl = cpl << 5;
  const data = AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB | AR_G | dpl;
  for (const s of [SegReg.ES, SegReg.SS, SegReg.DS, SegReg.FS, SegReg.GS]) cpu.segs[s].setCache(0x10 | cpl, 0, 0xffffffff, data);
  cpu.segs[SegReg.CS].setCache(0x08 | cpl, 0, 0xffffffff, AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED | AR_DB | AR_G | dpl);
  setCpl(cpu, cpl);
}

/** Change CPL (and the CS/SS DPL that defines it) without a control transfer. */
export function setCpl(cpu: Cpu, cpl: number): void {
  for (const s of [SegReg.CS, SegReg.SS]) {
    const r = cpu.segs[s];
    r.setCache((r.selector & ~3) | cpl, r.base, r.limit, (r.ar & ~(3 << 5)) | (cpl << 5));
  }
  cpu.cpl = cpl;
  updateAccessMasks(cpu);
  cpu.breakBlock = true;
}

/** Write bytes at a physical address. */
export function poke(cpu: Cpu, phys: number, bytes: number[]): void {
  cpu.memory.writeBytes(phys, Uint8Array.from(bytes));
}

/** A dword as 4 little-endian bytes, for hand-encoded instructions. */
export function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/**
 * Execute one instruction given as bytes, as the executor would (EIP past the instruction
 * while the handler runs, restored on a fault), without fetching it from guest memory and
 * without delivering the fault. Returns the fault, or null.
 */
export function exec(cpu: Cpu, bytes: number[]): CpuFault | null {
  const insn = decode(arraySource(Uint8Array.from(bytes)), cpu.segs[SegReg.CS].big);
  const start = cpu.eip;
  cpu.eip = (start + insn.len) >>> 0;
  try {
    insn.exec(cpu, insn);
    return null;
  } catch (e) {
    if (!(e instanceof CpuFault)) throw e;
    cpu.eip = start;
    return e;
  }
}

/**
 * Two-level 32-bit page tables in physical memory, allocated from `next` upwards.
 * `map` writes a PDE (if absent, pointing to a new zeroed page table) and a PTE.
 */
export class PageTables {
  next: number;
  constructor(
    readonly cpu: Cpu,
    /** Physical address of the page directory (4-KiB aligned). */
    readonly pd: number,
    /** First physical address for page tables. */
    firstTable: number,
  ) {
    this.next = firstTable;
    cpu.memory.writeBytes(pd, new Uint8Array(4096));
  }

  pdeAddr(lin: number): number {
    return this.pd + (lin >>> 22) * 4;
  }

  pde(lin: number): number {
    return this.cpu.memory.read32(this.pdeAddr(lin));
  }

  /** Physical address of the PTE for `lin` (the PDE must point to a page table). */
  pteAddr(lin: number): number {
    return ((this.pde(lin) & -4096) >>> 0) + ((lin >>> 12) & 0x3ff) * 4;
  }

  pte(lin: number): number {
    return this.cpu.memory.read32(this.pteAddr(lin));
  }

  /**
   * Map the 4-KiB page of `lin` to `phys` with PTE flags `pteFlags`. A new PDE gets
   * `pdeFlags` (default P, R/W, U/S: the PTE alone decides).
   */
  map(lin: number, phys: number, pteFlags: number, pdeFlags = PTE_P | PTE_RW | PTE_US): void {
    const mem = this.cpu.memory;
    if (!(this.pde(lin) & PTE_P)) {
      const table = this.next;
      this.next += 4096;
      mem.writeBytes(table, new Uint8Array(4096));
      mem.write32(this.pdeAddr(lin), table | pdeFlags);
    }
    mem.write32(this.pteAddr(lin), (phys & -4096) | pteFlags);
  }

  /** Identity-map [from, to) with `pteFlags`. */
  identity(from: number, to: number, pteFlags: number): void {
    for (let a = from; a < to; a += 4096) this.map(a, a, pteFlags);
  }

  /** Write a 4-MiB PDE (PS must be in `flags`) for the 4-MiB region of `lin`. */
  mapLarge(lin: number, phys: number, flags: number): void {
    this.cpu.memory.write32(this.pdeAddr(lin), (phys & 0xffc00000) | flags);
  }

  setPde(lin: number, v: number): void {
    this.cpu.memory.write32(this.pdeAddr(lin), v);
  }

  setPte(lin: number, v: number): void {
    this.cpu.memory.write32(this.pteAddr(lin), v);
  }
}

/** Load CR3 with the page directory and turn paging on (directly, as a boot loader's result). */
export function enablePaging(cpu: Cpu, pt: PageTables): void {
  cpu.cr3 = pt.pd;
  cpu.cr0 |= CR0_PE | CR0_PG;
  flushTlb(cpu, true);
}
