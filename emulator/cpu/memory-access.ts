/**
 * Memory access as instructions see it: segment checks, then linear → physical through the
 * TLB, then RAM (fast path) or the physical bus (slow path).
 *
 * Virtual accessors (`readV*`, `writeV*`, `readRmw*`) take a segment register number
 * (SegReg) and an offset (uint32) and make the checks of SDM Vol. 3A §5.3 "Limit Checking"
 * and §5.4–5.5 type and privilege checks that were precomputed into the segment register's
 * bounds at load time; a violation is #GP(0), or #SS(0) for SS (§6.15 "#SS", "#GP").
 * Linear accessors (`readLin*`, `writeLin*`) use the current privilege level: a CPL-3
 * access is a user-mode access. System accessors (`readSys*`, `writeSys*`) are implicit
 * supervisor-mode accesses (descriptor tables, the TSS; SDM Vol. 3A §4.6.1).
 *
 * A write that faults changes nothing: an access crossing a page boundary translates both
 * pages before writing a byte. Watched pages (decoded code, paging structures) never get
 * write permission in the TLB (paging.ts), so their writes take the slow path through
 * PhysicalMemory, which reports them; the fast path needs no check of its own.
 */
import { SegReg } from '../arch/segments';
import { Vector } from '../arch/exceptions';
import type { Cpu } from './cpu';
import { CpuFault } from './fault';
import type { Insn } from './decoder/insn';
import type { SegmentRegister } from './segment-register';
import { ACCESS_READ, ACCESS_WRITE, translate } from './paging';
import { TLB_RAM, TLB_SR, TLB_SW, TLB_UR, TLB_UW, TLB_VALID } from './tlb-bits';
import { WATCH_DATA_READ } from '../memory/physical-memory';

/** Effective address (offset in the segment, uint32) of a decoded memory operand. SDM Vol. 2A §2.1.5. */
export function ea(cpu: Cpu, i: Insn): number {
  const r = cpu.regs;
  if (i.a32) return (r[i.base] + (r[i.index] << i.scale) + i.disp) >>> 0;
  return (r[i.base] + r[i.index] + i.disp) & 0xffff;
}

/** Recompute the TLB permission masks after a CPL change. */
export function updateAccessMasks(cpu: Cpu): void {
  if (cpu.cpl === 3) {
    cpu.tlbReadMask = TLB_VALID | TLB_UR | TLB_RAM;
    cpu.tlbWriteMask = TLB_VALID | TLB_UW | TLB_RAM;
  } else {
    cpu.tlbReadMask = TLB_VALID | TLB_SR | TLB_RAM;
    cpu.tlbWriteMask = TLB_VALID | TLB_SW | TLB_RAM;
  }
}

/** The fault for a failed segment check: #SS(0) for SS-relative accesses, else #GP(0). */
export function segmentFault(s: SegmentRegister, off: number, size: number, write: boolean): CpuFault {
  const what = !s.usable
    ? `${s.name} holds a null selector`
    : (write ? s.wHi : s.rHi) < 0
      ? `${s.name} segment is not ${write ? 'writable' : 'readable'}`
      : `offset 0x${(off >>> 0).toString(16)}+${size} outside ${s.name} limit 0x${s.limit.toString(16)}`;
  return new CpuFault(s.index === SegReg.SS ? Vector.SS : Vector.GP, 0, what);
}

// ---------------------------------------------------------------------------------------------
// Slow paths: page crossings, TLB misses, permission upgrades (setting D), MMIO.

/** Physical address for an access of `size` bytes at `lin` that stays within one page. */
function physFor(cpu: Cpu, lin: number, access: number, user: boolean): number {
  const need = access === ACCESS_WRITE ? (user ? TLB_VALID | TLB_UW : TLB_VALID | TLB_SW) : user ? TLB_VALID | TLB_UR : TLB_VALID | TLB_SR;
  const e = cpu.tlb[lin >>> 12];
  if ((e & need) === need) return ((e & -4096) | (lin & 0xfff)) >>> 0;
  return translate(cpu, lin, access, user);
}

/** Read `size` bytes (1, 2 or 4) at linear `lin` as a user or supervisor access. */
export function readLinear(cpu: Cpu, lin: number, size: number, user: boolean): number {
  const first = 0x1000 - (lin & 0xfff);
  const mem = cpu.memory;
  if (size <= first) {
    const pa = physFor(cpu, lin, ACCESS_READ, user);
    // Data watchpoints on reads (cpu/watchpoints.ts): such pages never take the fast path.
    if (mem.watchedPages[pa >>> 12] & WATCH_DATA_READ) mem.notifyDataRead(pa, size);
    return size === 1 ? mem.read8(pa) : size === 2 ? mem.read16(pa) : mem.read32(pa);
  }
  const pa1 = physFor(cpu, lin, ACCESS_READ, user);
  const pa2 = physFor(cpu, (lin + first) | 0, ACCESS_READ, user);
  if (mem.watchedPages[pa1 >>> 12] & WATCH_DATA_READ) mem.notifyDataRead(pa1, first);
  if (mem.watchedPages[pa2 >>> 12] & WATCH_DATA_READ) mem.notifyDataRead(pa2, size - first);
  let v = 0;
  for (let j = 0; j < size; j++) v |= mem.read8(j < first ? pa1 + j : pa2 + (j - first)) << (8 * j);
  return size === 4 ? v | 0 : v;
}

