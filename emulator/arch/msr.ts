/**
 * Model-specific registers this CPU model implements.
 *
 * @see Intel SDM Vol. 4 Table 2-2 "IA-32 Architectural MSRs"; Vol. 3B §17.17 (TSC); Vol. 2B "SYSENTER".
 */
export const IA32_TIME_STAMP_COUNTER = 0x10;
export const IA32_APIC_BASE = 0x1b;
/** Microcode update signature (P6 family and later; SDM Vol. 4 Table 2-2, Vol. 3A §9.11.7 "Update Signature and Verification"). */
export const IA32_BIOS_SIGN_ID = 0x8b;
export const IA32_SYSENTER_CS = 0x174;
export const IA32_SYSENTER_ESP = 0x175;
export const IA32_SYSENTER_EIP = 0x176;
export const IA32_MISC_ENABLE = 0x1a0;

/** Names for display (debugger MSR view, RDMSR/WRMSR VM-exit annotations). */
export const MSR_NAMES: Readonly<Record<number, string>> = {
  [IA32_TIME_STAMP_COUNTER]: 'IA32_TIME_STAMP_COUNTER',
  [IA32_APIC_BASE]: 'IA32_APIC_BASE',
  [IA32_BIOS_SIGN_ID]: 'IA32_BIOS_SIGN_ID',
  [IA32_SYSENTER_CS]: 'IA32_SYSENTER_CS',
  [IA32_SYSENTER_ESP]: 'IA32_SYSENTER_ESP',
  [IA32_SYSENTER_EIP]: 'IA32_SYSENTER_EIP',
  [IA32_MISC_ENABLE]: 'IA32_MISC_ENABLE',
};
