/**
 * A small protected-mode machine for the segmentation, interrupt and far-transfer tests:
 * 1 MiB of RAM, paging off (linear = physical), and real descriptor tables in memory — a
 * GDT, an IDT, a 32-bit TSS and an LDT — so that every segment load and every event
 * goes through the descriptor reads and checks under test. Segment caches are set up
 * from those descriptors with `loadSegmentCache` (machine set-up, no checks).
 *
 * Standard GDT (selectors):
 *   08 ring-0 code32 flat   10 ring-0 data32 flat   1B ring-3 code32 flat   23 ring-3 data32 flat
 *   28 32-bit TSS (available until LTR / `useTss`)  30 LDT descriptor
 *   38 ring-1 code32 flat   41 ring-1 data32 flat   48 ring-0 conforming code32 flat
 * Entries 0x50 and up are free for each test.
 */
import { CR0_PE } from '../../../emulator/arch/control-registers';
import {
  AR_ACCESSED,
  AR_CODE,
  AR_DB,
  AR_DC,
  AR_G,
  AR_P,
  AR_RW,
  AR_S,
  decodeDescriptor,
  encodeDescriptor,
  SegReg,
  SystemType,
} from '../../../emulator/arch/segments';
import { Cpu } from '../../../emulator/cpu/cpu';
import { arraySource, decode } from '../../../emulator/cpu/decoder/decoder';
import { CpuFault } from '../../../emulator/cpu/fault';
import { loadSegmentCache } from '../../../emulator/cpu/segmentation';
import { IoBus } from '../../../emulator/memory/io-bus';
import { PhysicalMemory } from '../../../emulator/memory/physical-memory';

export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS = 0x3000;
export const LDT = 0x3800;
/** Ring-0 stack top (TSS ESP0), ring-1 stack top (ESP1), ring-3 stack top. */
export const STACK0 = 0x9000;
export const STACK1 = 0xa000;
export const STACK3 = 0xc000;

export const KCODE = 0x08;
export const KDATA = 0x10;
export const UCODE = 0x1b;
export const UDATA = 0x23;
export const TSS_SEL = 0x28;
export const LDT_SEL = 0x30;
export const R1CODE = 0x39;
export const R1DATA = 0x41;
export const KCONF = 0x48;

export const dpl = (n: number): number => n << 5;
/** Access rights (VMCS layout) of a flat 32-bit code / data segment. */
export const CODE32 = AR_P | AR_S | AR_CODE | AR_RW | AR_DB | AR_G;
export const DATA32 = AR_P | AR_S | AR_RW | AR_DB | AR_G;
export { AR_ACCESSED, AR_CODE, AR_DB, AR_DC, AR_G, AR_P, AR_RW, AR_S };

export class Machine {
  readonly cpu = new Cpu(new PhysicalMemory(1 << 20), new IoBus());
  /** Exceptions and interrupts seen by onEvent, in order. */
  readonly events: { vector: number; errorCode: number; kind: string; reason?: string }[] = [];

  constructor() {
    const cpu = this.cpu;
    cpu.hooks.onEvent = (vector, errorCode, kind, fault) => this.events.push({ vector, errorCode, kind, reason: fault?.reason });
    cpu.gdtr.base = GDT;
    cpu.gdtr.limit = 0x200 - 1;
    cpu.idtr.base = IDT;
    cpu.idtr.limit = 256 * 8 - 1;
    this.setDescriptor(KCODE, 0, 0xfffff, CODE32);
    this.setDescriptor(KDATA, 0, 0xfffff, DATA32);
    this.setDescriptor(UCODE, 0, 0xfffff, CODE32 | dpl(3));
    this.setDescriptor(UDATA, 0, 0xfffff, DATA32 | dpl(3));
    this.setDescriptor(TSS_SEL, TSS, 0x67, AR_P | SystemType.TSS32_AVAILABLE);
    this.setDescriptor(LDT_SEL, LDT, 0x7f, AR_P | SystemType.LDT);
    this.setDescriptor(R1CODE, 0, 0xfffff, CODE32 | dpl(1));
    this.setDescriptor(R1DATA, 0, 0xfffff, DATA32 | dpl(1));
    this.setDescriptor(KCONF, 0, 0xfffff, CODE32 | AR_DC);
    // TSS: ESP0/SS0, ESP1/SS1.
    this.w32(TSS + 4, STACK0);
    this.w16(TSS + 8, KDATA);
    this.w32(TSS + 12, STACK1);
    this.w16(TSS + 16, R1DATA);
  }

  w8(a: number, v: number): void {
    this.cpu.memory.write8(a, v);
  }
  w16(a: number, v: number): void {
    this.cpu.memory.write16(a, v);
  }
  w32(a: number, v: number): void {
    this.cpu.memory.write32(a, v);
  }
  r16(a: number): number {
    return this.cpu.memory.read16(a);
  }
  r32(a: number): number {
    return this.cpu.memory.read32(a) >>> 0;
  }
  /** Bytes at a physical address. */
  poke(a: number, bytes: number[]): void {
    this.cpu.memory.writeBytes(a, Uint8Array.from(bytes));
  }

