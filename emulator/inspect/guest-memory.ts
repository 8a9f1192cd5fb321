/**
 * Guest memory for the debugger: reads and writes in guest-physical and guest-linear space,
 * and the page walk that relates them — without side effects on the guest.
 *
 * Address spaces (bytes; guest-vm.ts): guest-physical address P is offset P of `vm.memory`
 * for P below the guest's RAM limit (`GuestView.ramLimit`: under a VMM its reserved area
 * begins there and is never shown or written as guest data); guest-linear addresses are
 * translated by the GUEST's page tables — the virtual CR0/CR3/CR4 under a VMM, never the
 * shadow tables — when the guest's CR0.PG is set, and are guest-physical otherwise.
 *
 * The walk follows SDM Vol. 3A §4.3 "32-Bit Paging" (4-KiB pages, and 4-MiB pages with
 * CR4.PSE) but, unlike the processor's, sets no accessed or dirty flag, fills no TLB entry
 * and checks no access rights (a debugger reads as the supervisor, and writes too). A page
 * the guest does not map, or a guest-physical range beyond RAM, is reported in the result's
 * `unreadable` / `unwritable` ranges with the reason; nothing here throws for a guest
 * address. Writes go through PhysicalMemory's write accessors, so decoded code on the page is
 * invalidated; on the bare machine a write to a page holding paging structures flushes the
 * TLB (a debugger write is not a guest store the processor snoops); under trap-and-emulate,
 * writes to guest paging structures and to the VMM's area are refused (ModeAdapter).
 *
 * Under a VMM whose host runs on shadow page tables (`monitor.shadowPageDirectory()`), the
 * translation also walks the shadow tables for the same linear address (host-physical
 * addresses, which are VM-memory offsets).
 */
