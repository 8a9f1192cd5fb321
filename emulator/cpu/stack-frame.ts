/**
 * Multi-slot stack frames written all-or-nothing, possibly on a stack that is not yet the
 * current one: the frames of interrupt delivery, of far CALL (through a call gate with a
 * stack switch) and of PUSH-like instructions that must not leave half a frame behind.
 *
 * Slots are collected first, then every slot's segment limit is checked and every page
 * probed for writing, and only then is anything written. A failing check raises
 * #SS(`faultCode`) (the SDM's "IF stack does not have room for N bytes THEN #SS(…)"),
 * or the #PF of the probe; memory and registers are unchanged in both cases.
 *
 * @see Intel SDM Vol. 3A §6.12.1 "Exception- or Interrupt-Handler Procedures" (Figure 6-4),
 *      §5.8.5 "Stack Switching" (Figure 5-13); Vol. 2A "CALL" (far call pseudocode).
 */
import { Vector } from '../arch/exceptions';
import { SegReg } from '../arch/segments';
import { ESP, type Cpu } from './cpu';
import { CpuFault } from './fault';
import { probeWriteLinear, writeLinear } from './memory-access';
import { SegmentRegister } from './segment-register';

export class StackFrame {
  /** Stack-pointer offset after the slots pushed so far (uint32, or 16 bits for a 16-bit stack). */
  sp: number;
  private readonly offsets: number[] = [];
  private readonly sizes: number[] = [];
  private readonly values: number[] = [];

  /**
   * @param seg the stack segment's cache (the current SS, or a detached copy for a new stack)
   * @param sp the starting stack-pointer offset (ESP, or SP when the segment's B flag is clear)
   * @param user write as a user-mode (CPL 3) access
   * @param faultCode error code of the #SS raised when a slot lies outside the segment
   */
  constructor(
    readonly seg: SegmentRegister,
    sp: number,
    readonly user: boolean,
    readonly faultCode: number,
  ) {
    this.sp = seg.big ? sp >>> 0 : sp & 0xffff;
  }

  /** Add a slot of `size` (2 or 4) bytes below the current stack pointer. */
  push(size: number, value: number): void {
    const sp = this.seg.big ? (this.sp - size) >>> 0 : (this.sp - size) & 0xffff;
    this.sp = sp;
    this.offsets.push(sp);
    this.sizes.push(size);
    this.values.push(value);
  }

  /**
   * The SDM's "IF stack does not have room for the frame THEN #SS(…)": check every slot
   * against the segment's limits (no memory access). `write` checks again; call this one
   * where the SDM's pseudocode puts the check, when a later check must not take precedence.
   * @throws CpuFault #SS(faultCode)
   */
  checkRoom(): void {
    const s = this.seg;
    const n = this.offsets.length;
    for (let k = 0; k < n; k++) {
      const off = this.offsets[k];
      const size = this.sizes[k];
      if (off < s.lo || off + size - 1 > s.wHi) {
        throw new CpuFault(Vector.SS, this.faultCode & 0xffff, `stack frame slot at SS:0x${off.toString(16)}+${size} is outside the stack segment (limit 0x${s.limit.toString(16)})`);
      }
    }
  }

  /**
   * Check every slot against the segment limits and the page tables, then write them all.
   * @throws CpuFault #SS(faultCode) when a slot is outside the segment; #PF from a probe
   */
  write(cpu: Cpu): void {
    const s = this.seg;
    const n = this.offsets.length;
    this.checkRoom();
    for (let k = 0; k < n; k++) probeWriteLinear(cpu, (s.base + this.offsets[k]) | 0, this.sizes[k], this.user);
    for (let k = 0; k < n; k++) writeLinear(cpu, (s.base + this.offsets[k]) | 0, this.sizes[k], this.values[k], this.user);
  }
}

/** A frame on the current stack (SS:ESP) written at the current privilege level; #SS(0) when out of room. */
export function currentStackFrame(cpu: Cpu): StackFrame {
  return new StackFrame(cpu.segs[SegReg.SS], cpu.regs[ESP], cpu.cpl === 3, 0);
}

/** A detached segment-register cache for a stack that is checked but not yet loaded. */
export function detachedStack(base: number, limit: number, ar: number): SegmentRegister {
  const s = new SegmentRegister(SegReg.SS);
  s.setCache(0, base, limit, ar);
  return s;
}