  /** Write a code/data/system descriptor into the GDT (or LDT when the selector's TI = 1); `rawLimit` in units of G. */
  setDescriptor(selector: number, base: number, rawLimit: number, ar: number): void {
    const table = selector & 4 ? LDT : GDT;
    const [lo, hi] = encodeDescriptor(base, rawLimit, ar);
    this.w32(table + (selector & 0xfff8), lo);
    this.w32(table + (selector & 0xfff8) + 4, hi);
  }

  /** Descriptor high dword, to inspect accessed / busy bits. */
  descriptorHigh(selector: number): number {
    return this.r32((selector & 4 ? LDT : GDT) + (selector & 0xfff8) + 4);
  }

  /** Write a gate (call, interrupt, trap or task gate) at linear `at`. */
  gateAt(at: number, selector: number, offset: number, type: number, gateDpl: number, params = 0, present = true): void {
    this.w32(at, ((selector & 0xffff) << 16) | (offset & 0xffff));
    this.w32(at + 4, (offset & 0xffff0000) | ((present ? 0x80 : 0) << 8) | (gateDpl << 13) | (type << 8) | (params & 0x1f));
  }

  /** An IDT gate for `vector`. */
  idtGate(vector: number, selector: number, offset: number, type = SystemType.INTERRUPT_GATE32, gateDpl = 0, present = true): void {
    this.gateAt(IDT + vector * 8, selector, offset, type, gateDpl, 0, present);
  }

  /** A call gate in the GDT (or LDT). */
  callGate(selector: number, target: number, offset: number, gateDpl: number, params = 0, type = SystemType.CALL_GATE32): void {
    this.gateAt((selector & 4 ? LDT : GDT) + (selector & 0xfff8), target, offset, type, gateDpl, params);
  }

  /** Load a segment register's cache from the descriptor the selector names (set-up only: no checks). */
  load(seg: SegReg, selector: number): void {
    const at = (selector & 4 ? LDT : GDT) + (selector & 0xfff8);
    const d = decodeDescriptor(this.r32(at), this.r32(at + 4));
    loadSegmentCache(this.cpu, seg, selector, d.base, d.limit, d.ar);
  }

  /**
   * Enter 32-bit protected mode at privilege `cpl` (0 or 3) with the standard flat segments,
   * TR = the TSS (busy) and LDTR = the LDT, ESP at that ring's stack top.
   */
  protectedMode(cpl = 0): this {
    const cpu = this.cpu;
    cpu.cr0 |= CR0_PE;
    const code = cpl === 3 ? UCODE : cpl === 1 ? R1CODE : KCODE;
    const data = cpl === 3 ? UDATA : cpl === 1 ? R1DATA : KDATA;
    this.load(SegReg.CS, code);
    for (const s of [SegReg.ES, SegReg.SS, SegReg.DS, SegReg.FS, SegReg.GS]) this.load(s, data);
    this.setDescriptor(TSS_SEL, TSS, 0x67, AR_P | SystemType.TSS32_BUSY);
    const tss = decodeDescriptor(this.r32(GDT + TSS_SEL), this.r32(GDT + TSS_SEL + 4));
    cpu.tr.setCache(TSS_SEL, tss.base, tss.limit, tss.ar);
    cpu.ldtr.setCache(LDT_SEL, LDT, 0x7f, AR_P | SystemType.LDT);
    cpu.regs[4] = cpl === 3 ? STACK3 : cpl === 1 ? STACK1 : STACK0;
    return this;
  }

  /** Place code at `at` and point EIP there. */
  code(at: number, bytes: number[]): void {
    this.poke(at, bytes);
    this.cpu.eip = at;
  }

  /**
   * Execute one instruction given as bytes the way the executor does (EIP past it while the
   * handler runs, restored on a fault), without fetching and without delivering the fault.
   */
  exec(bytes: number[]): CpuFault | null {
    const cpu = this.cpu;
    const insn = decode(arraySource(Uint8Array.from(bytes)), cpu.segs[SegReg.CS].big);
    const start = cpu.eip;
    cpu.eip = (start + insn.len) >>> 0;
    try {
      insn.exec(cpu, insn);
      return null;
    } catch (e) {
      if (!(e instanceof CpuFault)) throw e;
      cpu.eip = start;
      return e;
    }
  }
}

/** Run `fn`, which must throw a CpuFault, and return that fault. */
export function faultOf(fn: () => void): CpuFault {
  try {
    fn();
  } catch (e) {
    if (e instanceof CpuFault) return e;
    throw e;
  }
  throw new Error('expected a CpuFault, none was raised');
}

export const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
export const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
