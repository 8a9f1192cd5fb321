/**
 * Event delivery: exceptions, external interrupts (INTR), NMI and software interrupts
 * (INT n, INT3, INTO, INT1), through the real-mode IVT or the protected-mode IDT.
 *
 * Real-address mode (SDM Vol. 3A §20.1.4): the IVT at IDTR.base holds 4-byte IP:CS
 * vectors; FLAGS, CS and IP are pushed and IF, TF and AC cleared.
 *
 * Protected mode (§6.10–6.12): the IDT holds 8-byte gates.
 *
 *   Interrupt/trap gate:  63        48 47 46-45 44 43-40 39    32
 *                         | offset hi | P | DPL | 0 | type | 0 …  |
 *                         31        16 15                       0
 *                         | selector  |        offset lo         |
 *   type: 6/7 = 16-bit interrupt/trap gate, 14/15 = 32-bit, 5 = task gate.
 *
 * The handler's code segment decides the stack: a nonconforming segment more privileged
 * than the CPL switches to the stack for its DPL from the TSS and pushes SS, ESP, EFLAGS,
 * CS, EIP [, error code] there (Figure 6-4); otherwise EFLAGS, CS, EIP [, error code] go on
 * the current stack. Interrupt gates clear IF; both gate kinds clear TF, NT, RF and VM.
 *
 * Delivery is all-or-nothing: every check and every read is made and every stack slot is
 * probed before any register changes, so a fault during delivery leaves the state of the
 * interrupted program as it was. Such a fault is then handled by the rules of §6.15
 * (Tables 6-4 and 6-5): contributory after contributory, or a contributory or page fault
 * after a page fault, becomes a double fault #DF(0); a fault while delivering #DF is a
 * triple fault, which puts the processor into the shutdown state. Faults raised while
 * delivering an external event (interrupt, NMI, exception, INT1) carry the EXT bit.
 *
 * Not implemented yet (said plainly): task gates in the IDT (delivery raises #GP with a
 * reason saying so), virtual-8086 mode, and setting EFLAGS.RF in the image pushed for
 * faults (this model has no instruction breakpoints for RF to suppress).
 *
 * A VMM sees every event first: `cpu.hooks.onEvent` observes it, and
 * `cpu.hooks.interceptEvent` may take it over (return true) before the guest's IDT is read.
 *
 * @see Intel SDM Vol. 3A §6.4–6.15 "Interrupt and Exception Handling"; Vol. 2A
 *      "INT n/INTO/INT3/INT1" (Operation), "IRET/IRETD".
 */
import { EFLAGS_AC, EFLAGS_IF, EFLAGS_NT, EFLAGS_RF, EFLAGS_TF, EFLAGS_VM } from '../arch/eflags';
import { ERRC_EXT, ExceptionClass, exceptionClass, Vector } from '../arch/exceptions';
import { AR_P, AR_TYPE_MASK, arDpl, decodeDescriptor, decodeGate, SegReg, selectorIsNull, SystemType } from '../arch/segments';
import { ESP, type Cpu, type CpuEvent, type CpuEventType } from './cpu';
import { CpuFault, gp, np, ts } from './fault';
import { getEflags, setEflagsBits } from './flags';
import { readSys16, readSys32 } from './memory-access';
import {
  arIsCodeSeg,
  arIsConformingCode,
  checkStackSegment,
  commitSegment,
  isProtectedMode,
  loadCodeSegment,
  loadRealModeSegment,
  markAccessed,
  readDescriptor,
} from './segmentation';
import { currentStackFrame, detachedStack, StackFrame } from './stack-frame';
import { setStackPointer } from './stack-ops';

/** The software-interrupt instructions (SDM Vol. 2A "INT n/INTO/INT3/INT1"). */
export type SoftwareInterruptKind = 'INTn' | 'INT3' | 'INTO' | 'INT1';

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/**
 * Whether a fault of class `second` while delivering `first` is a double fault
 * (SDM Vol. 3A §6.15 "Interrupt 8—Double Fault Exception", Table 6-5).
 */
export function isDoubleFaultPair(first: number, second: number): boolean {
  const a = exceptionClass(first);
  const b = exceptionClass(second);
  if (a === ExceptionClass.Contributory) return b === ExceptionClass.Contributory;
  if (a === ExceptionClass.PageFault) return b === ExceptionClass.Contributory || b === ExceptionClass.PageFault;
  return false;
}

