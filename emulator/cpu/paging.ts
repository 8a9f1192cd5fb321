/**
 * Linear-to-physical translation: 32-bit two-level paging and the TLB.
 *
 * Paging-relevant state (SDM Vol. 3A §4.1.3, §4.6):
 *   CR0.PG  paging on;                 CR0.WP  supervisor writes honour R/W;
 *   CR4.PSE 4-MiB pages (PDE.PS);      CR4.PGE global pages survive CR3 loads;
 *   CR3     page-directory base (31:12).
 * Access rights (§4.6.1): user-mode accesses need U/S = 1 in both PDE and PTE; writes need
 * R/W = 1 in both, for user mode always and for supervisor mode when CR0.WP = 1.
 * Accessed and dirty flags (§4.8): A is set in each entry used, D in the PTE (or the 4-MiB
 * PDE) on a write; we set them after the access checks pass, as Bochs does.
 * #PF error code (§4.7): P (protection vs not present), W/R, U/S, RSVD; CR2 = linear address.
 * TLB (§4.10): filled per 4-KiB linear page; MOV CR3 flushes non-global entries, INVLPG one
 * page, a change of CR0.PG/WP or CR4.PSE/PGE everything. Pages the walker reads paging
 * structures from are watched (PhysicalMemory WATCH_PAGING) so that a CR3 reload can tell
 * whether the TLB is still exact (see loadCr3).
 *
 * Physical memory is read and written through PhysicalMemory, so page-table pages that
 * are MMIO or outside RAM behave as on the bus.
 */
