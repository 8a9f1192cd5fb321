/**
 * Data watchpoints for the debugger (DAP `setDataBreakpoints`): stop when the guest reads or
 * writes given guest-physical bytes, without slowing the rest of the guest.
 *
 * Mechanism — page granularity, exact range on the slow path:
 *   - every 4-KiB physical page that holds watched bytes is marked in
 *     `PhysicalMemory.watchedPages` with WATCH_DATA_WRITE and/or WATCH_DATA_READ;
 *   - writes: a watched page never gets write permission in the TLB (paging.ts `translate`,
 *     as for code and paging-structure pages), so every write to it goes through
 *     PhysicalMemory's `write*`, whose `notifyWatched` calls `dataAccessListener`;
 *   - reads: a WATCH_DATA_READ page gets no TLB_RAM bit (paging.ts), so neither the read nor
 *     the write fast path of memory-access.ts applies; `readLinear` (the slow path) reports
 *     the read through `PhysicalMemory.notifyDataRead`;
 *   - when the set changes, the TLB entries that map an affected page are dropped here
 *     (`revokeFastAccess`), so nothing cached from before skips the check;
 *   - the listener compares the access with each watched range (a handful) and, on a
 *     match, records the hit and calls `onHit` (the debugger requests a stop, which the
 *     executor honours after the accessing instruction: a data breakpoint is trap-like, as
 *     the debug registers' are, SDM Vol. 3B §18.3.1.2 "Data Memory and I/O Breakpoint
 *     Exception Conditions").
 * Pages without a watch keep every fast path: the guest pays nothing for them.
 *
 * Known limits (said here and in the debugger's report):
 *   - the bytes of an instruction fetched (decoded) from a read-watched range count as a read
 *     (fetch uses the same slow path the first time an instruction is decoded);
 *   - writes by the page walker's A/D updates and by devices or the debugger itself reach
 *     the listener too when they go through `write*`; `armed` lets the debugger ignore
 *     accesses while it is the one writing;
 *   - watches are on guest-physical bytes; the debugger translates a guest-linear watch when
 *     it arms it, so a later remap of that linear page is not followed.
 *
 * @see Intel SDM Vol. 3B §18.2 "Debug Registers" (the hardware's data breakpoints, which
 *      these imitate in behaviour: trap after the access, read/write or write only).
 */
import { WATCH_DATA_READ, WATCH_DATA_WRITE, type PhysicalMemory } from '../memory/physical-memory';
import type { Cpu } from './cpu';

/** Which accesses a watch reports (DAP DataBreakpointAccessType). */
export type WatchAccess = 'read' | 'write' | 'readWrite';

/** One data watch: `length` bytes of guest-physical memory from `paddr`. */
export interface DataWatch {
  /** Caller's identifier (the debugger's breakpoint id). */
  id: number;
  /** Guest-physical byte address (uint32). */
  paddr: number;
  /** Bytes, ≥ 1. */
  length: number;
  access: WatchAccess;
}

/** An access that matched a watch. */
export interface DataWatchHit {
  watch: DataWatch;
  /** Guest-physical address and size in bytes of the access. */
  paddr: number;
  size: number;
  write: boolean;
}

/** The data watchpoints of one processor and its memory. */
export class DataWatchpoints {
  private watches: DataWatch[] = [];
  /** Pages this set marked, with the bits it set on each. */
  private marked = new Map<number, number>();
  /** Accesses are reported only while armed (the debugger disarms while it reads and writes guest memory itself). */
  armed = true;
  /** The last hit, until `takeHit`. */
  private hit: DataWatchHit | null = null;
  /** Called for each matching access (while armed). */
  onHit: ((hit: DataWatchHit) => void) | null = null;

  /**
   * Installs itself as the memory's `dataAccessListener`.
   * @throws Error when another listener is installed already
   */
  constructor(
    private readonly cpu: Cpu,
    private readonly memory: PhysicalMemory = cpu.memory,
  ) {
    if (memory.dataAccessListener) throw new Error('this memory already has a data-watch listener');
    memory.dataAccessListener = (paddr, length, write) => this.check(paddr, length, write);
  }

  /** The watches now in force. */
  list(): readonly DataWatch[] {
    return this.watches;
  }

  /**
   * Replace the set of watches.
   * @throws RangeError for a watch with a non-positive length or a range beyond 4 GiB
   */
  set(watches: readonly DataWatch[]): void {
    for (const w of watches) {
      if (!Number.isInteger(w.length) || w.length < 1) throw new RangeError(`data watch ${w.id}: length must be a whole number of bytes ≥ 1, not ${w.length}`);
      if (!Number.isInteger(w.paddr) || w.paddr < 0 || w.paddr + w.length > 0x1_0000_0000) throw new RangeError(`data watch ${w.id}: range 0x${w.paddr.toString(16)}+${w.length} lies outside the 4-GiB physical space`);
    }
    const mem = this.memory;
    for (const [ppn, bits] of this.marked) mem.unwatch(ppn, bits);
    const next = new Map<number, number>();
    for (const w of watches) {
      const bits = (w.access === 'write' ? 0 : WATCH_DATA_READ) | (w.access === 'read' ? 0 : WATCH_DATA_WRITE);
      for (let ppn = w.paddr >>> 12; ppn <= (w.paddr + w.length - 1) >>> 12; ppn++) next.set(ppn, (next.get(ppn) ?? 0) | bits);
    }
    for (const [ppn, bits] of next) mem.watch(ppn, bits);
    // Pages that are (or were) watched lose their cached fast access; the next access refills
    // the TLB entry through `translate`, which looks at the new bits.
    const affected = new Set([...this.marked.keys(), ...next.keys()]);
    for (const ppn of affected) revokeFastAccess(this.cpu, ppn);
    this.marked = next;
    this.watches = watches.map((w) => ({ ...w, paddr: w.paddr >>> 0 }));
    this.cpu.breakBlock = true;
  }

  /** The last hit since the previous call, or null. */
  takeHit(): DataWatchHit | null {
    const h = this.hit;
    this.hit = null;
    return h;
  }

  private check(paddr: number, length: number, write: boolean): void {
    if (!this.armed) return;
    for (const w of this.watches) {
      if (write ? w.access === 'read' : w.access === 'write') continue;
      if (paddr < w.paddr + w.length && w.paddr < paddr + length) {
        const hit = { watch: w, paddr, size: length, write };
        this.hit = hit;
        this.onHit?.(hit);
        return;
      }
    }
  }

  /** Remove every watch and the memory listener. */
  dispose(): void {
    this.set([]);
    this.memory.dataAccessListener = null;
  }
}

/**
 * Drop every TLB entry of `cpu` that maps physical page `ppn` (as INVLPG drops one), so
 * the next access re-translates and `translate` applies the page's current watch bits.
 */
export function revokeFastAccess(cpu: Cpu, ppn: number): void {
  const tlb = cpu.tlb;
  const list = cpu.tlbList;
  for (let n = 0; n < cpu.tlbCount; n++) {
    const lpn = list[n];
    const e = tlb[lpn];
    if (e !== 0 && e >>> 12 === ppn) tlb[lpn] = 0;
  }
}
