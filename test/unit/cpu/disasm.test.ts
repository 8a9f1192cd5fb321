// Disassembly text (emulator/cpu/disasm.ts): NASM syntax from iced-x86, injected by the host,
// decoding as the P6-class model does.
import * as iced from 'iced-x86';
import { afterAll, describe, expect, it } from 'vitest';
import { Disassembler, p6DecoderOptions } from '../../../emulator/cpu/disasm';

const bytes = (hex: string) => Uint8Array.from(hex.trim().split(/\s+/), (b) => parseInt(b, 16));
const dis = new Disassembler(iced);
afterAll(() => dis.dispose());

describe('Disassembler', () => {
  it('renders NASM text with the instruction length', () => {
    expect(dis.disassemble(bytes('8b 43 10'), 0, 32)).toEqual({ text: 'mov eax, [ebx+0x10]', length: 3, invalid: false });
    expect(dis.disassemble(bytes('c7 05 00 10 00 00 ff ff ff ff'), 0, 32)).toEqual({ text: 'mov dword [0x1000], 0xFFFFFFFF', length: 10, invalid: false });
    expect(dis.disassemble(bytes('26 8a 07'), 0, 16)).toEqual({ text: 'mov al, [es:bx]', length: 3, invalid: false });
    expect(dis.disassemble(bytes('f0 0f c7 0e'), 0, 32).text).toBe('lock cmpxchg8b [esi]');
    expect(dis.disassemble(bytes('ea 78 56 34 12 08 00'), 0, 32)).toEqual({ text: 'jmp 8:0x12345678', length: 7, invalid: false });
  });

  it('reads only the first instruction of a longer buffer', () => {
    expect(dis.disassemble(bytes('90 90 90'), 0, 32)).toEqual({ text: 'nop', length: 1, invalid: false });
  });

  it('prints relative branches as absolute targets from the given address, wrapping at 64 KiB with a 16-bit operand size', () => {
    expect(dis.disassemble(bytes('eb fe'), 0x1000, 32).text).toBe('jmp short 0x1000');
    expect(dis.disassemble(bytes('e9 00 00 00 00'), 0xfffffffb, 32).text).toBe('jmp 0');
    expect(dis.disassemble(bytes('eb 10'), 0xfff0, 16).text).toBe('jmp short 2');
  });

  it('decodes as the P6 model: hint-space NOPs, REP BSF, WBINVD', () => {
    expect(dis.disassemble(bytes('0f 18 00'), 0, 32).text).toBe('nop [eax], eax');
    expect(dis.disassemble(bytes('f3 0f bc c0'), 0, 32).text).toBe('bsf eax, eax');
    expect(dis.disassemble(bytes('f3 0f 09'), 0, 32).text).toBe('wbinvd');
  });

  it('gives (bad) with length 1 for an invalid or truncated encoding, and for no bytes at all', () => {
    expect(dis.disassemble(bytes('0f 0a'), 0, 32)).toEqual({ text: '(bad)', length: 1, invalid: true });
    expect(dis.disassemble(bytes('8b'), 0, 32)).toEqual({ text: '(bad)', length: 1, invalid: true });
    expect(dis.disassemble(bytes('f0 90'), 0, 32)).toEqual({ text: '(bad)', length: 1, invalid: true });
    expect(dis.disassemble(new Uint8Array(0), 0, 32)).toEqual({ text: '(bad)', length: 1, invalid: true });
  });

  it('disassembles a block, resynchronising one byte after an invalid encoding', () => {
    // 0F 0A is undefined; then 0A 90 (OR dl, [bx+si+disp16]) runs out of bytes; then a NOP.
    const lines = dis.disassembleBlock(bytes('90 eb fe 0f 0a 90'), 0x7c00, 16);
    expect(lines.map((l) => [l.address, l.text, l.length])).toEqual([
      [0x7c00, 'nop', 1],
      [0x7c01, 'jmp short 0x7C01', 2],
      [0x7c03, '(bad)', 1],
      [0x7c04, '(bad)', 1],
      [0x7c05, 'nop', 1],
    ]);
    expect(dis.disassembleBlock(bytes('90 90 90'), 0, 32, 2)).toHaveLength(2);
  });

  it('upper-cases text on request', () => {
    const upper = new Disassembler(iced, { uppercase: true });
    try {
      expect(upper.disassemble(bytes('8b 43 10'), 0, 32).text).toBe('MOV EAX, [EBX+0x10]');
    } finally {
      upper.dispose();
    }
  });

  it('refuses to run after dispose()', () => {
    const d = new Disassembler(iced);
    d.dispose();
    expect(() => d.disassemble(bytes('90'), 0, 32)).toThrow('dispose');
  });

  it('p6DecoderOptions sets exactly the reserved-NOP, no-TZCNT/LZCNT and no-WBNOINVD options', () => {
    const o = iced.DecoderOptions;
    expect(p6DecoderOptions(iced)).toBe(o.ForceReservedNop | o.NoMPFX_0FBC | o.NoMPFX_0FBD | o.NoWbnoinvd);
  });
});
