import { describe, expect, it } from 'vitest';
import { makeTest, VectorCpu } from '../../../helpers/vector-cpu';

const vcpu = new VectorCpu();
const CF = 0x1, AF = 0x10;

describe('BCD adjust instructions (SDM Vol. 2A examples)', () => {
  it('DAA after 79h + 35h = AEh gives 14h with CF = AF = 1', () => {
    const out = vcpu.run(makeTest('27', { eax: 0xae }));
    expect(out.eax & 0xff).toBe(0x14);
    expect(out.eflags & (CF | AF)).toBe(CF | AF);
  });

  it('DAS after 35h - 47h = EEh (CF = AF = 1) gives 88h with CF = AF = 1', () => {
    const out = vcpu.run(makeTest('2f', { eax: 0xee, eflags: 0x2 | CF | AF }));
    expect(out.eax & 0xff).toBe(0x88);
    expect(out.eflags & (CF | AF)).toBe(CF | AF);
  });

  it('AAA adds 106h to AX when the low digit is above 9, then masks AL', () => {
    const out = vcpu.run(makeTest('37', { eax: 0x00ff }));
    expect(out.eax & 0xffff).toBe(0x0205);
    expect(out.eflags & (CF | AF)).toBe(CF | AF);
  });

  it('AAM splits AL into decimal digits: 3Fh (63) gives AH = 6, AL = 3', () => {
    expect(vcpu.run(makeTest('d40a', { eax: 0x3f })).eax & 0xffff).toBe(0x0603);
  });

  it('AAD with base 16 (D5 10) packs AH:AL = 06:03 into 63h', () => {
    expect(vcpu.run(makeTest('d510', { eax: 0x0603 })).eax & 0xffff).toBe(0x0063);
  });

  it('AAM 0 raises #DE and changes nothing', () => {
    const out = vcpu.run(makeTest('d400', { eax: 0x1234, eflags: 0x8d7 }));
    expect(out.exception).toBe(0);
    expect([out.eax, out.eflags]).toEqual([0x1234, 0x8d7]);
  });
});
