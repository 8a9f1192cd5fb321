/**
 * Ring compression (both ring models, 0/1/3 and 0/3/3): the VMM's reserved area and the shadow GDT built
 * from the guest's GDT (docs/vmm-design.md, "Ring deprivileging").
 *
 * Layout (address-space compression, docs/vmm-design.md): the VMM's structures live in host
 * frames at the top `VMM_AREA_BYTES` of the VM's memory (physical `reservedBase`; the guest is
 * told, through the Multiboot memory map, that its RAM ends below them), and the host CPU
 * reaches them at the top 4 MiB of the LINEAR space, `VMM_AREA_LINEAR` = 0xFFC00000: the host
 * runs with paging always on (shadow-paging.ts) and every shadow page directory maps
 * VMM_AREA_LINEAR + k to reservedBase + k, supervisor-only, for the first
 * `VMM_AREA_MAPPED_BYTES` (the tables the CPU reads; the shadow page pool is only ever
 * accessed by the VMM, physically). Offsets from the start of the area:
 *
 *   +0x00000  shadow GDT, 8192 descriptors (64 KiB; the host GDTR limit is 0xFFFF)
 *   +0x10000  the VMM's 32-bit TSS (104 bytes), descriptor in shadow slot VMM_TSS_INDEX
 *   +0x11000  the VMM's IDT (256 zeroed gates: never read, every event is intercepted)
 *   +0x12000  shadow LDT (up to SHADOW_LDT_ENTRIES), descriptor in shadow slot VMM_LDT_INDEX
 *   +0x20000  shadow page-table pool, SHADOW_POOL_PAGES pages (shadow-paging.ts; not mapped)
 *
 * Shadow descriptors (SDM Vol. 3A §3.4.5 "Segment Descriptors"; ring compression as in
 * Adams & Agesen, ASPLOS 2006, §3.1): code and data descriptors (S = 1) are copied with a
 * DPL of 0 raised to the model's kernel ring (1 under 0/1/3, 3 under 0/3/3: guest-ring.ts
 * `RingPolicy.kernelRing`), and with the limit truncated so that base + limit stays below the
 * reserved area (address-space compression); a descriptor whose base lies inside the area is
 * made not present. Shadow slots beyond the guest's GDT limit are zero (a load faults).
 *
 * System descriptors (TSS, LDT, gates) are copied not present: the host never loads the
 * guest's — LTR and LLDT are emulated against the guest's own tables (exits/ldtr-tr.ts) and
 * the host TR/LDTR stay the VMM's.
 * NOT YET (said plainly): call and task gates in the GDT/LDT are not emulated (a transfer
 * through one faults on the not-present shadow entry); expand-down data segments are
 * copied without truncation (their valid range is above the limit, the truncation would
 * have to raise the limit instead, and an expand-down segment with base 0 reaches the area).
 * The guest's GDT and LDT are read at their guest-LINEAR bases through the guest's paging
 * (`GuestRead32`, descriptor-protection.ts `guestTableReader`; the callers pass it), and the
 * guest GDT/LDT pages are write-protected (descriptor-protection.ts) so a descriptor the guest
 * edits reaches the shadow at once.
 */
import { AR_DC, AR_CODE, AR_DPL_MASK, AR_DPL_SHIFT, AR_G, AR_P, AR_S, arDpl, decodeDescriptor, encodeDescriptor, SystemType } from '../../arch/segments';
import type { PhysicalMemory } from '../../memory/physical-memory';
import { dropRaisedEntries, inCurrentForm, isGuestUserCode, type RingPolicy, type UserCodeEntry } from './guest-ring';