/** Write `size` bytes (1, 2 or 4) at linear `lin` as a user or supervisor access. */
export function writeLinear(cpu: Cpu, lin: number, size: number, value: number, user: boolean): void {
  const first = 0x1000 - (lin & 0xfff);
  const mem = cpu.memory;
  if (size <= first) {
    const pa = physFor(cpu, lin, ACCESS_WRITE, user);
    if (size === 1) mem.write8(pa, value);
    else if (size === 2) mem.write16(pa, value);
    else mem.write32(pa, value);
    return;
  }
  const pa1 = physFor(cpu, lin, ACCESS_WRITE, user);
  const pa2 = physFor(cpu, (lin + first) | 0, ACCESS_WRITE, user);
  for (let j = 0; j < size; j++) mem.write8(j < first ? pa1 + j : pa2 + (j - first), value >>> (8 * j));
}

/** Check that a write of `size` bytes at `lin` would succeed (translating both pages), without writing. */
export function probeWriteLinear(cpu: Cpu, lin: number, size: number, user: boolean): void {
  physFor(cpu, lin, ACCESS_WRITE, user);
  const last = (lin + size - 1) | 0;
  // A fault on the second page reports its first byte in CR2, as writeLinear does (and Bochs).
  if (last >>> 12 !== lin >>> 12) physFor(cpu, last & -4096, ACCESS_WRITE, user);
}

// ---------------------------------------------------------------------------------------------
// Linear accessors at the current privilege level (fast paths).

export function readLin8(cpu: Cpu, lin: number): number {
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbReadMask;
  if ((e & m) === m) return cpu.ram8[(e & -4096) + (lin & 0xfff)];
  return readLinear(cpu, lin, 1, cpu.cpl === 3);
}

export function readLin16(cpu: Cpu, lin: number): number {
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbReadMask;
  const o = lin & 0xfff;
  if ((e & m) === m && o !== 0xfff) return cpu.ramView.getUint16((e & -4096) + o, true);
  return readLinear(cpu, lin, 2, cpu.cpl === 3);
}

export function readLin32(cpu: Cpu, lin: number): number {
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbReadMask;
  const o = lin & 0xfff;
  if ((e & m) === m && o <= 0xffc) {
    const pa = (e & -4096) + o;
    return (pa & 3) === 0 ? cpu.ram32[pa >> 2] : cpu.ramView.getInt32(pa, true);
  }
  return readLinear(cpu, lin, 4, cpu.cpl === 3);
}

export function writeLin8(cpu: Cpu, lin: number, v: number): void {
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbWriteMask;
  if ((e & m) === m) {
    const pa = (e & -4096) + (lin & 0xfff);
    cpu.ram8[pa] = v;
    return;
  }
  writeLinear(cpu, lin, 1, v, cpu.cpl === 3);
}

export function writeLin16(cpu: Cpu, lin: number, v: number): void {
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbWriteMask;
  const o = lin & 0xfff;
  if ((e & m) === m && o !== 0xfff) {
    const pa = (e & -4096) + o;
    cpu.ramView.setUint16(pa, v, true);
    return;
  }
  writeLinear(cpu, lin, 2, v, cpu.cpl === 3);
}

export function writeLin32(cpu: Cpu, lin: number, v: number): void {
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbWriteMask;
  const o = lin & 0xfff;
  if ((e & m) === m && o <= 0xffc) {
    const pa = (e & -4096) + o;
    if ((pa & 3) === 0) cpu.ram32[pa >> 2] = v;
    else cpu.ramView.setInt32(pa, v, true);
    return;
  }
  writeLinear(cpu, lin, 4, v, cpu.cpl === 3);
}

// ---------------------------------------------------------------------------------------------
// Implicit supervisor-mode accesses (GDT, LDT, IDT, TSS).

export function readSys8(cpu: Cpu, lin: number): number {
  return readLinear(cpu, lin, 1, false);
}
export function readSys16(cpu: Cpu, lin: number): number {
  return readLinear(cpu, lin, 2, false);
}
export function readSys32(cpu: Cpu, lin: number): number {
  return readLinear(cpu, lin, 4, false);
}
export function writeSys8(cpu: Cpu, lin: number, v: number): void {
  writeLinear(cpu, lin, 1, v, false);
}
export function writeSys16(cpu: Cpu, lin: number, v: number): void {
  writeLinear(cpu, lin, 2, v, false);
}
export function writeSys32(cpu: Cpu, lin: number, v: number): void {
  writeLinear(cpu, lin, 4, v, false);
}

