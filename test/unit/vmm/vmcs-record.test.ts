import { describe, expect, it } from 'vitest';
import { VMCS, VMCS_FIELDS, VmcsType, VmcsWidth, VmInstructionError, vmcsType, vmcsWidth } from '../../../emulator/arch/vmcs';
import { formatVmcsValue, HIGH_SUFFIX, VMCS_AREA_ORDER, VmcsError, VmcsRecord } from '../../../emulator/vmm/vmcs-record';

/** Write through the path the field's type allows (VMWRITE, or the exit recorder for exit information). */
function put(r: VmcsRecord, encoding: number, value: number): void {
  if (vmcsType(encoding) === VmcsType.EXIT_INFO) r.writeExitInformation(encoding, value);
  else r.write(encoding, value);
}

function vmcsErrorOf(fn: () => void): VmcsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VmcsError) return e;
    throw e;
  }
  throw new Error('expected a VmcsError');
}

describe('VmcsRecord field table', () => {
  it('stores every field of arch/vmcs.ts: initially 0, VMCS_LINK_POINTER all ones', () => {
    const r = new VmcsRecord();
    for (const f of VMCS_FIELDS) {
      const expected = f.name === 'VMCS_LINK_POINTER' ? 0xffffffff : 0;
      expect(r.read(f.encoding), f.name).toBe(expected);
    }
    expect(r.read64(VMCS.VMCS_LINK_POINTER)).toBe(0xffffffffffffffffn);
  });

  it('truncates each write to the width its encoding names (16-bit, 32-bit, natural = 32-bit, 64-bit low half with the high half cleared)', () => {
    const r = new VmcsRecord();
    for (const f of VMCS_FIELDS) {
      if (vmcsWidth(f.encoding) === VmcsWidth.W64) put(r, f.encoding | 1, 0xdeadbeef);
      put(r, f.encoding, 0x1_2345_6789); // wider than the 32-bit operand: ToUint32 first
    }
    for (const f of VMCS_FIELDS) {
      const w = vmcsWidth(f.encoding);
      expect(r.read(f.encoding), f.name).toBe(w === VmcsWidth.W16 ? 0x6789 : 0x23456789);
      if (w === VmcsWidth.W64) expect(r.read(f.encoding | 1), `${f.name} high half cleared by a full write`).toBe(0);
    }
  });

  it('keeps each field in its own storage: writing one field changes no other', () => {
    const r = new VmcsRecord();
    VMCS_FIELDS.forEach((f, n) => put(r, f.encoding, n + 1));
    VMCS_FIELDS.forEach((f, n) => expect(r.read(f.encoding), f.name).toBe(n + 1));
  });

  it('reads and writes bits 63:32 of a 64-bit field through the high access type, and the whole field as a bigint', () => {
    const r = new VmcsRecord();
    r.write(VMCS.TSC_OFFSET | 1, 0x89abcdef);
    expect(r.read(VMCS.TSC_OFFSET)).toBe(0);
    r.write64(VMCS.TSC_OFFSET, 0x0123456789abcdefn);
    expect(r.read(VMCS.TSC_OFFSET)).toBe(0x89abcdef);
    expect(r.read(VMCS.TSC_OFFSET | 1)).toBe(0x01234567);
    expect(r.read64(VMCS.TSC_OFFSET)).toBe(0x0123456789abcdefn);
    r.write64(VMCS.TSC_OFFSET, -1n); // two's complement, as a 64-bit register holds it
    expect(r.read64(VMCS.TSC_OFFSET)).toBe(0xffffffffffffffffn);
    r.write64(VMCS.GUEST_CS_SELECTOR, 0x12345n);
    expect(r.read64(VMCS.GUEST_CS_SELECTOR)).toBe(0x2345n);
  });
});

describe('VmcsRecord access errors (VMREAD/VMWRITE VMfailValid)', () => {
  it('an encoding this model does not have is unsupported component (error 12), named in hex', () => {
    const r = new VmcsRecord();
    for (const enc of [0x0002, 0x4828, 0x1800 /* bit 12 */, 0x8000, -2, 1.5]) {
      const e = vmcsErrorOf(() => r.read(enc));
      expect(e.instructionError).toBe(VmInstructionError.UNSUPPORTED_VMCS_COMPONENT);
    }
    expect(vmcsErrorOf(() => r.write(0x4828, 1)).message).toMatch(/0x4828.*no such field/);
  });

  it('the high access type on a field that is not 64-bit is unsupported component (error 12)', () => {
    const r = new VmcsRecord();
    const e = vmcsErrorOf(() => r.read(VMCS.GUEST_CR3 | 1));
    expect(e.instructionError).toBe(VmInstructionError.UNSUPPORTED_VMCS_COMPONENT);
    expect(e.message).toContain('0x6803');
    expect(e.message).toContain('GUEST_CR3');
    expect(() => r.read64(VMCS.TSC_OFFSET | 1)).toThrow(VmcsError);
  });

  it('VMWRITE to a VM-exit information field is refused with error 13 and changes nothing; the exit recorder may write it', () => {
    const r = new VmcsRecord();
    for (const f of VMCS_FIELDS.filter((x) => x.area === 'vm-exit-information')) {
      const e = vmcsErrorOf(() => r.write(f.encoding, 5));
      expect(e.instructionError, f.name).toBe(VmInstructionError.VMWRITE_READ_ONLY_COMPONENT);
      expect(e.message).toContain(f.name);
      expect(r.read(f.encoding)).toBe(0);
      r.writeExitInformation(f.encoding, 5);
      expect(r.read(f.encoding)).toBe(5);
    }
    expect(() => r.write64(VMCS.GUEST_PHYSICAL_ADDRESS, 1n)).toThrow(VmcsError);
  });

  it('the exit recorder cannot write a field that is not VM-exit information', () => {
    expect(() => new VmcsRecord().writeExitInformation(VMCS.GUEST_RIP, 1)).toThrow(/not a VM-exit information field/);
  });
});