/**
 * Enter the shutdown state after a triple fault (SDM Vol. 3A §6.15 "Interrupt 8—Double
 * Fault Exception": a fault while delivering #DF shuts the processor down). Real processors
 * also leave shutdown on NMI or INIT; here only `Cpu.reset` does. Stops the run loop with a
 * 'shutdown' reason and tells the machine through `hooks.onShutdown`.
 */
export function enterShutdown(cpu: Cpu, reason: string): void {
  cpu.shutdown = true;
  cpu.halted = false;
  cpu.stopReason = { kind: 'shutdown', reason };
  cpu.hooks.onShutdown?.(reason);
  cpu.breakBlock = true;
}

/** Add the EXT bit to the selector-format error code of a fault raised while delivering an external event. */
function withExt(f: CpuFault): CpuFault {
  const v = f.vector;
  if (v !== Vector.TS && v !== Vector.NP && v !== Vector.SS && v !== Vector.GP) return f;
  return new CpuFault(v, f.errorCode | ERRC_EXT, `${f.reason} (during delivery of an external event)`);
}

const HOOK_KIND: Record<CpuEventType, 'exception' | 'hardware' | 'software' | 'nmi'> = {
  'external-interrupt': 'hardware',
  nmi: 'nmi',
  'hardware-exception': 'exception',
  'privileged-software-exception': 'exception',
  'software-interrupt': 'software',
  'software-exception': 'software',
};

/** Tell the observers about an event; true when the VMM's interceptor took it over. */
function announce(cpu: Cpu, event: CpuEvent): boolean {
  const hooks = cpu.hooks;
  hooks.onEvent?.(event.vector, event.errorCode, HOOK_KIND[event.type], event.fault);
  return hooks.interceptEvent !== undefined && hooks.interceptEvent(cpu, event);
}

/**
 * Deliver one event through the IVT (real mode) or the IDT (protected mode).
 * @param errorCode pushed when >= 0 (protected mode only)
 * @param software INT n / INT3 / INTO: the gate's DPL must be >= CPL
 * @throws CpuFault when delivery fails; nothing has changed then (accessed bits and CR2 aside)
 */
function deliver(cpu: Cpu, vector: number, errorCode: number, software: boolean): void {
  cpu.halted = false;
  if (isProtectedMode(cpu)) deliverProtected(cpu, vector, errorCode, software);
  else deliverReal(cpu, vector);
}

/** Real-address-mode delivery through the IVT (SDM Vol. 3A §20.1.4, Vol. 2A "INT n" REAL-ADDRESS-MODE). */
function deliverReal(cpu: Cpu, vector: number): void {
  const entry = vector << 2;
  // The 4-byte IVT entry must lie within the IDTR limit, else #GP (no error code is pushed in real mode).
  if (entry + 3 > cpu.idtr.limit) throw gp(0, `IVT entry for vector ${hex(vector)} lies beyond the IDTR limit ${hex(cpu.idtr.limit)}`);
  const ip = readSys16(cpu, (cpu.idtr.base + entry) | 0);
  const cs = readSys16(cpu, (cpu.idtr.base + entry + 2) | 0);
  // The 6 bytes of FLAGS, CS, IP must fit on the stack, else #SS.
  const frame = currentStackFrame(cpu);
  frame.push(2, getEflags(cpu) & 0xffff);
  frame.push(2, cpu.segs[SegReg.CS].selector);
  frame.push(2, cpu.eip & 0xffff);
  frame.checkRoom();
  // The handler's IP must lie within the CS limit (the limit stays what the cache holds), else #GP(0).
  if (ip > cpu.segs[SegReg.CS].limit) throw gp(0, `IVT vector ${hex(vector)}: IP ${hex(ip)} beyond the CS limit`);
  frame.write(cpu);
  setStackPointer(cpu, frame.sp);
  loadRealModeSegment(cpu, SegReg.CS, cs);
  cpu.eip = ip;
  setEflagsBits(cpu, 0, EFLAGS_IF | EFLAGS_TF | EFLAGS_AC);
  cpu.breakBlock = true;
}

