import { describe, expect, it } from 'vitest';
import {
  CR0_AM,
  CR0_CD,
  CR0_EM,
  CR0_ET,
  CR0_MP,
  CR0_NE,
  CR0_NW,
  CR0_PE,
  CR0_PG,
  CR0_TS,
  CR0_WP,
  CR4_DE,
  CR4_MCE,
  CR4_PAE,
  CR4_PGE,
  CR4_PSE,
  CR4_PVI,
  CR4_TSD,
  CR4_VME,
  DR6_BD,
  DR6_FIXED1,
  DR7_GD,
} from '../../../emulator/arch/control-registers';
import { Vector } from '../../../emulator/arch/exceptions';
import { PTE_G, PTE_P, PTE_RW } from '../../../emulator/arch/paging';
import {
  clts,
  cr0WriteError,
  cr4WriteError,
  lmsw,
  readCr,
  readDr,
  writeCr,
  writeCr0,
  writeCr3,
  writeCr4,
  writeDr,
} from '../../../emulator/cpu/control-registers';
import type { Cpu } from '../../../emulator/cpu/cpu';
import { CpuFault } from '../../../emulator/cpu/fault';
import { ACCESS_READ, translate } from '../../../emulator/cpu/paging';
import { enablePaging, flatProtectedMode, makeCpu, PageTables } from './system-harness';

function faultOf(f: () => void): CpuFault {
  try {
    f();
  } catch (e) {
    if (e instanceof CpuFault) return e;
    throw e;
  }
  throw new Error('expected a CpuFault');
}

const LOCAL = 0x00400000;
const GLOBAL = 0x00401000;

/** Paging on with one non-global page (LOCAL) and one global page (GLOBAL), both cached in the TLB. */
function pagedCpuWithTlb(): Cpu {
  const cpu = makeCpu();
  flatProtectedMode(cpu);
  const pt = new PageTables(cpu, 0x100000, 0x101000);
  pt.map(LOCAL, 0x200000, PTE_P | PTE_RW);
  pt.map(GLOBAL, 0x201000, PTE_P | PTE_RW | PTE_G);
  cpu.cr4 = CR4_PGE;
  enablePaging(cpu, pt);
  translate(cpu, LOCAL, ACCESS_READ, false);
  translate(cpu, GLOBAL, ACCESS_READ, false);
  expect(cpu.tlb[LOCAL >>> 12]).not.toBe(0);
  expect(cpu.tlb[GLOBAL >>> 12]).not.toBe(0);
  return cpu;
}

const cached = (cpu: Cpu, lin: number) => cpu.tlb[lin >>> 12] !== 0;

