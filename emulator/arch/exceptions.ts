/**
 * Exception and interrupt vectors, by their SDM mnemonics.
 *
 * @see Intel SDM Vol. 3A §6.3 "Sources of Interrupts", Table 6-1 "Protected-Mode Exceptions and Interrupts".
 */
export enum Vector {
  /** Divide error (DIV, IDIV, AAM 0). Fault. */
  DE = 0,
  /** Debug exception. Fault or trap. */
  DB = 1,
  /** Non-maskable interrupt. */
  NMI = 2,
  /** Breakpoint (INT3). Trap. */
  BP = 3,
  /** Overflow (INTO). Trap. */
  OF = 4,
  /** BOUND range exceeded. Fault. */
  BR = 5,
  /** Invalid opcode. Fault. */
  UD = 6,
  /** Device not available (x87 with CR0.EM or CR0.TS). Fault. */
  NM = 7,
  /** Double fault. Abort, error code 0. */
  DF = 8,
  /** Invalid TSS. Fault, error code. */
  TS = 10,
  /** Segment not present. Fault, error code. */
  NP = 11,
  /** Stack-segment fault. Fault, error code. */
  SS = 12,
  /** General protection. Fault, error code. */
  GP = 13,
  /** Page fault. Fault, error code; CR2 = faulting linear address. */
  PF = 14,
  /** x87 floating-point error. */
  MF = 16,
  /** Alignment check. Fault, error code 0. */
  AC = 17,
  /** Machine check. Abort. */
  MC = 18,
}

/** The vectors whose delivery pushes an error code (SDM Vol. 3A §6.13, Table 6-1). */
export function pushesErrorCode(vector: number): boolean {
  return vector === Vector.DF || (vector >= Vector.TS && vector <= Vector.PF) || vector === Vector.AC;
}

/**
 * Exception classes for double-fault detection (SDM Vol. 3A §6.15, Table 6-4 and 6-5).
 * Benign: everything else. Contributory: #DE, #TS, #NP, #SS, #GP. Page fault: #PF.
 */
export enum ExceptionClass {
  Benign,
  Contributory,
  PageFault,
  DoubleFault,
}

export function exceptionClass(vector: number): ExceptionClass {
  switch (vector) {
    case Vector.DE:
    case Vector.TS:
    case Vector.NP:
    case Vector.SS:
    case Vector.GP:
      return ExceptionClass.Contributory;
    case Vector.PF:
      return ExceptionClass.PageFault;
    case Vector.DF:
      return ExceptionClass.DoubleFault;
    default:
      return ExceptionClass.Benign;
  }
}

/** Short names ("#GP") for display in traces, the debugger and statistics. */
export function vectorName(vector: number): string {
  const name = Vector[vector];
  if (name === undefined) return `INT ${vector.toString(16).padStart(2, '0')}h`;
  return vector === Vector.NMI ? 'NMI' : `#${name}`;
}

/** Page-fault error-code bits (SDM Vol. 3A §4.7, Figure 4-12). */
export const PFEC_P = 1 << 0;
export const PFEC_WR = 1 << 1;
export const PFEC_US = 1 << 2;
export const PFEC_RSVD = 1 << 3;
export const PFEC_ID = 1 << 4;

/** Selector error-code bits (SDM Vol. 3A §6.13, Figure 6-7): EXT, IDT, TI. */
export const ERRC_EXT = 1 << 0;
export const ERRC_IDT = 1 << 1;
export const ERRC_TI = 1 << 2;
