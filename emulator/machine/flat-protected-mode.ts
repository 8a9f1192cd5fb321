/**
 * Put a CPU into flat 32-bit protected mode the way a boot loader leaves it, with the
 * tables really present in guest memory: a GDT with the usual flat ring-0 code and data
 * descriptors (and ring-3 ones), segment registers whose hidden caches match those
 * descriptors, and optionally paging with identity-mapped page tables.
 *
 * Used by the benchmarks, the demo and tests; the Multiboot loader's entry state (flat
 * segments, paging off) is the `paging: false` case. Addresses are guest-physical.
 *
 * @see Intel SDM Vol. 3A §9.9 "Mode Switching" (what a loader does), §3.4.5 (descriptors),
 *      §4.3 (32-bit paging structures).
 */
import { CR0_ET, CR0_PE, CR0_PG } from '../arch/control-registers';
import { PTE_P, PTE_RW, PTE_US } from '../arch/paging';
import { AR_ACCESSED, AR_CODE, AR_DB, AR_G, AR_P, AR_RW, AR_S, encodeDescriptor, SegReg } from '../arch/segments';
import { EFLAGS_FIXED1 } from '../arch/eflags';
import type { Cpu } from '../cpu/cpu';
import { updateAccessMasks } from '../cpu/memory-access';
import { flushTlb } from '../cpu/paging';

/** Selectors of the GDT this module writes. */
export const FLAT_CODE_SEL = 0x08;
export const FLAT_DATA_SEL = 0x10;
export const FLAT_USER_CODE_SEL = 0x1b;
export const FLAT_USER_DATA_SEL = 0x23;

export interface FlatSetupOptions {
  /** Guest-physical address of the GDT (5 descriptors, 40 bytes). Default 0x500. */
  gdtBase?: number;
  /** Identity-map the first `paging.identityMiB` MiB with 4-KiB pages, page directory at `paging.directory`. */
  paging?: { identityMiB: number; directory: number; user?: boolean };
  /** Initial EIP and ESP. */
  eip: number;
  esp: number;
}

const CODE_AR = AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED | AR_DB | AR_G;
const DATA_AR = AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB | AR_G;

/**
 * Write the GDT (and page tables), load GDTR, the segment caches, CR0 (and CR3), EIP, ESP.
 * @throws RangeError when the tables do not fit in guest RAM
 */
export function enterFlatProtectedMode(cpu: Cpu, options: FlatSetupOptions): void {
  const mem = cpu.memory;
  const gdtBase = options.gdtBase ?? 0x500;
  const descriptors: [number, number][] = [
    [0, 0],
    encodeDescriptor(0, 0xfffff, CODE_AR),
    encodeDescriptor(0, 0xfffff, DATA_AR),
    encodeDescriptor(0, 0xfffff, CODE_AR | (3 << 5)),
    encodeDescriptor(0, 0xfffff, DATA_AR | (3 << 5)),
  ];
  if (gdtBase + descriptors.length * 8 > mem.size) throw new RangeError(`GDT at 0x${gdtBase.toString(16)} does not fit in guest RAM`);
  descriptors.forEach(([lo, hi], n) => {
    mem.write32(gdtBase + n * 8, lo);
    mem.write32(gdtBase + n * 8 + 4, hi);
  });
  cpu.gdtr.base = gdtBase;
  cpu.gdtr.limit = descriptors.length * 8 - 1;
  cpu.segs[SegReg.CS].setCache(FLAT_CODE_SEL, 0, 0xffffffff, CODE_AR);
  for (const s of [SegReg.ES, SegReg.SS, SegReg.DS, SegReg.FS, SegReg.GS]) cpu.segs[s].setCache(FLAT_DATA_SEL, 0, 0xffffffff, DATA_AR);
  let cr0 = CR0_PE | CR0_ET;
  if (options.paging) {
    const { identityMiB, directory, user } = options.paging;
    const tables = Math.ceil(identityMiB / 4);
    if (directory + 4096 * (1 + tables) > mem.size) throw new RangeError(`page tables at 0x${directory.toString(16)} do not fit in guest RAM`);
    const flags = PTE_P | PTE_RW | (user ? PTE_US : 0);
    for (let t = 0; t < 1024; t++) mem.write32(directory + t * 4, 0);
    for (let t = 0; t < tables; t++) {
      const table = directory + 4096 * (1 + t);
      mem.write32(directory + t * 4, table | flags);
      for (let e = 0; e < 1024; e++) mem.write32(table + e * 4, ((t * 1024 + e) * 4096) | flags);
    }
    cpu.cr3 = directory;
    cr0 |= CR0_PG;
  }
  cpu.cr0 = cr0;
  cpu.cpl = 0;
  updateAccessMasks(cpu);
  flushTlb(cpu, true);
  cpu.flags = EFLAGS_FIXED1;
  cpu.lazyMask = 0;
  cpu.eip = options.eip >>> 0;
  cpu.regs[4] = options.esp;
  cpu.breakBlock = true;
}
