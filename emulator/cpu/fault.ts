/**
 * Guest faults as typed values.
 *
 * A `CpuFault` is thrown by the CPU's helpers (segment checks, page walks, privilege checks)
 * and caught only at the instruction boundary by the executor, which then delivers it
 * through the IDT (or, under a VMM, turns it into a VM exit). It deliberately does not
 * extend `Error`: a guest fault is a guest event, never a host error, and not capturing a
 * stack trace keeps faulting cheap.
 *
 * @see Intel SDM Vol. 3A §6.5 "Exception Classifications" (faults restart the instruction).
 */
import { Vector, vectorName } from '../arch/exceptions';

export class CpuFault {
  constructor(
    /** Exception vector (SDM Vol. 3A Table 6-1). */
    readonly vector: Vector,
    /** Error code pushed on delivery, or -1 when the vector has none. */
    readonly errorCode: number,
    /** Why the check failed, in the SDM's words where possible; for traces and the debugger. */
    readonly reason: string,
  ) {}

  toString(): string {
    const ec = this.errorCode >= 0 ? `(0x${this.errorCode.toString(16)})` : '';
    return `${vectorName(this.vector)}${ec}: ${this.reason}`;
  }
}

/** #GP(errorCode). */
export function gp(errorCode: number, reason: string): CpuFault {
  return new CpuFault(Vector.GP, errorCode & 0xffff, reason);
}
/** #SS(errorCode). */
export function ss(errorCode: number, reason: string): CpuFault {
  return new CpuFault(Vector.SS, errorCode & 0xffff, reason);
}
/** #NP(errorCode). */
export function np(errorCode: number, reason: string): CpuFault {
  return new CpuFault(Vector.NP, errorCode & 0xffff, reason);
}
/** #TS(errorCode). */
export function ts(errorCode: number, reason: string): CpuFault {
  return new CpuFault(Vector.TS, errorCode & 0xffff, reason);
}
/** #UD. */
export function ud(reason: string): CpuFault {
  return new CpuFault(Vector.UD, -1, reason);
}
/** #DE. */
export function de(reason: string): CpuFault {
  return new CpuFault(Vector.DE, -1, reason);
}