/** Bytes of VM RAM the VMM reserves at its top (page aligned). */
export const VMM_AREA_BYTES = 0x20000 + 256 * 4096;
/** First linear address of the VMM's area: the top 4 MiB of the linear space (address-space compression). */
export const VMM_AREA_LINEAR = 0xffc00000;
/** Bytes of the area mapped at VMM_AREA_LINEAR (GDT, TSS, IDT, LDT; the pool is not mapped). */
export const VMM_AREA_MAPPED_BYTES = 0x20000;
/** The pool of 4-KiB pages shadow page directories and tables are allocated from (shadow-paging.ts). */
export const SHADOW_POOL_OFFSET = 0x20000;
export const SHADOW_POOL_PAGES = 256;
/** Offsets inside the reserved area. */
export const SHADOW_GDT_OFFSET = 0;
export const VMM_TSS_OFFSET = 0x10000;
export const VMM_IDT_OFFSET = 0x11000;
/** Shadow GDT size: every selector index (SDM Vol. 3A §3.5.1: at most 8192 descriptors). */
export const SHADOW_GDT_ENTRIES = 8192;
/** Shadow slot of the VMM's TSS descriptor (the last one; a guest GDT that long loses it, see `buildShadowGdt`). */
export const VMM_TSS_INDEX = SHADOW_GDT_ENTRIES - 1;
export const VMM_TSS_SELECTOR = VMM_TSS_INDEX << 3;
/** Shadow slot of the shadow LDT's descriptor, and the offset and capacity of the shadow LDT. */
export const VMM_LDT_INDEX = SHADOW_GDT_ENTRIES - 2;
export const VMM_LDT_SELECTOR = VMM_LDT_INDEX << 3;
export const SHADOW_LDT_OFFSET = 0x12000;
export const SHADOW_LDT_ENTRIES = (SHADOW_POOL_OFFSET - SHADOW_LDT_OFFSET) >>> 3;
/** Size of a 32-bit TSS (SDM Vol. 3A §7.2.1, Figure 7-2). */
export const TSS32_BYTES = 104;

/** The guest's descriptor-table register as the guest loaded it (virtual GDTR). */
export interface GuestTableRegister {
  base: number;
  limit: number;
}

/**
 * One shadow descriptor from one guest descriptor.
 * @param lo low dword of the guest descriptor
 * @param hi high dword
 * @param reservedBase first linear address of the VMM area: no shadow segment reaches it
 * @param kernelDpl the DPL a guest DPL 0 becomes (the ring model's kernel ring, 1 or 3)
 * @returns [lo, hi] of the shadow descriptor
 */
export function shadowDescriptor(lo: number, hi: number, reservedBase: number, kernelDpl: 1 | 3 = 1): [number, number] {
  const d = decodeDescriptor(lo, hi);
  if (!(d.ar & AR_P)) return [lo | 0, hi | 0];
  if (!(d.ar & AR_S)) {
    // System descriptor: never loaded by the host (see the file header) — not present.
    return [lo | 0, (hi & ~(AR_P << 8)) | 0];
  }
  let ar = d.ar;
  if (arDpl(ar) === 0) ar = (ar & ~AR_DPL_MASK) | (kernelDpl << AR_DPL_SHIFT);
  const expandDown = (ar & (AR_CODE | AR_DC)) === AR_DC;
  if (expandDown) return encodeDescriptor(d.base, rawLimitOf(lo, hi), ar);
  if (d.base >= reservedBase) return encodeDescriptor(d.base, rawLimitOf(lo, hi), ar & ~AR_P);
  const maxLimit = reservedBase - 1 - d.base; // bytes - 1 the segment may span
  if (d.limit <= maxLimit) return encodeDescriptor(d.base, rawLimitOf(lo, hi), ar);
  // Truncate: byte granular when it fits in 20 bits, else page granular rounded down.
  if (maxLimit <= 0xfffff) return encodeDescriptor(d.base, maxLimit, ar & ~AR_G);
  return encodeDescriptor(d.base, ((maxLimit + 1) >>> 12) - 1, ar | AR_G);
}

/**
 * Record in `ring` what the shadow of guest descriptor `index` (selector `selector`, shadow
 * entry at `at`) became: raised DPL, guest user code (guest-ring.ts).
 * @returns the shadow's high dword in the policy's current form (kernel or user form)
 */
