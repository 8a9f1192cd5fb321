import { describe, expect, it } from 'vitest';
import { CR0_WP, CR4_PGE, CR4_PSE } from '../../../emulator/arch/control-registers';
import { PFEC_P, PFEC_RSVD, PFEC_US, PFEC_WR, Vector } from '../../../emulator/arch/exceptions';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../../emulator/arch/paging';
import { EAX, type Cpu, type CpuEvent, type StopReason } from '../../../emulator/cpu/cpu';
import { run } from '../../../emulator/cpu/executor';
import { CpuFault } from '../../../emulator/cpu/fault';
import { ACCESS_READ, ACCESS_WRITE, translate } from '../../../emulator/cpu/paging';
import { enablePaging, flatProtectedMode, le32, makeCpu, PageTables, poke, setCpl } from './system-harness';

const PD = 0x100000;
const TABLES = 0x101000;
const CODE = 0x1000;
const DATA = 0x00400000; // PDE 1
const FRAME_A = 0x200000;
const FRAME_B = 0x201000;
const KERNEL = PTE_P | PTE_RW;
const USER = PTE_P | PTE_RW | PTE_US;

interface Machine {
  cpu: Cpu;
  pt: PageTables;
  /** Events the run loop tried to deliver (intercepted: nothing reaches a guest IDT). */
  events: CpuEvent[];
}

/**
 * Flat 32-bit protected mode at CPL `cpl` with paging on: the first 64 KiB identity-mapped
 * (code at 0x1000), page tables at 1 MiB, DATA not mapped yet. Every exception is
 * intercepted, recorded and stops the run, leaving EIP at the faulting instruction.
 */
function machine(opts: { cpl?: number; cr4?: number; wp?: boolean } = {}): Machine {
  const cpu = makeCpu();
  flatProtectedMode(cpu);
  const pt = new PageTables(cpu, PD, TABLES);
  pt.identity(0, 0x10000, USER);
  cpu.cr4 = opts.cr4 ?? 0;
  if (opts.wp) cpu.cr0 |= CR0_WP;
  enablePaging(cpu, pt);
  if (opts.cpl) setCpl(cpu, opts.cpl);
  const events: CpuEvent[] = [];
  cpu.hooks.interceptEvent = (c, event) => {
    events.push(event);
    c.requestStop('exception');
    return true;
  };
  return { cpu, pt, events };
}

/** Place code at CODE and run it until HLT or an exception. */
function runCode(m: Machine, code: number[]): StopReason {
  poke(m.cpu, CODE, code);
  m.cpu.eip = CODE;
  m.cpu.halted = false;
  return run(m.cpu, 1000);
}

/** Continue after a HLT. */
function resume(m: Machine): StopReason {
  m.cpu.halted = false;
  return run(m.cpu, 1000);
}

const movEaxMem = (a: number) => [0xa1, ...le32(a)];
const movMemEax = (a: number) => [0xa3, ...le32(a)];
const movMemImm32 = (a: number, v: number) => [0xc7, 0x05, ...le32(a), ...le32(v)];
const invlpg = (a: number) => [0x0f, 0x01, 0x3d, ...le32(a)];
const reloadCr3 = [0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8]; // mov eax, cr3; mov cr3, eax
const HLT = 0xf4;

function pageFault(f: () => void): CpuFault {
  try {
    f();
  } catch (e) {
    if (e instanceof CpuFault) return e;
    throw e;
  }
  throw new Error('expected #PF');
}

