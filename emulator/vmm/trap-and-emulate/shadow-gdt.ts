/**
 * Ring compression for the 0/1/3 model: the VMM's reserved area and the shadow GDT built
 * from the guest's GDT (docs/vmm-design.md, "Ring deprivileging").
 *
 * Layout. This slice runs guests WITHOUT paging, so linear = guest-physical = host-physical
 * and the VMM's reserved area cannot be the top 4 MiB of the linear space (there is no RAM
 * there to hold it): it is the top `VMM_AREA_BYTES` of the VM's RAM instead, and the guest is
 * told (Multiboot memory map) that its RAM ends below it. The area holds, from its start:
 *
 *   +0x00000  shadow GDT, 8192 descriptors (64 KiB; the host GDTR limit is 0xFFFF)
 *   +0x10000  the VMM's 32-bit TSS (104 bytes), descriptor in shadow slot VMM_TSS_INDEX
 *   +0x11000  the VMM's IDT (256 zeroed gates: never read, every event is intercepted)
 *   +0x12000  shadow LDT (up to SHADOW_LDT_ENTRIES), descriptor in shadow slot VMM_LDT_INDEX
 *   +0x20000  shadow page-table pool, SHADOW_POOL_PAGES pages (shadow-paging.ts)
 *
 * Shadow descriptors (SDM Vol. 3A §3.4.5 "Segment Descriptors"; ring compression as in
 * Adams & Agesen, ASPLOS 2006, §3.1): code and data descriptors (S = 1) are copied with a
 * DPL of 0 raised to 1, and with the limit truncated so that base + limit stays below the
 * reserved area (address-space compression); a descriptor whose base lies inside the area is
 * made not present. Shadow slots beyond the guest's GDT limit are zero (a load faults).
 *
 * NOT YET (said plainly): system descriptors (TSS, LDT, call gates) are copied not present —
 * LTR, LLDT and call gates are not emulated by this slice; expand-down data segments are
 * copied without truncation (their valid range is above the limit, the truncation would
 * have to raise the limit instead); the guest GDT's pages are not write-protected, so a
 * descriptor the guest edits reaches the shadow only at its next LGDT.
 */
import { AR_DC, AR_CODE, AR_DPL_MASK, AR_DPL_SHIFT, AR_G, AR_P, AR_S, arDpl, decodeDescriptor, encodeDescriptor, SystemType } from '../../arch/segments';
import type { PhysicalMemory } from '../../memory/physical-memory';

/** Bytes of VM RAM the VMM reserves at its top (page aligned). */
export const VMM_AREA_BYTES = 0x20000 + 256 * 4096;
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
 * @returns [lo, hi] of the shadow descriptor
 */
export function shadowDescriptor(lo: number, hi: number, reservedBase: number): [number, number] {
  const d = decodeDescriptor(lo, hi);
  if (!(d.ar & AR_P)) return [lo | 0, hi | 0];
  if (!(d.ar & AR_S)) {
    // System descriptor: not emulated by this slice (see the file header) — not present.
    return [lo | 0, (hi & ~(AR_P << 8)) | 0];
  }
  let ar = d.ar;
  if (arDpl(ar) === 0) ar = (ar & ~AR_DPL_MASK) | (1 << AR_DPL_SHIFT);
  const expandDown = (ar & (AR_CODE | AR_DC)) === AR_DC;
  if (expandDown) return encodeDescriptor(d.base, rawLimitOf(lo, hi), ar);
  if (d.base >= reservedBase) return encodeDescriptor(d.base, rawLimitOf(lo, hi), ar & ~AR_P);
  const maxLimit = reservedBase - 1 - d.base; // bytes - 1 the segment may span
  if (d.limit <= maxLimit) return encodeDescriptor(d.base, rawLimitOf(lo, hi), ar);
  // Truncate: byte granular when it fits in 20 bits, else page granular rounded down.
  if (maxLimit <= 0xfffff) return encodeDescriptor(d.base, maxLimit, ar & ~AR_G);
  return encodeDescriptor(d.base, ((maxLimit + 1) >>> 12) - 1, ar | AR_G);
}

const rawLimitOf = (lo: number, hi: number): number => (lo & 0xffff) | (hi & 0xf0000);

/**
 * Truncate a segment cache's limit below the reserved area and raise a DPL of 0 to 1: what
 * VM entry does to the hidden caches the guest loaded before it was deprivileged (their
 * hidden state is kept, only the two fields the compression needs change).
 * @returns the new limit (bytes) and access rights
 */
