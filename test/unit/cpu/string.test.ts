import { describe, expect, it } from 'vitest';
import { Vector } from '../../../emulator/arch/exceptions';
import { EFLAGS_CF, EFLAGS_ZF } from '../../../emulator/arch/eflags';
import { SegReg } from '../../../emulator/arch/segments';
import { EAX, ECX, EDI, ESI } from '../../../emulator/cpu/cpu';
import { getEflags } from '../../../emulator/cpu/flags';
import { REP_CHUNK } from '../../../emulator/cpu/instructions/string';
import { DATA_AR, load, poke, protectedMode, rd32, rd8, runN } from './xfer-fixture';

const bytesOf = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

describe('REP MOVS chunking', () => {
  it('runs at most REP_CHUNK iterations per execution, points EIP back, and finishes on re-execution', () => {
    const m = protectedMode();
    const n = 3000;
    const src = Array.from({ length: n }, (_, k) => (k * 7) & 0xff);
    poke(m.cpu, 0x10000, src);
    m.cpu.regs[ESI] = 0x10000;
    m.cpu.regs[EDI] = 0x20000;
    m.cpu.regs[ECX] = n;
    load(m.cpu, [0xf3, 0xa4]);
    runN(m, 1);
    expect(m.cpu.regs[ECX]).toBe(n - REP_CHUNK);
    expect(m.cpu.regs[ESI]).toBe(0x10000 + REP_CHUNK);
    expect(m.cpu.eip).toBe(0x1000);
    runN(m, 2);
    expect(m.cpu.regs[ECX]).toBe(0);
    expect(m.cpu.eip).toBe(0x1002);
    expect(Array.from(m.cpu.memory.readBytes(0x20000, n))).toEqual(src);
  });

  it('F2 acts as REP for MOVS', () => {
    const m = protectedMode();
    poke(m.cpu, 0x3000, [1, 2, 3]);
    m.cpu.regs[ESI] = 0x3000;
    m.cpu.regs[EDI] = 0x3100;
    m.cpu.regs[ECX] = 3;
    load(m.cpu, [0xf2, 0xa4]);
    runN(m, 1);
    expect(Array.from(m.cpu.memory.readBytes(0x3100, 3))).toEqual([1, 2, 3]);
  });

  it('with a count of zero does nothing, not even a flag change for REPE CMPS', () => {
    const m = protectedMode();
    m.cpu.regs[ESI] = 0x3000;
    m.cpu.regs[EDI] = 0x3100;
    load(m.cpu, [0xf9, 0xf3, 0xa6, 0xf3, 0xa4]); // stc; repe cmpsb; rep movsb
    runN(m, 3);
    expect(getEflags(m.cpu) & EFLAGS_CF).toBe(EFLAGS_CF);
    expect([m.cpu.regs[ESI], m.cpu.regs[EDI]]).toEqual([0x3000, 0x3100]);
  });
});

describe('string direction, sizes and segments', () => {
  it('REP STOSD with DF = 1 walks downwards by 4', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 0x11223344;
    m.cpu.regs[EDI] = 0x2008;
    m.cpu.regs[ECX] = 3;
    load(m.cpu, [0xfd, 0xf3, 0xab]);
    runN(m, 2);
    expect([rd32(m.cpu, 0x2000), rd32(m.cpu, 0x2004), rd32(m.cpu, 0x2008)]).toEqual([0x11223344, 0x11223344, 0x11223344]);
    expect(m.cpu.regs[EDI]).toBe(0x1ffc);
  });

  it('a segment override applies to the source; the ES destination cannot be overridden', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.FS].setCache(0x18, 0x3000, 0xffff, DATA_AR);
    poke(m.cpu, 0x3010, [0x5a]);
    m.cpu.regs[ESI] = 0x10;
    m.cpu.regs[EDI] = 0x4000;
    m.cpu.regs[EAX] = 0x77;
    load(m.cpu, [0x64, 0xa4, 0x64, 0xaa]); // movsb fs:[esi]; stosb with an FS prefix
    runN(m, 2);
    expect(rd8(m.cpu, 0x4000)).toBe(0x5a);
    expect(rd8(m.cpu, 0x4001)).toBe(0x77); // ES:EDI, not FS:EDI (which would be 7001h)
    expect(rd8(m.cpu, 0x7001)).toBe(0);
  });

  it('a 16-bit address size uses SI/DI/CX and wraps SI at 64 KiB', () => {
    const m = protectedMode();
    poke(m.cpu, 0xffff, [0xaa]);
    poke(m.cpu, 0x0000, [0xbb]);
    m.cpu.regs[ESI] = 0x1234ffff;
    m.cpu.regs[EDI] = 0x100;
    m.cpu.regs[ECX] = 0x50002;
    load(m.cpu, [0x67, 0xf3, 0xa4], 0x1000);
    runN(m, 1);
    expect(Array.from(m.cpu.memory.readBytes(0x100, 2))).toEqual([0xaa, 0xbb]);
    expect(m.cpu.regs[ESI]).toBe(0x12340001);
    expect(m.cpu.regs[ECX]).toBe(0x50000);
  });
});

describe('REPE / REPNE', () => {
  it('REPE CMPSB stops after the first difference with ZF = 0', () => {
    const m = protectedMode();
    poke(m.cpu, 0x3000, bytesOf('abcX'));
    poke(m.cpu, 0x3100, bytesOf('abcY'));
    m.cpu.regs[ESI] = 0x3000;
    m.cpu.regs[EDI] = 0x3100;
    m.cpu.regs[ECX] = 10;
    load(m.cpu, [0xf3, 0xa6]);
    runN(m, 1);
    expect(m.cpu.regs[ECX]).toBe(6);
    expect(m.cpu.regs[ESI]).toBe(0x3004);
    expect(getEflags(m.cpu) & EFLAGS_ZF).toBe(0);
    expect(m.cpu.eip).toBe(0x1002);
  });

  it('REPNE SCASB stops on the first match with ZF = 1', () => {
    const m = protectedMode();
    poke(m.cpu, 0x3000, bytesOf('hello'));
    m.cpu.regs[EDI] = 0x3000;
    m.cpu.regs[ECX] = 5;
    m.cpu.regs[EAX] = 'l'.charCodeAt(0);
    load(m.cpu, [0xf2, 0xae]);
    runN(m, 1);
    expect(m.cpu.regs[ECX]).toBe(2);
    expect(m.cpu.regs[EDI]).toBe(0x3003);
    expect(getEflags(m.cpu) & EFLAGS_ZF).toBe(EFLAGS_ZF);
  });
});

describe('a fault inside REP', () => {
  it('keeps the completed iterations and restarts at the instruction', () => {
    const m = protectedMode();
    m.cpu.segs[SegReg.ES].setCache(0x10, 0, 0x2003, DATA_AR & ~0x8000);
    m.cpu.regs[EDI] = 0x2000;
    m.cpu.regs[ECX] = 10;
    m.cpu.regs[EAX] = 0xee;
    load(m.cpu, [0xf3, 0xaa]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0, eip: 0x1000 });
    expect(m.faults[0].regs[ECX]).toBe(6);
    expect(m.faults[0].regs[EDI]).toBe(0x2004);
    expect(Array.from(m.cpu.memory.readBytes(0x2000, 5))).toEqual([0xee, 0xee, 0xee, 0xee, 0]);
  });
});
