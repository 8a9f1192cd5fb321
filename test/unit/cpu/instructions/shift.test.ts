import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AR_ACCESSED, AR_DB, AR_G, AR_P, AR_S, SegReg } from '../../../../emulator/arch/segments';
import { makeTest, VectorCpu } from '../../../helpers/vector-cpu';

const vcpu = new VectorCpu();
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const count = fc.integer({ min: 0, max: 255 });
const CF = 0x1, OF = 0x800;
const MASK32 = 0xffffffffn;

describe('RCL / RCR r32, CL (D3 /2, D3 /3)', () => {
  it('RCL EAX, CL rotates the 33-bit value CF:EAX left by CL mod 32', () => {
    fc.assert(
      fc.property(u32, count, fc.boolean(), (a, cl, cf) => {
        const out = vcpu.run(makeTest('d3d0', { eax: a, ecx: cl, eflags: cf ? 0x3 : 0x2 }));
        const n = cl & 31;
        const v = (BigInt(cf ? 1 : 0) << 32n) | BigInt(a);
        const r = ((v << BigInt(n)) | (v >> BigInt(33 - n))) & ((1n << 33n) - 1n);
        expect(out.eax >>> 0).toBe(Number(r & MASK32));
        expect(out.eflags & CF).toBe(Number(r >> 32n));
      }),
      { numRuns: 2000 },
    );
  });

  it('RCR EAX, CL rotates the 33-bit value CF:EAX right by CL mod 32', () => {
    fc.assert(
      fc.property(u32, count, fc.boolean(), (a, cl, cf) => {
        const out = vcpu.run(makeTest('d3d8', { eax: a, ecx: cl, eflags: cf ? 0x3 : 0x2 }));
        const n = cl & 31;
        const v = (BigInt(cf ? 1 : 0) << 32n) | BigInt(a);
        const r = ((v >> BigInt(n)) | (v << BigInt(33 - n))) & ((1n << 33n) - 1n);
        expect(out.eax >>> 0).toBe(Number(r & MASK32));
        expect(out.eflags & CF).toBe(Number(r >> 32n));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('SHLD / SHRD r32, r32, CL (0F A5, 0F AD)', () => {
  it('SHLD EAX, EDX, CL shifts EAX left filling from EDX; CF is the last bit out', () => {
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 1, max: 31 }), (a, d, cl) => {
        const out = vcpu.run(makeTest('0fa5d0', { eax: a, edx: d, ecx: cl }));
        const wide = (BigInt(a) << 32n) | BigInt(d);
        expect(out.eax >>> 0).toBe(Number(((wide << BigInt(cl)) >> 32n) & MASK32));
        expect(out.eflags & CF).toBe(Number((BigInt(a) >> BigInt(32 - cl)) & 1n));
      }),
      { numRuns: 2000 },
    );
  });

  it('SHRD EAX, EDX, CL shifts EAX right filling from EDX; CF is the last bit out', () => {
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 1, max: 31 }), (a, d, cl) => {
        const out = vcpu.run(makeTest('0fadd0', { eax: a, edx: d, ecx: cl }));
        const wide = (BigInt(d) << 32n) | BigInt(a);
        expect(out.eax >>> 0).toBe(Number((wide >> BigInt(cl)) & MASK32));
        expect(out.eflags & CF).toBe(Number((BigInt(a) >> BigInt(cl - 1)) & 1n));
      }),
      { numRuns: 2000 },
    );
  });

  it('16-bit SHLD with a count above 16 (undefined in the SDM) shifts dest:src:dest as Bochs does', () => {
    // SHLD AX, BX, 20: (1234 5678 1234) << 20 → top word 6781.
    const out = vcpu.run(makeTest('660fa4d814', { eax: 0x1234, ebx: 0x5678 }));
    expect(out.eax & 0xffff).toBe(0x6781);
  });
});

describe('group-2 shifts with a masked count of 0', () => {
  it('leave the operand and every flag unchanged (SHL EAX, CL with CL = 32)', () => {
    const out = vcpu.run(makeTest('d3e0', { eax: 0x80000001, ecx: 32, eflags: 0x8d7 }));
    expect(out.eax >>> 0).toBe(0x80000001);
    expect(out.eflags).toBe(0x8d7);
  });

  it('still check that a memory operand is writable: #GP(0) in a read-only DS, nothing changed', () => {
    const readOnlyData = AR_P | AR_S | AR_ACCESSED | AR_DB | AR_G; // data, not writable
    const out = vcpu.run(makeTest('d325306a0000', { ecx: 0, eflags: 0x8d7, mem: '01020304' + '00'.repeat(12) }), (cpu) =>
      cpu.segs[SegReg.DS].setCache(0x10, 0, 0xffffffff, readOnlyData),
    );
    expect(out.exception).toBe(13);
    expect(out.eflags).toBe(0x8d7);
  });

  it('ROL by a nonzero multiple of the operand size keeps the value but sets CF and OF (ROL AL, 8)', () => {
    const out = vcpu.run(makeTest('c0c008', { eax: 0x81, eflags: 0x2 }));
    expect(out.eax & 0xff).toBe(0x81);
    expect(out.eflags & (CF | OF)).toBe(CF); // CF = bit 0, OF = CF ^ bit 7 = 0
  });
});
