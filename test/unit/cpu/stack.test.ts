import { describe, expect, it } from 'vitest';
import { Vector } from '../../../emulator/arch/exceptions';
import { AR_DC, SegReg } from '../../../emulator/arch/segments';
import { EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP } from '../../../emulator/cpu/cpu';
import { DATA_AR, le16, le32, load, poke, protectedMode, rd16, rd32, realMode, runN } from './xfer-fixture';

describe('PUSH and POP', () => {
  it('PUSH ESP pushes the value ESP had before the push', () => {
    const m = protectedMode();
    load(m.cpu, [0x54]);
    runN(m, 1);
    expect(rd32(m.cpu, 0x7ffc)).toBe(0x8000);
    expect(m.cpu.regs[ESP]).toBe(0x7ffc);
  });

  it('POP ESP leaves ESP holding the popped value', () => {
    const m = protectedMode();
    poke(m.cpu, 0x8000, le32(0x1234));
    load(m.cpu, [0x5c]);
    runN(m, 1);
    expect(m.cpu.regs[ESP]).toBe(0x1234);
  });

  it('a PUSH that faults (#SS beyond the SS limit) leaves ESP and memory unchanged', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.SS].setCache(0x10, 0, 0x7fff, DATA_AR & ~0x8000); // byte-granular limit 7FFFh
    m.cpu.regs[ESP] = 0x8002;
    m.cpu.regs[EAX] = 0x55;
    load(m.cpu, [0x50]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.SS, errorCode: 0, eip: 0x1000 });
    expect(m.faults[0].regs[ESP]).toBe(0x8002);
    expect(rd16(m.cpu, 0x7ffe)).toBe(0);
  });

  it('PUSH imm8 sign-extends to the operand size; a 16-bit PUSH moves ESP by 2', () => {
    const m = protectedMode();
    load(m.cpu, [0x6a, 0xfe, 0x66, 0x6a, 0x80]);
    runN(m, 2);
    expect(rd32(m.cpu, 0x7ffc) >>> 0).toBe(0xfffffffe);
    expect(rd16(m.cpu, 0x7ffa)).toBe(0xff80);
    expect(m.cpu.regs[ESP]).toBe(0x7ffa);
  });

  it('POP m32 with an ESP base computes the address after incrementing ESP', () => {
    const m = protectedMode();
    poke(m.cpu, 0x8000, le32(0xcafebabe));
    load(m.cpu, [0x8f, 0x44, 0x24, 0x04]); // pop dword [esp+4]
    runN(m, 1);
    expect(m.cpu.regs[ESP]).toBe(0x8004);
    expect(rd32(m.cpu, 0x8008)).toBe(0xcafebabe);
    expect(rd32(m.cpu, 0x8004)).toBe(0);
  });

  it('PUSH m32 with an ESP base reads through ESP before the decrement', () => {
    const m = protectedMode();
    poke(m.cpu, 0x8004, le32(0x600d));
    load(m.cpu, [0xff, 0x74, 0x24, 0x04]); // push dword [esp+4]
    runN(m, 1);
    expect(rd32(m.cpu, 0x7ffc)).toBe(0x600d);
  });
});

