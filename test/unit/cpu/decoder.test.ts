// The instruction decoder on hand-picked encodings: prefixes, 16- and 32-bit addressing with
// every ModRM/SIB form, moffs, immediates and their sign extension, ModRM groups, invalid
// encodings (LOCK misuse, MOV to CS, register forms of memory-only instructions, reserved x87
// cells), the 15-byte limit and the operand/address-size mnemonics.
// SDM Vol. 2A §2.1–2.3 (format, Tables 2-1/2-2/2-3), Vol. 2D Appendix A (opcode maps).
import { describe, expect, it } from 'vitest';
import { Vector } from '../../../emulator/arch/exceptions';
import { SegReg } from '../../../emulator/arch/segments';
import { Cpu, EAX, EBP, EBX, ECX, EDI, ESI, ESP, REG_ZERO } from '../../../emulator/cpu/cpu';
import { arraySource, decode, type ByteSource } from '../../../emulator/cpu/decoder/decoder';
import { Insn, PFX_LOCK, PFX_REP, PFX_REPNE, PFX_SEG } from '../../../emulator/cpu/decoder/insn';
import { Attr, type ExecForms } from '../../../emulator/cpu/decoder/types';
import { CpuFault } from '../../../emulator/cpu/fault';
import { IoBus } from '../../../emulator/memory/io-bus';
import { PhysicalMemory } from '../../../emulator/memory/physical-memory';

/** Bytes from a hex string such as '66 0f 1f 00'. */
function bytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.trim().split(/\s+/), (b) => parseInt(b, 16));
}
/** Decode in 32-bit code (CS.D = 1) unless `code32` is false. */
function d(hex: string, code32 = true): Insn {
  return decode(arraySource(bytes(hex)), code32);
}
/** Decode in 16-bit code. */
const d16 = (hex: string) => d(hex, false);

/** Run an instruction's handler and return the CpuFault it throws (invalid encodings). */
function faultOf(i: Insn): CpuFault {
  const cpu = new Cpu(new PhysicalMemory(1 << 20), new IoBus());
  try {
    i.exec(cpu, i);
  } catch (e) {
    if (e instanceof CpuFault) return e;
    throw e;
  }
  throw new Error(`${i.mnemonic} did not fault`);
}

function expectValid(i: Insn, mnemonic: string, len: number): void {
  expect(i.invalid).toBe('');
  expect(i.entry).not.toBeNull();
  expect(i.mnemonic).toBe(mnemonic);
  expect(i.len).toBe(len);
}
function expectInvalid(i: Insn): void {
  expect(i.entry).toBeNull();
  expect(i.invalid).not.toBe('');
  expect(i.mnemonic).toBe('(bad)');
}

describe('prefixes', () => {
  it('66 selects the other operand size in 16- and 32-bit code; repeating it changes nothing more', () => {
    expect(d('01 c0').o32).toBe(true);
    expect(d('66 01 c0').o32).toBe(false);
    expect(d16('01 c0').o32).toBe(false);
    expect(d16('66 01 c0').o32).toBe(true);
    const twice = d('66 66 01 c0');
    expect(twice.o32).toBe(false);
    expect(twice.len).toBe(4);
  });

  it('67 selects the other address size: [edi] becomes [bx]', () => {
    const i32 = d('8b 07');
    expect([i32.a32, i32.base, i32.index]).toEqual([true, EDI, REG_ZERO]);
    const i16 = d('67 8b 07');
    expect([i16.a32, i16.base, i16.index, i16.len]).toEqual([false, EBX, REG_ZERO, 3]);
    expect(d16('67 8b 07').base).toBe(EDI);
  });

  it('a segment override replaces the default segment (the last one counts) and sets PFX_SEG', () => {
    const plain = d('8b 00');
    expect(plain.seg).toBe(SegReg.DS);
    expect(plain.prefixes & PFX_SEG).toBe(0);
    const es = d('26 8b 00');
    expect(es.seg).toBe(SegReg.ES);
    expect(es.prefixes & PFX_SEG).toBe(PFX_SEG);
    expect(d('2e 36 8b 00').seg).toBe(SegReg.SS);
    expect(d('3e 8b 45 00').seg).toBe(SegReg.DS); // [ebp+0] defaults to SS
    expect(d('64 8b 04 24').seg).toBe(SegReg.FS); // [esp] defaults to SS
  });

  it('of F2 and F3 the last one counts: F3 90 is PAUSE, F3 F2 90 is NOP', () => {
    expectValid(d('f3 90'), 'PAUSE', 2);
    expectValid(d('f2 f3 90'), 'PAUSE', 3);
    const nop = d('f3 f2 90');
    expectValid(nop, 'NOP', 3);
    expect(nop.prefixes & (PFX_REP | PFX_REPNE)).toBe(PFX_REPNE);
    const movs = d('f3 a4');
    expectValid(movs, 'MOVSB', 2);
    expect(movs.prefixes & PFX_REP).toBe(PFX_REP);
  });

  it('records LOCK on a lockable instruction with a memory destination', () => {
    const i = d('f0 01 00');
    expectValid(i, 'ADD', 3);
    expect(i.prefixes & PFX_LOCK).toBe(PFX_LOCK);
  });
});

