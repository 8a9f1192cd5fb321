import { describe, expect, it } from 'vitest';
import { Vector } from '../../../emulator/arch/exceptions';
import { EFLAGS_CF, EFLAGS_ZF } from '../../../emulator/arch/eflags';
import { AR_RW, SegReg } from '../../../emulator/arch/segments';
import { EAX, EBX, ECX, EDX, ESI } from '../../../emulator/cpu/cpu';
import { getEflags } from '../../../emulator/cpu/flags';
import { DATA_AR, le32, load, poke, protectedMode, rd32, rd8, realMode, runN } from './xfer-fixture';

const MEM = 0x2000;

describe('MOV', () => {
  it('moffs with a 16-bit address size (67 A1) reads DS:[disp16] in 32-bit code', () => {
    const m = protectedMode();
    poke(m.cpu, MEM, le32(0xdeadbeef));
    load(m.cpu, [0x67, 0xa1, 0x00, 0x20]);
    runN(m, 1);
    expect(m.cpu.regs[EAX] >>> 0).toBe(0xdeadbeef);
    expect(m.cpu.eip).toBe(0x1004);
  });

  it('MOV moffs32, EAX (A3) writes the dword', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 0x01020304;
    load(m.cpu, [0xa3, ...le32(MEM + 0x10)]);
    runN(m, 1);
    expect(rd32(m.cpu, MEM + 0x10)).toBe(0x01020304);
  });

  it('MOV AH, imm8 (B4) changes only bits 15:8 of EAX', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 0x11223344;
    load(m.cpu, [0xb4, 0x7f]);
    runN(m, 1);
    expect(m.cpu.regs[EAX]).toBe(0x11227f44);
  });

  it('MOV Ev, Iz (C7 /0) with a 16-bit operand writes only a word', () => {
    const m = protectedMode();
    poke(m.cpu, MEM, le32(0xaaaaaaaa));
    load(m.cpu, [0x66, 0xc7, 0x05, ...le32(MEM), 0x34, 0x12]);
    runN(m, 1);
    expect(rd32(m.cpu, MEM)).toBe(0xaaaa1234);
  });
});

describe('LEA', () => {
  it('with a 16-bit operand keeps the low 16 bits of a 32-bit address', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 0x77770000;
    m.cpu.regs[ESI] = 0x12348000;
    m.cpu.regs[EBX] = 0x9000;
    load(m.cpu, [0x66, 0x8d, 0x04, 0x1e]); // lea ax, [esi+ebx]
    runN(m, 1);
    expect(m.cpu.regs[EAX] >>> 0).toBe(0x77771000);
  });

  it('with a 32-bit operand zero-extends a 16-bit address that wrapped', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = -1;
    m.cpu.regs[EBX] = 0x5555ffff;
    m.cpu.regs[ESI] = 2;
    load(m.cpu, [0x67, 0x8d, 0x00]); // lea eax, [bx+si]
    runN(m, 1);
    expect(m.cpu.regs[EAX]).toBe(1);
  });

  it('with a register operand is #UD and changes nothing', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 42;
    load(m.cpu, [0x8d, 0xc0]);
    runN(m, 1);
    expect(m.faults[0].vector).toBe(Vector.UD);
    expect(m.faults[0].regs[EAX]).toBe(42);
  });
});

describe('XCHG, CBW/CWDE, CWD/CDQ', () => {
  it('XCHG AX, BX (66 93) swaps the low words only', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 0x11112222;
    m.cpu.regs[EBX] = 0x33334444;
    load(m.cpu, [0x66, 0x93]);
    runN(m, 1);
    expect(m.cpu.regs[EAX]).toBe(0x11114444);
    expect(m.cpu.regs[EBX]).toBe(0x33332222);
  });

  it('XCHG with a memory operand in a read-only segment faults #GP(0) and leaves the register', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.DS].setCache(0x10, 0, 0xffffffff, DATA_AR & ~AR_RW);
    m.cpu.regs[ECX] = 7;
    poke(m.cpu, MEM, le32(9));
    load(m.cpu, [0x87, 0x0d, ...le32(MEM)]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0, eip: 0x1000 });
    expect(m.faults[0].regs[ECX]).toBe(7);
    expect(rd32(m.cpu, MEM)).toBe(9);
  });

  it('CBW, CWDE, CWD and CDQ sign-extend by the operand size', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 0x12345680;
    load(m.cpu, [0x66, 0x98]); // cbw
    runN(m, 1);
    expect(m.cpu.regs[EAX]).toBe(0x1234ff80);
    load(m.cpu, [0x98]); // cwde
    runN(m, 1);
    expect(m.cpu.regs[EAX]).toBe(-128);
    m.cpu.regs[EDX] = 0x55550000;
    m.cpu.regs[EAX] = 0x8000;
    load(m.cpu, [0x66, 0x99]); // cwd: AX = 8000h is negative
    runN(m, 1);
    expect(m.cpu.regs[EDX] >>> 0).toBe(0x5555ffff);
    load(m.cpu, [0x99]); // cdq: EAX = 8000h is positive
    runN(m, 1);
    expect(m.cpu.regs[EDX]).toBe(0);
  });
});

