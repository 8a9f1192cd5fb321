import { describe, expect, it } from 'vitest';
import { Vector } from '../../../emulator/arch/exceptions';
import { AR_P, SegReg, SystemType } from '../../../emulator/arch/segments';
import { EAX, ECX, EDI, EDX, ESI, type Cpu } from '../../../emulator/cpu/cpu';
import { run } from '../../../emulator/cpu/executor';
import { TSS32_IOMAP_BASE } from '../../../emulator/cpu/instructions/io';
import { DATA_AR, le16, load, poke, protectedMode, realMode, runN, setIopl, type Machine } from './xfer-fixture';

/** A device on ports 60h–6Fh that logs accesses and answers reads with a counter. */
function attachDevice(cpu: Cpu) {
  const log: string[] = [];
  let next = 0x40;
  cpu.io.register(0x60, 0x10, 'test device', {
    in: (port, size) => {
      log.push(`in ${port.toString(16)}/${size}`);
      return next++;
    },
    out: (port, size, value) => void log.push(`out ${port.toString(16)}/${size}=${(value >>> 0).toString(16)}`),
  });
  return log;
}

const TSS = 0x5000;
const MAP = 0x68;

/** A 32-bit TSS at 5000h whose I/O bitmap (at TSS+68h) denies everything except `allowed`; limit covers `mapBytes` bytes of it. */
function installTss(cpu: Cpu, allowed: number[], mapBytes = 0x2001, type = SystemType.TSS32_BUSY): void {
  poke(cpu, TSS + TSS32_IOMAP_BASE, le16(MAP));
  poke(cpu, TSS + MAP, new Array(0x2001).fill(0xff));
  for (const p of allowed) {
    const a = TSS + MAP + (p >>> 3);
    cpu.memory.write8(a, cpu.memory.read8(a) & ~(1 << (p & 7)));
  }
  cpu.tr.setCache(0x28, TSS, MAP + mapBytes - 1, AR_P | type);
}

function user(): Machine & { log: string[] } {
  const m = protectedMode(3);
  return { ...m, log: attachDevice(m.cpu) };
}

describe('IN / OUT', () => {
  it('in real mode access any port, sized by the opcode and operand size', () => {
    const m = realMode();
    const log = attachDevice(m.cpu);
    m.cpu.regs[EAX] = 0x1234;
    m.cpu.regs[EDX] = 0x62;
    load(m.cpu, [0xe4, 0x60, 0xef, 0x66, 0xed]); // in al,60h; out dx,ax; in eax,dx
    runN(m, 3);
    expect(log).toEqual(['in 60/1', 'out 62/2=1240', 'in 62/4']);
    expect(m.cpu.regs[EAX]).toBe(0x41);
  });

  it('at CPL 3 with IOPL 0 the TSS bitmap allows a port whose bit is 0', () => {
    const m = user();
    installTss(m.cpu, [0x60]);
    load(m.cpu, [0xe4, 0x60]);
    runN(m, 1);
    expect(m.faults).toHaveLength(0);
    expect(m.log).toEqual(['in 60/1']);
  });

  it('denies a port whose bit is 1 with #GP(0) and no device access', () => {
    const m = user();
    installTss(m.cpu, [0x60]);
    load(m.cpu, [0xe6, 0x61]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0, eip: 0x1000 });
    expect(m.log).toEqual([]);
  });

  it('a word access needs the bits of both ports clear, across a bitmap byte boundary too', () => {
    const m = user();
    installTss(m.cpu, [0x60, 0x67, 0x68]);
    load(m.cpu, [0x66, 0xe5, 0x67, 0x66, 0xe5, 0x60]); // in ax,67h (allowed); in ax,60h (61h denied)
    runN(m, 2);
    expect(m.log).toEqual(['in 67/2']);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, eip: 0x1003 });
  });

  it('bitmap bits beyond the TSS limit deny access', () => {
    const m = user();
    installTss(m.cpu, [0x60], 5); // the map covers ports 0..27h only
    load(m.cpu, [0xe4, 0x60]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0 });
  });

  it('a 16-bit TSS has no bitmap: #GP(0) at CPL > IOPL', () => {
    const m = user();
    installTss(m.cpu, [0x60], 0x2001, SystemType.TSS16_BUSY);
    load(m.cpu, [0xe4, 0x60]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0 });
  });

  it('with CPL <= IOPL the bitmap is not consulted', () => {
    const m = user();
    installTss(m.cpu, [], 0x2001, SystemType.TSS16_BUSY);
    setIopl(m.cpu, 3);
    load(m.cpu, [0xe4, 0x61]);
    runN(m, 1);
    expect(m.faults).toHaveLength(0);
    expect(m.log).toEqual(['in 61/1']);
  });

  it('an access to a watched port stops the run after that instruction', () => {
    const m = realMode();
    attachDevice(m.cpu);
    m.cpu.watchedPorts.add(0x61);
    load(m.cpu, [0x90, 0xe6, 0x61, 0x90, 0x90]);
    const stop = run(m.cpu, 10);
    expect(stop).toEqual({ kind: 'io', port: 0x61, write: true });
    expect(m.cpu.eip).toBe(0x1003);
  });
});