describe('CR0 writes', () => {
  it('rejects PG = 1 with PE = 0 and NW = 1 with CD = 0 with #GP(0), leaving CR0 unchanged', () => {
    const cpu = makeCpu();
    const before = cpu.cr0;
    for (const bad of [CR0_PG, CR0_PG | CR0_ET, CR0_NW, CR0_NW | CR0_PE]) {
      expect(cr0WriteError(bad)).not.toBe('');
      const f = faultOf(() => writeCr0(cpu, bad));
      expect(f.vector).toBe(Vector.GP);
      expect(f.errorCode).toBe(0);
      expect(cpu.cr0).toBe(before);
    }
    expect(cr0WriteError(CR0_PG | CR0_PE | CR0_CD | CR0_NW)).toBe('');
  });

  it('ignores reserved bits and keeps ET = 1', () => {
    const cpu = makeCpu();
    writeCr0(cpu, 0x1ffaffc0 | CR0_PE); // every reserved bit set, ET clear
    expect(cpu.cr0 >>> 0).toBe((CR0_PE | CR0_ET) >>> 0);
    writeCr0(cpu, -1); // all ones: every defined bit set
    expect(cpu.cr0 >>> 0).toBe((CR0_PG | CR0_CD | CR0_NW | CR0_AM | CR0_WP | CR0_NE | CR0_ET | CR0_TS | CR0_EM | CR0_MP | CR0_PE) >>> 0);
    expect(readCr(cpu, 0)).toBe(0xe005003f);
  });

  it('flushes global TLB entries when WP changes, and nothing when only CD/NW change', () => {
    const cpu = pagedCpuWithTlb();
    writeCr0(cpu, cpu.cr0 & ~(CR0_CD | CR0_NW));
    expect(cached(cpu, LOCAL) && cached(cpu, GLOBAL)).toBe(true);
    writeCr0(cpu, cpu.cr0 | CR0_WP);
    expect(cached(cpu, LOCAL) || cached(cpu, GLOBAL)).toBe(false);
  });

  it('flushes global TLB entries when PG is turned off, and asks the executor to re-examine the mode', () => {
    const cpu = pagedCpuWithTlb();
    cpu.breakBlock = false;
    writeCr0(cpu, cpu.cr0 & ~CR0_PG);
    expect(cached(cpu, GLOBAL)).toBe(false);
    expect(cpu.breakBlock).toBe(true);
  });

  it('LMSW loads PE, MP, EM, TS only and cannot clear PE', () => {
    const cpu = makeCpu();
    lmsw(cpu, 0xfff0 | CR0_MP); // high bits of the word are ignored
    expect(cpu.cr0 & 0xffff).toBe(CR0_ET | CR0_MP);
    expect(cpu.cr0 & (CR0_CD | CR0_NW)).toBe(CR0_CD | CR0_NW); // untouched
    lmsw(cpu, CR0_PE | CR0_TS);
    expect(cpu.cr0 & 0xf).toBe(CR0_PE | CR0_TS);
    lmsw(cpu, 0);
    expect(cpu.cr0 & 0xf).toBe(CR0_PE);
  });

  it('CLTS clears TS only', () => {
    const cpu = makeCpu();
    writeCr0(cpu, cpu.cr0 | CR0_TS | CR0_MP);
    clts(cpu);
    expect(cpu.cr0 & (CR0_TS | CR0_MP)).toBe(CR0_MP);
  });
});

describe('CR3 and CR4 writes', () => {
  it('a CR3 load with a new value drops non-global TLB entries and keeps global ones', () => {
    const cpu = pagedCpuWithTlb();
    const other = 0x180000;
    for (let e = 0; e < 1024; e++) cpu.memory.write32(other + e * 4, cpu.memory.read32(0x100000 + e * 4));
    writeCr3(cpu, other);
    expect(cached(cpu, LOCAL)).toBe(false);
    expect(cached(cpu, GLOBAL)).toBe(true);
  });

  it('reloading the same CR3 after a paging-structure write drops non-global entries, so the new mapping is used', () => {
    const cpu = pagedCpuWithTlb();
    const pteLocal = 0x101000 + ((LOCAL >>> 12) & 0x3ff) * 4;
    cpu.memory.write32(pteLocal, 0x300000 | PTE_P | PTE_RW); // remap LOCAL without INVLPG
    expect(cpu.tlb[LOCAL >>> 12] & -4096).toBe(0x200000); // the TLB keeps the stale mapping until a flush, as on hardware
    writeCr3(cpu, cpu.cr3);
    expect(cached(cpu, LOCAL)).toBe(false);
    expect(cached(cpu, GLOBAL)).toBe(true);
    expect(translate(cpu, LOCAL, ACCESS_READ, false)).toBe(0x300000);
  });

  it('reloading the same CR3 with no paging-structure write since the last flush keeps the (still exact) entries', () => {
    const cpu = pagedCpuWithTlb();
    writeCr3(cpu, cpu.cr3);
    writeCr3(cpu, cpu.cr3);
    expect(cached(cpu, LOCAL)).toBe(true);
    expect(cpu.tlb[LOCAL >>> 12] & -4096).toBe(0x200000);
  });

  it('CR3 keeps the value written, flag bits included', () => {
    const cpu = makeCpu();
    writeCr(cpu, 3, 0x12345018);
    expect(readCr(cpu, 3)).toBe(0x12345018);
  });

  it('setting a reserved or unsupported CR4 bit is #GP(0) and leaves CR4 unchanged', () => {
    const cpu = makeCpu();
    writeCr4(cpu, CR4_PSE);
    for (const bad of [CR4_VME, CR4_PVI, CR4_PAE, CR4_MCE, 1 << 8, 1 << 9, 1 << 31]) {
      expect(cr4WriteError(bad)).not.toBe('');
      const f = faultOf(() => writeCr4(cpu, CR4_PSE | bad));
      expect(f.vector).toBe(Vector.GP);
      expect(f.errorCode).toBe(0);
      expect(cpu.cr4).toBe(CR4_PSE);
    }
    writeCr4(cpu, CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE);
    expect(readCr(cpu, 4)).toBe(CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE);
  });

  it('toggling CR4.PGE or CR4.PSE flushes global entries; toggling TSD or DE does not flush', () => {
    let cpu = pagedCpuWithTlb();
    writeCr4(cpu, cpu.cr4 | CR4_TSD | CR4_DE);
    expect(cached(cpu, LOCAL) && cached(cpu, GLOBAL)).toBe(true);
    writeCr4(cpu, cpu.cr4 & ~CR4_PGE);
    expect(cached(cpu, LOCAL) || cached(cpu, GLOBAL)).toBe(false);
    cpu = pagedCpuWithTlb();
    writeCr4(cpu, cpu.cr4 | CR4_PSE);
    expect(cached(cpu, GLOBAL)).toBe(false);
  });

  it('CR2 is a plain register', () => {
    const cpu = makeCpu();
    writeCr(cpu, 2, 0xdeadb000 | 0);
    expect(readCr(cpu, 2)).toBe(0xdeadb000);
  });
});

