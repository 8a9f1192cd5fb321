/**
 * Virtual delivery: reflecting an exception, INT n or virtual interrupt into the guest
 * through the guest's OWN IDT (the virtual IDTR), building the frame bare hardware would
 * build — the guest's CS with RPL 0 when the guest kernel was interrupted, and EFLAGS with
 * the virtual IF — and the emulated IRET that undoes it (docs/vmm-design.md, "Ring
 * deprivileging", last item; SDM Vol. 3A §6.12.1 "Exception- or Interrupt-Handler
 * Procedures", Figure 6-4; Vol. 2A "INT n" and "IRET/IRETD" Operation).
 *
 * The gate's code selector is resolved in the SHADOW GDT (the host GDTR), so a guest ring-0
 * handler runs at host CPL 1 with CS.RPL = 1, as everything of the guest kernel does.
 *
 * NOT YET (said plainly): events while guest user code runs (host CPL 3: the guest TSS's
 * ring-0 stack switch), 16-bit gates, task gates, 16-bit IRET, IRET with NT = 1 (task
 * return) and IRET to guest ring 3 — each is a `VmmUnsupported` error, which stops the VM
 * with a message naming it.
 */
import { EFLAGS_IF, EFLAGS_IOPL, EFLAGS_NT, EFLAGS_RF, EFLAGS_TF, EFLAGS_VM, EFLAGS_WRITABLE } from '../../arch/eflags';
import { AR_P, arDpl, decodeDescriptor, decodeGate, SegReg, selectorIsNull, SystemType } from '../../arch/segments';
import { ESP, type Cpu } from '../../cpu/cpu';
import { gp, np } from '../../cpu/fault';
import { getEflags, setEflagsBits } from '../../cpu/flags';
import { arIsCodeSeg, loadCodeSegment, readDescriptor } from '../../cpu/segmentation';
import { currentStackFrame } from '../../cpu/stack-frame';
import { setStackPointer } from '../../cpu/stack-ops';
import { readSys32, readV32 } from '../../cpu/memory-access';
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
 * Deliver `vector` into the guest through its IDT, as bare hardware would at guest CPL 0.
 * `cpu.eip` is the return address pushed (the faulting instruction for a fault, the next one
 * for INT n, a trap or an interrupt).
 * @param errorCode pushed when >= 0
 * @param software INT n / INT3 / INTO: the gate's DPL must be >= the guest's CPL (0 here, so always)
 * @throws CpuFault the fault hardware would raise while delivering (bad gate, no room on the
 *   stack): nothing has changed then; the caller applies the double-fault rules
 * @throws VmmUnsupported for the cases in the file header
 */
export function reflectEvent(cpu: Cpu, state: TrapAndEmulateState, vector: number, errorCode: number): void {
  if (cpu.cpl !== 1) throw new VmmUnsupported(`reflecting vector ${hex(vector)} from guest user mode (host CPL ${cpu.cpl}) is not emulated yet`);
  const idtCode = (vector << 3) | 2;
  if ((vector << 3) + 7 > state.idtr.limit) throw gp(idtCode, `guest IDT entry for vector ${hex(vector)} lies beyond the guest IDT limit ${hex(state.idtr.limit)}`);
  const gateLin = (state.idtr.base + (vector << 3)) >>> 0;
  if (gateLin + 8 > state.reservedBase) throw gp(idtCode, `guest IDT entry for vector ${hex(vector)} lies in the VMM's reserved area`);
  const gate = decodeGate(readSys32(cpu, gateLin | 0), readSys32(cpu, (gateLin + 4) | 0));
  const type = gate.ar & 0x1f;
  if (type === SystemType.INTERRUPT_GATE16 || type === SystemType.TRAP_GATE16 || type === SystemType.TASK_GATE) {
    throw new VmmUnsupported(`guest IDT entry ${hex(vector)} is a 16-bit or task gate (type ${type}): not emulated yet`);
  }
  if (type !== SystemType.INTERRUPT_GATE32 && type !== SystemType.TRAP_GATE32) throw gp(idtCode, `guest IDT entry ${hex(vector)} is not an interrupt, trap or task gate (type ${type})`);
  if (!(gate.ar & AR_P)) throw np(idtCode, `guest IDT gate for vector ${hex(vector)} is not present`);
  const sel = gate.selector;
  if (selectorIsNull(sel)) throw gp(0, `guest IDT gate ${hex(vector)} names a null code selector`);
  const d = readDescriptor(cpu, sel); // from the shadow GDT: DPL 0 shows as 1
  if (!arIsCodeSeg(d.ar)) throw gp(sel & 0xfffc, `guest IDT gate ${hex(vector)}: selector ${hex(sel)} is not a code segment`);
  if (arDpl(d.ar) !== 1) throw new VmmUnsupported(`guest IDT gate ${hex(vector)}: handler segment of guest DPL ${arDpl(d.ar)} (only guest ring-0 handlers are emulated)`);
  if (!(d.ar & AR_P)) throw np(sel & 0xfffc, `guest IDT gate ${hex(vector)}: code segment ${hex(sel)} is not present`);
  const csLimit = decodeDescriptor(d.lo, d.hi).limit;
  const frame = currentStackFrame(cpu);
  frame.push(4, guestEflags(cpu, state));
  frame.push(4, cpu.segs[SegReg.CS].selector & 0xfffc); // guest kernel interrupted: RPL 0, as bare hardware shows
  frame.push(4, cpu.eip);
  if (errorCode >= 0) frame.push(4, errorCode);
  frame.checkRoom();
  if (gate.offset > csLimit) throw gp(0, `guest IDT gate ${hex(vector)}: offset ${hex(gate.offset)} beyond the CS limit ${hex(csLimit)}`);
  frame.write(cpu);
  setStackPointer(cpu, frame.sp);
  loadCodeSegment(cpu, d, 1);
  cpu.eip = gate.offset >>> 0;
  setEflagsBits(cpu, 0, EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM);
  if (type === SystemType.INTERRUPT_GATE32) state.vif = false;
  cpu.halted = false;
  cpu.breakBlock = true;
}