describe('VmcsRecord iteration for the debugger', () => {
  it('entries() lists every field once, in Appendix B order', () => {
    expect([...new VmcsRecord().entries()].map((e) => e.field)).toEqual(VMCS_FIELDS);
  });

  it('areas() groups the fields by VMCS area in SDM Chapter 25 order, each in Appendix B order', () => {
    const areas = new VmcsRecord().areas();
    expect(areas.map((a) => a.area)).toEqual(VMCS_AREA_ORDER);
    for (const a of areas) expect(a.fields.map((f) => f.field), a.area).toEqual(VMCS_FIELDS.filter((f) => f.area === a.area));
    expect(areas.flatMap((a) => a.fields).length).toBe(VMCS_FIELDS.length);
  });

  it('formats values with the digits of their width', () => {
    const r = new VmcsRecord();
    r.write(VMCS.GUEST_CS_SELECTOR, 0x8);
    r.write(VMCS.GUEST_CR0, 0x80000011);
    const find = (name: string) => [...r.entries()].find((e) => e.field.name === name)!;
    expect(formatVmcsValue(find('GUEST_CS_SELECTOR'))).toBe('0x0008');
    expect(formatVmcsValue(find('GUEST_CR0'))).toBe('0x80000011');
    expect(formatVmcsValue(find('VMCS_LINK_POINTER'))).toBe('0xffffffffffffffff');
  });
});

describe('VmcsRecord snapshot and restore', () => {
  it('snapshot() names every field, and the high half of each 64-bit field as NAME_HIGH', () => {
    const keys = Object.keys(new VmcsRecord().snapshot());
    const expected = VMCS_FIELDS.flatMap((f) => (vmcsWidth(f.encoding) === VmcsWidth.W64 ? [f.name, f.name + HIGH_SUFFIX] : [f.name]));
    expect(keys).toEqual(expected);
  });

  it('restore(snapshot()) reproduces every field, VM-exit information included, in a fresh record', () => {
    const a = new VmcsRecord();
    VMCS_FIELDS.forEach((f, n) => {
      put(a, f.encoding, (n * 0x01010101 + 7) >>> 0);
      if (vmcsWidth(f.encoding) === VmcsWidth.W64) put(a, f.encoding | 1, n);
    });
    const snap = JSON.parse(JSON.stringify(a.snapshot()));
    const b = new VmcsRecord();
    b.restore(snap);
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('restore gives fields missing from the snapshot their initial value', () => {
    const r = new VmcsRecord();
    r.write(VMCS.GUEST_RIP, 0x1234);
    r.write(VMCS.VMCS_LINK_POINTER, 0);
    r.restore({ GUEST_CR3: 0x5000 });
    expect(r.read(VMCS.GUEST_CR3)).toBe(0x5000);
    expect(r.read(VMCS.GUEST_RIP)).toBe(0);
    expect(r.read64(VMCS.VMCS_LINK_POINTER)).toBe(0xffffffffffffffffn);
  });

  it('restore rejects an unknown field name, a _HIGH half of a field that is not 64-bit, or a non-number, and then changes nothing', () => {
    const r = new VmcsRecord();
    r.write(VMCS.GUEST_RIP, 0x1234);
    expect(() => r.restore({ GUEST_RIP: 1, GUEST_XYZ: 2 })).toThrow(/unknown field GUEST_XYZ/);
    expect(() => r.restore({ GUEST_CR3_HIGH: 2 })).toThrow(/unknown field GUEST_CR3_HIGH/);
    expect(() => r.restore({ GUEST_RIP: '5' as unknown as number })).toThrow(/not a number/);
    expect(r.read(VMCS.GUEST_RIP)).toBe(0x1234);
  });

  it('copyFrom copies every field', () => {
    const a = new VmcsRecord();
    a.write(VMCS.GUEST_CR3, 0x9000);
    a.writeExitInformation(VMCS.VM_EXIT_REASON, 28);
    const b = new VmcsRecord();
    b.copyFrom(a);
    expect(b.snapshot()).toEqual(a.snapshot());
  });
});