describe('PUSHA / POPA', () => {
  it('POPAD restores every register but ESP, which just moves past the frame', () => {
    const m = protectedMode();
    const vals = [0x10, 0x11, 0x12, 0x13, 0x8000, 0x15, 0x16, 0x17];
    vals.forEach((v, r) => (m.cpu.regs[r] = v));
    load(m.cpu, [0x60, 0x31, 0xc0, 0x31, 0xdb, 0x61]); // pushad; xor eax,eax; xor ebx,ebx; popad
    runN(m, 1);
    expect(m.cpu.regs[ESP]).toBe(0x8000 - 32);
    expect(rd32(m.cpu, 0x8000 - 20)).toBe(0x8000); // the saved ESP slot
    poke(m.cpu, 0x8000 - 20, le32(0x4444)); // must be ignored by POPAD
    runN(m, 3);
    expect([EAX, ECX, EDX, EBX, EBP, ESI, EDI].map((r) => m.cpu.regs[r])).toEqual([0x10, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17]);
    expect(m.cpu.regs[ESP]).toBe(0x8000);
  });

  it('a PUSHAD whose last slots fault writes nothing and leaves ESP (all-or-nothing)', () => {
    const m = protectedMode();
    // Expand-down stack: valid offsets 1000h..FFFFFFFFh.
    m.cpu.segs[SegReg.SS].setCache(0x10, 0, 0x0fff, (DATA_AR & ~0x8000) | AR_DC);
    m.cpu.regs[ESP] = 0x1010;
    poke(m.cpu, 0x1000, new Array(16).fill(0xcc));
    load(m.cpu, [0x60]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.SS, errorCode: 0 });
    expect(m.faults[0].regs[ESP]).toBe(0x1010);
    expect(rd32(m.cpu, 0x100c) >>> 0).toBe(0xcccccccc);
  });

  it('PUSHA with a 16-bit operand size pushes words, SP as it was', () => {
    const m = realMode();
    m.cpu.regs[ESP] = 0x100;
    m.cpu.regs[EAX] = 0xaaaa1111;
    load(m.cpu, [0x60]);
    runN(m, 1);
    expect(m.cpu.regs[ESP]).toBe(0xf0);
    expect(rd16(m.cpu, 0xfe)).toBe(0x1111);
    expect(rd16(m.cpu, 0xf6)).toBe(0x100);
  });
});

describe('ENTER / LEAVE', () => {
  it('ENTER 8, 3 copies two enclosing frame pointers and pushes the new frame pointer', () => {
    const m = protectedMode();
    m.cpu.regs[EBP] = 0x9000;
    poke(m.cpu, 0x8ff8, [...le32(0xbbbb), ...le32(0xaaaa)]); // [EBP-8], [EBP-4]
    load(m.cpu, [0xc8, 0x08, 0x00, 0x03]);
    runN(m, 1);
    expect(rd32(m.cpu, 0x7ffc)).toBe(0x9000); // old EBP
    expect(rd32(m.cpu, 0x7ff8)).toBe(0xaaaa); // [old EBP - 4]
    expect(rd32(m.cpu, 0x7ff4)).toBe(0xbbbb); // [old EBP - 8]
    expect(rd32(m.cpu, 0x7ff0)).toBe(0x7ffc); // FrameTemp
    expect(m.cpu.regs[EBP]).toBe(0x7ffc);
    expect(m.cpu.regs[ESP]).toBe(0x7ff0 - 8);
  });

  it('ENTER whose final stack pointer is outside SS faults before pushing anything', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.SS].setCache(0x10, 0, 0x7fef, (DATA_AR & ~0x8000) | AR_DC); // valid ≥ 7FF0h
    m.cpu.regs[EBP] = 0x1234;
    load(m.cpu, [0xc8, 0x10, 0x00, 0x00]); // enter 16, 0
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.SS, errorCode: 0 });
    expect(m.faults[0].regs[ESP]).toBe(0x8000);
    expect(m.faults[0].regs[EBP]).toBe(0x1234);
    expect(rd32(m.cpu, 0x7ffc)).toBe(0);
  });

  it('ENTER with a 16-bit operand on a 16-bit stack replaces BP and SP only', () => {
    const m = realMode();
    m.cpu.regs[ESP] = 0x55550100;
    m.cpu.regs[EBP] = 0x66660200;
    load(m.cpu, [0xc8, 0x04, 0x00, 0x01]); // enter 4, 1
    runN(m, 1);
    expect(rd16(m.cpu, 0xfe)).toBe(0x200);
    expect(rd16(m.cpu, 0xfc)).toBe(0xfe);
    expect(m.cpu.regs[EBP] >>> 0).toBe(0x666600fe);
    expect(m.cpu.regs[ESP] >>> 0).toBe(0x555500f8);
  });

  it('LEAVE on a 16-bit stack sets SP from BP and pops BP, keeping the high halves', () => {
    const m = realMode();
    m.cpu.regs[ESP] = 0xabcd0100;
    m.cpu.regs[EBP] = 0x12340200;
    poke(m.cpu, 0x200, le16(0x4321));
    load(m.cpu, [0xc9]);
    runN(m, 1);
    expect(m.cpu.regs[ESP] >>> 0).toBe(0xabcd0202);
    expect(m.cpu.regs[EBP] >>> 0).toBe(0x12344321);
  });
});
