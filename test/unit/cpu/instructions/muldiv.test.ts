import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulHighS32, mulHighU32 } from '../../../../emulator/cpu/instructions/muldiv';
import { makeTest, VectorCpu } from '../../../helpers/vector-cpu';

const vcpu = new VectorCpu();
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const CF = 0x1, OF = 0x800;
const U64 = (1n << 64n) - 1n;

/** Run one instruction with the given registers and EFLAGS = 0x2. */
function run(bytes: string, regs: { eax?: number; ecx?: number; edx?: number }) {
  return vcpu.run(makeTest(bytes, regs));
}

describe('mulHighU32 / mulHighS32', () => {
  it('give the high dword of the 64-bit unsigned and signed products', () => {
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        const pu = BigInt(a) * BigInt(b);
        const ps = BigInt(a | 0) * BigInt(b | 0);
        expect(mulHighU32(a, b) >>> 0).toBe(Number(pu >> 32n));
        expect(mulHighS32(a | 0, b | 0) >>> 0).toBe(Number((ps >> 32n) & 0xffffffffn));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('MUL / IMUL r32 (F7 /4, F7 /5)', () => {
  it('MUL ECX leaves the 64-bit product in EDX:EAX and sets CF = OF = (EDX != 0)', () => {
    fc.assert(
      fc.property(u32, u32, (a, c) => {
        const out = run('f7e1', { eax: a, ecx: c });
        const p = BigInt(a) * BigInt(c);
        expect(out.eax >>> 0).toBe(Number(p & 0xffffffffn));
        expect(out.edx >>> 0).toBe(Number(p >> 32n));
        expect(out.eflags & (CF | OF)).toBe(p >> 32n ? CF | OF : 0);
      }),
      { numRuns: 1000 },
    );
  });

  it('IMUL ECX leaves the signed product in EDX:EAX and sets CF = OF when EAX alone cannot hold it', () => {
    fc.assert(
      fc.property(u32, u32, (a, c) => {
        const out = run('f7e9', { eax: a, ecx: c });
        const p = BigInt(a | 0) * BigInt(c | 0);
        expect(out.eax >>> 0).toBe(Number(p & 0xffffffffn));
        expect(out.edx >>> 0).toBe(Number((p >> 32n) & 0xffffffffn));
        const fits = p >= -(1n << 31n) && p < 1n << 31n;
        expect(out.eflags & (CF | OF)).toBe(fits ? 0 : CF | OF);
      }),
      { numRuns: 1000 },
    );
  });

  it('IMUL AX, CX, imm16 (66 69) sign-extends the 16-bit immediate', () => {
    const out = run('6669c1ffff', { eax: 0xabcd0000, ecx: 5 }); // AX = CX * -1
    expect(out.eax >>> 0).toBe(0xabcdfffb);
    expect(out.eflags & (CF | OF)).toBe(0);
  });
});

describe('DIV / IDIV r32 (F7 /6, F7 /7)', () => {
  const dividend = fc.tuple(u32, u32); // EDX, EAX
  it('DIV ECX: quotient in EAX, remainder in EDX, or #DE with nothing changed', () => {
    fc.assert(
      fc.property(dividend, fc.oneof(u32, fc.integer({ min: 0, max: 3 })), ([edx, eax], c) => {
        const n = (BigInt(edx) << 32n) | BigInt(eax);
        const out = run('f7f1', { eax, ecx: c, edx });
        if (c === 0 || n / BigInt(c) > 0xffffffffn) {
          expect(out.exception).toBe(0);
          expect([out.eax >>> 0, out.edx >>> 0, out.eflags]).toEqual([eax, edx, 2]);
        } else {
          expect(out.exception).toBeNull();
          expect(out.eax >>> 0).toBe(Number(n / BigInt(c)));
          expect(out.edx >>> 0).toBe(Number(n % BigInt(c)));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('DIV ECX with EDX < ECX (the quotient fits) matches BigInt division', () => {
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 1, max: 0xffffffff }), (hi, eax, c) => {
        const edx = hi % c;
        const n = (BigInt(edx) << 32n) | BigInt(eax);
        const out = run('f7f1', { eax, ecx: c, edx });
        expect(out.exception).toBeNull();
        expect(out.eax >>> 0).toBe(Number(n / BigInt(c)));
        expect(out.edx >>> 0).toBe(Number(n % BigInt(c)));
      }),
      { numRuns: 2000 },
    );
  });

  it('IDIV ECX truncates toward zero, gives the remainder the dividend\'s sign, or raises #DE', () => {
    const small = fc.integer({ min: -0x7fffffff, max: 0x7fffffff }).map((v) => BigInt(v));
    const anyN = fc.oneof(
      fc.tuple(u32, u32).map(([hi, lo]) => BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))),
      small.chain((q) => fc.integer({ min: -0x7fff, max: 0x7fff }).map((d) => q * BigInt(d))),
    );
    fc.assert(
      fc.property(anyN, fc.oneof(u32, fc.constantFrom(0, 1, 0xffffffff, 0x80000000, 2, 0xfffffffe)), (n, c) => {
        const u = BigInt.asUintN(64, n) & U64;
        const edx = Number(u >> 32n), eax = Number(u & 0xffffffffn);
        const out = run('f7f9', { eax, ecx: c, edx });
        const d = BigInt(c | 0);
        const q = d === 0n ? 0n : n / d; // BigInt division truncates toward zero
        if (d === 0n || q > 0x7fffffffn || q < -0x80000000n) {
          expect(out.exception).toBe(0);
          expect([out.eax >>> 0, out.edx >>> 0]).toEqual([eax, edx]);
        } else {
          expect(out.exception).toBeNull();
          expect(out.eax | 0).toBe(Number(q));
          expect(out.edx | 0).toBe(Number(n % d));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('IDIV raises #DE for -2^63 / -1 and accepts a quotient of exactly -2^31', () => {
    expect(run('f7f9', { edx: 0x80000000, eax: 0, ecx: 0xffffffff }).exception).toBe(0);
    const out = run('f7f9', { edx: 0xffffffff, eax: 0x80000000, ecx: 1 });
    expect(out.exception).toBeNull();
    expect(out.eax >>> 0).toBe(0x80000000);
    expect(out.edx).toBe(0);
  });
});
