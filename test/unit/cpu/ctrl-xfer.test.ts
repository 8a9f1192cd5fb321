import { describe, expect, it } from 'vitest';
import { Vector } from '../../../emulator/arch/exceptions';
import { SegReg } from '../../../emulator/arch/segments';
import { EAX, ECX, ESP } from '../../../emulator/cpu/cpu';
import { CODE32_AR, le32, load, poke, protectedMode, rd32, realMode, runN } from './xfer-fixture';

describe('Jcc and JMP', () => {
  it('JE rel8 is taken when ZF = 1 and falls through when ZF = 0', () => {
    const m = protectedMode();
    load(m.cpu, [0x39, 0xc0, 0x74, 0x10]); // cmp eax,eax; je +10h
    runN(m, 2);
    expect(m.cpu.eip).toBe(0x1014);
    m.cpu.regs[ECX] = 1;
    load(m.cpu, [0x85, 0xc9, 0x74, 0x10]); // test ecx,ecx; je +10h
    runN(m, 2);
    expect(m.cpu.eip).toBe(0x1004);
  });

  it('a 16-bit relative jump wraps IP at 64 KiB', () => {
    const m = realMode();
    load(m.cpu, [0xeb, 0x05], 0xfffd); // jmp short +5 from IP FFFFh
    runN(m, 1);
    expect(m.cpu.eip).toBe(0x0004);
  });

  it('a 16-bit operand size truncates the target in 32-bit code (66 E9)', () => {
    const m = protectedMode();
    load(m.cpu, [0x66, 0xe9, 0x00, 0xe0]); // jmp rel16 -2000h from 1004h → FFFF_F004h → F004h
    runN(m, 1);
    expect(m.cpu.eip).toBe(0xf004);
  });

  it('a target beyond the CS limit is #GP(0) at the branch, EIP unchanged', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.CS].setCache(0x08, 0, 0x1fff, CODE32_AR & ~0x8000);
    load(m.cpu, [0xe9, ...le32(0x1000)]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0, eip: 0x1000 });
  });

  it('JMP r16 (66 FF E0) zero-extends AX into EIP', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 0x12343000;
    load(m.cpu, [0x66, 0xff, 0xe0]);
    runN(m, 1);
    expect(m.cpu.eip).toBe(0x3000);
  });
});

describe('CALL and RET', () => {
  it('CALL rel32 pushes the return address; RET imm16 pops it and releases the parameters', () => {
    const m = protectedMode();
    load(m.cpu, [0xe8, ...le32(0x100)]); // call 1105h
    poke(m.cpu, 0x1105, [0xc2, 0x08, 0x00]); // ret 8
    runN(m, 1);
    expect(m.cpu.eip).toBe(0x1105);
    expect(rd32(m.cpu, 0x7ffc)).toBe(0x1005);
    runN(m, 1);
    expect(m.cpu.eip).toBe(0x1005);
    expect(m.cpu.regs[ESP]).toBe(0x8008);
  });

  it('CALL [ESP] reads the target through ESP before pushing', () => {
    const m = protectedMode();
    poke(m.cpu, 0x8000, le32(0x3000));
    load(m.cpu, [0xff, 0x14, 0x24]);
    runN(m, 1);
    expect(m.cpu.eip).toBe(0x3000);
    expect(rd32(m.cpu, 0x7ffc)).toBe(0x1003);
  });

  it('RET to an address beyond the CS limit is #GP(0) and leaves ESP', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.CS].setCache(0x08, 0, 0x1fff, CODE32_AR & ~0x8000);
    poke(m.cpu, 0x8000, le32(0x2000));
    load(m.cpu, [0xc3]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0, eip: 0x1000 });
    expect(m.faults[0].regs[ESP]).toBe(0x8000);
  });
});

describe('LOOP and JCXZ', () => {
  it('LOOP with a 16-bit address size counts in CX and keeps the high half of ECX', () => {
    const m = protectedMode();
    m.cpu.regs[ECX] = 0x00010001;
    load(m.cpu, [0x67, 0xe2, 0x10]);
    runN(m, 1);
    expect(m.cpu.regs[ECX]).toBe(0x00010000);
    expect(m.cpu.eip).toBe(0x1003); // CX became 0: not taken
  });

  it('LOOPE stops when ZF = 0 even if the count is not exhausted', () => {
    const m = protectedMode();
    m.cpu.regs[ECX] = 5;
    m.cpu.regs[EAX] = 1;
    load(m.cpu, [0x85, 0xc0, 0xe1, 0x10]); // test eax,eax (ZF=0); loope
    runN(m, 2);
    expect(m.cpu.regs[ECX]).toBe(4);
    expect(m.cpu.eip).toBe(0x1004);
  });

  it('a taken LOOP beyond the CS limit faults before decrementing ECX', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.CS].setCache(0x08, 0, 0x1010, CODE32_AR & ~0x8000);
    m.cpu.regs[ECX] = 3;
    load(m.cpu, [0xe2, 0x70]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, eip: 0x1000 });
    expect(m.faults[0].regs[ECX]).toBe(3);
  });

  it('JCXZ with an address-size prefix tests CX, JECXZ tests all of ECX', () => {
    const m = protectedMode();
    m.cpu.regs[ECX] = 0x10000;
    load(m.cpu, [0x67, 0xe3, 0x20]); // jcxz
    runN(m, 1);
    expect(m.cpu.eip).toBe(0x1023);
    load(m.cpu, [0xe3, 0x20]); // jecxz
    runN(m, 1);
    expect(m.cpu.eip).toBe(0x1002);
  });
});

describe('BOUND', () => {
  it('passes inside the signed bounds and raises #BR outside them', () => {
    const m = protectedMode();
    poke(m.cpu, 0x2000, [...le32(-5), ...le32(10)]);
    m.cpu.regs[EAX] = 10;
    load(m.cpu, [0x62, 0x05, ...le32(0x2000)]);
    runN(m, 1);
    expect(m.faults).toHaveLength(0);
    m.cpu.regs[EAX] = -6;
    load(m.cpu, [0x62, 0x05, ...le32(0x2000)]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.BR, eip: 0x1000 });
  });

  it('compares 16-bit bounds as signed words', () => {
    const m = protectedMode();
    poke(m.cpu, 0x2000, [0x00, 0x80, 0xff, 0x7f]); // [-32768, 32767]
    m.cpu.regs[EAX] = 0x12348000; // AX = -32768
    load(m.cpu, [0x66, 0x62, 0x05, ...le32(0x2000)]);
    runN(m, 1);
    expect(m.faults).toHaveLength(0);
  });
});
