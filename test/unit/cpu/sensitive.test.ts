import { describe, expect, it } from 'vitest';
import { EFLAGS_IF } from '../../../emulator/arch/eflags';
import { Vector } from '../../../emulator/arch/exceptions';
import { SegReg } from '../../../emulator/arch/segments';
import type { SensitiveEvent } from '../../../emulator/cpu/sensitive';
import { getEflags, setEflagsBits } from '../../../emulator/cpu/flags';
import { KDATA, le32 as dle32, Machine, STACK3, UCODE, UDATA } from './descriptor-machine';
import { CODE, le32, load, protectedMode, realMode, runN, setIopl } from './xfer-fixture';

/** Collect the events of `cpu.hooks.onSensitive`. */
function record(cpu: { hooks: { onSensitive?: (c: never, e: SensitiveEvent) => void } }): SensitiveEvent[] {
  const seen: SensitiveEvent[] = [];
  cpu.hooks.onSensitive = (_c, e) => seen.push(e);
  return seen;
}

/** Descriptor-table machine at `cpl`, EIP 5000h. */
function pm(cpl: number): Machine {
  const m = new Machine().protectedMode(cpl);
  m.cpu.eip = 0x5000;
  return m;
}

describe('CpuHooks.onSensitive on the bare CPU', () => {
  it('PUSH CS at CPL 3 reports ring aliasing with the selector and its RPL, at the instruction EIP (through the executor)', () => {
    const m = protectedMode(3);
    const seen = record(m.cpu);
    load(m.cpu, [0x90, 0x0e, 0x90]); // nop; push cs; nop
    runN(m, 3);
    expect(seen).toEqual([{ kind: 'ring-aliasing', mnemonic: 'PUSH CS', eip: CODE + 1, linearEip: CODE + 1, details: { selector: 0x0b, rpl: 3 } }]);
  });

  it('MOV EAX, CS and MOV [mem], SS report ring aliasing; MOV AX, DS and PUSH DS report nothing', () => {
    const m = protectedMode(3);
    const seen = record(m.cpu);
    load(m.cpu, [0x8c, 0xc8, 0x8c, 0x15, ...le32(0x7000), 0x8c, 0xd8, 0x1e]); // mov eax,cs; mov [7000h],ss; mov eax,ds; push ds
    runN(m, 4);
    expect(seen.map((e) => [e.kind, e.mnemonic, e.eip, e.details.rpl])).toEqual([
      ['ring-aliasing', 'MOV r/m, CS', CODE, 3],
      ['ring-aliasing', 'MOV r/m, SS', CODE + 2, 3],
    ]);
  });

  it('PUSH CS in real mode reports nothing (CS is a paragraph, not a selector)', () => {
    const m = realMode();
    const seen = record(m.cpu);
    m.cpu.regs[4] = 0x8000;
    load(m.cpu, [0x0e]);
    runN(m, 1);
    expect(m.faults).toHaveLength(0);
    expect(seen).toEqual([]);
  });

  it('SGDT and SIDT report a privileged-state read with the base and limit revealed', () => {
    const m = protectedMode(3);
    m.cpu.gdtr.base = 0x12340;
    m.cpu.gdtr.limit = 0x2f;
    m.cpu.idtr.base = 0x56780;
    m.cpu.idtr.limit = 0x7ff;
    const seen = record(m.cpu);
    load(m.cpu, [0x0f, 0x01, 0x05, ...le32(0x7000), 0x0f, 0x01, 0x0d, ...le32(0x7008)]); // sgdt [7000h]; sidt [7008h]
    runN(m, 2);
    expect(seen).toEqual([
      { kind: 'privileged-state-read', mnemonic: 'SGDT', eip: CODE, linearEip: CODE, details: { base: 0x12340, limit: 0x2f } },
      { kind: 'privileged-state-read', mnemonic: 'SIDT', eip: CODE + 7, linearEip: CODE + 7, details: { base: 0x56780, limit: 0x7ff } },
    ]);
  });

  it('SGDT that faults (operand beyond the DS limit) reports nothing', () => {
    const m = protectedMode(3);
    m.cpu.segs[SegReg.DS].setCache(0x13, 0, 0x6fff, m.cpu.segs[SegReg.DS].ar);
    const seen = record(m.cpu);
    load(m.cpu, [0x0f, 0x01, 0x05, ...le32(0x7000)]);
    runN(m, 1);
    expect(m.faults[0].vector).toBe(Vector.GP);
    expect(seen).toEqual([]);
  });

  it('SMSW, SLDT and STR report the value they revealed', () => {
    const m = pm(3);
    const seen = record(m.cpu);
    expect(m.exec([0x0f, 0x01, 0xe0])).toBeNull(); // smsw eax
    expect(m.exec([0x0f, 0x00, 0xc1])).toBeNull(); // sldt ecx
    expect(m.exec([0x0f, 0x00, 0xca])).toBeNull(); // str edx
    expect(seen.map((e) => [e.kind, e.mnemonic, e.eip, e.details.value])).toEqual([
      ['privileged-state-read', 'SMSW', 0x5000, m.cpu.cr0 >>> 0],
      ['privileged-state-read', 'SLDT', 0x5003, m.cpu.ldtr.selector],
      ['privileged-state-read', 'STR', 0x5006, m.cpu.tr.selector],
    ]);
  });

  it('SMSW ending exactly at the end of a 16-bit code segment reports EIP FFFDh (offsets wrap at 64 KiB)', () => {
    const m = realMode();
    const seen = record(m.cpu);
    m.cpu.segs[SegReg.CS].setCache(0x1000, 0x10000, 0xffff, m.cpu.segs[SegReg.CS].ar);
    m.cpu.memory.writeBytes(0x1fffd, Uint8Array.from([0x0f, 0x01, 0xe0])); // smsw ax
    m.cpu.eip = 0xfffd;
    runN(m, 1);
    expect(seen.map((e) => [e.mnemonic, e.eip, e.linearEip])).toEqual([['SMSW', 0xfffd, 0x1fffd]]);
  });

  it('LAR, LSL, VERR and VERW report a descriptor query with the selector, ZF and the value loaded', () => {
    const m = pm(3);
    const seen = record(m.cpu);
    m.cpu.regs[1] = UDATA;
    m.cpu.regs[3] = KDATA;
    expect(m.exec([0x0f, 0x02, 0xc1])).toBeNull(); // lar eax, cx
    expect(m.exec([0x0f, 0x03, 0xc3])).toBeNull(); // lsl eax, bx (DPL 0 at CPL 3: ZF = 0)
    expect(m.exec([0x0f, 0x00, 0xe1])).toBeNull(); // verr cx
    expect(m.exec([0x0f, 0x00, 0xeb])).toBeNull(); // verw bx
    expect(seen.map((e) => [e.kind, e.mnemonic, e.details.selector, e.details.zf, e.details.value])).toEqual([
      ['descriptor-query', 'LAR', UDATA, true, m.descriptorHigh(UDATA) & 0x00f0ff00],
      ['descriptor-query', 'LSL', KDATA, false, -1],
      ['descriptor-query', 'VERR', UDATA, true, -1],
      ['descriptor-query', 'VERW', KDATA, false, -1],
    ]);
    expect(seen.map((e) => e.eip)).toEqual([0x5000, 0x5003, 0x5006, 0x5009]);
  });

  it('POPFD at CPL 3 with IOPL 0 reports popf-if-ignored only when the popped IF differs from EFLAGS.IF', () => {
    const m = protectedMode(3);
    setEflagsBits(m.cpu, EFLAGS_IF, EFLAGS_IF);
    const seen = record(m.cpu);
    // push 202h; popfd (same IF: nothing); push 2; popfd (IF 0 ignored: reported)
    load(m.cpu, [0x68, ...le32(0x202), 0x9d, 0x68, ...le32(2), 0x9d]);
    runN(m, 4);
    expect(getEflags(m.cpu) & EFLAGS_IF).toBe(EFLAGS_IF);
    expect(seen).toEqual([{ kind: 'popf-if-ignored', mnemonic: 'POPFD', eip: CODE + 11, linearEip: CODE + 11, details: { poppedIf: false, if: true } }]);
  });

  it('POPFD that may change IF (CPL <= IOPL, or CPL 0) reports nothing', () => {
    for (const [cpl, iopl] of [[0, 0], [3, 3]]) {
      const m = protectedMode(cpl);
      setIopl(m.cpu, iopl);
      const seen = record(m.cpu);
      load(m.cpu, [0x68, ...le32(0x202 | (iopl << 12)), 0x9d]);
      runN(m, 2);
      expect(getEflags(m.cpu) & EFLAGS_IF).toBe(EFLAGS_IF);
      expect(seen).toEqual([]);
    }
  });

  it('POPFD compares against CpuHooks.virtualIf when the observer provides it', () => {
    const m = protectedMode(1);
    setEflagsBits(m.cpu, EFLAGS_IF, EFLAGS_IF);
    const seen = record(m.cpu);
    m.cpu.hooks.virtualIf = () => false; // a VMM's virtual IF is clear; the host IF is set
    load(m.cpu, [0x68, ...le32(0x202), 0x66, 0x9d]); // push 202h; popf (16-bit)
    runN(m, 2);
    expect(seen.map((e) => [e.mnemonic, e.eip, e.details.poppedIf, e.details.if])).toEqual([['POPF', CODE + 5, true, false]]);
  });

  it('PUSHFD at CPL 1 reports pushf-if-revealed only when the pushed IF differs from CpuHooks.virtualIf', () => {
    const m = protectedMode(1);
    setEflagsBits(m.cpu, EFLAGS_IF, EFLAGS_IF);
    const seen = record(m.cpu);
    load(m.cpu, [0x9c, 0x9c]); // pushfd; pushfd
    runN(m, 1); // no virtualIf: the believed IF is EFLAGS.IF, which PUSHF shows faithfully
    m.cpu.hooks.virtualIf = () => false;
    runN(m, 1);
    expect(seen).toEqual([{ kind: 'pushf-if-revealed', mnemonic: 'PUSHFD', eip: CODE + 1, linearEip: CODE + 1, details: { pushedIf: true, if: false } }]);
  });

  it('PUSHF at CPL 0 reports nothing even when virtualIf differs (the kernel sees its own IF)', () => {
    const m = protectedMode(0);
    setEflagsBits(m.cpu, EFLAGS_IF, EFLAGS_IF);
    const seen = record(m.cpu);
    m.cpu.hooks.virtualIf = () => false;
    load(m.cpu, [0x9c]);
    runN(m, 1);
    expect(seen).toEqual([]);
  });

  it('IRET to the same ring at CPL 3 with IOPL 0 reports iret-if-ignored at the IRET, not at its target', () => {
    const m = pm(3);
    setEflagsBits(m.cpu, 0, EFLAGS_IF);
    const seen = record(m.cpu);
    m.cpu.regs[4] = STACK3 - 12;
    m.poke(STACK3 - 12, [...dle32(0x6000), ...dle32(UCODE), ...dle32(0x202)]);
    expect(m.exec([0xcf])).toBeNull();
    expect(m.cpu.eip).toBe(0x6000);
    expect(getEflags(m.cpu) & EFLAGS_IF).toBe(0);
    expect(seen).toEqual([{ kind: 'iret-if-ignored', mnemonic: 'IRETD', eip: 0x5000, linearEip: 0x5000, details: { poppedIf: true, if: false } }]);
  });

  it('IRET whose popped IF equals the current IF reports nothing', () => {
    const m = pm(3);
    setEflagsBits(m.cpu, 0, EFLAGS_IF);
    const seen = record(m.cpu);
    m.cpu.regs[4] = STACK3 - 12;
    m.poke(STACK3 - 12, [...dle32(0x6000), ...dle32(UCODE), ...dle32(0x2)]);
    expect(m.exec([0xcf])).toBeNull();
    expect(seen).toEqual([]);
  });

  it('without a hook nothing is reported and the instructions behave as before', () => {
    const m = protectedMode(3);
    expect(m.cpu.hooks.onSensitive).toBeUndefined();
    load(m.cpu, [0x0e, 0x0f, 0x01, 0x05, ...le32(0x7000), 0x68, ...le32(2), 0x9d]);
    runN(m, 4);
    expect(m.faults).toHaveLength(0);
    expect(m.cpu.memory.read16(0x7000)).toBe(m.cpu.gdtr.limit);
    expect(m.cpu.eip).toBe(CODE + 14);
  });
});