import { CR0_PG, CR0_WP, CR4_PGE, CR4_PSE } from '../arch/control-registers';
import { PFEC_P, PFEC_RSVD, PFEC_US, PFEC_WR, Vector } from '../arch/exceptions';
import { PDE_4M_RESERVED, PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../arch/paging';
import type { Cpu } from './cpu';
import { WATCH_DATA_READ, type PhysicalMemory } from '../memory/physical-memory';
import { CpuFault } from './fault';
import { TLB_GLOBAL, TLB_LARGE, TLB_RAM, TLB_SR, TLB_SW, TLB_UR, TLB_UW, TLB_VALID } from './tlb-bits';

/** Access kinds for translate(). */
export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_FETCH = 2;

function pageFault(cpu: Cpu, lin: number, code: number, why: string): CpuFault {
  cpu.cr2 = lin >>> 0;
  return new CpuFault(Vector.PF, code, `${why} at linear 0x${(lin >>> 0).toString(16).padStart(8, '0')}`);
}

/** Whether the physical page of `pa` is watched (PhysicalMemory.watchedPages). */
function isWatched(mem: PhysicalMemory, pa: number): boolean {
  const ppn = pa >>> 12;
  return ppn < mem.watchedPages.length && mem.watchedPages[ppn] !== 0;
}

/** Whether the physical page of `pa` has a data watchpoint on reads (WATCH_DATA_READ). */
function isReadWatched(mem: PhysicalMemory, pa: number): boolean {
  const ppn = pa >>> 12;
  return ppn < mem.watchedPages.length && (mem.watchedPages[ppn] & WATCH_DATA_READ) !== 0;
}

/**
 * Page `ppn` has just become watched: take write permission away from every TLB entry
 * that maps it, so the fast write path (which no longer checks the watch) cannot skip the
 * report. Called through PhysicalMemory.watchStartListeners; rare (first decode in a page,
 * first walk through a page-table page).
 */
export function revokeFastWrites(cpu: Cpu, ppn: number): void {
  const tlb = cpu.tlb;
  const list = cpu.tlbList;
  for (let n = 0; n < cpu.tlbCount; n++) {
    const lpn = list[n];
    const e = tlb[lpn];
    if (e !== 0 && e >>> 12 === ppn) tlb[lpn] = e & ~(TLB_SW | TLB_UW);
  }
}

function insert(cpu: Cpu, lpn: number, entry: number): void {
  if (cpu.tlbListed[lpn] === 0) {
    cpu.tlbListed[lpn] = 1;
    cpu.tlbList[cpu.tlbCount++] = lpn;
  }
  cpu.tlb[lpn] = entry;
}

/**
 * Translate a linear address, fill the TLB entry for its page and return the physical
 * address (uint32).
 * @param lin linear address
 * @param access ACCESS_READ, ACCESS_WRITE or ACCESS_FETCH
 * @param user a user-mode access (CPL = 3 and not an implicit supervisor access)
 * @throws CpuFault #PF with the SDM error code; CR2 is set to `lin`
 */
export function translate(cpu: Cpu, lin: number, access: number, user: boolean): number {
  const lpn = lin >>> 12;
  const mem = cpu.memory;
  // The A20 gate (PhysicalMemory.a20Mask) masks every physical address the CPU puts on the
  // bus: the identity mapping, the paging-structure reads and the walk's result. Applied
  // here only, so TLB hits cost nothing; the machine flushes the TLB when the gate moves.
  const a20 = mem.a20Mask;
  if (!(cpu.cr0 & CR0_PG)) {
    const pa = (lin & a20) >>> 0;
    const ram = mem.isRamPage(pa) && !isReadWatched(mem, pa) ? TLB_RAM : 0;
    const writeBits = isWatched(mem, pa) ? 0 : TLB_SW | TLB_UW;
    insert(cpu, lpn, (pa & -4096) | TLB_VALID | TLB_SR | TLB_UR | writeBits | ram);
    return pa;
  }
  const write = access === ACCESS_WRITE;
  const ecBase = (write ? PFEC_WR : 0) | (user ? PFEC_US : 0);
  const pdeAddr = (((cpu.cr3 & -4096) + ((lin >>> 22) << 2)) & a20) >>> 0;
  const pde = mem.read32(pdeAddr);
  mem.watchPaging(pdeAddr);
  if (!(pde & PTE_P)) throw pageFault(cpu, lin, ecBase, 'page-directory entry not present');
  const wp = (cpu.cr0 & CR0_WP) !== 0;
  let pa: number;
  let rw: number;
  let us: number;
  let global: boolean;
  let dirty: boolean;
  let large = false;
  if (pde & PTE_PS && cpu.cr4 & CR4_PSE) {
    if (pde & PDE_4M_RESERVED) throw pageFault(cpu, lin, ecBase | PFEC_P | PFEC_RSVD, 'reserved bit set in 4-MiB page-directory entry');
    rw = pde & PTE_RW;
    us = pde & PTE_US;
    if (user && !us) throw pageFault(cpu, lin, ecBase | PFEC_P, 'user access to a supervisor page');
    if (write && !rw && (user || wp)) throw pageFault(cpu, lin, ecBase | PFEC_P, 'write to a read-only page');
    const want = PTE_A | (write ? PTE_D : 0);
    if ((pde & want) !== want) mem.writePagingEntry(pdeAddr, pde | want);
    dirty = write || (pde & PTE_D) !== 0;
    pa = (((pde & 0xffc00000) | (lin & 0x3fffff)) & a20) >>> 0;
    global = (pde & PTE_G) !== 0 && (cpu.cr4 & CR4_PGE) !== 0;
    large = true;
  } else {
    const pteAddr = (((pde & -4096) + (((lin >>> 12) & 0x3ff) << 2)) & a20) >>> 0;
    const pte = mem.read32(pteAddr);
    mem.watchPaging(pteAddr);
    if (!(pte & PTE_P)) throw pageFault(cpu, lin, ecBase, 'page-table entry not present');
    rw = pde & pte & PTE_RW;
    us = pde & pte & PTE_US;
    if (user && !us) throw pageFault(cpu, lin, ecBase | PFEC_P, 'user access to a supervisor page');
    if (write && !rw && (user || wp)) throw pageFault(cpu, lin, ecBase | PFEC_P, 'write to a read-only page');
    if (!(pde & PTE_A)) mem.writePagingEntry(pdeAddr, pde | PTE_A);
    const want = PTE_A | (write ? PTE_D : 0);
    if ((pte & want) !== want) mem.writePagingEntry(pteAddr, pte | want);
    dirty = write || (pte & PTE_D) !== 0;
    pa = (((pte & -4096) | (lin & 0xfff)) & a20) >>> 0;
    global = (pte & PTE_G) !== 0 && (cpu.cr4 & CR4_PGE) !== 0;
  }
  // A watched page (decoded code, paging structures) gets no write permission in the TLB,
  // so every write to it takes the slow path that reports it (PhysicalMemory.notifyWatched).
  const writable = dirty && !isWatched(mem, pa);
  let bits = TLB_VALID | TLB_SR;
  if (writable && (rw || !wp)) bits |= TLB_SW;
  if (us) {
    bits |= TLB_UR;
    if (writable && rw) bits |= TLB_UW;
  }
  // A page with a data watchpoint on reads gets no fast access (cpu/watchpoints.ts).
  if (mem.isRamPage(pa) && !isReadWatched(mem, pa)) bits |= TLB_RAM;
  if (global) bits |= TLB_GLOBAL;
  if (large) {
    bits |= TLB_LARGE;
    cpu.tlbHasLarge = true;
  }
  insert(cpu, lpn, (pa & -4096) | bits);
  return pa;
}

/**
 * Flush the TLB: every entry when `includeGlobal`, else all but global ones (a CR3 load).
 * Also tells the executor to re-translate EIP.
 */
export function flushTlb(cpu: Cpu, includeGlobal: boolean): void {
  const tlb = cpu.tlb;
  const list = cpu.tlbList;
  let kept = 0;
  let large = false;
  for (let n = 0; n < cpu.tlbCount; n++) {
    const lpn = list[n];
    const e = tlb[lpn];
    if (!includeGlobal && e & TLB_GLOBAL) {
      list[kept++] = lpn;
      if (e & TLB_LARGE) large = true;
    } else {
      tlb[lpn] = 0;
      cpu.tlbListed[lpn] = 0;
    }
  }
  cpu.tlbCount = kept;
  cpu.tlbHasLarge = large;
  cpu.tlbStamp = cpu.memory.pagingStamp;
  cpu.breakBlock = true;
}

/**
 * MOV to CR3 (SDM Vol. 3A §4.10.4.1): loads the page-directory base and invalidates the
 * non-global TLB entries. When the value is unchanged and no paging structure the TLB was
 * filled from has been written since the last flush (PhysicalMemory.pagingStamp), every
 * entry is exactly what a new walk would produce (A and D included: a walk sets them only
 * when an entry is filled, and entries without D carry no write permission), so the
 * entries are kept — no guest can tell the difference, and an OS that reloads CR3 to
 * flush does not pay for a thousand re-walks.
 */
export function loadCr3(cpu: Cpu, value: number): void {
  value >>>= 0;
  if (value === cpu.cr3 >>> 0 && cpu.memory.pagingStamp === cpu.tlbStamp) {
    cpu.breakBlock = true;
    return;
  }
  cpu.cr3 = value;
  flushTlb(cpu, false);
}

/** INVLPG: drop the TLB entry for the page of `lin` (the whole 4-MiB range if large pages are cached). SDM Vol. 3A §4.10.4.1. */
export function invalidatePage(cpu: Cpu, lin: number): void {
  const lpn = lin >>> 12;
  if (cpu.tlbHasLarge) {
    const first = lpn & ~0x3ff;
    for (let p = first; p < first + 0x400; p++) cpu.tlb[p] = 0;
  } else cpu.tlb[lpn] = 0;
  // The page stays in tlbList (tlbListed keeps the list free of duplicates); the next flush drops it.
  cpu.breakBlock = true;
}

/**
 * Walk the paging structures without side effects (no A/D updates, no TLB fill, no fault):
 * for the debugger and the VMM. Returns the physical address, or -1 when not mapped.
 */
export function probeTranslate(cpu: Cpu, lin: number): number {
  const mem = cpu.memory;
  const a20 = mem.a20Mask; // as translate(): the A20 gate masks every CPU physical address
  if (!(cpu.cr0 & CR0_PG)) return (lin & a20) >>> 0;
  const pde = mem.read32((((cpu.cr3 & -4096) + ((lin >>> 22) << 2)) & a20) >>> 0);
  if (!(pde & PTE_P)) return -1;
  if (pde & PTE_PS && cpu.cr4 & CR4_PSE) return (((pde & 0xffc00000) | (lin & 0x3fffff)) & a20) >>> 0;
  const pte = mem.read32((((pde & -4096) + (((lin >>> 12) & 0x3ff) << 2)) & a20) >>> 0);
  if (!(pte & PTE_P)) return -1;
  return (((pte & -4096) | (lin & 0xfff)) & a20) >>> 0;
}