export function shadowCache(base: number, limit: number, ar: number, reservedBase: number): { limit: number; ar: number } {
  let a = ar;
  if (a & AR_S && arDpl(a) === 0) a = (a & ~AR_DPL_MASK) | (1 << AR_DPL_SHIFT);
  if (!(a & AR_S) || (a & (AR_CODE | AR_DC)) === AR_DC) return { limit, ar: a };
  if (base >>> 0 >= reservedBase) return { limit, ar: a & ~AR_P };
  const maxLimit = reservedBase - 1 - (base >>> 0);
  return { limit: Math.min(limit >>> 0, maxLimit) >>> 0, ar: a };
}

/**
 * Write the shadow GDT for the guest's GDT into the reserved area, with the VMM's TSS
 * descriptor in slot VMM_TSS_INDEX (slot VMM_LDT_INDEX is left zero: `installShadowLdt`).
 * @param mem host physical memory (the guest's GDT is read from it: no paging in this slice)
 * @param guest the guest's GDTR (base: guest-physical = linear; limit in bytes - 1)
 * @param reservedBase physical (= linear) address of the reserved area
 * @returns the number of guest descriptors shadowed
 * @throws RangeError when the guest GDT would cover the VMM's LDT or TSS slot (limit > 0xFFEF)
 */
export function buildShadowGdt(mem: PhysicalMemory, guest: GuestTableRegister, reservedBase: number): number {
  const count = Math.min(Math.floor(((guest.limit & 0xffff) + 1) / 8), SHADOW_GDT_ENTRIES);
  if (count > VMM_LDT_INDEX) throw new RangeError('guest GDT uses the slots of the VMM LDT and TSS descriptors (8190, 8191): not supported');
  const gdt = reservedBase + SHADOW_GDT_OFFSET;
  for (let n = 0; n < SHADOW_GDT_ENTRIES; n++) {
    let lo = 0;
    let hi = 0;
    const from = guest.base + n * 8;
    if (n > 0 && n < count && from + 8 <= reservedBase) {
      [lo, hi] = shadowDescriptor(mem.read32(from), mem.read32(from + 4), reservedBase);
    }
    mem.write32(gdt + n * 8, lo);
    mem.write32(gdt + n * 8 + 4, hi);
  }
  const [lo, hi] = encodeDescriptor(reservedBase + VMM_TSS_OFFSET, TSS32_BYTES - 1, AR_P | SystemType.TSS32_BUSY);
  mem.write32(gdt + VMM_TSS_INDEX * 8, lo);
  mem.write32(gdt + VMM_TSS_INDEX * 8 + 4, hi);
  return count;
}

/**
 * Write the shadow LDT for a guest LDT (descriptors shadowed as in the GDT) and its
 * descriptor into shadow GDT slot VMM_LDT_INDEX.
 * @param guest the guest LDT's base (linear = physical) and limit (bytes - 1)
 * @returns the shadow LDT's base and limit, for the host LDTR cache
 * @throws RangeError when the guest LDT has more than SHADOW_LDT_ENTRIES descriptors
 */
export function installShadowLdt(mem: PhysicalMemory, guest: GuestTableRegister, reservedBase: number): GuestTableRegister {
  const count = Math.floor(((guest.limit >>> 0) + 1) / 8);
  if (count > SHADOW_LDT_ENTRIES) throw new RangeError(`guest LDT of ${count} descriptors exceeds the shadow LDT (${SHADOW_LDT_ENTRIES})`);
  const ldt = reservedBase + SHADOW_LDT_OFFSET;
  for (let n = 0; n < count; n++) {
    const from = guest.base + n * 8;
    const [lo, hi] = from + 8 <= reservedBase ? shadowDescriptor(mem.read32(from), mem.read32(from + 4), reservedBase) : [0, 0];
    mem.write32(ldt + n * 8, lo);
    mem.write32(ldt + n * 8 + 4, hi);
  }
  const limit = Math.max(count * 8 - 1, 0);
  const [lo, hi] = encodeDescriptor(ldt, limit, AR_P | SystemType.LDT);
  mem.write32(reservedBase + SHADOW_GDT_OFFSET + VMM_LDT_INDEX * 8, lo);
  mem.write32(reservedBase + SHADOW_GDT_OFFSET + VMM_LDT_INDEX * 8 + 4, hi);
  return { base: ldt, limit };
}