describe('16-bit addressing (SDM Vol. 2A Table 2-1)', () => {
  // rm → [base, index, default segment]
  const forms: [number, number, number, SegReg][] = [
    [0, EBX, ESI, SegReg.DS],
    [1, EBX, EDI, SegReg.DS],
    [2, EBP, ESI, SegReg.SS],
    [3, EBP, EDI, SegReg.SS],
    [4, ESI, REG_ZERO, SegReg.DS],
    [5, EDI, REG_ZERO, SegReg.DS],
    [6, EBP, REG_ZERO, SegReg.SS],
    [7, EBX, REG_ZERO, SegReg.DS],
  ];
  for (const [rm, base, index, seg] of forms) {
    it(`rm=${rm} gives base ${base}, index ${index}, segment ${SegReg[seg]} with no, 8-bit and 16-bit displacements`, () => {
      if (rm !== 6) {
        const m0 = d16(`8b ${(rm).toString(16)}`);
        expect([m0.mod, m0.base, m0.index, m0.scale, m0.disp, m0.seg, m0.len]).toEqual([0, base, index, 0, 0, seg, 2]);
      }
      const m1 = d16(`8b ${(0x40 | rm).toString(16)} 80`);
      expect([m1.mod, m1.base, m1.index, m1.disp, m1.seg, m1.len]).toEqual([1, base, index, -128, seg, 3]);
      const m2 = d16(`8b ${(0x80 | rm).toString(16)} 34 12`);
      expect([m2.mod, m2.base, m2.index, m2.disp, m2.seg, m2.len]).toEqual([2, base, index, 0x1234, seg, 4]);
    });
  }

  it('mod=0 rm=6 is a 16-bit absolute displacement in DS, not [bp]', () => {
    const i = d16('8b 06 cd ab');
    expect([i.base, i.index, i.disp, i.seg, i.len]).toEqual([REG_ZERO, REG_ZERO, 0xabcd, SegReg.DS, 4]);
  });

  it('mod=3 names a register and reads no displacement', () => {
    const i = d16('8b c3');
    expect([i.mod, i.reg, i.rm, i.len]).toEqual([3, EAX, EBX, 2]);
  });
});

describe('32-bit addressing (SDM Vol. 2A Tables 2-2 and 2-3)', () => {
  it('rm 0–3, 6, 7 with mod=0 name the base register, in DS', () => {
    for (const rm of [0, 1, 2, 3, 6, 7]) {
      const i = d(`8b ${rm.toString(16)}`);
      expect([i.base, i.index, i.disp, i.seg, i.len]).toEqual([rm, REG_ZERO, 0, SegReg.DS, 2]);
    }
  });

  it('mod=0 rm=5 is a 32-bit absolute displacement; with mod=1 or 2 it is [ebp+disp] in SS', () => {
    const abs = d('8b 05 78 56 34 12');
    expect([abs.base, abs.index, abs.disp, abs.seg, abs.len]).toEqual([REG_ZERO, REG_ZERO, 0x12345678, SegReg.DS, 6]);
    const bp8 = d('8b 45 fc');
    expect([bp8.base, bp8.disp, bp8.seg, bp8.len]).toEqual([EBP, -4, SegReg.SS, 3]);
    const bp32 = d('8b 85 00 00 00 80');
    expect([bp32.base, bp32.disp, bp32.seg, bp32.len]).toEqual([EBP, -0x80000000, SegReg.SS, 6]);
  });

  it('an 8-bit displacement is sign-extended and a 32-bit one is kept as int32', () => {
    expect(d('8b 40 ff').disp).toBe(-1);
    expect(d('8b 40 7f').disp).toBe(127);
    expect(d('8b 80 ff ff ff ff').disp).toBe(-1);
  });

  it('rm=4 reads a SIB byte: scale, index and base', () => {
    const i = d('8b 04 88'); // [eax+ecx*4]
    expect([i.base, i.index, i.scale, i.seg, i.len]).toEqual([EAX, ECX, 2, SegReg.DS, 3]);
    const j = d('8b 44 f3 10'); // [ebx+esi*8+0x10]
    expect([j.base, j.index, j.scale, j.disp, j.len]).toEqual([EBX, ESI, 3, 0x10, 4]);
  });

  it('SIB index=4 means no index; an ESP base defaults to SS', () => {
    const i = d('8b 04 24'); // [esp]
    expect([i.base, i.index, i.seg, i.len]).toEqual([ESP, REG_ZERO, SegReg.SS, 3]);
    const j = d('8b 04 e0'); // index 4 with scale 3 is still no index
    expect([j.base, j.index]).toEqual([EAX, REG_ZERO]);
  });

  it('SIB base=5 with mod=0 is disp32 with no base (DS); with mod=1 it is EBP (SS)', () => {
    const i = d('8b 04 ad 78 56 34 12'); // [ebp*4+0x12345678]
    expect([i.base, i.index, i.scale, i.disp, i.seg, i.len]).toEqual([REG_ZERO, EBP, 2, 0x12345678, SegReg.DS, 7]);
    const j = d('8b 44 25 10'); // [ebp+0x10]
    expect([j.base, j.index, j.disp, j.seg, j.len]).toEqual([EBP, REG_ZERO, 0x10, SegReg.SS, 4]);
  });
});

