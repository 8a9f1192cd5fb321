/**
 * Virtual delivery: reflecting an exception, INT n or virtual interrupt into the guest
 * through the guest's OWN IDT (the virtual IDTR), building the frame bare hardware would
 * build — the guest's CS with RPL 0 when the guest kernel was interrupted, the guest's user
 * CS and SS:ESP when guest user code was, and EFLAGS with the virtual IF — and the emulated
 * IRET that undoes it (docs/vmm-design.md, "Ring deprivileging" and "Guest user mode"; SDM
 * Vol. 3A §6.12.1 "Exception- or Interrupt-Handler Procedures", Figure 6-4; Vol. 2A "INT n"
 * and "IRET/IRETD" Operation).
 *
 * The gate's code selector is resolved in the SHADOW GDT (the host GDTR), so a guest ring-0
 * handler runs at the ring model's kernel ring (host CPL 1 under 0/1/3, 3 under 0/3/3) with
 * that RPL, as everything of the guest kernel does. An event from guest user mode switches to
 * the stack the GUEST's TSS names (SS0:ESP0 read from the virtual TR's TSS at delivery time,
 * so a guest that rewrites ESP0 at each task switch is followed), and enters the guest kernel
 * (guest-ring.ts `enterGuestKernel`). The guest's IRET to user mode is emulated (it traps:
 * guest-ring.ts says how) and enters guest user mode.
 *
 * NOT YET (said plainly): 16-bit gates and 16-bit TSSs, task gates, 16-bit IRET, IRET with
 * NT = 1 (task return) or to virtual-8086 mode, guest rings 1 and 2 (handlers or return
 * selectors of DPL 1–2), conforming handler segments, a guest user code segment as an
 * interrupt handler — each is a `VmmUnsupported` error, which stops the VM with a message
 * naming it.
 */
import { EFLAGS_IF, EFLAGS_IOPL, EFLAGS_NT, EFLAGS_RF, EFLAGS_TF, EFLAGS_VM, EFLAGS_WRITABLE } from '../../arch/eflags';
import { Vector } from '../../arch/exceptions';
import { AR_P, arDpl, decodeDescriptor, decodeGate, SegReg, selectorIsNull, SystemType } from '../../arch/segments';
import { ESP, type Cpu } from '../../cpu/cpu';
import { gp, np, ts } from '../../cpu/fault';
import { getEflags, setEflagsBits } from '../../cpu/flags';
import { arIsCodeSeg, arIsConformingCode, checkStackSegment, commitSegment, loadCodeSegment, nullInaccessibleDataSegments, readDescriptor, type DescriptorEntry } from '../../cpu/segmentation';
import { currentStackFrame, detachedStack, StackFrame } from '../../cpu/stack-frame';
import { setStackPointer } from '../../cpu/stack-ops';
import { readSys16, readSys32, readV32 } from '../../cpu/memory-access';
import { enterGuestKernel, enterGuestUser, guestDpl, isHiddenUserCode, isUserCodeSelector, useKernelForm } from './guest-ring';
import { VMM_AREA_LINEAR } from './shadow-gdt';
import type { TrapAndEmulateState } from './vm-state';

/** A guest situation this slice of the VMM does not emulate: the VM stops with this message. */
export class VmmUnsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmmUnsupported';
  }
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** The EFLAGS image the guest sees: the host's with the virtual IF (and IOPL 0, the guest's). */
export function guestEflags(cpu: Cpu, state: TrapAndEmulateState): number {
  return ((getEflags(cpu) & ~EFLAGS_IF) | (state.vif ? EFLAGS_IF : 0)) >>> 0;
}

/**
 * SS0:ESP0 of the guest's TSS (the virtual TR; SDM Vol. 3A §7.2.1 Figure 7-2), read through
 * the host's view of guest-linear memory as the processor's implicit supervisor access.
 * @throws CpuFault #TS(TR selector) when ESP0/SS0 lie beyond the TSS limit; #PF
 * @throws VmmUnsupported without a guest TSS, or for a 16-bit TSS
 */
