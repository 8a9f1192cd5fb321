/**
 * Basic VM-exit reasons (bits 15:0 of VM_EXIT_REASON), by the SDM's numbers and names.
 * One keyed table, so names are derived from one definition (no parallel name array).
 *
 * @see Intel SDM Vol. 3C Appendix C "VMX Basic Exit Reasons", Table C-1.
 */
export enum ExitReason {
  EXCEPTION_NMI = 0,
  EXTERNAL_INTERRUPT = 1,
  TRIPLE_FAULT = 2,
  INIT_SIGNAL = 3,
  SIPI = 4,
  IO_SMI = 5,
  OTHER_SMI = 6,
  INTERRUPT_WINDOW = 7,
  NMI_WINDOW = 8,
  TASK_SWITCH = 9,
  CPUID = 10,
  GETSEC = 11,
  HLT = 12,
  INVD = 13,
  INVLPG = 14,
  RDPMC = 15,
  RDTSC = 16,
  RSM = 17,
  VMCALL = 18,
  VMCLEAR = 19,
  VMLAUNCH = 20,
  VMPTRLD = 21,
  VMPTRST = 22,
  VMREAD = 23,
  VMRESUME = 24,
  VMWRITE = 25,
  VMXOFF = 26,
  VMXON = 27,
  CR_ACCESS = 28,
  DR_ACCESS = 29,
  IO_INSTRUCTION = 30,
  RDMSR = 31,
  WRMSR = 32,
  INVALID_GUEST_STATE = 33,
  MSR_LOADING = 34,
  MWAIT = 36,
  MONITOR_TRAP_FLAG = 37,
  MONITOR = 39,
  PAUSE = 40,
  MACHINE_CHECK = 41,
  TPR_BELOW_THRESHOLD = 43,
  APIC_ACCESS = 44,
  VIRTUALIZED_EOI = 45,
  GDTR_IDTR_ACCESS = 46,
  LDTR_TR_ACCESS = 47,
  EPT_VIOLATION = 48,
  EPT_MISCONFIG = 49,
  INVEPT = 50,
  RDTSCP = 51,
  PREEMPTION_TIMER = 52,
  INVVPID = 53,
  WBINVD = 54,
  XSETBV = 55,
  APIC_WRITE = 56,
  RDRAND = 57,
  INVPCID = 58,
  VMFUNC = 59,
  ENCLS = 60,
  RDSEED = 61,
  PML_FULL = 62,
  XSAVES = 63,
  XRSTORS = 64,
}

/** "EXIT_REASON_CR_ACCESS" style name, as hypervisor code and our UI write it. */
export function exitReasonName(reason: number): string {
  const n = ExitReason[reason];
  return n === undefined ? `EXIT_REASON_UNKNOWN_${reason}` : `EXIT_REASON_${n}`;
}

/** Bit 31 of VM_EXIT_REASON: the exit was a VM-entry failure (SDM Vol. 3C §25.9.1). */
export const EXIT_REASON_ENTRY_FAILURE = 1 << 31;
