// Differential harness for the executor's two tiers (test/unit/cpu/executor.test.ts).
//
// A guest is assembled with our NASM-syntax assembler and loaded into a fresh 16-MiB
// machine in flat 32-bit protected mode (optionally paged, identity-mapped) or in real
// mode. `differential` builds the same guest twice, once with the block tier on and once
// with it off (`codeCache(cpu).blocksEnabled`), drives both with the same driver function,
// and returns the complete final state of each — GPRs, EIP, EFLAGS, segment selectors,
// CR2, the instruction count, the halted flag and a hash of all guest RAM — plus whatever
// trace the driver recorded (stop reasons, values seen by hooks and devices). The test then
// requires the two to be identical and the blocks-on run to have compiled blocks.
import { createHash } from 'node:crypto';
import { assemble } from '../../emulator/asm/index';
import { AR_P, SegReg, SystemType } from '../../emulator/arch/segments';
import { Cpu, type InterruptLine } from '../../emulator/cpu/cpu';
import { codeCache } from '../../emulator/cpu/executor';
import { getEflags } from '../../emulator/cpu/flags';
import { enterFlatProtectedMode, FLAT_CODE_SEL } from '../../emulator/machine/flat-protected-mode';
import { loadSegmentCache } from '../../emulator/cpu/segmentation';
import { IoBus } from '../../emulator/memory/io-bus';
import { PhysicalMemory } from '../../emulator/memory/physical-memory';

/** Guest RAM size (bytes). */
export const RAM_BYTES = 16 << 20;
/** Where protected-mode guests are assembled (`org`) and loaded (physical = linear). */
export const CODE_BASE = 0x10000;
/** Initial ESP of protected-mode guests. */
export const STACK_TOP = 0x9000;
/** The IDT of protected-mode guests: 256 gates, all not-present unless `gates` names a handler. */
export const IDT_BASE = 0x1000;
/** Paging (when on): page directory here, identity page tables for 16 MiB right after it. */
export const PAGE_DIRECTORY = 0x200000;
/** Physical address of the PTE mapping linear page `lin` (the identity tables are contiguous). */
export const pteAddress = (lin: number): number => PAGE_DIRECTORY + 0x1000 + (lin >>> 12) * 4;

/** A loaded guest: its CPU and the addresses of its labels. */
export class Guest {
  constructor(
    readonly cpu: Cpu,
    private readonly symbols: Map<string, number>,
  ) {}

  /** Address of label `name` (throws on a typo, so a test cannot silently use undefined). */
  sym(name: string): number {
    const a = this.symbols.get(name);
    if (a === undefined) throw new Error(`guest has no label ${name}`);
    return a;
  }
}

/** Assemble `source` (NASM syntax, with its own `bits`/`org`); throw with the diagnostics on error. */
export function assembleGuest(source: string): { bytes: Uint8Array; origin: number; symbols: Map<string, number> } {
  const r = assemble(source, { fileName: 'guest.asm' });
  if (r.errors.length > 0) throw new Error(`guest does not assemble:\n${r.errors.map((e) => JSON.stringify(e)).join('\n')}`);
  return { bytes: r.bytes, origin: r.origin, symbols: new Map(r.symbols.map((s) => [s.name, s.address])) };
}

export interface FlatGuestOptions {
  /** Block tier on or off. */
  blocks: boolean;
  /** Turn paging on (identity map of all 16 MiB with 4-KiB pages). */
  paging?: boolean;
  /** IDT: vector → label of its handler (32-bit interrupt gate, selector 08h, DPL 0). */
  gates?: Record<number, string>;
  /** Label where execution starts (default `start`). */
  entry?: string;
}

/**
 * A fresh machine in flat 32-bit protected mode running `body` (assembled with `bits 32`
 * and `org CODE_BASE` prepended), with ESP = STACK_TOP, EFLAGS = 2 and the IDT of `gates`.
 */
export function flatGuest(body: string, options: FlatGuestOptions): Guest {
  const { bytes, symbols } = assembleGuest(`bits 32\norg 0x${CODE_BASE.toString(16)}\n${body}`);
  const cpu = new Cpu(new PhysicalMemory(RAM_BYTES), new IoBus());
  const entry = symbols.get(options.entry ?? 'start');
  if (entry === undefined) throw new Error('guest has no entry label');
  enterFlatProtectedMode(cpu, {
    eip: entry,
    esp: STACK_TOP,
    paging: options.paging ? { identityMiB: 16, directory: PAGE_DIRECTORY } : undefined,
  });
  cpu.memory.writeBytes(CODE_BASE, bytes);
  const guest = new Guest(cpu, symbols);
  for (const [v, label] of Object.entries(options.gates ?? {})) setInterruptGate(cpu, Number(v), guest.sym(label));
  cpu.idtr.base = IDT_BASE;
  cpu.idtr.limit = 256 * 8 - 1;
  codeCache(cpu).blocksEnabled = options.blocks;
  return guest;
}