function guestRing0Stack(cpu: Cpu, state: TrapAndEmulateState): { ss: number; esp: number } {
  const tss = state.tss;
  if (tss === null) throw new VmmUnsupported('an event from guest user mode before the guest loaded a TSS (LTR): no ring-0 stack to switch to');
  if (!tss.is32) throw new VmmUnsupported('an event from guest user mode with a 16-bit guest TSS: not emulated yet');
  // SS0:ESP0 must lie within the TSS limit, else #TS(TSS selector).
  if (4 + 5 > tss.limit) throw ts(state.tr & 0xfffc, `guest 32-bit TSS too short for the ring-0 stack (limit ${hex(tss.limit)})`);
  return { esp: readSys32(cpu, (tss.base + 4) | 0), ss: readSys16(cpu, (tss.base + 8) | 0) };
}

/**
 * Deliver `vector` into the guest through its IDT, as bare hardware would at the guest's CPL
 * (`state.guestCpl`). `cpu.eip` is the return address pushed (the faulting instruction for a
 * fault, the next one for INT n, a trap or an interrupt).
 * @param errorCode pushed when >= 0
 * @param software INT n / INT3 / INTO: the gate's DPL must be >= the guest's CPL, else #GP(vector × 8 + 2)
 * @throws CpuFault the fault hardware would raise while delivering (bad gate, bad guest TSS
 *   stack, no room on the stack): nothing the guest can see has changed then; the caller
 *   applies the double-fault rules
 * @throws VmmUnsupported for the cases in the file header
 */
export function reflectEvent(cpu: Cpu, state: TrapAndEmulateState, vector: number, errorCode: number, software = false): void {
  const kRing = state.ring.kernelRing;
  const fromUser = state.guestCpl === 3;
  // The guest's IDT, TSS, kernel descriptors and stack: the kernel form and view (guest-ring.ts).
  if (fromUser) useKernelForm(cpu, state);
  const idtCode = (vector << 3) | 2;
  if ((vector << 3) + 7 > state.idtr.limit) throw gp(idtCode, `guest IDT entry for vector ${hex(vector)} lies beyond the guest IDT limit ${hex(state.idtr.limit)}`);
  const gateLin = (state.idtr.base + (vector << 3)) >>> 0;
  if (gateLin + 8 > VMM_AREA_LINEAR) throw gp(idtCode, `guest IDT entry for vector ${hex(vector)} lies in the VMM's reserved area`);
  const gate = decodeGate(readSys32(cpu, gateLin | 0), readSys32(cpu, (gateLin + 4) | 0));
  const type = gate.ar & 0x1f;
  if (type === SystemType.INTERRUPT_GATE16 || type === SystemType.TRAP_GATE16 || type === SystemType.TASK_GATE) {
    throw new VmmUnsupported(`guest IDT entry ${hex(vector)} is a 16-bit or task gate (type ${type}): not emulated yet`);
  }
  if (type !== SystemType.INTERRUPT_GATE32 && type !== SystemType.TRAP_GATE32) throw gp(idtCode, `guest IDT entry ${hex(vector)} is not an interrupt, trap or task gate (type ${type})`);
  // INT n, INT3, INTO: the gate's DPL must be >= the (guest's) CPL, else #GP(vector × 8 + 2).
  if (software && arDpl(gate.ar) < state.guestCpl) throw gp(idtCode, `INT ${hex(vector)}: gate DPL ${arDpl(gate.ar)} < CPL ${state.guestCpl}`);
  if (!(gate.ar & AR_P)) throw np(idtCode, `guest IDT gate for vector ${hex(vector)} is not present`);
  const sel = gate.selector;
  if (selectorIsNull(sel)) throw gp(0, `guest IDT gate ${hex(vector)} names a null code selector`);
  const d = readDescriptor(cpu, sel); // from the shadow GDT: DPL 0 shows as the kernel ring
  if (!arIsCodeSeg(d.ar)) throw gp(sel & 0xfffc, `guest IDT gate ${hex(vector)}: selector ${hex(sel)} is not a code segment`);
  const dpl = guestDpl(state.ring, sel, d.ar);
  if (dpl !== 0 || isUserCodeSelector(state.ring, sel) || arIsConformingCode(d.ar)) {
    throw new VmmUnsupported(`guest IDT gate ${hex(vector)}: handler segment ${hex(sel)} of guest DPL ${dpl}${arIsConformingCode(d.ar) ? ' (conforming)' : ''} (only nonconforming guest ring-0 handlers are emulated)`);
  }
  if (!(d.ar & AR_P)) throw np(sel & 0xfffc, `guest IDT gate ${hex(vector)}: code segment ${hex(sel)} is not present`);
  const csLimit = decodeDescriptor(d.lo, d.hi).limit;
  const eflags = guestEflags(cpu, state);
  const oldCs = cpu.segs[SegReg.CS].selector;
  if (fromUser) {
    // INTER-PRIVILEGE-LEVEL-INTERRUPT: the guest TSS's ring-0 stack.
    const { ss, esp } = guestRing0Stack(cpu, state);
    // SS0: RPL = DPL = 0 in the guest's terms (kernel ring in the shadow), writable data, present.
    if ((ss & 3) !== 0) throw ts(ss & 0xfffc, `guest TSS SS0 ${hex(ss)} has RPL ${ss & 3}, not 0`);
    const ssd = checkStackSegment(cpu, (ss & 0xfffc) | kRing, kRing, Vector.TS);
    if (guestDpl(state.ring, ss, ssd.ar) !== 0) throw ts(ss & 0xfffc, `guest TSS SS0 ${hex(ss)} is not a DPL-0 segment`);
    const st = decodeDescriptor(ssd.lo, ssd.hi);
    const stack = detachedStack(st.base, st.limit, st.ar);
    const frame = new StackFrame(stack, esp, false, ss & 0xfffc);
    frame.push(4, cpu.segs[SegReg.SS].selector);
    frame.push(4, cpu.regs[ESP]);
    frame.push(4, eflags);
    frame.push(4, oldCs); // guest user code interrupted: its own CS, RPL 3
    frame.push(4, cpu.eip);
    if (errorCode >= 0) frame.push(4, errorCode);
    frame.checkRoom();
    if (gate.offset > csLimit) throw gp(0, `guest IDT gate ${hex(vector)}: offset ${hex(gate.offset)} beyond the CS limit ${hex(csLimit)}`);
    frame.write(cpu);
    // Commit: nothing below can fault.
    enterGuestKernel(cpu, state);
    commitSegment(cpu, SegReg.SS, (ss & 0xfffc) | kRing, ssd);
    cpu.regs[ESP] = stack.big ? frame.sp | 0 : (esp & ~0xffff) | frame.sp;
  } else {
    const frame = currentStackFrame(cpu);
    frame.push(4, eflags);
    frame.push(4, oldCs & 0xfffc); // guest kernel interrupted: RPL 0, as bare hardware shows
    frame.push(4, cpu.eip);
    if (errorCode >= 0) frame.push(4, errorCode);
    frame.checkRoom();
    if (gate.offset > csLimit) throw gp(0, `guest IDT gate ${hex(vector)}: offset ${hex(gate.offset)} beyond the CS limit ${hex(csLimit)}`);
    frame.write(cpu);
    setStackPointer(cpu, frame.sp);
  }
  loadCodeSegment(cpu, d, kRing);
  cpu.eip = gate.offset >>> 0;
  setEflagsBits(cpu, 0, EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM);
  if (type === SystemType.INTERRUPT_GATE32) state.vif = false;
  cpu.halted = false;
  cpu.breakBlock = true;
}