/**
 * The stack pointer for privilege level `cpl` from the current TSS: SSn:ESPn at offsets
 * 8n+8 / 8n+4 of a 32-bit TSS, SSn:SPn at 4n+4 / 4n+2 of a 16-bit TSS (SDM Vol. 3A
 * §7.2.1 Figure 7-2, §7.6 Figure 7-11).
 * @throws CpuFault #TS(TR selector) when the slot lies beyond the TSS limit; #PF
 */
export function readTssStack(cpu: Cpu, cpl: number): { ss: number; esp: number } {
  const tr = cpu.tr;
  const type = tr.ar & AR_TYPE_MASK;
  const tss32 = type === SystemType.TSS32_BUSY || type === SystemType.TSS32_AVAILABLE;
  if (tss32) {
    const off = (cpl << 3) + 4;
    // SSn:ESPn must lie within the TSS limit, else #TS(TSS selector).
    if (off + 5 > tr.limit) throw ts(tr.selector & 0xfffc, `32-bit TSS too short for the ring-${cpl} stack (limit ${hex(tr.limit)})`);
    return { esp: readSys32(cpu, (tr.base + off) | 0), ss: readSys16(cpu, (tr.base + off + 4) | 0) };
  }
  const off = (cpl << 2) + 2;
  // SSn:SPn must lie within the TSS limit, else #TS(TSS selector).
  if (off + 3 > tr.limit) throw ts(tr.selector & 0xfffc, `16-bit TSS too short for the ring-${cpl} stack (limit ${hex(tr.limit)})`);
  return { esp: readSys16(cpu, (tr.base + off) | 0), ss: readSys16(cpu, (tr.base + off + 2) | 0) };
}