/** Write a present 32-bit interrupt gate (DPL 0, selector 08h) for `vector` into the IDT at IDT_BASE. */
export function setInterruptGate(cpu: Cpu, vector: number, handler: number): void {
  const at = IDT_BASE + vector * 8;
  cpu.memory.write32(at, (FLAT_CODE_SEL << 16) | (handler & 0xffff));
  cpu.memory.write32(at + 4, (handler & 0xffff0000) | ((AR_P | SystemType.INTERRUPT_GATE32) << 8));
}

/** The state both tiers must agree on. */
export interface FinalState {
  regs: number[];
  eip: number;
  eflags: number;
  selectors: number[];
  cr2: number;
  icount: number;
  halted: boolean;
  /** SHA-256 of all guest RAM. */
  ram: string;
}

export function finalState(cpu: Cpu): FinalState {
  return {
    regs: Array.from(cpu.regs.subarray(0, 8), (r) => r >>> 0),
    eip: cpu.eip,
    eflags: getEflags(cpu) >>> 0,
    selectors: cpu.segs.map((s) => s.selector),
    cr2: cpu.cr2 >>> 0,
    icount: cpu.icount,
    halted: cpu.halted,
    ram: createHash('sha256').update(cpu.memory.ram).digest('hex'),
  };
}

/** One tier's run: the guest, its final state and the driver's trace. */
export interface TierRun<T> {
  guest: Guest;
  state: FinalState;
  trace: T;
}

/**
 * Build the guest twice (blocks on, blocks off), drive each with `drive`, and return both
 * runs. The caller compares them with `expectSameRuns`.
 */
export function differential<T>(build: (blocks: boolean) => Guest, drive: (g: Guest) => T): { on: TierRun<T>; off: TierRun<T> } {
  const one = (blocks: boolean): TierRun<T> => {
    const guest = build(blocks);
    const trace = drive(guest);
    return { guest, state: finalState(guest.cpu), trace };
  };
  return { on: one(true), off: one(false) };
}

export interface RealGuestOptions {
  blocks: boolean;
  /** Real-mode code segment (paragraph); the code is loaded at cs << 4. */
  cs: number;
  /** Label where execution starts (default `start`). */
  entry?: string;
  /** Initial SP (SS = 0). */
  sp?: number;
}

/**
 * A fresh machine in real-address mode (the reset state) running `body`, assembled with
 * `bits 16` and `org 0` prepended and loaded at `cs << 4`; CS:IP = cs:entry, SS:SP = 0:sp.
 */
export function realGuest(body: string, options: RealGuestOptions): Guest {
  const { bytes, symbols } = assembleGuest(`bits 16\norg 0\n${body}`);
  const cpu = new Cpu(new PhysicalMemory(RAM_BYTES), new IoBus());
  const cs = cpu.segs[SegReg.CS];
  loadSegmentCache(cpu, SegReg.CS, options.cs, options.cs << 4, 0xffff, cs.ar);
  cpu.memory.writeBytes(options.cs << 4, bytes);
  const guest = new Guest(cpu, symbols);
  cpu.eip = guest.sym(options.entry ?? 'start');
  cpu.regs[4] = options.sp ?? 0x7000;
  codeCache(cpu).blocksEnabled = options.blocks;
  return guest;
}

/**
 * An INTR source that becomes pending when `cpu.icount` reaches `next` and, once
 * acknowledged, is due again after the next of `periods` (cycled) instructions. The
 * executor polls it only in its slow path (run entry, after an instruction that set
 * cpu.breakBlock), as a machine that polls devices between runs would.
 */
export class TimerLine implements InterruptLine {
  next = Infinity;
  private acks = 0;
  constructor(
    private readonly cpu: Cpu,
    readonly vector: number,
    readonly periods: readonly number[],
  ) {}

  pending(): boolean {
    return this.cpu.icount >= this.next;
  }

  acknowledge(): number {
    this.next = this.cpu.icount + this.periods[this.acks++ % this.periods.length];
    return this.vector;
  }
}
