import { describe, expect, it } from 'vitest';
import { Vector } from '../../../emulator/arch/exceptions';
import {
  EFLAGS_AC,
  EFLAGS_CF,
  EFLAGS_DF,
  EFLAGS_IF,
  EFLAGS_IOPL,
  EFLAGS_RF,
  EFLAGS_VM,
} from '../../../emulator/arch/eflags';
import { EAX } from '../../../emulator/cpu/cpu';
import { getEflags } from '../../../emulator/cpu/flags';
import { le32, load, protectedMode, rd16, rd32, realMode, runN, setIopl } from './xfer-fixture';

const IOPL3 = 3 << 12;

describe('status-flag and direction instructions', () => {
  it('CLC, STC and CMC act on CF after a lazily computed ADD', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 1;
    load(m.cpu, [0x04, 0xff, 0xf5, 0xf9, 0xf8]); // add al,0FFh (CF=1); cmc; stc; clc
    runN(m, 2);
    expect(getEflags(m.cpu) & EFLAGS_CF).toBe(0);
    runN(m, 1);
    expect(getEflags(m.cpu) & EFLAGS_CF).toBe(EFLAGS_CF);
    runN(m, 1);
    expect(getEflags(m.cpu) & EFLAGS_CF).toBe(0);
  });

  it('STD and CLD set and clear DF', () => {
    const m = protectedMode();
    load(m.cpu, [0xfd]);
    runN(m, 1);
    expect(getEflags(m.cpu) & EFLAGS_DF).toBe(EFLAGS_DF);
    load(m.cpu, [0xfc]);
    runN(m, 1);
    expect(getEflags(m.cpu) & EFLAGS_DF).toBe(0);
  });

  it('LAHF stores SF:ZF:0:AF:0:PF:1:CF; SAHF loads them back; SALC copies CF into AL', () => {
    const m = protectedMode();
    m.cpu.regs[EAX] = 1;
    load(m.cpu, [0x04, 0xff, 0x9f]); // add al,0FFh → ZF AF PF CF; lahf
    runN(m, 2);
    expect(m.cpu.regs[EAX]).toBe(0x5700);
    m.cpu.regs[EAX] = 0x8000; // AH = SF only
    load(m.cpu, [0x9e, 0xd6]); // sahf; salc
    runN(m, 2);
    expect(getEflags(m.cpu) & 0xff).toBe(0x82);
    expect(m.cpu.regs[EAX]).toBe(0x8000); // CF = 0 → AL = 0
  });
});

describe('CLI / STI', () => {
  it('CLI at CPL 3 with IOPL 0 raises #GP(0) and leaves IF set', () => {
    const m = protectedMode(3);
    m.cpu.flags |= EFLAGS_IF;
    load(m.cpu, [0xfa]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0, eip: 0x1000 });
    expect(m.faults[0].eflags & EFLAGS_IF).toBe(EFLAGS_IF);
  });

  it('CLI at CPL 3 with IOPL 3 clears IF', () => {
    const m = protectedMode(3);
    m.cpu.flags |= EFLAGS_IF;
    setIopl(m.cpu, 3);
    load(m.cpu, [0xfa]);
    runN(m, 1);
    expect(m.faults).toHaveLength(0);
    expect(getEflags(m.cpu) & EFLAGS_IF).toBe(0);
  });

  it('CLI in real mode is always allowed', () => {
    const m = realMode();
    m.cpu.flags |= EFLAGS_IF;
    load(m.cpu, [0xfa]);
    runN(m, 1);
    expect(getEflags(m.cpu) & EFLAGS_IF).toBe(0);
  });

  it('STI with IF = 0 opens the interrupt shadow for exactly the next instruction', () => {
    const m = protectedMode();
    load(m.cpu, [0x90, 0xfb, 0xfb]);
    runN(m, 1);
    const before = m.cpu.icount;
    runN(m, 1);
    expect(getEflags(m.cpu) & EFLAGS_IF).toBe(EFLAGS_IF);
    expect(m.cpu.shadowUntil).toBe(before + 1);
    runN(m, 1); // STI with IF already 1: no new shadow
    expect(m.cpu.shadowUntil).toBe(before + 1);
  });
});

describe('PUSHF / POPF', () => {
  it('PUSHFD hides VM and RF; PUSHF pushes the low word', () => {
    const m = protectedMode();
    m.cpu.flags |= EFLAGS_RF | EFLAGS_AC;
    load(m.cpu, [0x9c, 0x66, 0x9c]);
    runN(m, 2);
    expect(rd32(m.cpu, 0x7ffc)).toBe(EFLAGS_AC | 2);
    expect(rd16(m.cpu, 0x7ffa)).toBe(2);
  });

  it.each([1, 3])('POPFD at CPL %i with IOPL 0 changes neither IF nor IOPL, without a fault', (cpl) => {
    const m = protectedMode(cpl);
    load(m.cpu, [0x68, ...le32(EFLAGS_IF | IOPL3 | EFLAGS_CF), 0x9d]);
    runN(m, 2);
    expect(m.faults).toHaveLength(0);
    const f = getEflags(m.cpu);
    expect(f & (EFLAGS_IF | EFLAGS_IOPL)).toBe(0);
    expect(f & EFLAGS_CF).toBe(EFLAGS_CF); // the other bits still change
  });

  it('POPFD at CPL 1 with IOPL 1 changes IF but not IOPL', () => {
    const m = protectedMode(1);
    setIopl(m.cpu, 1);
    load(m.cpu, [0x68, ...le32(EFLAGS_IF | IOPL3), 0x9d]);
    runN(m, 2);
    expect(getEflags(m.cpu) & (EFLAGS_IF | EFLAGS_IOPL)).toBe(EFLAGS_IF | (1 << 12));
  });

  it('POPFD at CPL 0 changes IF and IOPL, clears RF and leaves VM', () => {
    const m = protectedMode(0);
    m.cpu.flags |= EFLAGS_RF;
    load(m.cpu, [0x68, ...le32(EFLAGS_IF | IOPL3 | EFLAGS_VM | EFLAGS_RF | EFLAGS_AC), 0x9d]);
    runN(m, 2);
    expect(getEflags(m.cpu) & (EFLAGS_IF | EFLAGS_IOPL | EFLAGS_VM | EFLAGS_RF | EFLAGS_AC)).toBe(EFLAGS_IF | IOPL3 | EFLAGS_AC);
  });

  it('POPF with a 16-bit operand size changes only bits 15:0 (AC survives)', () => {
    const m = protectedMode(0);
    m.cpu.flags |= EFLAGS_AC;
    load(m.cpu, [0x66, 0x68, 0x01, 0x00, 0x66, 0x9d]); // push word 1; popf
    runN(m, 2);
    expect(getEflags(m.cpu)).toBe(EFLAGS_AC | EFLAGS_CF | 2);
  });

  it('POPF in real mode can set IOPL', () => {
    const m = realMode();
    m.cpu.regs[4] = 0x100;
    load(m.cpu, [0x68, 0x00, 0x30, 0x9d]); // push 3000h; popf
    runN(m, 2);
    expect(getEflags(m.cpu) & EFLAGS_IOPL).toBe(IOPL3);
  });
});
