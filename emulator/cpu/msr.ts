/**
 * RDMSR/WRMSR dispatch: the model-specific registers of this CPU model and the time-stamp
 * counter they share with RDTSC.
 *
 * Implemented MSRs (SDM Vol. 4 Table 2-2; the model is family 6, model 3):
 *   IA32_TIME_STAMP_COUNTER (10H): the TSC. It is derived from the retired-instruction count,
 *     TSC = cpu.icount + cpu.tscOffset, so runs are deterministic. A write sets the offset.
 *     On this model only the low 32 bits are writable and the high 32 bits are cleared
 *     (SDM Vol. 3B §17.17: "only the low-order 32-bits of the time-stamp counter can be
 *     written (the high-order 32 bits are cleared to 0)" before family 0FH model 03H).
 *   IA32_BIOS_SIGN_ID (8BH): the microcode update signature. No microcode update is ever
 *     loaded, so it reads 0; writes (software writes 0 before CPUID, SDM Vol. 3A §9.11.7)
 *     are accepted and have no effect.
 *   IA32_SYSENTER_CS / _ESP / _EIP (174H–176H): 32-bit registers on this 32-bit processor;
 *     EDX is ignored on write and reads as 0 (as Bochs for a CPU without long mode).
 * Every other index — reserved, or an MSR of a feature CPUID does not report (APIC,
 * IA32_APIC_BASE; MTRRs; machine check; IA32_MISC_ENABLE, which appeared with the
 * Pentium 4) — is #GP(0) (SDM Vol. 2B "RDMSR", "WRMSR": "If the value in ECX specifies a
 * reserved or unimplemented MSR address").
 *
 * The functions take a `Cpu` so that the VMM can emulate intercepted RDMSR/WRMSR against a
 * guest CPU state (exit reasons RDMSR and WRMSR).
 */
import {
  IA32_BIOS_SIGN_ID,
  IA32_SYSENTER_CS,
  IA32_SYSENTER_EIP,
  IA32_SYSENTER_ESP,
  IA32_TIME_STAMP_COUNTER,
  MSR_NAMES,
} from '../arch/msr';
import type { Cpu } from './cpu';
import { gp } from './fault';

/** A 64-bit MSR value as two uint32 halves (EDX:EAX). */
export interface MsrValue {
  lo: number;
  hi: number;
}

/** The MSR indices RDMSR/WRMSR accept on this model (for the debugger's MSR view). */
export const IMPLEMENTED_MSRS: readonly number[] = Object.freeze([
  IA32_TIME_STAMP_COUNTER,
  IA32_BIOS_SIGN_ID,
  IA32_SYSENTER_CS,
  IA32_SYSENTER_ESP,
  IA32_SYSENTER_EIP,
]);

const TWO32 = 0x100000000;

/**
 * The time-stamp counter now (a non-negative integer below 2^53): the number of
 * instructions retired before the current one, plus the offset set by WRMSR or reset.
 */
export function readTsc(cpu: Cpu): number {
  return cpu.icount + cpu.tscOffset;
}

/** Set the TSC so that `readTsc` returns `value` now (a non-negative integer below 2^53). */
export function setTsc(cpu: Cpu, value: number): void {
  cpu.tscOffset = value - cpu.icount;
}

/** Display name of an MSR index ('MSR 0x…' for unnamed ones). */
export function msrName(index: number): string {
  return MSR_NAMES[index >>> 0] ?? `MSR 0x${(index >>> 0).toString(16)}`;
}

/**
 * RDMSR: read the MSR `index` (ECX) into `out` (EDX:EAX halves, uint32).
 * @throws CpuFault #GP(0) for an MSR this model does not implement
 */
export function readMsr(cpu: Cpu, index: number, out: MsrValue): void {
  switch (index >>> 0) {
    case IA32_TIME_STAMP_COUNTER: {
      const tsc = readTsc(cpu);
      out.lo = tsc >>> 0;
      out.hi = Math.floor(tsc / TWO32) >>> 0;
      return;
    }
    case IA32_BIOS_SIGN_ID:
      out.lo = 0;
      out.hi = 0;
      return;
    case IA32_SYSENTER_CS:
      out.lo = cpu.sysenterCs >>> 0;
      out.hi = 0;
      return;
    case IA32_SYSENTER_ESP:
      out.lo = cpu.sysenterEsp >>> 0;
      out.hi = 0;
      return;
    case IA32_SYSENTER_EIP:
      out.lo = cpu.sysenterEip >>> 0;
      out.hi = 0;
      return;
    default:
      throw gp(0, `RDMSR of unimplemented ${msrName(index)}`);
  }
}

/**
 * WRMSR: write EDX:EAX (`hi`:`lo`) to the MSR `index` (ECX).
 * @throws CpuFault #GP(0) for an MSR this model does not implement (nothing changes)
 */
export function writeMsr(cpu: Cpu, index: number, lo: number, hi: number): void {
  void hi; // no implemented MSR of this model has writable bits in EDX (see the file header)
  switch (index >>> 0) {
    case IA32_TIME_STAMP_COUNTER:
      setTsc(cpu, lo >>> 0);
      return;
    case IA32_BIOS_SIGN_ID:
      return;
    case IA32_SYSENTER_CS:
      cpu.sysenterCs = lo >>> 0;
      return;
    case IA32_SYSENTER_ESP:
      cpu.sysenterEsp = lo >>> 0;
      return;
    case IA32_SYSENTER_EIP:
      cpu.sysenterEip = lo >>> 0;
      return;
    default:
      throw gp(0, `WRMSR to unimplemented ${msrName(index)}`);
  }
}
