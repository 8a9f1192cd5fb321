/**
 * A segment register: the visible selector plus its hidden descriptor cache.
 *
 * The cache is loaded only by a segment load (MOV/POP Sreg, far transfers, interrupts,
 * task switches, SYSENTER/SYSEXIT, reset) and is *not* refreshed when the descriptor in
 * memory changes later. That hidden state is one of the things the debugger shows and one
 * of the virtualization holes (SDM Vol. 3A §3.4.3 "Segment Registers", Figure 3-7).
 *
 * Besides base, limit and access rights (VMCS layout, see arch/segments.ts), the register
 * keeps precomputed bounds for the access checks of SDM Vol. 3A §5.3 "Limit Checking"
 * and §5.5 "Privilege Levels" so that each memory access costs two comparisons:
 *  - `lo`: the lowest valid offset (0, or limit + 1 for an expand-down data segment),
 *  - `rHi` / `wHi`: the highest offset that may be read / written, or -1 when the segment
 *    may not be read / written at all (null selector, execute-only code, read-only data).
 */
import { AR_CODE, AR_DB, AR_DC, AR_P, AR_RW, AR_S, AR_UNUSABLE, SEGREG_NAMES } from '../arch/segments';

export class SegmentRegister {
  /** Visible part: the 16-bit selector. */
  selector = 0;
  /** Hidden part: linear base address (uint32). */
  base = 0;
  /** Hidden part: byte-granular limit (uint32). */
  limit = 0xffff;
  /** Hidden part: access rights, VMCS layout (type, S, DPL, P, AVL, L, D/B, G, unusable). */
  ar = AR_P | AR_S | AR_RW | 0x1; // present, data, read/write, accessed: the reset value
  /** Precomputed access bounds (see the file header). */
  lo = 0;
  rHi = 0xffff;
  wHi = 0xffff;

  constructor(readonly index: number) {}

  get name(): string {
    return SEGREG_NAMES[this.index] ?? (this.index === 6 ? 'LDTR' : 'TR');
  }

  /** Whether the cache holds a usable segment (a null selector loaded in protected mode is unusable). */
  get usable(): boolean {
    return (this.ar & AR_UNUSABLE) === 0;
  }

  /** D/B flag: 32-bit default operand size (CS) or 32-bit stack pointer (SS). */
  get big(): boolean {
    return (this.ar & AR_DB) !== 0;
  }

  /**
   * Fill the hidden cache and recompute the access bounds. This is the one place the cache
   * is written; callers (cpu/segmentation.ts) make the SDM's checks first.
   */
  setCache(selector: number, base: number, limit: number, ar: number): void {
    this.selector = selector & 0xffff;
    this.base = base >>> 0;
    this.limit = limit >>> 0;
    this.ar = ar;
    this.recompute();
  }

  /** Recompute `lo`, `rHi`, `wHi` from the cache. */
  recompute(): void {
    const ar = this.ar;
    const limit = this.limit;
    if (ar & AR_UNUSABLE || !(ar & AR_P)) {
      this.lo = 1;
      this.rHi = -1;
      this.wHi = -1;
      return;
    }
    if (!(ar & AR_S)) {
      // A system segment in a data register cannot happen through loads; treat it as inaccessible.
      this.lo = 1;
      this.rHi = -1;
      this.wHi = -1;
      return;
    }
    if (ar & AR_CODE) {
      this.lo = 0;
      this.rHi = ar & AR_RW ? limit : -1;
      this.wHi = -1;
      return;
    }
    if (ar & AR_DC) {
      // Expand-down: valid offsets are limit+1 .. 0xFFFF (B = 0) or 0xFFFFFFFF (B = 1). SDM Vol. 3A §5.3.
      const top = ar & AR_DB ? 0xffffffff : 0xffff;
      this.lo = limit + 1;
      this.rHi = top;
      this.wHi = ar & AR_RW ? top : -1;
      return;
    }
    this.lo = 0;
    this.rHi = limit;
    this.wHi = ar & AR_RW ? limit : -1;
  }
}

/** The memory-resident descriptor-table registers GDTR and IDTR (SDM Vol. 3A §2.4.1, §2.4.3). */
export class TableRegister {
  /** Linear base address (uint32). */
  base = 0;
  /** Limit in bytes (16 bits). */
  limit = 0xffff;
}