function noteGuestDescriptor(ring: RingPolicy, raised: Uint8Array, userCode: UserCodeEntry[], index: number, selector: number, at: number, glo: number, ghi: number, shadowHi: number): number {
  const isRaised = (ghi & (AR_S << 8)) !== 0 && arDpl(decodeDescriptor(glo, ghi).ar) === 0;
  if (isRaised) {
    raised[index] = 1;
    ring.raisedEntries.push({ at, selector });
  }
  const isUserCode = isGuestUserCode(glo, ghi, shadowHi);
  if (isUserCode) userCode.push({ at, selector });
  return inCurrentForm(ring, isUserCode, isRaised, shadowHi);
}

const rawLimitOf = (lo: number, hi: number): number => (lo & 0xffff) | (hi & 0xf0000);

/**
 * Truncate a segment cache's limit below the reserved area and raise a DPL of 0 to the
 * kernel ring: what VM entry does to the hidden caches the guest loaded before it was
 * deprivileged (their hidden state is kept, only the two fields the compression needs change).
 * @param kernelDpl the DPL a guest DPL 0 becomes (1 or 3)
 * @returns the new limit (bytes) and access rights
 */
export function shadowCache(base: number, limit: number, ar: number, reservedBase: number, kernelDpl: 1 | 3 = 1): { limit: number; ar: number } {
  let a = ar;
  if (a & AR_S && arDpl(a) === 0) a = (a & ~AR_DPL_MASK) | (kernelDpl << AR_DPL_SHIFT);
  if (!(a & AR_S) || (a & (AR_CODE | AR_DC)) === AR_DC) return { limit, ar: a };
  if (base >>> 0 >= reservedBase) return { limit, ar: a & ~AR_P };
  const maxLimit = reservedBase - 1 - (base >>> 0);
  return { limit: Math.min(limit >>> 0, maxLimit) >>> 0, ar: a };
}

/**
 * Reads the dword at a guest-LINEAR address of a descriptor table as the processor would
 * (through the guest's paging when it is on), or null when the guest cannot reach it
 * (descriptor-protection.ts `guestTableReader`).
 */
export type GuestRead32 = (lin: number) => number | null;

/** A `GuestRead32` for a guest without paging: linear = guest-physical, nothing at or beyond `reservedBase`. */
export function physicalRead32(mem: PhysicalMemory, reservedBase: number): GuestRead32 {
  return (lin) => ((lin >>> 0) + 4 <= reservedBase ? mem.read32(lin >>> 0) : null);
}

/** The descriptor at guest-linear `from` through `read32`, or null when a dword of it is unreachable. */
function readGuestDescriptor(read32: GuestRead32, from: number): [number, number] | null {
  const lo = read32(from >>> 0);
  if (lo === null) return null;
  const hi = read32((from + 4) >>> 0);
  return hi === null ? null : [lo, hi];
}

/**
 * Write the shadow GDT for the guest's GDT into the reserved area, with the VMM's TSS
 * descriptor in slot VMM_TSS_INDEX (slot VMM_LDT_INDEX is left zero: `installShadowLdt`).
 * @param mem host physical memory (the shadow is written there)
 * @param guest the guest's GDTR (base: guest-LINEAR; limit in bytes - 1)
 * @param reservedBase host-physical address of the reserved area (the shadow GDT is written
 *   there; the host GDTR addresses it at VMM_AREA_LINEAR, and segments are truncated below that)
 * @param ring the VM's ring policy (guest-ring.ts): the raised DPL, and where the guest's user
 *   code descriptors land (recorded, and made not present while `ring.hidden`); default 0/1/3 without recording
 * @param read32 how the guest's table is read at its linear base (default: guest-physical,
 *   right only while the guest's paging is off); a descriptor it cannot reach is shadowed as null
 * @returns the number of guest descriptors shadowed
 * @throws RangeError when the guest GDT would cover the VMM's LDT or TSS slot (limit > 0xFFEF)
 */