describe('XLAT', () => {
  it('reads DS:[EBX + AL] with a 32-bit address size', () => {
    const m = protectedMode();
    m.cpu.regs[EBX] = MEM;
    m.cpu.regs[EAX] = 0x99999905;
    poke(m.cpu, MEM + 5, [0xab]);
    load(m.cpu, [0xd7]);
    runN(m, 1);
    expect(m.cpu.regs[EAX] >>> 0).toBe(0x999999ab);
  });

  it('wraps BX + AL at 16 bits with a 16-bit address size', () => {
    const m = realMode();
    m.cpu.regs[EBX] = 0xfffe;
    m.cpu.regs[EAX] = 3;
    poke(m.cpu, 1, [0x5a]);
    load(m.cpu, [0xd7]);
    runN(m, 1);
    expect(m.cpu.regs[EAX]).toBe(0x5a);
  });

  it('honours a segment override', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.FS].setCache(0x18, 0x3000, 0xffff, DATA_AR);
    m.cpu.regs[EBX] = 0x10;
    m.cpu.regs[EAX] = 1;
    poke(m.cpu, 0x3011, [0x77]);
    load(m.cpu, [0x64, 0xd7]);
    runN(m, 1);
    expect(m.cpu.regs[EAX]).toBe(0x77);
  });
});

describe('CMOVcc and SETcc', () => {
  it('CMOVE with a false condition reads its memory source and faults beyond the limit', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.DS].setCache(0x10, 0, 0xfff, DATA_AR);
    m.cpu.regs[EAX] = 0x11223344;
    m.cpu.regs[ECX] = 1;
    load(m.cpu, [0x85, 0xc9, 0x0f, 0x44, 0x05, ...le32(MEM)]); // test ecx,ecx (ZF=0); cmove eax,[2000h]
    runN(m, 2);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0, eip: 0x1002 });
  });

  it('a 32-bit CMOV with a false condition leaves the whole destination unchanged', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 0x11223344;
    m.cpu.regs[ECX] = 1;
    poke(m.cpu, MEM, le32(0x55667788));
    load(m.cpu, [0x85, 0xc9, 0x0f, 0x44, 0x05, ...le32(MEM), 0x0f, 0x45, 0x1d, ...le32(MEM)]); // …; cmovne ebx,[2000h]
    runN(m, 3);
    expect(m.cpu.regs[EAX]).toBe(0x11223344);
    expect(m.cpu.regs[EBX]).toBe(0x55667788);
  });

  it('SETE/SETNE write 1 or 0 to a byte register and to memory', () => {
    const m = protectedMode();
    m.cpu.regs[EBX] = 0x12345678;
    poke(m.cpu, MEM, [0xff]);
    load(m.cpu, [0x39, 0xc0, 0x0f, 0x94, 0xc3, 0x0f, 0x95, 0x05, ...le32(MEM)]); // cmp eax,eax; sete bl; setne [mem]
    runN(m, 3);
    expect(m.cpu.regs[EBX]).toBe(0x12345601);
    expect(rd8(m.cpu, MEM)).toBe(0);
  });
});