describe('moffs (A0–A3)', () => {
  it('the offset is sized by the address size, not the operand size', () => {
    const a = d('a1 78 56 34 12');
    expect([a.len, a.disp, a.base, a.index, a.seg]).toEqual([5, 0x12345678, REG_ZERO, REG_ZERO, SegReg.DS]);
    expect(d('67 a1 34 12').len).toBe(4);
    expect(d('66 a1 78 56 34 12').len).toBe(6);
    const b = d16('a0 34 12');
    expect([b.len, b.disp]).toEqual([3, 0x1234]);
    expect(d16('67 a2 78 56 34 12').len).toBe(6);
    expect(d16('a3 34 12').len).toBe(3);
  });

  it('honours a segment override', () => {
    expect(d('26 a1 00 00 00 00').seg).toBe(SegReg.ES);
  });
});

describe('immediates', () => {
  it('Ib is zero-extended', () => {
    expect(d('b0 ff').imm).toBe(0xff);
    expect(d('80 c0 ff').imm).toBe(0xff);
    expect(d('e4 80').imm).toBe(0x80);
  });

  it('Ibs (83, 6A, 6B) is sign-extended', () => {
    expect(d('83 c0 ff').imm).toBe(-1);
    expect(d16('83 c0 80').imm).toBe(-128);
    const push = d('6a 80');
    expect([push.imm, push.len]).toEqual([-128, 2]);
    const imul = d('6b c0 fe');
    expect([imul.imm, imul.len]).toEqual([-2, 3]);
  });

  it('Iz is 16 or 32 bits by operand size, raw (int32 for 32 bits)', () => {
    const i32 = d('05 00 00 00 80');
    expect([i32.imm, i32.len]).toEqual([-0x80000000, 5]);
    const i16 = d('66 05 00 80');
    expect([i16.imm, i16.len]).toEqual([0x8000, 4]);
    expect(d16('05 34 12').len).toBe(3);
    expect(d16('66 05 78 56 34 12').len).toBe(6);
    expect(d('68 78 56 34 12').imm).toBe(0x12345678);
  });

  it('Jb and Jz are sign-extended relative offsets', () => {
    expect(d('eb fe').imm).toBe(-2);
    expect(d('74 7f').imm).toBe(127);
    const j16 = d16('e9 00 80');
    expect([j16.imm, j16.len]).toEqual([-0x8000, 3]);
    const j32 = d('e9 fb ff ff ff');
    expect([j32.imm, j32.len]).toEqual([-5, 5]);
    const jcc = d('0f 84 10 00 00 00');
    expect([jcc.mnemonic, jcc.imm, jcc.len]).toEqual(['JE', 0x10, 6]);
    expect(d16('0f 84 fe ff').imm).toBe(-2);
  });

  it('Iw (RET) and Iw, Ib (ENTER) fill imm and imm2', () => {
    const ret = d('c2 08 00');
    expect([ret.imm, ret.len]).toEqual([8, 3]);
    const enter = d('c8 10 00 01');
    expect([enter.imm, enter.imm2, enter.len]).toEqual([0x10, 1, 4]);
  });

  it('Ap is offset then selector: 16:32 in 32-bit code, 16:16 in 16-bit code', () => {
    const far32 = d('ea 78 56 34 12 08 00');
    expect([far32.imm, far32.imm2, far32.len]).toEqual([0x12345678, 8, 7]);
    const far16 = d16('9a 34 12 00 f0');
    expect([far16.imm, far16.imm2, far16.len]).toEqual([0x1234, 0xf000, 5]);
    expect(d16('66 ea 78 56 34 12 08 00').len).toBe(8);
  });

  it('an immediate follows the displacement', () => {
    const i = d('81 80 44 33 22 11 78 56 34 12');
    expect([i.disp, i.imm, i.len]).toEqual([0x11223344, 0x12345678, 10]);
    const j = d('c7 44 24 04 01 00 00 00');
    expect([j.base, j.disp, j.imm, j.len]).toEqual([ESP, 4, 1, 8]);
  });
});