describe('INS / OUTS', () => {
  it('REP INSB reads the port CX times into ES:DI', () => {
    const m = protectedMode();
    attachDevice(m.cpu);
    m.cpu.regs[EDX] = 0x60;
    m.cpu.regs[EDI] = 0x3000;
    m.cpu.regs[ECX] = 4;
    load(m.cpu, [0xf3, 0x6c]);
    runN(m, 1);
    expect(Array.from(m.cpu.memory.readBytes(0x3000, 4))).toEqual([0x40, 0x41, 0x42, 0x43]);
    expect(m.cpu.regs[EDI]).toBe(0x3004);
    expect(m.cpu.regs[ECX]).toBe(0);
  });

  it('REP OUTSW writes words from DS:ESI (segment overridable) to the port', () => {
    const m = protectedMode();
    const log = attachDevice(m.cpu);
    m.cpu.segs[SegReg.GS].setCache(0x18, 0x3000, 0xffff, DATA_AR);
    poke(m.cpu, 0x3010, [0x11, 0x22, 0x33, 0x44]);
    m.cpu.regs[EDX] = 0x64;
    m.cpu.regs[ESI] = 0x10;
    m.cpu.regs[ECX] = 2;
    load(m.cpu, [0x65, 0x66, 0xf3, 0x6f]);
    runN(m, 1);
    expect(log).toEqual(['out 64/2=2211', 'out 64/2=4433']);
    expect(m.cpu.regs[ESI]).toBe(0x14);
  });

  it('INS checks the destination before reading the port, so a fault loses no port read', () => {
    const m = protectedMode();
    const log = attachDevice(m.cpu);
    m.cpu.segs[SegReg.ES].setCache(0x10, 0, 0xfff, DATA_AR & ~0x8000);
    m.cpu.regs[EDX] = 0x60;
    m.cpu.regs[EDI] = 0x2000;
    load(m.cpu, [0x6c]);
    runN(m, 1);
    expect(m.faults[0]).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    expect(log).toEqual([]);
  });

  it('REP OUTS to a watched port stops after that iteration and resumes where it left off', () => {
    const m = protectedMode();
    const log = attachDevice(m.cpu);
    m.cpu.watchedPorts.add(0x60);
    poke(m.cpu, 0x3000, [1, 2, 3]);
    m.cpu.regs[EDX] = 0x60;
    m.cpu.regs[ESI] = 0x3000;
    m.cpu.regs[ECX] = 3;
    load(m.cpu, [0xf3, 0x6e]);
    expect(run(m.cpu, 10)).toEqual({ kind: 'io', port: 0x60, write: true });
    expect(log).toEqual(['out 60/1=1']);
    expect(m.cpu.regs[ECX]).toBe(2);
    expect(m.cpu.eip).toBe(0x1000);
    m.cpu.watchedPorts.clear();
    run(m.cpu, 1);
    expect(log).toEqual(['out 60/1=1', 'out 60/1=2', 'out 60/1=3']);
  });
});
