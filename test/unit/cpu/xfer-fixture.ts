/**
 * A small machine for the data-transfer, stack, control-transfer, string, flag and I/O
 * instruction tests: a CPU with 1 MiB of RAM in real mode (CS base 0) or flat
 * protected mode (segment caches written directly), code placed in memory and run with
 * the executor, and faults observed through `cpu.hooks.onEvent` with a snapshot of the
 * state at the fault (delivery then changes the state, and may end in shutdown when no
 * IDT is set up; the snapshot is what the tests check).
 */
import { CR0_PE } from '../../../emulator/arch/control-registers';
import { EFLAGS_IOPL, EFLAGS_IOPL_SHIFT } from '../../../emulator/arch/eflags';
import { AR_ACCESSED, AR_CODE, AR_DB, AR_G, AR_P, AR_RW, AR_S, SegReg } from '../../../emulator/arch/segments';
import { Cpu } from '../../../emulator/cpu/cpu';
import { run } from '../../../emulator/cpu/executor';
import { getEflags, setEflagsBits } from '../../../emulator/cpu/flags';
import { updateAccessMasks } from '../../../emulator/cpu/memory-access';
import { IoBus } from '../../../emulator/memory/io-bus';
import { PhysicalMemory } from '../../../emulator/memory/physical-memory';

export const CODE = 0x1000;
export const DATA_AR = AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB | AR_G;
export const CODE32_AR = AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED | AR_DB | AR_G;
export const REAL_DATA_AR = AR_P | AR_S | AR_RW | AR_ACCESSED;
export const REAL_CODE_AR = REAL_DATA_AR | AR_CODE;

/** A fault seen by onEvent, with the state at that moment. */
export interface SeenFault {
  vector: number;
  errorCode: number;
  eip: number;
  regs: number[];
  eflags: number;
}

export interface Machine {
  cpu: Cpu;
  faults: SeenFault[];
}

function watch(cpu: Cpu): SeenFault[] {
  const faults: SeenFault[] = [];
  cpu.hooks.onEvent = (vector, errorCode, kind) => {
    if (kind !== 'exception') return;
    faults.push({ vector, errorCode, eip: cpu.eip, regs: Array.from(cpu.regs.subarray(0, 8)), eflags: getEflags(cpu) });
    cpu.requestStop('test: fault observed');
  };
  return faults;
}

/** Real-address mode, CS = DS = ES = SS = 0 (base 0, limit FFFFh). */
export function realMode(): Machine {
  const cpu = new Cpu(new PhysicalMemory(1 << 20), new IoBus());
  for (const s of cpu.segs) s.setCache(0, 0, 0xffff, REAL_DATA_AR);
  cpu.segs[SegReg.CS].setCache(0, 0, 0xffff, REAL_CODE_AR);
  return { cpu, faults: watch(cpu) };
}

/** Flat 32-bit protected mode at privilege `cpl` (CS 32-bit, SS B = 1, all limits 4 GiB). */
export function protectedMode(cpl = 0): Machine {
  const cpu = new Cpu(new PhysicalMemory(1 << 20), new IoBus());
  cpu.cr0 |= CR0_PE;
  const dpl = cpl << 5;
  for (const s of [SegReg.ES, SegReg.SS, SegReg.DS, SegReg.FS, SegReg.GS]) cpu.segs[s].setCache(0x10 | cpl, 0, 0xffffffff, DATA_AR | dpl);
  cpu.segs[SegReg.CS].setCache(0x08 | cpl, 0, 0xffffffff, CODE32_AR | dpl);
  cpu.cpl = cpl;
  updateAccessMasks(cpu);
  cpu.regs[4] = 0x8000;
  return { cpu, faults: watch(cpu) };
}

/** Set EFLAGS.IOPL. */
export function setIopl(cpu: Cpu, iopl: number): void {
  setEflagsBits(cpu, iopl << EFLAGS_IOPL_SHIFT, EFLAGS_IOPL);
}

/** Write bytes at physical address `at` (through PhysicalMemory, so decoded code is invalidated). */
export function poke(cpu: Cpu, at: number, bytes: number[]): void {
  cpu.memory.writeBytes(at, Uint8Array.from(bytes));
}

/** Place `bytes` at CS:`at` (CS base is 0 in these machines) and point EIP at them. */
export function load(cpu: Cpu, bytes: number[], at = CODE): void {
  poke(cpu, at, bytes);
  cpu.eip = at;
}

/** Run `n` instructions with the executor. */
export function runN(m: Machine, n: number): void {
  run(m.cpu, n);
}

export const rd8 = (cpu: Cpu, a: number): number => cpu.memory.read8(a);
export const rd16 = (cpu: Cpu, a: number): number => cpu.memory.read16(a);
export const rd32 = (cpu: Cpu, a: number): number => cpu.memory.read32(a) >>> 0;
export const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
export const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
