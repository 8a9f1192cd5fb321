/**
 * CPUID for this CPU model, as data.
 *
 * The model: a Pentium Pro/II-class IA-32 processor (family 6, model 3, stepping 3) with
 * no x87 FPU. It reports only what this emulator implements:
 *   DE (CR4.DE, DR4/DR5 aliasing), PSE (4-MiB pages), TSC (RDTSC, CR4.TSD), MSR
 *   (RDMSR/WRMSR), CX8 (CMPXCHG8B), SEP (SYSENTER/SYSEXIT), PGE (global pages), CMOV.
 * Not reported because not implemented: FPU, VME, PAE, MCE, APIC, MTRR, MCA, PAT, PSE-36,
 * MMX, FXSR, SSE.
 *
 * Leaves: 0 (maximum basic leaf and vendor) and 1 (signature and features). Leaf 2 (cache
 * and TLB descriptors), which a real Pentium II has, is deliberately not offered: we model
 * no caches and our TLB does not match any descriptor, so the maximum basic leaf is 1.
 * A leaf above the maximum — including 80000000H and up, since this model has no extended
 * leaves — returns the values of the highest basic leaf, as Intel processors do (SDM Vol. 2A
 * "CPUID", "If a value entered for CPUID.EAX is higher than the maximum input value for
 * basic or extended function for that processor then the data for the highest basic
 * information leaf is returned"). ECX (sub-leaf) is not used by leaves 0 and 1.
 *
 * @see Intel SDM Vol. 2A "CPUID—CPU Identification", Tables 3-8, 3-10 and 3-11.
 */
import {
  CPUID_1_EDX_CMOV,
  CPUID_1_EDX_CX8,
  CPUID_1_EDX_DE,
  CPUID_1_EDX_MSR,
  CPUID_1_EDX_PGE,
  CPUID_1_EDX_PSE,
  CPUID_1_EDX_SEP,
  CPUID_1_EDX_TSC,
} from '../arch/cpuid';
import { EAX, EBX, ECX, EDX, type Cpu } from './cpu';

/** The four registers one CPUID leaf returns (int32 each). */
export interface CpuidLeaf {
  readonly eax: number;
  readonly ebx: number;
  readonly ecx: number;
  readonly edx: number;
}

/** Vendor identification string (EBX, EDX, ECX of leaf 0). */
export const CPUID_VENDOR = 'GenuineIntel';
/** Highest basic leaf (CPUID.0:EAX). */
export const CPUID_MAX_BASIC_LEAF = 1;
/**
 * Processor signature, CPUID.1:EAX: stepping 3 (3:0), model 3 (7:4), family 6 (11:8),
 * type 0 = original OEM processor (13:12). cpu.reset puts the same value in EDX.
 */
export const CPUID_SIGNATURE = 0x00000633;
/** Feature flags, CPUID.1:EDX (see the file header). */
export const CPUID_FEATURES_EDX =
  CPUID_1_EDX_DE | CPUID_1_EDX_PSE | CPUID_1_EDX_TSC | CPUID_1_EDX_MSR | CPUID_1_EDX_CX8 | CPUID_1_EDX_SEP | CPUID_1_EDX_PGE | CPUID_1_EDX_CMOV;

/** Four ASCII characters as a little-endian dword, the way CPUID returns strings. */
function ascii4(s: string, at: number): number {
  return (s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24)) | 0;
}

/** The basic leaves, indexed by leaf number (0 .. CPUID_MAX_BASIC_LEAF). */
export const CPUID_LEAVES: readonly CpuidLeaf[] = Object.freeze([
  // Leaf 0: maximum basic leaf; "Genu" "ineI" "ntel" in EBX, EDX, ECX.
  Object.freeze({ eax: CPUID_MAX_BASIC_LEAF, ebx: ascii4(CPUID_VENDOR, 0), edx: ascii4(CPUID_VENDOR, 4), ecx: ascii4(CPUID_VENDOR, 8) }),
  // Leaf 1: signature; EBX = 0 (no brand index, no CLFLUSH line size, no local APIC ID); ECX = 0.
  Object.freeze({ eax: CPUID_SIGNATURE, ebx: 0, ecx: 0, edx: CPUID_FEATURES_EDX }),
]);

/**
 * The values CPUID returns for `leaf` (EAX on input, uint32 or int32). Leaves above the
 * maximum return the highest basic leaf (see the file header). No allocation.
 */
export function cpuidLeaf(leaf: number): CpuidLeaf {
  const n = leaf >>> 0;
  return CPUID_LEAVES[n <= CPUID_MAX_BASIC_LEAF ? n : CPUID_MAX_BASIC_LEAF];
}

/** CPUID: EAX selects the leaf; EAX, EBX, ECX and EDX receive it (SDM Vol. 2A "CPUID"). */
export function executeCpuid(cpu: Cpu): void {
  const r = cpuidLeaf(cpu.regs[EAX]);
  cpu.regs[EAX] = r.eax;
  cpu.regs[EBX] = r.ebx;
  cpu.regs[ECX] = r.ecx;
  cpu.regs[EDX] = r.edx;
}
