/**
 * Put the CPU into the state a boot program is entered in: real mode at a CS:IP (the BIOS's
 * boot sector jump), or a loader's `EntryState` (emulator/loader/types.ts) — flat
 * protected mode for Multiboot and ELF kernels, real or protected mode for flat binaries.
 *
 * The protected-mode entry writes a GDT into guest memory holding exactly the descriptors
 * the entry segments name (so the selectors in the segment registers are backed by real
 * descriptors, should the kernel reload them before installing its own GDT) and loads the
 * hidden caches to match. Multiboot §3.2 leaves GDTR undefined and requires the kernel to
 * set up its own GDT; Vanderpool's is valid but not to be relied on.
 *
 * @see Intel SDM Vol. 3A §9.9 "Mode Switching"; Multiboot Specification 0.6.96 §3.2
 *      "Machine state".
 */
import { CR0_ET, CR0_PE } from '../arch/control-registers';
import { EFLAGS_FIXED1 } from '../arch/eflags';
import { AR_ACCESSED, AR_CODE, AR_DB, AR_G, AR_P, AR_RW, AR_S, encodeDescriptor, SegReg } from '../arch/segments';
import { EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP, type Cpu } from '../cpu/cpu';
import { updateAccessMasks } from '../cpu/memory-access';
import { flushTlb } from '../cpu/paging';
import { loadSegmentCache } from '../cpu/segmentation';
import type { EntryState, FlatSegment } from '../loader/types';

const REAL_CODE_AR = AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED;
const REAL_DATA_AR = AR_P | AR_S | AR_RW | AR_ACCESSED;

/** Register values a boot program is entered with (missing ones are zero). */
export interface EntryRegisters {
  eax?: number;
  ebx?: number;
  ecx?: number;
  edx?: number;
  esi?: number;
  edi?: number;
  ebp?: number;
  esp?: number;
}

const REG_INDEX: Record<keyof EntryRegisters, number> = { eax: EAX, ebx: EBX, ecx: ECX, edx: EDX, esi: ESI, edi: EDI, ebp: EBP, esp: ESP };

function setRegisters(cpu: Cpu, regs: EntryRegisters): void {
  cpu.regs.fill(0, 0, 8);
  for (const [name, value] of Object.entries(regs) as [keyof EntryRegisters, number | undefined][]) {
    if (value !== undefined) cpu.regs[REG_INDEX[name]] = value;
  }
}

/**
 * Enter real mode at `cs`:`ip` with every data segment register = `dataSegment`, the
 * given registers and EFLAGS (the hidden caches are the real-mode ones: base = selector ×
 * 16, limit FFFFh). CR0.PE must already be 0 (after reset it is).
 */
export function enterRealMode(cpu: Cpu, cs: number, ip: number, regs: EntryRegisters, eflags: number, dataSegment = 0, stackSegment = 0): void {
  loadSegmentCache(cpu, SegReg.CS, cs, (cs & 0xffff) << 4, 0xffff, REAL_CODE_AR);
  for (const s of [SegReg.DS, SegReg.ES, SegReg.FS, SegReg.GS]) loadSegmentCache(cpu, s, dataSegment, (dataSegment & 0xffff) << 4, 0xffff, REAL_DATA_AR);
  loadSegmentCache(cpu, SegReg.SS, stackSegment, (stackSegment & 0xffff) << 4, 0xffff, REAL_DATA_AR);
  setRegisters(cpu, regs);
  cpu.flags = (eflags | EFLAGS_FIXED1) >>> 0;
  cpu.lazyMask = 0;
  cpu.eip = ip & 0xffff;
  cpu.halted = false;
  cpu.breakBlock = true;
}

/**
 * Apply a loader's entry state.
 * @param gdtBase where to write the GDT for a protected-mode entry (physical; 8 bytes per
 *   descriptor up to the highest selector used)
 */
export function applyEntryState(cpu: Cpu, entry: EntryState, gdtBase: number): void {
  if (entry.mode === 'real') {
    const eip = entry.eip >>> 0;
    // CS:IP = 0:entry below 64 KiB, else the segment holding it.
    const cs = eip < 0x10000 ? 0 : eip >>> 4;
    const ip = eip < 0x10000 ? eip : eip & 0xf;
    enterRealMode(cpu, cs, ip, entry.registers, entry.eflags);
    return;
  }
  const segs = entry.segments ?? {
    cs: { selector: 0x08, base: 0, limit: 0xffffffff, type: 0xb, db: true },
    ds: { selector: 0x10, base: 0, limit: 0xffffffff, type: 0x3, db: true },
    es: { selector: 0x10, base: 0, limit: 0xffffffff, type: 0x3, db: true },
    fs: { selector: 0x10, base: 0, limit: 0xffffffff, type: 0x3, db: true },
    gs: { selector: 0x10, base: 0, limit: 0xffffffff, type: 0x3, db: true },
    ss: { selector: 0x10, base: 0, limit: 0xffffffff, type: 0x3, db: true },
  };
  const order: [keyof typeof segs, SegReg][] = [
    ['cs', SegReg.CS],
    ['ds', SegReg.DS],
    ['es', SegReg.ES],
    ['fs', SegReg.FS],
    ['gs', SegReg.GS],
    ['ss', SegReg.SS],
  ];
  let highest = 0;
  for (const [name] of order) highest = Math.max(highest, segs[name].selector >>> 3);
  const mem = cpu.memory;
  for (let i = 0; i <= highest; i++) {
    mem.write32(gdtBase + i * 8, 0);
    mem.write32(gdtBase + i * 8 + 4, 0);
  }
  const arOf = (s: FlatSegment): number => AR_P | AR_S | (s.type & 0xf) | (s.db ? AR_DB : 0) | (s.limit > 0xfffff ? AR_G : 0);
  for (const [name] of order) {
    const s = segs[name];
    const [lo, hi] = encodeDescriptor(s.base, s.limit > 0xfffff ? s.limit >>> 12 : s.limit, arOf(s));
    const at = gdtBase + (s.selector >>> 3) * 8;
    mem.write32(at, lo);
    mem.write32(at + 4, hi);
  }
  cpu.gdtr.base = gdtBase;
  cpu.gdtr.limit = (highest + 1) * 8 - 1;
  cpu.cr0 = (entry.cr0 | CR0_PE | CR0_ET) >>> 0;
  for (const [name, reg] of order) {
    const s = segs[name];
    loadSegmentCache(cpu, reg, s.selector, s.base, s.limit, arOf(s));
  }
  updateAccessMasks(cpu);
  flushTlb(cpu, true);
  setRegisters(cpu, entry.registers);
  cpu.flags = (entry.eflags | EFLAGS_FIXED1) >>> 0;
  cpu.lazyMask = 0;
  cpu.eip = entry.eip >>> 0;
  cpu.halted = false;
  cpu.breakBlock = true;
}