/** Protected-mode delivery through an interrupt or trap gate (SDM Vol. 2A "INT n" PROTECTED-MODE). */
function deliverProtected(cpu: Cpu, vector: number, errorCode: number, software: boolean): void {
  const idtCode = (vector << 3) | 2; // error code naming the IDT entry (IDT bit set)
  // The 8-byte gate must lie within the IDT limit, else #GP(vector × 8 + 2 + EXT).
  if ((vector << 3) + 7 > cpu.idtr.limit) throw gp(idtCode, `IDT entry for vector ${hex(vector)} lies beyond the IDT limit ${hex(cpu.idtr.limit)}`);
  const gateLin = (cpu.idtr.base + (vector << 3)) | 0;
  const lo = readSys32(cpu, gateLin);
  const hi = readSys32(cpu, (gateLin + 4) | 0);
  const gate = decodeGate(lo, hi);
  const type = gate.ar & 0x1f; // S bit and type: a system descriptor has S = 0
  // The descriptor must be an interrupt, trap or task gate, else #GP(vector × 8 + 2 + EXT).
  if (
    type !== SystemType.INTERRUPT_GATE32 &&
    type !== SystemType.TRAP_GATE32 &&
    type !== SystemType.INTERRUPT_GATE16 &&
    type !== SystemType.TRAP_GATE16 &&
    type !== SystemType.TASK_GATE
  ) {
    throw gp(idtCode, `IDT entry ${hex(vector)} is not an interrupt, trap or task gate (type ${type})`);
  }
  // INT n, INT3, INTO: the gate's DPL must be >= CPL, else #GP(vector × 8 + 2).
  if (software && arDpl(gate.ar) < cpu.cpl) throw gp(idtCode, `INT ${hex(vector)}: gate DPL ${arDpl(gate.ar)} < CPL ${cpu.cpl}`);
  // The gate must be present, else #NP(vector × 8 + 2 + EXT).
  if (!(gate.ar & AR_P)) throw np(idtCode, `IDT gate for vector ${hex(vector)} is not present`);
  // Task gates would switch tasks: not implemented yet in Vanderpool.
  if (type === SystemType.TASK_GATE) throw gp(idtCode, `IDT entry ${hex(vector)} is a task gate: task switching is not implemented yet`);

  const sel = gate.selector;
  // The gate's code-segment selector must not be null, else #GP(EXT).
  if (selectorIsNull(sel)) throw gp(0, `IDT gate ${hex(vector)} names a null code selector`);
  // It must lie within its descriptor table, else #GP(selector + EXT).
  const d = readDescriptor(cpu, sel);
  const dpl = arDpl(d.ar);
  // It must name a code segment with DPL <= CPL, else #GP(selector + EXT).
  if (!arIsCodeSeg(d.ar)) throw gp(sel & 0xfffc, `IDT gate ${hex(vector)}: selector ${hex(sel)} is not a code segment`);
  if (dpl > cpu.cpl) throw gp(sel & 0xfffc, `IDT gate ${hex(vector)}: code segment DPL ${dpl} > CPL ${cpu.cpl}`);
  // The code segment must be present, else #NP(selector + EXT).
  if (!(d.ar & AR_P)) throw np(sel & 0xfffc, `IDT gate ${hex(vector)}: code segment ${hex(sel)} is not present`);

  const is32 = type === SystemType.INTERRUPT_GATE32 || type === SystemType.TRAP_GATE32;
  const size = is32 ? 4 : 2;
  const offset = is32 ? gate.offset : gate.offset & 0xffff;
  const csLimit = decodeDescriptor(d.lo, d.hi).limit;
  const eflags = getEflags(cpu);
  const oldCs = cpu.segs[SegReg.CS].selector;
  const oldEip = cpu.eip;

  if (!arIsConformingCode(d.ar) && dpl < cpu.cpl) {
    // INTER-PRIVILEGE-LEVEL-INTERRUPT: switch to the stack for the handler's DPL from the TSS.
    const { ss, esp } = readTssStack(cpu, dpl);
    // The new SS must be a present, writable data segment with RPL = DPL = new CPL, else #TS(SS + EXT) / #SS(SS + EXT).
    const ssd = checkStackSegment(cpu, ss, dpl, Vector.TS);
    const st = decodeDescriptor(ssd.lo, ssd.hi);
    const stack = detachedStack(st.base, st.limit, st.ar);
    // The new stack must have room for the whole frame, else #SS(SS + EXT).
    const frame = new StackFrame(stack, esp, false, ss & 0xfffc);
    frame.push(size, cpu.segs[SegReg.SS].selector);
    frame.push(size, cpu.regs[ESP]);
    frame.push(size, eflags);
    frame.push(size, oldCs);
    frame.push(size, oldEip);
    if (errorCode >= 0) frame.push(size, errorCode);
    frame.checkRoom();
    // The handler's EIP must lie within the code-segment limit, else #GP(EXT).
    if (offset > csLimit) throw gp(0, `IDT gate ${hex(vector)}: offset ${hex(offset)} beyond the CS limit ${hex(csLimit)}`);
    markAccessed(cpu, d);
    frame.write(cpu);
    // Commit: nothing below can fault.
    commitSegment(cpu, SegReg.SS, (ss & 0xfffc) | dpl, ssd);
    cpu.regs[ESP] = stack.big ? frame.sp : (esp & ~0xffff) | frame.sp;
    loadCodeSegment(cpu, d, dpl);
  } else {
    // INTRA-PRIVILEGE-LEVEL-INTERRUPT: conforming code, or DPL = CPL. The current stack must
    // have room for the frame, else #SS(EXT).
    const frame = currentStackFrame(cpu);
    frame.push(size, eflags);
    frame.push(size, oldCs);
    frame.push(size, oldEip);
    if (errorCode >= 0) frame.push(size, errorCode);
    frame.checkRoom();
    // The handler's EIP must lie within the code-segment limit, else #GP(EXT).
    if (offset > csLimit) throw gp(0, `IDT gate ${hex(vector)}: offset ${hex(offset)} beyond the CS limit ${hex(csLimit)}`);
    markAccessed(cpu, d);
    frame.write(cpu);
    setStackPointer(cpu, frame.sp);
    loadCodeSegment(cpu, d, cpu.cpl);
  }
  cpu.eip = offset;
  const interruptGate = type === SystemType.INTERRUPT_GATE32 || type === SystemType.INTERRUPT_GATE16;
  setEflagsBits(cpu, 0, EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM | (interruptGate ? EFLAGS_IF : 0));
  cpu.breakBlock = true;
}

/**
 * Offer one event to the hooks and deliver it unless intercepted.
 * @returns null when delivered (or intercepted), else the fault that stopped delivery
 *   (with the EXT bit added when `ext`)
 */