import { CR0_PG, CR4_PSE } from '../arch/control-registers';
import { PDE_4M_RESERVED, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../arch/paging';
import { flushTlb } from '../cpu/paging';
import { WATCH_PAGING } from '../memory/physical-memory';
import type { GuestVm } from '../vmm/guest-vm';
import { hex } from './format';
import { guestView, type GuestView } from './guest-view';
import { InspectError } from './tree';

/** A range that could not be read or written: `start` in the request's address space (linear or physical), `length` bytes. */
export interface AddressRange {
  start: number;
  length: number;
  reason: string;
}

/** What a guest memory read returned: the bytes and the ranges that could not be read. */
export interface GuestRead {
  /** The bytes read; bytes in `unreadable` ranges are 0. */
  bytes: Uint8Array;
  /** Ranges that could not be read, in address order. */
  unreadable: AddressRange[];
}

/** What a guest memory write did: how many bytes were written and the ranges that were not. */
export interface GuestWrite {
  /** Bytes written. */
  written: number;
  /** Ranges not written, with the reason, in address order. */
  unwritable: AddressRange[];
}

/** One paging-structure entry: guest-physical (or, for the shadow, host-physical) address and value (uint32). */
export interface PagingEntry {
  address: number;
  value: number;
}

/** The shadow page tables' walk of one linear address (host-physical addresses = VM-memory offsets). */
export interface ShadowTranslation {
  /** Host-physical address of the shadow page directory (host CR3). */
  directory: number;
  pde: PagingEntry;
  pte?: PagingEntry;
  /** Host-physical address, or null when the shadow does not map the page (yet). */
  physical: number | null;
  /** Why `physical` is null. */
  fault?: string;
}

/** The guest's walk of one linear address (see `translateGuest`). */
export interface GuestTranslation {
  linear: number;
  /** The guest's CR0.PG: without paging, linear = guest-physical. */
  paging: boolean;
  pde?: PagingEntry;
  pte?: PagingEntry;
  /** A 4-MiB page (PDE.PS with CR4.PSE). */
  large: boolean;
  /** Guest-physical address, or null when the guest's tables do not map it. */
  physical: number | null;
  /** Why `physical` is null. */
  fault?: string;
  /** Effective permissions of the mapping (AND of PDE and PTE R/W and U/S). */
  writable: boolean;
  user: boolean;
  /** The shadow walk, when a VMM runs the host on shadow page tables; null otherwise. */
  shadow: ShadowTranslation | null;
}

/** Largest read or write one call accepts (bytes). */
export const MAX_TRANSFER = 16 << 20;
const FOUR_GIB = 0x100000000;

function checkRequest(what: string, address: number, length: number): void {
  if (!Number.isInteger(address) || address < 0 || address >= FOUR_GIB) throw new InspectError(`${what}: address ${address} is not a 32-bit address`);
  if (!Number.isInteger(length) || length < 0 || length > MAX_TRANSFER) throw new InspectError(`${what}: length ${length} is not a whole number of bytes from 0 to ${MAX_TRANSFER}`);
}

/** Add [start, start+length) with `reason` to `ranges`, merging with the last range when contiguous with the same reason. */
function addRange(ranges: AddressRange[], start: number, length: number, reason: string): void {
  const last = ranges[ranges.length - 1];
  if (last && last.start + last.length === start && last.reason === reason) last.length += length;
  else ranges.push({ start, length, reason });
}

/** Why guest-physical `pa` cannot be read as guest data, or null. */
function physicalRefusal(view: GuestView, pa: number): string | null {
  if (pa >= view.ramLimit) {
    return view.vm.monitor
      ? `guest-physical ${hex(pa)} lies beyond guest RAM (the VMM's reserved area starts at ${hex(view.ramLimit)})`
      : `guest-physical ${hex(pa)} lies beyond guest RAM (${hex(view.ramLimit)} bytes)`;
  }
  return null;
}

/** Read guest-physical [pa, pa + length) (see the file header). @throws InspectError for a malformed request only */
export function readGuestPhysical(vm: GuestVm, pa: number, length: number): GuestRead {
  checkRequest('readGuestPhysical', pa, length);
  return readPhysical(guestView(vm), pa, length);
}

function readPhysical(view: GuestView, pa: number, length: number): GuestRead {
  const bytes = new Uint8Array(length);
  const unreadable: AddressRange[] = [];
  const mem = view.vm.memory;
  let off = 0;
  while (off < length) {
    const a = pa + off;
    const n = Math.min(length - off, 0x1000 - (a & 0xfff));
    if (a >= FOUR_GIB) {
      addRange(unreadable, a, length - off, 'beyond the 4-GiB physical address space');
      break;
    }
    const why = physicalRefusal(view, a);
    if (why) addRange(unreadable, a, n, why);
    else bytes.set(mem.readBytes(a, n), off);
    off += n;
  }
  return { bytes, unreadable };
}

/** Read guest-linear [lin, lin + length) through the guest's page tables (see the file header). @throws InspectError for a malformed request only */
export function readGuestLinear(vm: GuestVm, lin: number, length: number): GuestRead {
  checkRequest('readGuestLinear', lin, length);
  return readLinear(guestView(vm), lin, length);
}

/** `readGuestLinear` on a view already taken (for callers that read many times at one stop). */
export function readLinear(view: GuestView, lin: number, length: number): GuestRead {
  const bytes = new Uint8Array(length);
  const unreadable: AddressRange[] = [];
  let off = 0;
  while (off < length) {
    const a = lin + off;
    if (a >= FOUR_GIB) {
      addRange(unreadable, a, length - off, 'beyond the 4-GiB linear address space');
      break;
    }
    const n = Math.min(length - off, 0x1000 - (a & 0xfff));
    const t = walk(view, a);
    if (t.physical === null) addRange(unreadable, a, n, t.fault ?? 'not mapped');
    else {
      const r = readPhysical(view, t.physical, n);
      bytes.set(r.bytes, off);
      for (const u of r.unreadable) addRange(unreadable, a + (u.start - t.physical), u.length, u.reason);
    }
    off += n;
  }
  return { bytes, unreadable };
}

/** A guest-linear dword (little-endian), or the reason it cannot be read. */
export function readLinearDword(view: GuestView, lin: number): { ok: true; value: number } | { ok: false; reason: string } {
  const r = readLinear(view, lin >>> 0, 4);
  if (r.unreadable.length) return { ok: false, reason: r.unreadable[0].reason };
  return { ok: true, value: (r.bytes[0] | (r.bytes[1] << 8) | (r.bytes[2] << 16) | (r.bytes[3] << 24)) >>> 0 };
}

/** Write `bytes` at guest-physical `pa` (see the file header). @throws InspectError for a malformed request only */
export function writeGuestPhysical(vm: GuestVm, pa: number, bytes: Uint8Array): GuestWrite {
  checkRequest('writeGuestPhysical', pa, bytes.length);
  return writePhysical(guestView(vm), pa, bytes);
}

function writePhysical(view: GuestView, pa: number, bytes: Uint8Array): GuestWrite {
  const unwritable: AddressRange[] = [];
  const mem = view.vm.memory;
  let written = 0;
  let pagingTouched = false;
  let off = 0;
  while (off < bytes.length) {
    const a = pa + off;
    if (a >= FOUR_GIB) {
      addRange(unwritable, a, bytes.length - off, 'beyond the 4-GiB physical address space');
      break;
    }
    const n = Math.min(bytes.length - off, 0x1000 - (a & 0xfff));
    const why = physicalRefusal(view, a) ?? view.mode.writeRefusal(a);
    if (why) addRange(unwritable, a, n, why);
    else {
      if (mem.watchedPages[a >>> 12] & WATCH_PAGING) pagingTouched = true;
      mem.writeBytes(a, bytes.subarray(off, off + n));
      written += n;
    }
    off += n;
  }
  if (pagingTouched && !view.vm.monitor) flushTlb(view.vm.cpu, true);
  return { written, unwritable };
}

/** Write `bytes` at guest-linear `lin` through the guest's page tables (see the file header). @throws InspectError for a malformed request only */
export function writeGuestLinear(vm: GuestVm, lin: number, bytes: Uint8Array): GuestWrite {
  checkRequest('writeGuestLinear', lin, bytes.length);
  const view = guestView(vm);
  const unwritable: AddressRange[] = [];
  let written = 0;
  let off = 0;
  while (off < bytes.length) {
    const a = lin + off;
    if (a >= FOUR_GIB) {
      addRange(unwritable, a, bytes.length - off, 'beyond the 4-GiB linear address space');
      break;
    }
    const n = Math.min(bytes.length - off, 0x1000 - (a & 0xfff));
    const t = walk(view, a);
    if (t.physical === null) addRange(unwritable, a, n, t.fault ?? 'not mapped');
    else {
      const w = writePhysical(view, t.physical, bytes.subarray(off, off + n));
      written += w.written;
      for (const u of w.unwritable) addRange(unwritable, a + (u.start - t.physical), u.length, u.reason);
    }
    off += n;
  }
  return { written, unwritable };
}

/**
 * The guest's page walk for linear address `lin` (and the shadow's, under a VMM on shadow
 * tables): entry addresses and values, the guest-physical address or why there is none.
 * No side effects. @throws InspectError when `lin` is not a 32-bit address
 */
export function translateGuest(vm: GuestVm, lin: number): GuestTranslation {
  if (!Number.isInteger(lin) || lin < 0 || lin >= FOUR_GIB) throw new InspectError(`translateGuest: ${lin} is not a 32-bit linear address`);
  const view = guestView(vm);
  const t = walk(view, lin);
  return { ...t, shadow: shadowWalk(view, lin) };
}

/** The guest walk alone (no shadow) on a view already taken. */
export function walk(view: GuestView, lin: number): Omit<GuestTranslation, 'shadow'> {
  lin >>>= 0;
  if (!(view.cr0 & CR0_PG)) return { linear: lin, paging: false, large: false, physical: lin, writable: true, user: true };
  const mem = view.vm.memory;
  const pdeAddr = ((view.cr3 & -4096) + ((lin >>> 22) << 2)) >>> 0;
  const base = { linear: lin, paging: true, large: false, writable: false, user: false };
  if (pdeAddr >= view.ramLimit) return { ...base, physical: null, fault: `the page directory (CR3 ${hex(view.cr3)}) lies beyond guest RAM` };
  const pde = mem.read32(pdeAddr) >>> 0;
  const pdeEntry = { address: pdeAddr, value: pde };
  if (!(pde & PTE_P)) return { ...base, pde: pdeEntry, physical: null, fault: `page-directory entry ${hex(lin >>> 22, 3)} not present` };
  if (pde & PTE_PS && view.cr4 & CR4_PSE) {
    const large = { ...base, pde: pdeEntry, large: true, writable: (pde & PTE_RW) !== 0, user: (pde & PTE_US) !== 0 };
    if (pde & PDE_4M_RESERVED) return { ...large, physical: null, fault: `reserved bits set in 4-MiB page-directory entry ${hex(pde)}` };
    return { ...large, physical: ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0 };
  }
  const pteAddr = ((pde & -4096) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
  if (pteAddr >= view.ramLimit) return { ...base, pde: pdeEntry, physical: null, fault: `the page table at ${hex(pde & -4096)} lies beyond guest RAM` };
  const pte = mem.read32(pteAddr) >>> 0;
  const pteEntry = { address: pteAddr, value: pte };
  const perms = { writable: (pde & pte & PTE_RW) !== 0, user: (pde & pte & PTE_US) !== 0 };
  if (!(pte & PTE_P)) return { ...base, pde: pdeEntry, pte: pteEntry, physical: null, fault: `page-table entry ${hex((lin >>> 12) & 0x3ff, 3)} not present` };
  return { ...base, ...perms, pde: pdeEntry, pte: pteEntry, physical: ((pte & -4096) | (lin & 0xfff)) >>> 0 };
}

/** The shadow walk of `lin`, or null when there is no monitor or the host runs without paging. */
export function shadowWalk(view: GuestView, lin: number): ShadowTranslation | null {
  const dir = view.vm.monitor?.shadowPageDirectory() ?? null;
  if (dir === null) return null;
  const mem = view.vm.memory;
  const pdeAddr = (dir + ((lin >>> 22) << 2)) >>> 0;
  const pde = mem.read32(pdeAddr) >>> 0;
  const pdeEntry = { address: pdeAddr, value: pde };
  if (!(pde & PTE_P)) return { directory: dir, pde: pdeEntry, physical: null, fault: 'shadow page-directory entry not present (filled on demand)' };
  const pteAddr = ((pde & -4096) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
  const pte = mem.read32(pteAddr) >>> 0;
  const pteEntry = { address: pteAddr, value: pte };
  if (!(pte & PTE_P)) return { directory: dir, pde: pdeEntry, pte: pteEntry, physical: null, fault: 'shadow page-table entry not present (filled on demand)' };
  return { directory: dir, pde: pdeEntry, pte: pteEntry, physical: ((pte & -4096) | (lin & 0xfff)) >>> 0 };
}

/** A parsed DAP memory reference. */
export interface MemoryReference {
  space: 'lin' | 'phys';
  address: number;
}

/** 'lin:0x00100000' / 'phys:0x00001000': the memoryReference strings the inspection nodes carry. */
export function memoryReference(space: 'lin' | 'phys', address: number): string {
  return `${space}:${hex(address)}`;
}

/**
 * Parse a memory reference ('lin:0x…', 'phys:0x…'; a bare number is guest-linear).
 * @throws InspectError naming the text when it is not one
 */
export function parseMemoryReference(ref: string): MemoryReference {
  const m = /^\s*(?:(lin|phys):)?\s*(0x[0-9a-f]+|[0-9]+)\s*$/i.exec(ref);
  if (!m) throw new InspectError(`memory reference '${ref}' is not 'lin:0x…' or 'phys:0x…'`);
  const address = m[2].toLowerCase().startsWith('0x') ? parseInt(m[2].slice(2), 16) : parseInt(m[2], 10);
  if (!(address < FOUR_GIB)) throw new InspectError(`memory reference '${ref}': address beyond 4 GiB`);
  return { space: (m[1]?.toLowerCase() as 'lin' | 'phys' | undefined) ?? 'lin', address };
}