describe('ModRM groups', () => {
  it('80, 81, 83 and 82 select the ALU operation by ModRM.reg, in 16- and 32-bit code', () => {
    const names = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'];
    names.forEach((mn, reg) => {
      const modrm = (0xc0 | (reg << 3)).toString(16);
      expectValid(d(`80 ${modrm} 01`), mn, 3);
      expectValid(d(`82 ${modrm} 01`), mn, 3);
      expectValid(d16(`82 ${modrm} 01`), mn, 3);
      expectValid(d(`81 ${modrm} 01 00 00 00`), mn, 6);
      expectValid(d(`83 ${modrm} 01`), mn, 3);
    });
  });

  it('group 2 /6 is the SAL alias of SHL /4', () => {
    expectValid(d('c0 e0 05'), 'SHL', 3);
    expectValid(d('c0 f0 05'), 'SAL', 3);
    expectValid(d('d1 f0'), 'SAL', 2);
    expectValid(d('d3 e8'), 'SHR', 2);
  });

  it('group 3 /1 is the TEST alias of /0, with its immediate', () => {
    expectValid(d('f6 c8 12'), 'TEST', 3);
    expectValid(d('f7 c8 78 56 34 12'), 'TEST', 6);
    expectValid(d16('f7 c8 34 12'), 'TEST', 4);
    expectValid(d('f6 d0'), 'NOT', 2); // no immediate
  });

  it('empty group cells are invalid', () => {
    for (const hex of ['fe d0', 'ff f8', '8f 08', 'c6 08 00', 'c7 f8 00 00 00 00', '0f ba 18 00', '0f 00 30', '0f 01 28', '0f c7 00', '0f c7 f0']) {
      expectInvalid(d(hex));
    }
  });

  it('0F 01: SMSW and LMSW have register forms; every other register form is invalid', () => {
    expectValid(d('0f 01 e0'), 'SMSW', 3);
    expectValid(d('0f 01 f0'), 'LMSW', 3);
    for (const modrm of [0xc0, 0xc1, 0xc8, 0xc9, 0xd0, 0xd1, 0xd8, 0xdf, 0xf8, 0xf9]) expectInvalid(d(`0f 01 ${modrm.toString(16)}`));
    expectValid(d('0f 01 38'), 'INVLPG', 3);
  });
});