describe('page walks (translate)', () => {
  it('4-KiB page: translates, sets A in PDE and PTE on a read and D in the PTE only on a write', () => {
    const { cpu, pt } = machine();
    pt.map(DATA, FRAME_A, KERNEL);
    expect(pt.pde(DATA) & (PTE_A | PTE_D)).toBe(0);
    expect(translate(cpu, DATA + 0x123, ACCESS_READ, false)).toBe(FRAME_A + 0x123);
    expect(pt.pde(DATA) & PTE_A).toBe(PTE_A);
    expect(pt.pte(DATA) & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(translate(cpu, DATA + 0x123, ACCESS_WRITE, false)).toBe(FRAME_A + 0x123);
    expect(pt.pte(DATA) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(pt.pde(DATA) & PTE_D).toBe(0); // a PDE that references a page table has no dirty flag
  });

  it('4-MiB page with CR4.PSE: the PDE maps 4 MiB and takes A on a read and D on a write', () => {
    const { cpu, pt } = machine({ cr4: CR4_PSE });
    pt.mapLarge(0x00800000, 0x00c00000, PTE_P | PTE_RW | PTE_PS);
    expect(translate(cpu, 0x00b23456, ACCESS_READ, false)).toBe(0x00f23456);
    expect(pt.pde(0x00800000) & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(translate(cpu, 0x00800000, ACCESS_WRITE, false)).toBe(0x00c00000);
    expect(pt.pde(0x00800000) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });

  it('without CR4.PSE the PS bit is ignored and the PDE points to a page table', () => {
    const { cpu, pt } = machine();
    pt.mapLarge(0x00800000, 0x00c00000, PTE_P | PTE_RW | PTE_PS);
    cpu.memory.write32(0x00c00000 + 0x123 * 4, 0x00345000 | KERNEL); // PTE for page 0x123 of that region
    expect(translate(cpu, 0x00923456, ACCESS_READ, false)).toBe(0x00345456);
  });

  it('a reserved bit in a 4-MiB PDE is #PF with RSVD and P set, and CR2 = the address', () => {
    const { cpu, pt } = machine({ cr4: CR4_PSE });
    pt.mapLarge(0x00800000, 0x00c00000, PTE_P | PTE_RW | PTE_PS | (1 << 13));
    const f = pageFault(() => translate(cpu, 0x00812345, ACCESS_WRITE, false));
    expect(f.vector).toBe(Vector.PF);
    expect(f.errorCode).toBe(PFEC_RSVD | PFEC_P | PFEC_WR);
    expect(cpu.cr2).toBe(0x00812345);
    expect(pt.pde(0x00800000) & (PTE_A | PTE_D)).toBe(0);
  });

  // [description, PDE flags, PTE flags, write, user, CR0.WP, expected error code or null]
  const cases: [string, number, number, boolean, boolean, boolean, number | null][] = [
    ['PDE not present, supervisor read', 0, KERNEL, false, false, false, 0],
    ['PTE not present, supervisor read', USER, 0, false, false, false, 0],
    ['PTE not present, user write', USER, 0, true, true, false, PFEC_WR | PFEC_US],
    ['user read of a supervisor page', USER, KERNEL, false, true, false, PFEC_P | PFEC_US],
    ['user write of a read-only user page', USER, PTE_P | PTE_US, true, true, false, PFEC_P | PFEC_WR | PFEC_US],
    ['user read of a read-only user page', USER, PTE_P | PTE_US, false, true, false, null],
    ['user read where only the PDE is supervisor', KERNEL, USER, false, true, false, PFEC_P | PFEC_US],
    ['user write where only the PDE is read-only', PTE_P | PTE_US, USER, true, true, false, PFEC_P | PFEC_WR | PFEC_US],
    ['user read where only the PDE is read-only', PTE_P | PTE_US, USER, false, true, false, null],
    ['supervisor write of a read-only page, CR0.WP = 0', KERNEL, PTE_P, true, false, false, null],
    ['supervisor write of a read-only page, CR0.WP = 1', KERNEL, PTE_P, true, false, true, PFEC_P | PFEC_WR],
    ['supervisor write where only the PDE is read-only, CR0.WP = 1', PTE_P | PTE_US, USER, true, false, true, PFEC_P | PFEC_WR],
    ['supervisor write of a read-only user page, CR0.WP = 0', USER, PTE_P | PTE_US, true, false, false, null],
    ['supervisor write of a writable user page, CR0.WP = 1', USER, USER, true, false, true, null],
  ];
  for (const [what, pdeFlags, pteFlags, write, user, wp, code] of cases) {
    it(`${what}: ${code === null ? 'allowed' : `#PF(${code})`}`, () => {
      const { cpu, pt } = machine({ wp });
      pt.map(DATA, FRAME_A, pteFlags, USER);
      pt.setPde(DATA, (pt.pde(DATA) & -4096) | pdeFlags);
      const lin = DATA + 0x10;
      if (code === null) {
        expect(translate(cpu, lin, write ? ACCESS_WRITE : ACCESS_READ, user)).toBe(FRAME_A + 0x10);
        expect(pt.pte(DATA) & (PTE_A | PTE_D)).toBe(write ? PTE_A | PTE_D : PTE_A);
        return;
      }
      cpu.cr2 = 0;
      const f = pageFault(() => translate(cpu, lin, write ? ACCESS_WRITE : ACCESS_READ, user));
      expect(f.vector).toBe(Vector.PF);
      expect(f.errorCode).toBe(code);
      expect(cpu.cr2).toBe(lin);
      // A faulting access sets neither A nor D anywhere.
      expect(pt.pde(DATA) & (PTE_A | PTE_D)).toBe(0);
      expect(pt.pte(DATA) & (PTE_A | PTE_D)).toBe(0);
    });
  }
});

describe('paging under running code', () => {
  it('loads and stores go through 4-KiB and 4-MiB pages to the mapped frames', () => {
    const m = machine({ cr4: CR4_PSE });
    m.pt.map(DATA, FRAME_A, KERNEL);
    m.pt.mapLarge(0x00800000, 0x00c00000, PTE_P | PTE_RW | PTE_PS);
    m.cpu.memory.write32(FRAME_A + 0x40, 0x11223344);
    // mov eax,[DATA+0x40]; mov [0x00834560],eax; hlt
    expect(runCode(m, [...movEaxMem(DATA + 0x40), ...movMemEax(0x00834560), HLT])).toEqual({ kind: 'hlt' });
    expect(m.cpu.regs[EAX]).toBe(0x11223344);
    expect(m.cpu.memory.read32(0x00c34560)).toBe(0x11223344);
    expect(m.pt.pte(DATA) & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(m.pt.pde(0x00800000) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(m.events).toEqual([]);
  });

  it('a user-mode write to a read-only page faults with #PF(7), CR2 set, EIP at the instruction, memory and A/D untouched', () => {
    const m = machine({ cpl: 3 });
    m.pt.map(DATA, FRAME_A, PTE_P | PTE_US);
    const stop = runCode(m, [0x90, ...movMemImm32(DATA + 8, 0x55667788), HLT]);
    expect(stop).toEqual({ kind: 'request', why: 'exception' });
    expect(m.events.map((e) => [e.vector, e.errorCode])).toEqual([[Vector.PF, PFEC_P | PFEC_WR | PFEC_US]]);
    expect(m.cpu.cr2).toBe(DATA + 8);
    expect(m.cpu.eip).toBe(CODE + 1);
    expect(m.cpu.memory.read32(FRAME_A + 8)).toBe(0);
    expect(m.pt.pte(DATA) & (PTE_A | PTE_D)).toBe(0);
  });

  it('a supervisor write to a read-only page succeeds with CR0.WP = 0 and faults once MOV CR0 sets WP', () => {
    const m = machine();
    m.pt.map(DATA, FRAME_A, PTE_P);
    expect(runCode(m, [...movMemImm32(DATA, 1), HLT])).toEqual({ kind: 'hlt' });
    expect(m.cpu.memory.read32(FRAME_A)).toBe(1);
    // mov eax,cr0; or eax,CR0_WP; mov cr0,eax; mov dword [DATA],2; hlt
    const stop = runCode(m, [0x0f, 0x20, 0xc0, 0x0d, ...le32(CR0_WP), 0x0f, 0x22, 0xc0, ...movMemImm32(DATA, 2), HLT]);
    expect(stop.kind).toBe('request');
    expect(m.events.map((e) => [e.vector, e.errorCode])).toEqual([[Vector.PF, PFEC_P | PFEC_WR]]);
    expect(m.cpu.memory.read32(FRAME_A)).toBe(1);
  });

  it('a page-crossing write that faults on the second page writes nothing on the first', () => {
    const m = machine();
    m.pt.map(DATA, FRAME_A, KERNEL); // DATA + 0x1000 stays not present
    m.cpu.memory.write32(FRAME_A + 0xffc, 0xaaaaaaaa | 0);
    const stop = runCode(m, [...movMemImm32(DATA + 0xffe, 0x11223344), HLT]);
    expect(stop.kind).toBe('request');
    expect(m.events.map((e) => [e.vector, e.errorCode])).toEqual([[Vector.PF, PFEC_WR]]);
    expect(m.cpu.cr2).toBe(DATA + 0x1000);
    expect(m.cpu.memory.read32(FRAME_A + 0xffc) >>> 0).toBe(0xaaaaaaaa);
    expect(m.cpu.eip).toBe(CODE);
  });

  it('a page that faulted as not present is used once mapped (no negative caching)', () => {
    const m = machine();
    expect(runCode(m, [...movEaxMem(DATA), HLT]).kind).toBe('request');
    m.pt.map(DATA, FRAME_A, KERNEL);
    m.cpu.memory.write32(FRAME_A, 42);
    m.events.length = 0;
    expect(run(m.cpu, 1000)).toEqual({ kind: 'hlt' });
    expect(m.cpu.regs[EAX]).toBe(42);
  });

  it('the first write to a clean page sets D even though the TLB already holds a read entry', () => {
    const m = machine();
    m.pt.map(DATA, FRAME_A, KERNEL);
    expect(runCode(m, [...movEaxMem(DATA), HLT, ...movMemEax(DATA + 4), HLT])).toEqual({ kind: 'hlt' });
    expect(m.cpu.tlb[DATA >>> 12]).not.toBe(0);
    expect(m.pt.pte(DATA) & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(resume(m)).toEqual({ kind: 'hlt' });
    expect(m.pt.pte(DATA) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });
});

describe('the TLB', () => {
  /** A: read DATA; B: read again; C: `flush`, then read. HLT after each. */
  function staleProgram(flush: number[]): number[] {
    return [...movEaxMem(DATA), HLT, ...movEaxMem(DATA), HLT, ...flush, ...movEaxMem(DATA), HLT];
  }

  function changeMapping(m: Machine, lin: number): void {
    m.pt.setPte(lin, (FRAME_B | (m.pt.pte(lin) & 0xfff)) | 0); // new frame, same flags, no flush
  }

  for (const [name, flush] of [
    ['INVLPG', invlpg(DATA)],
    ['a CR3 reload', reloadCr3],
  ] as const) {
    it(`keeps using a stale translation after the PTE changes in memory, until ${name}`, () => {
      const m = machine();
      m.pt.map(DATA, FRAME_A, KERNEL);
      m.cpu.memory.write32(FRAME_A, 0xa);
      m.cpu.memory.write32(FRAME_B, 0xb);
      expect(runCode(m, staleProgram([...flush]))).toEqual({ kind: 'hlt' });
      expect(m.cpu.regs[EAX]).toBe(0xa);
      changeMapping(m, DATA);
      expect(resume(m)).toEqual({ kind: 'hlt' });
      expect(m.cpu.regs[EAX]).toBe(0xa); // stale TLB entry
      expect(resume(m)).toEqual({ kind: 'hlt' });
      expect(m.cpu.regs[EAX]).toBe(0xb);
    });
  }

  it('a TLB hit does not set A again: clearing A in memory goes unnoticed until the entry is flushed', () => {
    const m = machine();
    m.pt.map(DATA, FRAME_A, KERNEL);
    expect(runCode(m, staleProgram(invlpg(DATA)))).toEqual({ kind: 'hlt' });
    m.pt.setPte(DATA, m.pt.pte(DATA) & ~PTE_A);
    expect(resume(m)).toEqual({ kind: 'hlt' });
    expect(m.pt.pte(DATA) & PTE_A).toBe(0);
    expect(resume(m)).toEqual({ kind: 'hlt' });
    expect(m.pt.pte(DATA) & PTE_A).toBe(PTE_A);
  });

  it('with CR4.PGE a global entry survives a CR3 reload (a non-global one does not) but not a CR4.PGE toggle', () => {
    const m = machine({ cr4: CR4_PGE });
    const LOCAL = DATA + 0x1000;
    m.pt.map(DATA, FRAME_A, KERNEL | PTE_G);
    m.pt.map(LOCAL, FRAME_A, KERNEL);
    m.cpu.memory.write32(FRAME_A, 0xa);
    m.cpu.memory.write32(FRAME_B, 0xb);
    const readBoth = [...movEaxMem(DATA), 0x8b, 0x1d, ...le32(LOCAL)]; // mov eax,[DATA]; mov ebx,[LOCAL]
    const toggleOffOn = [0x0f, 0x20, 0xe0, 0x25, ...le32(~CR4_PGE), 0x0f, 0x22, 0xe0, 0x0d, ...le32(CR4_PGE), 0x0f, 0x22, 0xe0];
    const code = [...readBoth, HLT, ...reloadCr3, ...readBoth, HLT, ...toggleOffOn, ...readBoth, HLT];
    expect(runCode(m, code)).toEqual({ kind: 'hlt' });
    expect([m.cpu.regs[EAX], m.cpu.regs[3]]).toEqual([0xa, 0xa]);
    changeMapping(m, DATA);
    changeMapping(m, LOCAL);
    expect(resume(m)).toEqual({ kind: 'hlt' });
    expect([m.cpu.regs[EAX], m.cpu.regs[3]]).toEqual([0xa, 0xb]); // global kept, non-global reloaded
    expect(resume(m)).toEqual({ kind: 'hlt' });
    expect([m.cpu.regs[EAX], m.cpu.regs[3]]).toEqual([0xb, 0xb]);
    expect(m.cpu.cr4).toBe(CR4_PGE);
  });

  it('INVLPG of any address in a 4-MiB page drops that page', () => {
    const m = machine({ cr4: CR4_PSE });
    m.pt.mapLarge(0x00800000, 0x00c00000, PTE_P | PTE_RW | PTE_PS);
    m.cpu.memory.write32(0x00c10000, 0xc);
    m.cpu.memory.write32(0x00410000, 0xd);
    const code = [...movEaxMem(0x00810000), HLT, ...invlpg(0x00bff000), ...movEaxMem(0x00810000), HLT];
    expect(runCode(m, code)).toEqual({ kind: 'hlt' });
    expect(m.cpu.regs[EAX]).toBe(0xc);
    m.pt.mapLarge(0x00800000, 0x00400000, PTE_P | PTE_RW | PTE_PS);
    expect(resume(m)).toEqual({ kind: 'hlt' });
    expect(m.cpu.regs[EAX]).toBe(0xd);
  });
});
