import { describe, expect, it } from 'vitest';
import { AR_ACCESSED, AR_CODE, AR_DB, AR_DC, AR_G, AR_P, AR_RW, AR_S, arDpl, decodeDescriptor, encodeDescriptor, SystemType } from '../../../../emulator/arch/segments';
import { PhysicalMemory } from '../../../../emulator/memory/physical-memory';
import {
  buildShadowGdt,
  SHADOW_GDT_ENTRIES,
  shadowCache,
  shadowDescriptor,
  VMM_AREA_LINEAR,
  VMM_TSS_INDEX,
  VMM_TSS_OFFSET,
} from '../../../../emulator/vmm/trap-and-emulate/shadow-gdt';

const CODE0 = AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED | AR_DB | AR_G;
const DATA0 = AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB | AR_G;
const RESERVED = 0x01fe0000; // 32 MiB RAM minus the 128-KiB VMM area

const shadow = (base: number, raw: number, ar: number) => {
  const [lo, hi] = encodeDescriptor(base, raw, ar);
  const [slo, shi] = shadowDescriptor(lo, hi, RESERVED);
  return decodeDescriptor(slo, shi);
};

describe('shadowDescriptor', () => {
  it('raises a ring-0 code descriptor to DPL 1 and truncates a flat 4-GiB limit below the VMM area', () => {
    const d = shadow(0, 0xfffff, CODE0);
    expect(arDpl(d.ar)).toBe(1);
    expect(d.base).toBe(0);
    expect(d.limit).toBe(RESERVED - 1);
  });

  it('keeps a ring-3 data descriptor at DPL 3 and a small limit unchanged', () => {
    const d = shadow(0x1000, 0xfff, (DATA0 & ~AR_G) | (3 << 5));
    expect(arDpl(d.ar)).toBe(3);
    expect(d.limit).toBe(0xfff);
  });

  it('truncates to a byte-granular limit when the room left is below 1 MiB', () => {
    const d = shadow(RESERVED - 0x800, 0xfffff, DATA0);
    expect(d.limit).toBe(0x7ff);
    expect(d.ar & AR_G).toBe(0);
  });

  it('makes a descriptor whose base lies in the VMM area not present', () => {
    expect(shadow(RESERVED + 0x10, 0xff, DATA0 & ~AR_G).ar & AR_P).toBe(0);
  });

  it('leaves expand-down data segments untruncated (documented limitation)', () => {
    const d = shadow(0, 0xff, (DATA0 & ~AR_G) | AR_DC);
    expect(d.limit).toBe(0xff);
    expect(arDpl(d.ar)).toBe(1);
  });

  it('copies a system descriptor (TSS) not present, as LTR is not emulated yet', () => {
    expect(shadow(0x5000, 0x67, AR_P | SystemType.TSS32_AVAILABLE).ar & AR_P).toBe(0);
  });
});

describe('shadowCache', () => {
  it('raises DPL 0 to 1 and truncates the limit of a flat data cache', () => {
    expect(shadowCache(0, 0xffffffff, DATA0, RESERVED)).toEqual({ limit: RESERVED - 1, ar: (DATA0 & ~(3 << 5)) | (1 << 5) });
  });
});

describe('buildShadowGdt', () => {
  it('shadows each guest descriptor, zeroes the slots beyond the guest limit and installs the VMM TSS', () => {
    const mem = new PhysicalMemory(32 << 20);
    const gdt = 0x800;
    const [clo, chi] = encodeDescriptor(0, 0xfffff, CODE0);
    const [dlo, dhi] = encodeDescriptor(0, 0xfffff, DATA0);
    mem.write32(gdt + 8, clo);
    mem.write32(gdt + 12, chi);
    mem.write32(gdt + 16, dlo);
    mem.write32(gdt + 20, dhi);
    mem.write32(gdt + 24, 0x12345678); // beyond the limit: must not be copied
    mem.write32(gdt + 28, 0x00cf9a00);
    const count = buildShadowGdt(mem, { base: gdt, limit: 23 }, RESERVED);
    expect(count).toBe(3);
    const at = (n: number) => decodeDescriptor(mem.read32(RESERVED + n * 8), mem.read32(RESERVED + n * 8 + 4));
    expect(mem.read32(RESERVED)).toBe(0);
    expect(arDpl(at(1).ar)).toBe(1);
    expect(at(1).ar & AR_CODE).toBe(AR_CODE);
    expect(at(2).limit).toBe(VMM_AREA_LINEAR - 1); // address-space compression: the top 4 MiB of the linear space
    expect(mem.read32(RESERVED + 24)).toBe(0);
    expect(mem.read32(RESERVED + 28)).toBe(0);
    const tss = at(VMM_TSS_INDEX);
    expect(tss.base).toBe(VMM_AREA_LINEAR + VMM_TSS_OFFSET); // the linear address the host reaches it at
    expect(tss.ar & 0x1f).toBe(SystemType.TSS32_BUSY);
    expect(SHADOW_GDT_ENTRIES).toBe(8192);
  });

  it('refuses a guest GDT that reaches the VMM TSS slot', () => {
    const mem = new PhysicalMemory(32 << 20);
    expect(() => buildShadowGdt(mem, { base: 0, limit: 0xffff }, RESERVED)).toThrow(RangeError);
  });
});
