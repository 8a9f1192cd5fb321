/**
 * Data watchpoints (emulator/cpu/watchpoints.ts): page-granular marking, exact-range checks on
 * the slow path, reads and writes through warm TLB entries and compiled blocks, with paging
 * on and off.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../emulator/asm/index';
import { Cpu } from '../../../emulator/cpu/cpu';
import { run } from '../../../emulator/cpu/executor';
import { DataWatchpoints, type DataWatch, type DataWatchHit } from '../../../emulator/cpu/watchpoints';
import { IoBus } from '../../../emulator/memory/io-bus';
import { PhysicalMemory, WATCH_DATA_READ, WATCH_DATA_WRITE } from '../../../emulator/memory/physical-memory';
import { enterFlatProtectedMode } from '../../../emulator/machine/flat-protected-mode';
import { TLB_RAM } from '../../../emulator/cpu/tlb-bits';

/** Loops 300 times over a read of `counter` and a write of `counter`, and touches `other` (same page) each time. */
const SOURCE = `
bits 32
org 0x10000
start:
  mov ecx, 300
.loop:
  mov eax, [counter]
  inc eax
  mov [counter], eax
  mov ebx, [other]
  dec ecx
  jnz .loop
  hlt
times 0x2000 - ($ - $$) db 0x90
counter: dd 0
other:   dd 7
`;
const COUNTER = 0x12000;
const OTHER = 0x12004;

function setup(paging: boolean): { cpu: Cpu; wp: DataWatchpoints; hits: DataWatchHit[] } {
  const cpu = new Cpu(new PhysicalMemory(16 << 20), new IoBus());
  const r = assemble(SOURCE, { fileName: 'watch.asm' });
  expect(r.errors).toEqual([]);
  cpu.memory.writeBytes(0x10000, r.bytes);
  enterFlatProtectedMode(cpu, { eip: 0x10000, esp: 0x9000, paging: paging ? { identityMiB: 16, directory: 0x200000 } : undefined });
  const wp = new DataWatchpoints(cpu);
  const hits: DataWatchHit[] = [];
  wp.onHit = (h) => {
    hits.push(h);
    cpu.requestStop('data watch');
  };
  return { cpu, wp, hits };
}

function watch(access: DataWatch['access'], paddr = COUNTER, length = 4): DataWatch {
  return { id: 1, paddr, length, access };
}

describe('data watchpoints', () => {
  for (const paging of [false, true]) {
    const mode = `paging ${paging ? 'on' : 'off'}`;

    it(`a write watch stops after each write to the range and never on reads (${mode})`, () => {
      const { cpu, wp, hits } = setup(paging);
      run(cpu, 50); // warm the TLB and the code cache first
      const before = cpu.memory.view.getUint32(COUNTER, true);
      wp.set([watch('write')]);
      const stop = run(cpu, 10_000);
      expect(stop).toEqual({ kind: 'request', why: 'data watch' });
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ paddr: COUNTER, size: 4, write: true });
      // Trap-like: the write has happened, the next instruction has not run.
      expect(cpu.memory.view.getUint32(COUNTER, true)).toBe(before + 1);
      expect(cpu.regs[0]).toBe(before + 1);
    });

    it(`a read watch stops on reads of the range and not on reads of the neighbouring dword (${mode})`, () => {
      const { cpu, wp, hits } = setup(paging);
      run(cpu, 50);
      wp.set([watch('read')]);
      expect(run(cpu, 10_000).kind).toBe('request');
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ paddr: COUNTER, size: 4, write: false });
      // The page lost its fast access; the watch on `other` (same page, next dword) never fired.
      expect(cpu.tlb[COUNTER >>> 12] & TLB_RAM).toBe(0);
    });

    it(`a readWrite watch sees both kinds, and the loop still computes the right result (${mode})`, () => {
      const { cpu, wp, hits } = setup(paging);
      wp.set([watch('readWrite')]);
      let stops = 0;
      for (;;) {
        const s = run(cpu, 100_000);
        if (s.kind !== 'request') {
          expect(s.kind).toBe('hlt');
          break;
        }
        stops++;
      }
      expect(stops).toBe(600); // 300 reads + 300 writes
      expect(hits.filter((h) => h.write)).toHaveLength(300);
      expect(cpu.memory.view.getUint32(COUNTER, true)).toBe(300);
    });
  }

  it('a watch on an unrelated page costs nothing: no hit, the watched page keeps no fast access, others keep theirs', () => {
    const { cpu, wp, hits } = setup(true);
    wp.set([watch('readWrite', 0x300000, 16)]);
    expect(run(cpu, 100_000)).toEqual({ kind: 'hlt' });
    expect(hits).toEqual([]);
    expect(cpu.tlb[COUNTER >>> 12] & TLB_RAM).toBe(TLB_RAM);
  });

  it('removing the watches unmarks the pages and gives the fast path back after the next access', () => {
    const { cpu, wp } = setup(true);
    wp.set([watch('readWrite')]);
    expect(cpu.memory.watchedPages[COUNTER >>> 12] & (WATCH_DATA_READ | WATCH_DATA_WRITE)).toBe(WATCH_DATA_READ | WATCH_DATA_WRITE);
    wp.set([]);
    expect(cpu.memory.watchedPages[COUNTER >>> 12] & (WATCH_DATA_READ | WATCH_DATA_WRITE)).toBe(0);
    expect(run(cpu, 100_000)).toEqual({ kind: 'hlt' });
    expect(cpu.tlb[COUNTER >>> 12] & TLB_RAM).toBe(TLB_RAM);
  });

  it('a range that straddles two pages marks both and reports an access to the second', () => {
    const { cpu, wp, hits } = setup(false);
    wp.set([watch('write', 0x11ffe, 0x2008)]); // 0x11ffe .. 0x14005
    expect(cpu.memory.watchedPages[0x11] & WATCH_DATA_WRITE).toBe(WATCH_DATA_WRITE);
    expect(cpu.memory.watchedPages[0x14] & WATCH_DATA_WRITE).toBe(WATCH_DATA_WRITE);
    expect(run(cpu, 10_000).kind).toBe('request');
    expect(hits[0].paddr).toBe(COUNTER);
  });

  it('while disarmed (the debugger writing memory itself) accesses are not reported', () => {
    const { cpu, wp, hits } = setup(false);
    wp.set([watch('write')]);
    wp.armed = false;
    cpu.memory.write32(COUNTER, 5);
    expect(hits).toEqual([]);
    wp.armed = true;
    cpu.memory.write32(OTHER, 5);
    expect(hits).toEqual([]);
    cpu.memory.write32(COUNTER, 6);
    expect(hits).toHaveLength(1);
  });

  it('rejects a watch of zero bytes and one beyond 4 GiB, naming the watch', () => {
    const { wp } = setup(false);
    expect(() => wp.set([{ id: 9, paddr: 0x1000, length: 0, access: 'write' }])).toThrow(/data watch 9: length/);
    expect(() => wp.set([{ id: 8, paddr: 0xfffffffe, length: 4, access: 'write' }])).toThrow(/data watch 8: range/);
  });
});