describe('invalid encodings', () => {
  it('LOCK is invalid on a non-lockable instruction, on a register destination and with no ModRM', () => {
    for (const hex of ['f0 90', 'f0 8b 00', 'f0 01 c0', 'f0 0f a3 00', 'f0 80 38 00', 'f0 d9 00', 'f0 0f 20 c0', 'f0 a4', 'f0 40']) {
      expectInvalid(d(hex));
    }
  });

  it('LOCK is valid on a lockable instruction with a memory destination', () => {
    expectValid(d('f0 0f ab 00'), 'BTS', 4);
    expectValid(d('f0 87 00'), 'XCHG', 3);
    expectValid(d('f0 0f c7 08'), 'CMPXCHG8B', 4);
    expectValid(d('f0 f6 10'), 'NOT', 3);
    expectValid(d('f0 83 00 01'), 'ADD', 4);
  });

  it('MOV to CS and MOV with segment register 6 or 7 are invalid', () => {
    expectInvalid(d('8e c8'));
    expectInvalid(d('8e 08'));
    expectInvalid(d('8e f0'));
    expectInvalid(d('8c f8'));
    expectInvalid(d('8c 30'));
  });

  it('MOV CRn exists only for CR0, CR2, CR3, CR4; a memory ModRM still names a register', () => {
    expectInvalid(d('0f 20 c8'));
    expectInvalid(d('0f 22 e8'));
    expectInvalid(d('0f 20 f8'));
    const i = d('0f 20 18'); // mod=0: treated as mov eax, cr3
    expectValid(i, 'MOV', 3);
    expect([i.mod, i.reg, i.rm]).toEqual([3, 3, 0]);
    expectValid(d('0f 23 3f'), 'MOV', 3); // mov dr7, edi
  });

  it('memory-only instructions with a register operand are invalid (LEA, LES/LDS, BOUND, LSS, far CALL/JMP, CMPXCHG8B)', () => {
    for (const hex of ['8d c0', 'c4 c0', 'c5 c0', '62 c0', '0f b2 c0', 'ff d8', 'ff e8', '0f c7 c8']) {
      expectInvalid(d(hex));
      expectInvalid(d16(hex));
    }
  });

  it('opcodes this processor does not have are invalid and raise #UD', () => {
    for (const hex of ['0f 0a', '0f 05', '0f 33', '0f 38 00 c0', '0f 10 c0', '0f a6 00', '0f 0e', '0f 04']) {
      const i = d(hex);
      expectInvalid(i);
      const f = faultOf(i);
      expect([f.vector, f.errorCode]).toEqual([Vector.UD, -1]);
    }
  });

  it('UD0, UD1 and UD2 decode (with ModRM for UD0 and UD1, as on Intel processors) and raise #UD when executed', () => {
    expectValid(d('0f 0b'), 'UD2', 2);
    expectValid(d('0f b9 00'), 'UD1', 3);
    const ud0 = d('0f ff 84 00 00 00 00 00');
    expectValid(ud0, 'UD0', 8);
    expect(faultOf(ud0).vector).toBe(Vector.UD);
  });
});

describe('x87 escapes (no FPU on this model)', () => {
  it('a valid escape decodes to the ESC row with its full length', () => {
    for (const [hex, len] of [['d9 c0', 2], ['dd 00', 2], ['d8 80 00 00 00 00', 6], ['df e0', 2], ['da e9', 2], ['db e4', 2], ['de d9', 2], ['d9 d8', 2]] as const) {
      const i = d(hex);
      expectValid(i, 'ESC', len);
      expect((i.entry?.attrs ?? 0) & Attr.X87).toBe(Attr.X87);
    }
    expect(d16('dc 06 34 12').len).toBe(4);
  });

  it('reserved cells of the x87 opcode maps are invalid', () => {
    for (const hex of ['d9 08', 'd9 d1', 'd9 e2', 'd9 ef', 'da e0', 'da f8', 'db 20', 'db 30', 'db e5', 'db f8', 'dd 28', 'dd f0', 'de d8', 'de df', 'df e1', 'df f8']) {
      expectInvalid(d(hex));
    }
  });

  it('WAIT (9B) is an instruction of its own, not part of the next escape', () => {
    expectValid(d('9b db e3'), 'WAIT', 1);
  });
});

describe('the reserved-NOP hint space (0F 0D, 0F 18–0F 1F)', () => {
  it('decodes as NOP Ev whatever ModRM.reg and the prefixes', () => {
    expectValid(d('0f 18 00'), 'NOP', 3); // PREFETCHNTA on SSE processors
    expectValid(d('0f 0d 08'), 'NOP', 3); // PREFETCHW on later processors
    expectValid(d('f3 0f 1e fa'), 'NOP', 4); // ENDBR64 on CET processors
    expectValid(d('0f 1c 00'), 'NOP', 3); // CLDEMOTE
    expectValid(d('0f 1f 44 00 00'), 'NOP', 5);
    expectValid(d('66 0f 1f 84 00 00 00 00 00'), 'NOP', 9);
    expectValid(d16('0f 19 06 34 12'), 'NOP', 5);
  });
});

