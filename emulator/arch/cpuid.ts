/**
 * CPUID feature-flag bits, by their SDM names.
 *
 * CPUID.01H:EDX (SDM Vol. 2A "CPUID—CPU Identification", Table 3-11 "Feature Information
 * Returned in the EDX Register"). Only the bits a Pentium Pro/II-class processor can report
 * are listed; CPUID.01H:ECX has no feature bits before the Pentium 4.
 */
export const CPUID_1_EDX_FPU = 1 << 0;
export const CPUID_1_EDX_VME = 1 << 1;
export const CPUID_1_EDX_DE = 1 << 2;
export const CPUID_1_EDX_PSE = 1 << 3;
export const CPUID_1_EDX_TSC = 1 << 4;
export const CPUID_1_EDX_MSR = 1 << 5;
export const CPUID_1_EDX_PAE = 1 << 6;
export const CPUID_1_EDX_MCE = 1 << 7;
export const CPUID_1_EDX_CX8 = 1 << 8;
export const CPUID_1_EDX_APIC = 1 << 9;
export const CPUID_1_EDX_SEP = 1 << 11;
export const CPUID_1_EDX_MTRR = 1 << 12;
export const CPUID_1_EDX_PGE = 1 << 13;
export const CPUID_1_EDX_MCA = 1 << 14;
export const CPUID_1_EDX_CMOV = 1 << 15;
export const CPUID_1_EDX_PAT = 1 << 16;
export const CPUID_1_EDX_PSE36 = 1 << 17;
export const CPUID_1_EDX_MMX = 1 << 23;
export const CPUID_1_EDX_FXSR = 1 << 24;
export const CPUID_1_EDX_SSE = 1 << 25;

/** Names of the CPUID.01H:EDX bits above, for display (debugger, VMM annotations). */
export const CPUID_1_EDX_NAMES: Readonly<Record<number, string>> = {
  0: 'FPU',
  1: 'VME',
  2: 'DE',
  3: 'PSE',
  4: 'TSC',
  5: 'MSR',
  6: 'PAE',
  7: 'MCE',
  8: 'CX8',
  9: 'APIC',
  11: 'SEP',
  12: 'MTRR',
  13: 'PGE',
  14: 'MCA',
  15: 'CMOV',
  16: 'PAT',
  17: 'PSE-36',
  23: 'MMX',
  24: 'FXSR',
  25: 'SSE',
};