describe('debug registers', () => {
  it('DR4 and DR5 alias DR6 and DR7 when CR4.DE = 0', () => {
    const cpu = makeCpu();
    writeDr(cpu, 4, DR6_BD | 1);
    expect(readDr(cpu, 6)).toBe((DR6_FIXED1 | DR6_BD | 1) >>> 0);
    writeDr(cpu, 5, 0x3);
    expect(readDr(cpu, 7)).toBe(0x403);
    expect(readDr(cpu, 4)).toBe(readDr(cpu, 6));
    expect(readDr(cpu, 5)).toBe(readDr(cpu, 7));
  });

  it('DR4 and DR5 are #UD when CR4.DE = 1', () => {
    const cpu = makeCpu();
    cpu.cr4 = CR4_DE;
    expect(faultOf(() => readDr(cpu, 4)).vector).toBe(Vector.UD);
    expect(faultOf(() => writeDr(cpu, 5, 0)).vector).toBe(Vector.UD);
    expect(cpu.dr[7]).toBe(0x400);
  });

  it('DR6 and DR7 keep their fixed bits whatever is written', () => {
    const cpu = makeCpu();
    writeDr(cpu, 6, 0);
    expect(readDr(cpu, 6)).toBe(0xffff0ff0);
    writeDr(cpu, 6, -1);
    expect(readDr(cpu, 6)).toBe(0xffffefff); // bit 12 reads 0
    writeDr(cpu, 7, 0);
    expect(readDr(cpu, 7)).toBe(0x400);
    writeDr(cpu, 7, -1 & ~DR7_GD);
    expect(readDr(cpu, 7)).toBe(0xffff0fff); // bits 12, 14, 15 read 0; bit 10 reads 1
  });

  it('DR0-DR3 hold any 32-bit value', () => {
    const cpu = makeCpu();
    for (let n = 0; n < 4; n++) writeDr(cpu, n, 0x80001000 + n);
    for (let n = 0; n < 4; n++) expect(readDr(cpu, n)).toBe(0x80001000 + n);
  });

  it('with DR7.GD = 1 an access is a #DB fault that sets DR6.BD and clears DR7.GD', () => {
    const cpu = makeCpu();
    writeDr(cpu, 0, 0x1234);
    writeDr(cpu, 7, DR7_GD);
    const f = faultOf(() => writeDr(cpu, 0, 0x5678));
    expect(f.vector).toBe(Vector.DB);
    expect(f.errorCode).toBe(-1);
    expect(cpu.dr[0]).toBe(0x1234);
    expect(cpu.dr[6] & DR6_BD).toBe(DR6_BD);
    expect(cpu.dr[7] & DR7_GD).toBe(0);
    expect(readDr(cpu, 0)).toBe(0x1234); // GD is clear now: the handler may access DRs
  });
});