/** EFLAGS bits the emulated IRET takes from the image: all the writable ones but IF (virtual), IOPL and VM (the VMM's). */
const IRET_KEEP = EFLAGS_IF | EFLAGS_IOPL | EFLAGS_VM;

/**
 * Emulate the guest kernel's 32-bit IRET (SDM Vol. 2A "IRET/IRETD" Operation, protected
 * mode). It traps: to its own ring because the popped CS has RPL 0 < host CPL (#GP), to guest
 * user mode because the user code descriptor is not present in the shadow while the guest
 * kernel runs (#NP, guest-ring.ts). Pops EIP, CS, EFLAGS — and for a return to ring 3 also
 * ESP and SS, checked as hardware checks them, then the data segment registers the guest's
 * ring 3 may not use are nulled. The status, DF, TF, AC… bits come from the image, IF goes
 * into the virtual IF; the host's IF and IOPL stay the VMM's. `cpu.eip` addresses the IRET.
 * @throws CpuFault as IRET would raise it (stack, CS and SS checks): nothing has changed then
 * @throws VmmUnsupported for a 16-bit IRET, NT = 1, VM = 1, or a return to guest ring 1 or 2
 */
export function emulateIret(cpu: Cpu, state: TrapAndEmulateState, o32: boolean): void {
  if (!o32) throw new VmmUnsupported('16-bit IRET in the guest kernel is not emulated yet');
  if (getEflags(cpu) & EFLAGS_NT) throw new VmmUnsupported('IRET with EFLAGS.NT = 1 (task return) is not emulated yet');
  const ring = state.ring;
  const kRing = ring.kernelRing;
  const ss = cpu.segs[SegReg.SS];
  const sp = cpu.regs[ESP] >>> 0;
  const off = (k: number): number => (ss.big ? (sp + k) >>> 0 : (sp + k) & 0xffff);
  const eip = readV32(cpu, SegReg.SS, off(0)) >>> 0;
  const cs = readV32(cpu, SegReg.SS, off(4)) & 0xffff;
  const eflags = readV32(cpu, SegReg.SS, off(8));
  if (eflags & EFLAGS_VM) throw new VmmUnsupported('IRET to virtual-8086 mode is not emulated');
  const rpl = cs & 3;
  if (rpl === 1 || rpl === 2) throw new VmmUnsupported(`IRET to guest ring ${rpl} (CS ${hex(cs)}) is not emulated`);
  if (selectorIsNull(cs)) throw gp(0, 'IRET: null return CS');
  const d = readDescriptor(cpu, cs);
  if (!arIsCodeSeg(d.ar)) throw gp(cs & 0xfffc, `IRET: return CS ${hex(cs)} is not a code segment`);
  const dpl = guestDpl(ring, cs, d.ar);
  // Nonconforming: DPL = RPL; conforming: DPL <= RPL (else #GP(selector)).
  if (arIsConformingCode(d.ar) ? dpl > rpl : dpl !== rpl) throw gp(cs & 0xfffc, `IRET: return CS ${hex(cs)} has guest DPL ${dpl} for RPL ${rpl}`);
  const hidden = rpl === 3 && isHiddenUserCode(ring, cs);
  if (!(d.ar & AR_P) && !hidden) throw np(cs & 0xfffc, `IRET: return CS ${hex(cs)} is not present`);
  if (rpl === 0) {
    if (eip > decodeDescriptor(d.lo, d.hi).limit) throw gp(0, `IRET: EIP ${hex(eip)} beyond the CS limit`);
    // Commit.
    loadCodeSegment(cpu, d, kRing);
    cpu.eip = eip;
    setStackPointer(cpu, off(12));
  } else {
    // RETURN-TO-OUTER-PRIVILEGE-LEVEL: ESP and SS follow EFLAGS.
    const newEsp = readV32(cpu, SegReg.SS, off(12));
    const newSs = readV32(cpu, SegReg.SS, off(16)) & 0xffff;
    const ssd = checkStackSegment(cpu, newSs, 3, Vector.GP);
    if (guestDpl(ring, newSs, ssd.ar) !== 3) throw gp(newSs & 0xfffc, `IRET: return SS ${hex(newSs)} is not a guest DPL-3 segment`);
    const present: DescriptorEntry = { ...d, hi: d.hi | (AR_P << 8), ar: d.ar | AR_P };
    if (eip > decodeDescriptor(present.lo, present.hi).limit) throw gp(0, `IRET: EIP ${hex(eip)} beyond the CS limit`);
    // Commit.
    enterGuestUser(cpu, state);
    loadCodeSegment(cpu, present, 3);
    commitSegment(cpu, SegReg.SS, newSs, ssd);
    cpu.regs[ESP] = cpu.segs[SegReg.SS].big ? newEsp : (cpu.regs[ESP] & ~0xffff) | (newEsp & 0xffff);
    cpu.eip = eip;
    // On the return to guest ring 3, ES/DS/FS/GS the guest's ring 3 may not use become null.
    // The guest DPL is the shadow cache's unless the shadow raised the descriptor the selector
    // names (under 0/3/3 the cache shows DPL 3 for both: the selector's shadow entry decides,
    // which differs from hardware only if the guest rewrote that descriptor after loading it).
    nullInaccessibleDataSegments(cpu, 3, (selector, ar) => guestDpl(state.ring, selector, ar));
  }
  setEflagsBits(cpu, eflags, EFLAGS_WRITABLE & ~IRET_KEEP);
  state.vif = (eflags & EFLAGS_IF) !== 0;
  cpu.nmiBlocked = false;
  cpu.breakBlock = true;
}