function attempt(cpu: Cpu, event: CpuEvent, software: boolean, ext: boolean): CpuFault | null {
  if (announce(cpu, event)) return null;
  try {
    deliver(cpu, event.vector, event.errorCode, software);
    return null;
  } catch (e) {
    if (!(e instanceof CpuFault)) throw e;
    return ext ? withExt(e) : e;
  }
}

/**
 * Deliver an exception raised by an instruction, an instruction fetch or the executor
 * (the executor calls this at the instruction boundary).
 * For a fault `cpu.eip` already addresses the faulting instruction (the executor restored
 * it); for a trap it addresses the next instruction. Either way it is the EIP pushed.
 * A fault during delivery is handled by the double-fault rules (see the file header); a
 * fault while delivering #DF shuts the processor down.
 * @param trap the exception is a trap (e.g. the single-step #DB); informational, since EIP is already right
 */
export function deliverException(cpu: Cpu, fault: CpuFault, trap: boolean): void {
  void trap;
  let current = fault;
  for (;;) {
    const event: CpuEvent = { vector: current.vector, errorCode: current.errorCode, type: 'hardware-exception', fault: current, instructionLength: 0 };
    const nested = attempt(cpu, event, false, true);
    if (nested === null) return;
    // A fault while delivering #DF: triple fault, shutdown.
    if (current.vector === Vector.DF) {
      enterShutdown(cpu, `triple fault: ${nested} while delivering ${current}`);
      return;
    }
    // Contributory after contributory, or contributory / #PF after #PF: #DF(0). Otherwise the
    // second exception is handled serially (Table 6-5).
    current = isDoubleFaultPair(current.vector, nested.vector)
      ? new CpuFault(Vector.DF, 0, `double fault: ${nested} while delivering ${current}`)
      : nested;
  }
}

/**
 * Deliver a maskable external interrupt with the vector the interrupt controller supplied
 * (INTA). The caller has checked EFLAGS.IF and the interrupt shadow. A fault during
 * delivery is delivered as an exception (with EXT set); the interrupt is then lost, as
 * after an INTA cycle on hardware.
 */
export function deliverExternalInterrupt(cpu: Cpu, vector: number): void {
  const event: CpuEvent = { vector: vector & 0xff, errorCode: -1, type: 'external-interrupt', instructionLength: 0 };
  const nested = attempt(cpu, event, false, true);
  if (nested !== null) deliverException(cpu, nested, false);
}

/** Deliver an NMI (vector 2). Further NMIs are blocked until the next IRET (SDM Vol. 3A §6.7.1). */
export function deliverNmi(cpu: Cpu): void {
  cpu.nmiBlocked = true;
  const event: CpuEvent = { vector: Vector.NMI, errorCode: -1, type: 'nmi', instructionLength: 0 };
  const nested = attempt(cpu, event, false, true);
  if (nested !== null) deliverException(cpu, nested, false);
}

const SOFTWARE_TYPE: Record<SoftwareInterruptKind, CpuEventType> = {
  INTn: 'software-interrupt',
  INT3: 'software-exception',
  INTO: 'software-exception',
  INT1: 'privileged-software-exception',
};

/**
 * Deliver a software interrupt from INT n, INT3, INTO or INT1; called by their handlers
 * with `cpu.eip` at the next instruction (the return address pushed).
 * INT n, INT3 and INTO check the gate's DPL against the CPL (#GP(vector × 8 + 2)); INT1
 * does not, and behaves as an external event for the EXT bit (SDM Vol. 2A "INT n/INTO/
 * INT3/INT1": "IF software interrupt (* Generated by INT n, INT3, or INTO; does not apply
 * to INT1 *)").
 * @param instructionLength bytes of the instruction (reported to the VMM's interceptor)
 * @throws CpuFault when delivery fails: a fault of the INT instruction itself (the
 *   executor restarts it), state unchanged
 */
export function deliverSoftwareInterrupt(cpu: Cpu, vector: number, kind: SoftwareInterruptKind, instructionLength = 0): void {
  const int1 = kind === 'INT1';
  const event: CpuEvent = { vector: vector & 0xff, errorCode: -1, type: SOFTWARE_TYPE[kind], instructionLength };
  if (announce(cpu, event)) return;
  try {
    deliver(cpu, event.vector, -1, !int1);
  } catch (e) {
    if (int1 && e instanceof CpuFault) throw withExt(e);
    throw e;
  }
}
