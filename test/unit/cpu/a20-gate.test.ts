// The A20 gate: PhysicalMemory.a20Enabled and the mask paging.ts applies when it fills the
// TLB (identity mapping with paging off, page-walk reads and results with paging on).
import { describe, expect, it } from 'vitest';
import { PTE_P, PTE_RW } from '../../../emulator/arch/paging';
import { SegReg } from '../../../emulator/arch/segments';
import { Cpu } from '../../../emulator/cpu/cpu';
import { run } from '../../../emulator/cpu/executor';
import { ACCESS_READ, ACCESS_WRITE, flushTlb, probeTranslate, translate } from '../../../emulator/cpu/paging';
import { IoBus } from '../../../emulator/memory/io-bus';
import { PhysicalMemory } from '../../../emulator/memory/physical-memory';
import { enablePaging, flatProtectedMode, MIB, PageTables, poke } from './system-harness';
import { REAL_CODE_AR, REAL_DATA_AR } from './xfer-fixture';

/** A real-mode CPU with 2 MiB of RAM whose A20 listener flushes the TLB, as the machine wires it. */
function realModeCpu(): Cpu {
  const cpu = new Cpu(new PhysicalMemory(2 * MIB), new IoBus());
  for (const s of cpu.segs) s.setCache(0, 0, 0xffff, REAL_DATA_AR);
  cpu.segs[SegReg.CS].setCache(0, 0, 0xffff, REAL_CODE_AR);
  cpu.memory.a20Listener = () => flushTlb(cpu, true);
  return cpu;
}

// mov ax, 0FFFFh / mov ds, ax / mov byte [10h], 0AAh / mov byte [11h], 0BBh / mov al, [12h] / hlt
const WRITE_AT_FFFF_0010 = [0xb8, 0xff, 0xff, 0x8e, 0xd8, 0xc6, 0x06, 0x10, 0x00, 0xaa, 0xc6, 0x06, 0x11, 0x00, 0xbb, 0xa0, 0x12, 0x00, 0xf4];
const CODE = 0x7c00;

function runAt(cpu: Cpu, eip: number): void {
  cpu.eip = eip;
  cpu.halted = false;
  expect(run(cpu, 100).kind).toBe('hlt');
}

describe('PhysicalMemory A20 gate', () => {
  it('starts enabled with an all-ones mask and notifies its listener on changes only', () => {
    const mem = new PhysicalMemory(MIB);
    const seen: boolean[] = [];
    mem.a20Listener = (on) => seen.push(on);
    expect(mem.a20Enabled).toBe(true);
    expect(mem.a20Mask).toBe(-1);
    mem.a20Enabled = false;
    mem.a20Enabled = false;
    expect(mem.a20Mask).toBe(~(1 << 20));
    mem.a20Enabled = true;
    expect(seen).toEqual([false, true]);
  });

  it('does not affect the physical accessors used by loaders and the debugger', () => {
    const mem = new PhysicalMemory(2 * MIB);
    mem.a20Enabled = false;
    mem.write8(0x100000, 0x5a);
    expect(mem.read8(0x100000)).toBe(0x5a);
    expect(mem.read8(0)).toBe(0);
  });
});