// ---------------------------------------------------------------------------------------------
// Virtual (segment:offset) accessors.

export function readV8(cpu: Cpu, seg: number, off: number): number {
  const s = cpu.segs[seg];
  if (off < s.lo || off > s.rHi) throw segmentFault(s, off, 1, false);
  return readLin8(cpu, (s.base + off) | 0);
}

export function readV16(cpu: Cpu, seg: number, off: number): number {
  const s = cpu.segs[seg];
  if (off < s.lo || off + 1 > s.rHi) throw segmentFault(s, off, 2, false);
  return readLin16(cpu, (s.base + off) | 0);
}

export function readV32(cpu: Cpu, seg: number, off: number): number {
  const s = cpu.segs[seg];
  if (off < s.lo || off + 3 > s.rHi) throw segmentFault(s, off, 4, false);
  return readLin32(cpu, (s.base + off) | 0);
}

export function writeV8(cpu: Cpu, seg: number, off: number, v: number): void {
  const s = cpu.segs[seg];
  if (off < s.lo || off > s.wHi) throw segmentFault(s, off, 1, true);
  writeLin8(cpu, (s.base + off) | 0, v);
}

export function writeV16(cpu: Cpu, seg: number, off: number, v: number): void {
  const s = cpu.segs[seg];
  if (off < s.lo || off + 1 > s.wHi) throw segmentFault(s, off, 2, true);
  writeLin16(cpu, (s.base + off) | 0, v);
}

export function writeV32(cpu: Cpu, seg: number, off: number, v: number): void {
  const s = cpu.segs[seg];
  if (off < s.lo || off + 3 > s.wHi) throw segmentFault(s, off, 4, true);
  writeLin32(cpu, (s.base + off) | 0, v);
}

/**
 * Read-modify-write: check that the operand is writable (segment and page, setting D as
 * the write will), read it, and remember its linear address for `writeRmw*`, which then
 * cannot fault. Used by ALU, shift, XCHG, XADD … with a memory destination.
 */
export function readRmw8(cpu: Cpu, seg: number, off: number): number {
  const s = cpu.segs[seg];
  if (off < s.lo || off > s.wHi) throw segmentFault(s, off, 1, true);
  const lin = (s.base + off) | 0;
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbWriteMask;
  cpu.rmwLin = lin;
  if ((e & m) === m) return cpu.ram8[(e & -4096) + (lin & 0xfff)];
  probeWriteLinear(cpu, lin, 1, cpu.cpl === 3);
  return readLinear(cpu, lin, 1, cpu.cpl === 3);
}

export function readRmw16(cpu: Cpu, seg: number, off: number): number {
  const s = cpu.segs[seg];
  if (off < s.lo || off + 1 > s.wHi) throw segmentFault(s, off, 2, true);
  const lin = (s.base + off) | 0;
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbWriteMask;
  const o = lin & 0xfff;
  cpu.rmwLin = lin;
  if ((e & m) === m && o !== 0xfff) return cpu.ramView.getUint16((e & -4096) + o, true);
  probeWriteLinear(cpu, lin, 2, cpu.cpl === 3);
  return readLinear(cpu, lin, 2, cpu.cpl === 3);
}

export function readRmw32(cpu: Cpu, seg: number, off: number): number {
  const s = cpu.segs[seg];
  if (off < s.lo || off + 3 > s.wHi) throw segmentFault(s, off, 4, true);
  const lin = (s.base + off) | 0;
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbWriteMask;
  const o = lin & 0xfff;
  cpu.rmwLin = lin;
  if ((e & m) === m && o <= 0xffc) return cpu.ramView.getInt32((e & -4096) + o, true);
  probeWriteLinear(cpu, lin, 4, cpu.cpl === 3);
  return readLinear(cpu, lin, 4, cpu.cpl === 3);
}

export function writeRmw8(cpu: Cpu, v: number): void {
  writeLin8(cpu, cpu.rmwLin, v);
}
export function writeRmw16(cpu: Cpu, v: number): void {
  writeLin16(cpu, cpu.rmwLin, v);
}
export function writeRmw32(cpu: Cpu, v: number): void {
  writeLin32(cpu, cpu.rmwLin, v);
}

/**
 * Check that `size` bytes at seg:off may be written (segment bounds and pages), without
 * writing: for instructions that write several values and must not leave partial state
 * (far CALL pushing CS and EIP, ENTER, PUSHA, interrupt frames).
 */
export function probeWriteV(cpu: Cpu, seg: number, off: number, size: number): void {
  const s = cpu.segs[seg];
  if (off < s.lo || off + size - 1 > s.wHi) throw segmentFault(s, off, size, true);
  probeWriteLinear(cpu, (s.base + off) | 0, size, cpu.cpl === 3);
}