describe('the 15-byte limit (SDM Vol. 2A §2.3.11)', () => {
  const prefixes = (n: number, b = '26') => Array(n).fill(b).join(' ');

  it('an instruction of exactly 15 bytes is valid', () => {
    expectValid(d(`${prefixes(14)} 90`), 'NOP', 15);
    expectValid(d(`${prefixes(5, '2e')} 81 80 44 33 22 11 78 56 34 12`), 'ADD', 15);
  });

  it('longer instructions are invalid and raise #GP(0), whether the prefixes, the displacement or the immediate cross the limit', () => {
    for (const hex of [
      `${prefixes(15)} 90`,
      `${prefixes(14)} 0f 0b`,
      `${prefixes(13)} 8b 04 24`,
      `${prefixes(10)} 8b 80 00 00 00 00`,
      `${prefixes(6, '2e')} 81 80 44 33 22 11 78 56 34 12`,
      `${prefixes(20)} 90`,
    ]) {
      const i = d(hex);
      expectInvalid(i);
      const f = faultOf(i);
      expect([f.vector, f.errorCode]).toEqual([Vector.GP, 0]);
    }
  });
});

describe('mnemonics by operand and address size', () => {
  const pairs: [string, string, string][] = [
    ['98', 'CBW', 'CWDE'],
    ['99', 'CWD', 'CDQ'],
    ['60', 'PUSHA', 'PUSHAD'],
    ['61', 'POPA', 'POPAD'],
    ['9c', 'PUSHF', 'PUSHFD'],
    ['9d', 'POPF', 'POPFD'],
    ['cf', 'IRET', 'IRETD'],
    ['a5', 'MOVSW', 'MOVSD'],
    ['a7', 'CMPSW', 'CMPSD'],
    ['ab', 'STOSW', 'STOSD'],
    ['ad', 'LODSW', 'LODSD'],
    ['af', 'SCASW', 'SCASD'],
    ['6d', 'INSW', 'INSD'],
    ['6f', 'OUTSW', 'OUTSD'],
  ];
  for (const [op, mn16, mn32] of pairs) {
    it(`${op} is ${mn16} with a 16-bit and ${mn32} with a 32-bit operand size`, () => {
      expect(d16(op).mnemonic).toBe(mn16);
      expect(d(`66 ${op}`).mnemonic).toBe(mn16);
      expect(d(op).mnemonic).toBe(mn32);
      expect(d16(`66 ${op}`).mnemonic).toBe(mn32);
    });
  }

  it('E3 is JCXZ or JECXZ by ADDRESS size; the operand size does not matter', () => {
    expect(d('e3 00').mnemonic).toBe('JECXZ');
    expect(d('66 e3 00').mnemonic).toBe('JECXZ');
    expect(d('67 e3 00').mnemonic).toBe('JCXZ');
    expect(d16('e3 00').mnemonic).toBe('JCXZ');
    expect(d16('66 e3 00').mnemonic).toBe('JCXZ');
    expect(d16('67 e3 00').mnemonic).toBe('JECXZ');
  });
});

describe('handler selection and decoder mechanics', () => {
  it('picks the ExecForms handler by register/memory form and operand size', () => {
    const forms = (i: Insn) => i.entry?.exec as ExecForms;
    const r32 = d('01 c0');
    expect(r32.exec).toBe(forms(r32).r32);
    const r16 = d('66 01 c0');
    expect(r16.exec).toBe(forms(r16).r16);
    const m32 = d('01 00');
    expect(m32.exec).toBe(forms(m32).m32);
    const m16 = d16('01 00');
    expect(m16.exec).toBe(forms(m16).m16);
    const r8 = d('00 c0');
    expect(r8.exec).toBe(forms(r8).r8);
    const m8 = d('00 00');
    expect(m8.exec).toBe(forms(m8).m8);
  });

  it('resets every operand field when an Insn is reused', () => {
    const i = decode(arraySource(bytes('81 44 24 08 78 56 34 12')), true);
    expect([i.base, i.disp, i.imm]).toEqual([ESP, 8, 0x12345678]);
    decode(arraySource(bytes('8b c1')), true, i);
    expect([i.mod, i.reg, i.rm, i.base, i.index, i.scale, i.disp, i.imm, i.seg, i.len]).toEqual([3, EAX, ECX, REG_ZERO, REG_ZERO, 0, 0, 0, SegReg.DS, 2]);
  });

  it('passes a fault from the byte source through (an instruction-fetch #PF)', () => {
    const pf = new CpuFault(Vector.PF, 0, 'fetch crosses into a non-present page');
    const src: ByteSource = { byte: (k) => (k < 2 ? [0x8b, 0x80][k] : (() => { throw pf; })()) };
    expect(() => decode(src, true)).toThrow(pf);
  });

  it('reads no byte past the instruction', () => {
    let maxK = -1;
    const code = bytes('8b 44 24 08');
    decode({ byte: (k) => ((maxK = Math.max(maxK, k)), code[k] ?? 0xcc) }, true);
    expect(maxK).toBe(3);
  });
});