describe('real-mode 1-MiB wrap through the A20 gate', () => {
  it('with A20 enabled, a write at FFFF:0010 lands at 100000h', () => {
    const cpu = realModeCpu();
    poke(cpu, CODE, WRITE_AT_FFFF_0010);
    cpu.memory.write8(0x100002, 0x77);
    runAt(cpu, CODE);
    expect([cpu.memory.read8(0x100000), cpu.memory.read8(0x100001)]).toEqual([0xaa, 0xbb]);
    expect([cpu.memory.read8(0), cpu.memory.read8(1)]).toEqual([0, 0]);
    expect(cpu.regs[0] & 0xff).toBe(0x77);
  });

  it('with A20 disabled, a write at FFFF:0010 wraps to 0 (and reads wrap too)', () => {
    const cpu = realModeCpu();
    poke(cpu, CODE, WRITE_AT_FFFF_0010);
    cpu.memory.write8(0x000002, 0x66);
    cpu.memory.a20Enabled = false;
    runAt(cpu, CODE);
    expect([cpu.memory.read8(0), cpu.memory.read8(1)]).toEqual([0xaa, 0xbb]);
    expect(cpu.memory.read8(0x100000)).toBe(0);
    expect(cpu.regs[0] & 0xff).toBe(0x66);
  });

  it('follows the gate when it moves between runs (the listener flushes the TLB)', () => {
    const cpu = realModeCpu();
    poke(cpu, CODE, WRITE_AT_FFFF_0010);
    runAt(cpu, CODE);
    expect(cpu.memory.read8(0x100000)).toBe(0xaa);
    cpu.memory.a20Enabled = false;
    runAt(cpu, CODE);
    expect(cpu.memory.read8(0)).toBe(0xaa);
    cpu.memory.write8(0, 0);
    cpu.memory.write8(0x100000, 0);
    cpu.memory.a20Enabled = true;
    runAt(cpu, CODE);
    expect([cpu.memory.read8(0), cpu.memory.read8(0x100000)]).toEqual([0, 0xaa]);
  });

  it('fetches instructions through the gate: FFFF:0010 executes the code at 0 with A20 disabled', () => {
    const cpu = realModeCpu();
    poke(cpu, 0x000000, [0xc6, 0x06, 0x00, 0x05, 0x01, 0xf4]); // mov byte [500h], 1 / hlt
    poke(cpu, 0x100000, [0xc6, 0x06, 0x00, 0x05, 0x02, 0xf4]); // mov byte [500h], 2 / hlt
    cpu.segs[SegReg.CS].setCache(0xffff, 0xffff0, 0xffff, REAL_CODE_AR);
    runAt(cpu, 0x10);
    expect(cpu.memory.read8(0x500)).toBe(2);
    cpu.memory.a20Enabled = false;
    runAt(cpu, 0x10);
    expect(cpu.memory.read8(0x500)).toBe(1);
  });
});

describe('paging with A20 disabled', () => {
  function pagedCpu() {
    const cpu = new Cpu(new PhysicalMemory(4 * MIB), new IoBus());
    cpu.memory.a20Listener = () => flushTlb(cpu, true);
    flatProtectedMode(cpu);
    return cpu;
  }

  it('masks bit 20 of the walk result: a page mapped at 1FF000h is reached at 0FF000h', () => {
    const cpu = pagedCpu();
    const pt = new PageTables(cpu, 0x10000, 0x11000);
    pt.map(0x400000, 0x1ff000, PTE_P | PTE_RW);
    enablePaging(cpu, pt);
    expect(translate(cpu, 0x400123, ACCESS_WRITE, false)).toBe(0x1ff123);
    cpu.memory.a20Enabled = false;
    expect(translate(cpu, 0x400123, ACCESS_WRITE, false)).toBe(0x0ff123);
    expect(probeTranslate(cpu, 0x400123)).toBe(0x0ff123);
  });

  it('reads the page directory and page tables through the gate: CR3 = 102000h walks the tables at 2000h', () => {
    const cpu = pagedCpu();
    // The real tables at 2000h/3000h map linear 400000h to 200000h; the copies at 102000h are empty.
    const pt = new PageTables(cpu, 0x2000, 0x3000);
    pt.map(0x400000, 0x200000, PTE_P | PTE_RW);
    cpu.memory.a20Enabled = false;
    enablePaging(cpu, pt);
    cpu.cr3 = 0x102000;
    flushTlb(cpu, true);
    expect(translate(cpu, 0x400000, ACCESS_READ, false)).toBe(0x200000);
    expect(probeTranslate(cpu, 0x400000)).toBe(0x200000);
    // The walker set the Accessed bit in the masked (real) entries, not at 102000h.
    expect(cpu.memory.read32(0x2000 + 4) & 0x20).toBe(0x20);
    expect(cpu.memory.read32(0x102000 + 4)).toBe(0);
  });

  it('masks the identity mapping with paging off in protected mode as well', () => {
    const cpu = pagedCpu();
    cpu.memory.a20Enabled = false;
    expect(translate(cpu, 0x123456, ACCESS_READ, false)).toBe(0x023456);
    expect(probeTranslate(cpu, 0x3fffff)).toBe(0x2fffff);
  });
});