describe('CMPXCHG, CMPXCHG8B, XADD', () => {
  it('CMPXCHG m32 equal: stores the source and sets ZF; unequal: loads EAX and clears ZF', () => {
    const m = protectedMode();
    poke(m.cpu, MEM, le32(5));
    m.cpu.regs[EAX] = 5;
    m.cpu.regs[ECX] = 9;
    load(m.cpu, [0x0f, 0xb1, 0x0d, ...le32(MEM), 0x0f, 0xb1, 0x0d, ...le32(MEM)]);
    runN(m, 1);
    expect(rd32(m.cpu, MEM)).toBe(9);
    expect(getEflags(m.cpu) & EFLAGS_ZF).toBe(EFLAGS_ZF);
    runN(m, 1); // EAX = 5, memory now 9
    expect(m.cpu.regs[EAX]).toBe(9);
    expect(rd32(m.cpu, MEM)).toBe(9);
    expect(getEflags(m.cpu) & EFLAGS_ZF).toBe(0);
  });

  it('CMPXCHG to a read-only segment faults even when the comparison fails (the destination is always written)', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.DS].setCache(0x10, 0, 0xffffffff, DATA_AR & ~AR_RW);
    poke(m.cpu, MEM, le32(1));
    m.cpu.regs[EAX] = 2;
    load(m.cpu, [0x0f, 0xb1, 0x0d, ...le32(MEM)]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    expect(m.faults[0].regs[EAX]).toBe(2);
  });

  it('CMPXCHG8B changes only ZF and swaps in ECX:EBX on a match, loads EDX:EAX otherwise', () => {
    const m = protectedMode();
    poke(m.cpu, MEM, [...le32(0x11111111), ...le32(0x22222222)]);
    m.cpu.regs[EAX] = 0x11111111;
    m.cpu.regs[EDX] = 0x22222222;
    m.cpu.regs[EBX] = 0x33333333;
    m.cpu.regs[ECX] = 0x44444444;
    load(m.cpu, [0xf9, 0x0f, 0xc7, 0x0d, ...le32(MEM), 0x0f, 0xc7, 0x0d, ...le32(MEM)]); // stc; cmpxchg8b ×2
    runN(m, 2);
    expect([rd32(m.cpu, MEM), rd32(m.cpu, MEM + 4)]).toEqual([0x33333333, 0x44444444]);
    expect(getEflags(m.cpu) & (EFLAGS_ZF | EFLAGS_CF)).toBe(EFLAGS_ZF | EFLAGS_CF);
    runN(m, 1);
    expect([m.cpu.regs[EAX], m.cpu.regs[EDX]]).toEqual([0x33333333, 0x44444444]);
    expect(getEflags(m.cpu) & (EFLAGS_ZF | EFLAGS_CF)).toBe(EFLAGS_CF);
  });

  it('CMPXCHG8B with a register operand is #UD', () => {
    const m = protectedMode();
    load(m.cpu, [0x0f, 0xc7, 0xc8]);
    runN(m, 1);
    expect(m.faults[0].vector).toBe(Vector.UD);
  });

  it('XADD with the same register twice leaves the sum; with memory swaps in the old value', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 21;
    m.cpu.regs[ECX] = 7;
    poke(m.cpu, MEM, le32(5));
    load(m.cpu, [0x0f, 0xc1, 0xc0, 0x0f, 0xc1, 0x0d, ...le32(MEM)]);
    runN(m, 2);
    expect(m.cpu.regs[EAX]).toBe(42);
    expect(rd32(m.cpu, MEM)).toBe(12);
    expect(m.cpu.regs[ECX]).toBe(5);
  });
});

describe('MOVZX / MOVSX', () => {
  it('extend bytes and words, high-byte registers included', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 0x0000f000;
    m.cpu.regs[EBX] = 0x00008001;
    m.cpu.regs[ECX] = 0xff;
    m.cpu.regs[EDX] = 0x12345678;
    load(m.cpu, [0x0f, 0xb6, 0xc4, 0x0f, 0xbf, 0xdb, 0x66, 0x0f, 0xbe, 0xd1]); // movzx eax,ah; movsx ebx,bx; movsx dx,cl
    runN(m, 3);
    expect(m.cpu.regs[EAX]).toBe(0xf0);
    expect(m.cpu.regs[EBX] >>> 0).toBe(0xffff8001);
    expect(m.cpu.regs[EDX] >>> 0).toBe(0x1234ffff);
  });
});
