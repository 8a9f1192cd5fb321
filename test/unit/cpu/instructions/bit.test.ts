import { describe, expect, it } from 'vitest';
import { makeTest, VectorCpu } from '../../../helpers/vector-cpu';

const vcpu = new VectorCpu();
const CF = 0x1, ZF = 0x40;

describe('BSWAP (0F C8+r)', () => {
  it('reverses the bytes of a 32-bit register', () => {
    expect(vcpu.run(makeTest('0fcb', { ebx: 0x12345678 })).ebx).toBe(0x78563412);
  });

  it('with a 16-bit operand size clears the low word and keeps the high word (Bochs)', () => {
    expect(vcpu.run(makeTest('660fc9', { ecx: 0x12345678 })).ecx).toBe(0x12340000);
  });
});

describe('BT/BTS with a register bit offset on memory (bit-string addressing)', () => {
  it('a negative offset selects a bit below the operand: BT [0x6A38], EAX with EAX = -1 tests bit 31 of [0x6A34]', () => {
    const mem = '00000000' + '00000080' + '00000000' + '00000000'; // dword at 0x6A34 = 0x80000000
    const out = vcpu.run(makeTest('0fa305386a0000', { eax: -1 >>> 0, mem }));
    expect(out.eflags & CF).toBe(CF);
  });

  it('BTS m16 writes the word at ea + 2 * (offset >> 4)', () => {
    // BTS [0x6A30], AX with AX = 0x25: word at 0x6A34, bit 5.
    const out = vcpu.run(makeTest('660fab05306a0000', { eax: 0x25 }));
    expect(Buffer.from(out.mem as Uint8Array).toString('hex')).toBe('00000000' + '2000' + '00'.repeat(10));
    expect(out.eflags & CF).toBe(0);
  });

  it('wraps the address to 16 bits with a 16-bit address size: BT [BX], EAX with BX = 4, EAX = -33 reads 0xFFFC', () => {
    const out = vcpu.run(makeTest('670fa307', { ebx: 4, eax: -33 >>> 0 }), (cpu) => {
      cpu.memory.view.setUint32(0xfffc, 0x80000000, true);
      cpu.memory.view.setUint32(0x1fffc, 0, true);
    });
    expect(out.exception).toBeNull();
    expect(out.eflags & CF).toBe(CF);
  });

  it('leave ZF unchanged', () => {
    const out = vcpu.run(makeTest('0fa3c3', { ebx: 1, eax: 0, eflags: 0x2 | ZF }));
    expect(out.eflags & (CF | ZF)).toBe(CF | ZF);
  });
});

describe('BSF / BSR', () => {
  it('find the lowest / highest set bit and clear ZF', () => {
    const f = vcpu.run(makeTest('0fbcc3', { ebx: 0x00f0_0100, eflags: 0x2 | ZF }));
    expect([f.eax, f.eflags & ZF]).toEqual([8, 0]);
    const r = vcpu.run(makeTest('0fbdc3', { ebx: 0x00f0_0100 }));
    expect(r.eax).toBe(23);
  });

  it('with a zero source set ZF and leave the destination and the other flags unchanged (Bochs)', () => {
    const out = vcpu.run(makeTest('0fbcc3', { eax: 0xdeadbeef, ebx: 0, eflags: 0x2 | 0x895 }));
    expect(out.eax >>> 0).toBe(0xdeadbeef);
    expect(out.eflags).toBe(0x2 | 0x895 | ZF);
  });
});