/**
 * Emulate the guest kernel's 32-bit IRET to its own ring (it faulted at CPL 1 because the
 * popped CS has RPL 0 < CPL): pop EIP, CS, EFLAGS; load CS from the shadow GDT with RPL 1;
 * take the status, DF, TF, AC… bits from the image and IF into the virtual IF — the host's
 * IF and IOPL stay the VMM's. `cpu.eip` addresses the IRET on entry.
 * @throws CpuFault as IRET would raise it (stack, CS checks): nothing has changed then
 * @throws VmmUnsupported for a 16-bit IRET, NT = 1, or a return to guest ring 1–3
 */
export function emulateIret(cpu: Cpu, state: TrapAndEmulateState, o32: boolean): void {
  if (!o32) throw new VmmUnsupported('16-bit IRET in the guest kernel is not emulated yet');
  if (getEflags(cpu) & EFLAGS_NT) throw new VmmUnsupported('IRET with EFLAGS.NT = 1 (task return) is not emulated yet');
  const ss = cpu.segs[SegReg.SS];
  const sp = cpu.regs[ESP] >>> 0;
  const off = (k: number): number => (ss.big ? (sp + k) >>> 0 : (sp + k) & 0xffff);
  const eip = readV32(cpu, SegReg.SS, off(0)) >>> 0;
  const cs = readV32(cpu, SegReg.SS, off(4)) & 0xffff;
  const eflags = readV32(cpu, SegReg.SS, off(8));
  if ((cs & 3) !== 0) throw new VmmUnsupported(`IRET to guest ring ${cs & 3} (CS ${hex(cs)}) is not emulated yet`);
  if (selectorIsNull(cs)) throw gp(0, 'IRET: null return CS');
  const d = readDescriptor(cpu, cs);
  if (!arIsCodeSeg(d.ar) || arDpl(d.ar) !== 1) throw gp(cs & 0xfffc, `IRET: return CS ${hex(cs)} is not a guest ring-0 code segment`);
  if (!(d.ar & AR_P)) throw np(cs & 0xfffc, `IRET: return CS ${hex(cs)} is not present`);
  if (eip > decodeDescriptor(d.lo, d.hi).limit) throw gp(0, `IRET: EIP ${hex(eip)} beyond the CS limit`);
  // Commit.
  loadCodeSegment(cpu, d, 1);
  cpu.eip = eip;
  setStackPointer(cpu, off(12));
  const keep = EFLAGS_IF | EFLAGS_IOPL | EFLAGS_VM;
  setEflagsBits(cpu, eflags, EFLAGS_WRITABLE & ~keep);
  state.vif = (eflags & EFLAGS_IF) !== 0;
  cpu.breakBlock = true;
}