export function buildShadowGdt(mem: PhysicalMemory, guest: GuestTableRegister, reservedBase: number, ring?: RingPolicy, read32: GuestRead32 = physicalRead32(mem, reservedBase)): number {
  const count = Math.min(Math.floor(((guest.limit & 0xffff) + 1) / 8), SHADOW_GDT_ENTRIES);
  if (count > VMM_LDT_INDEX) throw new RangeError('guest GDT uses the slots of the VMM LDT and TSS descriptors (8190, 8191): not supported');
  const gdt = reservedBase + SHADOW_GDT_OFFSET;
  if (ring) {
    ring.userCodeGdt.length = 0;
    ring.raisedGdt.fill(0);
    dropRaisedEntries(ring, false);
  }
  for (let n = 0; n < SHADOW_GDT_ENTRIES; n++) {
    let lo = 0;
    let hi = 0;
    const g = n > 0 && n < count ? readGuestDescriptor(read32, guest.base + n * 8) : null;
    if (g !== null) {
      const [glo, ghi] = g;
      [lo, hi] = shadowDescriptor(glo, ghi, VMM_AREA_LINEAR, ring?.kernelRing);
      if (ring) hi = noteGuestDescriptor(ring, ring.raisedGdt, ring.userCodeGdt, n, n << 3, gdt + n * 8, glo, ghi, hi);
    }
    mem.write32(gdt + n * 8, lo);
    mem.write32(gdt + n * 8 + 4, hi);
  }
  const [lo, hi] = encodeDescriptor(VMM_AREA_LINEAR + VMM_TSS_OFFSET, TSS32_BYTES - 1, AR_P | SystemType.TSS32_BUSY);
  mem.write32(gdt + VMM_TSS_INDEX * 8, lo);
  mem.write32(gdt + VMM_TSS_INDEX * 8 + 4, hi);
  return count;
}

/**
 * Write the shadow LDT for a guest LDT (descriptors shadowed as in the GDT) and its
 * descriptor into shadow GDT slot VMM_LDT_INDEX.
 * @param guest the guest LDT's base (guest-LINEAR) and limit (bytes - 1)
 * @param ring as for `buildShadowGdt` (user code recorded in `ring.userCodeLdt`)
 * @param reservedBase host-physical address of the reserved area (the shadow LDT is written there)
 * @param read32 as for `buildShadowGdt`
 * @returns the shadow LDT's LINEAR base (VMM_AREA_LINEAR + SHADOW_LDT_OFFSET) and limit, for the host LDTR cache
 * @throws RangeError when the guest LDT has more than SHADOW_LDT_ENTRIES descriptors
 */
export function installShadowLdt(mem: PhysicalMemory, guest: GuestTableRegister, reservedBase: number, ring?: RingPolicy, read32: GuestRead32 = physicalRead32(mem, reservedBase)): GuestTableRegister {
  const count = Math.floor(((guest.limit >>> 0) + 1) / 8);
  if (count > SHADOW_LDT_ENTRIES) throw new RangeError(`guest LDT of ${count} descriptors exceeds the shadow LDT (${SHADOW_LDT_ENTRIES})`);
  const ldt = reservedBase + SHADOW_LDT_OFFSET;
  if (ring) {
    ring.userCodeLdt.length = 0;
    ring.raisedLdt.fill(0);
    dropRaisedEntries(ring, true);
  }
  for (let n = 0; n < count; n++) {
    let lo = 0;
    let hi = 0;
    const g = readGuestDescriptor(read32, guest.base + n * 8);
    if (g !== null) {
      const [glo, ghi] = g;
      [lo, hi] = shadowDescriptor(glo, ghi, VMM_AREA_LINEAR, ring?.kernelRing);
      if (ring) hi = noteGuestDescriptor(ring, ring.raisedLdt, ring.userCodeLdt, n, (n << 3) | 4, ldt + n * 8, glo, ghi, hi);
    }
    mem.write32(ldt + n * 8, lo);
    mem.write32(ldt + n * 8 + 4, hi);
  }
  const limit = Math.max(count * 8 - 1, 0);
  const ldtLinear = VMM_AREA_LINEAR + SHADOW_LDT_OFFSET; // where the host CPU reaches it (address-space compression)
  const [lo, hi] = encodeDescriptor(ldtLinear, limit, AR_P | SystemType.LDT);
  mem.write32(reservedBase + SHADOW_GDT_OFFSET + VMM_LDT_INDEX * 8, lo);
  mem.write32(reservedBase + SHADOW_GDT_OFFSET + VMM_LDT_INDEX * 8 + 4, hi);
  return { base: ldtLinear, limit };
}
