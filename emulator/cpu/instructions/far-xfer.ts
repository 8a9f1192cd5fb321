/**
 * Far control transfers: far CALL and JMP (direct, and through call gates), far RET,
 * INT n / INT3 / INTO / INT1, IRET, SYSENTER and SYSEXIT.
 *
 * Every one of them loads CS, so every one ends with `cpu.breakBlock` set (through
 * segmentation.ts `loadCodeSegment` / `loadRealModeSegment`). Each does all of its checks,
 * reads and stack probes first and changes registers only afterwards, so a fault leaves
 * the caller's state intact. The checks follow the Operation sections of the SDM pages
 * in order, one comment and one named fault each.
 *
 * Operand size: a direct far CALL pushes CS and EIP with the instruction's operand size;
 * through a call gate the gate's size (16- or 32-bit gate) decides, as does the
 * interrupt gate for INT n. CS is pushed zero-extended into a 4-byte slot.
 *
 * Not implemented yet (said plainly): task switches — a far CALL/JMP to a TSS or task gate,
 * and IRET with EFLAGS.NT = 1, raise #GP with a reason saying so; IRET to virtual-8086 mode
 * (EFLAGS.VM = 1 in the popped image) likewise raises #GP.
 *
 * @see Intel SDM Vol. 2A "CALL—Call Procedure", "INT n/INTO/INT3/INT1", "IRET/IRETD",
 *      "JMP—Jump"; Vol. 2B "RET—Return from Procedure", "SYSENTER", "SYSEXIT";
 *      Vol. 3A §5.8 "Privilege Level Checking When Transferring Program Control Between
 *      Code Segments" (call gates: §5.8.3–5.8.6).
 */
import {
  EFLAGS_AC,
  EFLAGS_AF,
  EFLAGS_CF,
  EFLAGS_DF,
  EFLAGS_ID,
  EFLAGS_IF,
  EFLAGS_IOPL,
  EFLAGS_IOPL_SHIFT,
  EFLAGS_NT,
  EFLAGS_OF,
  EFLAGS_PF,
  EFLAGS_RF,
  EFLAGS_SF,
  EFLAGS_TF,
  EFLAGS_VM,
  EFLAGS_ZF,
} from '../../arch/eflags';
import { Vector } from '../../arch/exceptions';
import {
  AR_ACCESSED,
  AR_CODE,
  AR_DB,
  AR_G,
  AR_P,
  AR_RW,
  AR_S,
  arDpl,
  decodeDescriptor,
  decodeGate,
  SegReg,
  selectorIsNull,
  SystemType,
  type GateDescriptor,
} from '../../arch/segments';
import { ECX, EDX, ESP, type Cpu } from '../cpu';
import type { Insn } from '../decoder/insn';
import type { Exec } from '../decoder/types';
import { gp, np } from '../fault';
import { getEflags, getOF, setEflagsBits } from '../flags';
import { deliverSoftwareInterrupt, readTssStack } from '../interrupts';
import { ea, readV16, readV32 } from '../memory-access';
import {
  arIsCodeSeg,
  arIsConformingCode,
  checkStackSegment,
  commitSegment,
  isProtectedMode,
  loadCodeSegment,
  loadRealModeSegment,
  markAccessed,
  nullInaccessibleDataSegments,
  readDescriptor,
  setCpl,
  type DescriptorEntry,
} from '../segmentation';
import { currentStackFrame, detachedStack, StackFrame } from '../stack-frame';
import { peek, setStackPointer, stackOffset } from '../stack-ops';
import { believedIf, instructionEip, reportSensitive } from '../sensitive';

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** Kinds of far transfer through `farTransfer`. */
const enum Far {
  JMP = 0,
  CALL = 1,
}

// ---------------------------------------------------------------------------------------------
// Far CALL and JMP.

/**
 * Checks for a direct far CALL/JMP to a code segment (SDM "CALL"/"JMP", "IF segment type
 * is conforming/nonconforming code"): conforming needs DPL <= CPL; nonconforming needs
 * RPL <= CPL and DPL = CPL; either must be present.
 * @throws CpuFault #GP(selector), #NP(selector)
 */
function checkDirectCodeTarget(cpu: Cpu, d: DescriptorEntry, what: string): void {
  const sel = d.selector;
  const dpl = arDpl(d.ar);
  if (arIsConformingCode(d.ar)) {
    // Conforming: DPL must be <= CPL, else #GP(selector).
    if (dpl > cpu.cpl) throw gp(sel & 0xfffc, `${what}: conforming code segment ${hex(sel)} has DPL ${dpl} > CPL ${cpu.cpl}`);
  } else {
    // Nonconforming: RPL must be <= CPL, else #GP(selector).
    if ((sel & 3) > cpu.cpl) throw gp(sel & 0xfffc, `${what}: RPL ${sel & 3} of ${hex(sel)} > CPL ${cpu.cpl}`);
    // Nonconforming: DPL must equal CPL, else #GP(selector).
    if (dpl !== cpu.cpl) throw gp(sel & 0xfffc, `${what}: nonconforming code segment ${hex(sel)} has DPL ${dpl} ≠ CPL ${cpu.cpl}`);
  }
  // The segment must be present, else #NP(selector).
  if (!(d.ar & AR_P)) throw np(sel & 0xfffc, `${what}: code segment ${hex(sel)} is not present`);
}

/**
 * Checks for a call gate named by a far CALL/JMP and for the code segment it names
 * (SDM Vol. 3A §5.8.4 "Accessing a Code Segment Through a Call Gate", Figure 5-11).
 * @returns the code segment's descriptor
 * @throws CpuFault #GP(gate selector), #NP(gate selector), #GP(0), #GP(code selector), #NP(code selector)
 */
function checkCallGate(cpu: Cpu, gateSel: number, gateAr: number, gate: GateDescriptor, kind: Far): DescriptorEntry {
  const what = kind === Far.CALL ? 'far CALL through a call gate' : 'far JMP through a call gate';
  const gateDpl = arDpl(gateAr);
  // The gate's DPL must be >= CPL, else #GP(gate selector).
  if (gateDpl < cpu.cpl) throw gp(gateSel & 0xfffc, `${what}: gate ${hex(gateSel)} DPL ${gateDpl} < CPL ${cpu.cpl}`);
  // The gate's DPL must be >= the selector's RPL, else #GP(gate selector).
  if ((gateSel & 3) > gateDpl) throw gp(gateSel & 0xfffc, `${what}: RPL ${gateSel & 3} of ${hex(gateSel)} > gate DPL ${gateDpl}`);
  // The gate must be present, else #NP(gate selector).
  if (!(gateAr & AR_P)) throw np(gateSel & 0xfffc, `${what}: gate ${hex(gateSel)} is not present`);
  const cs = gate.selector;
  // The gate's code-segment selector must not be null, else #GP(0).
  if (selectorIsNull(cs)) throw gp(0, `${what}: gate ${hex(gateSel)} names a null code selector`);
  // It must lie within its descriptor table, else #GP(code-segment selector).
  const d = readDescriptor(cpu, cs);
  const dpl = arDpl(d.ar);
  // It must be a code segment, else #GP(code-segment selector).
  if (!arIsCodeSeg(d.ar)) throw gp(cs & 0xfffc, `${what}: ${hex(cs)} is not a code segment`);
  if (kind === Far.CALL) {
    // CALL: the code segment's DPL must be <= CPL, else #GP(code-segment selector).
    if (dpl > cpu.cpl) throw gp(cs & 0xfffc, `${what}: code segment ${hex(cs)} DPL ${dpl} > CPL ${cpu.cpl}`);
  } else if (arIsConformingCode(d.ar)) {
    // JMP, conforming: DPL must be <= CPL, else #GP(code-segment selector).
    if (dpl > cpu.cpl) throw gp(cs & 0xfffc, `${what}: conforming code segment ${hex(cs)} DPL ${dpl} > CPL ${cpu.cpl}`);
  } else if (dpl !== cpu.cpl) {
    // JMP, nonconforming: DPL must equal CPL (a JMP never changes privilege), else #GP(code-segment selector).
    throw gp(cs & 0xfffc, `${what}: nonconforming code segment ${hex(cs)} DPL ${dpl} ≠ CPL ${cpu.cpl} (JMP cannot change privilege)`);
  }
  // The code segment must be present, else #NP(code-segment selector).
  if (!(d.ar & AR_P)) throw np(cs & 0xfffc, `${what}: code segment ${hex(cs)} is not present`);
  return d;
}

/** The EIP must lie within the new code segment's limit, else #GP(0). */
function checkTargetLimit(d: DescriptorEntry, eip: number, what: string): void {
  const limit = decodeDescriptor(d.lo, d.hi).limit;
  if (eip > limit) throw gp(0, `${what}: EIP ${hex(eip)} beyond the CS limit ${hex(limit)}`);
}

/**
 * Far CALL (kind CALL) or JMP (kind JMP) to selector:offset.
 * @param offset target offset, already truncated to the operand size
 * @param o32 operand size of the instruction (push size of a direct far CALL)
 */
function farTransfer(cpu: Cpu, kind: Far, offset: number, selector: number, o32: boolean): void {
  const what = kind === Far.CALL ? 'far CALL' : 'far JMP';
  const size = o32 ? 4 : 2;
  if (!isProtectedMode(cpu)) {
    // Real-address mode: CS = selector, base = selector × 16; the offset must lie within the CS limit.
    const frame = currentStackFrame(cpu);
    if (kind === Far.CALL) {
      frame.push(size, cpu.segs[SegReg.CS].selector);
      frame.push(size, cpu.eip);
      frame.checkRoom();
    }
    // The target EIP must lie within the CS limit, else #GP(0).
    if (offset > cpu.segs[SegReg.CS].limit) throw gp(0, `${what}: EIP ${hex(offset)} beyond the CS limit`);
    if (kind === Far.CALL) {
      frame.write(cpu);
      setStackPointer(cpu, frame.sp);
    }
    loadRealModeSegment(cpu, SegReg.CS, selector);
    cpu.eip = offset;
    return;
  }
  // Protected mode. The selector must not be null, else #GP(0).
  if (selectorIsNull(selector)) throw gp(0, `${what}: null selector`);
  // It must lie within its descriptor table, else #GP(selector).
  const d = readDescriptor(cpu, selector);
  if (arIsCodeSeg(d.ar)) {
    checkDirectCodeTarget(cpu, d, what);
    const frame = currentStackFrame(cpu);
    if (kind === Far.CALL) {
      // CALL: the stack must have room for the return address, else #SS(0).
      frame.push(size, cpu.segs[SegReg.CS].selector);
      frame.push(size, cpu.eip);
      frame.checkRoom();
    }
    checkTargetLimit(d, offset, what);
    markAccessed(cpu, d);
    if (kind === Far.CALL) {
      frame.write(cpu);
      setStackPointer(cpu, frame.sp);
    }
    loadCodeSegment(cpu, d, cpu.cpl);
    cpu.eip = offset;
    return;
  }
  const type = d.ar & 0x1f; // S and type
  switch (type) {
    case SystemType.CALL_GATE16:
    case SystemType.CALL_GATE32:
      throughCallGate(cpu, kind, d, decodeGate(d.lo, d.hi));
      return;
    case SystemType.TASK_GATE:
    case SystemType.TSS16_AVAILABLE:
    case SystemType.TSS32_AVAILABLE:
      throw gp(selector & 0xfffc, `${what} to ${type === SystemType.TASK_GATE ? 'a task gate' : 'a TSS'} ${hex(selector)}: task switching is not implemented yet`);
    default:
      // Anything else (data segment, busy TSS, LDT, interrupt/trap gate): #GP(selector).
      throw gp(selector & 0xfffc, `${what}: ${hex(selector)} is not a code segment, call gate, task gate or TSS`);
  }
}

/** The call-gate half of far CALL/JMP (SDM "CALL": CALL-GATE, MORE-PRIVILEGE, SAME-PRIVILEGE). */
function throughCallGate(cpu: Cpu, kind: Far, gateEntry: DescriptorEntry, gate: GateDescriptor): void {
  const what = kind === Far.CALL ? 'far CALL through a call gate' : 'far JMP through a call gate';
  const d = checkCallGate(cpu, gateEntry.selector, gateEntry.ar, gate, kind);
  const gate32 = (gateEntry.ar & 0x1f) === SystemType.CALL_GATE32;
  const size = gate32 ? 4 : 2;
  const offset = gate32 ? gate.offset : gate.offset & 0xffff;
  const dpl = arDpl(d.ar);

  if (kind === Far.JMP) {
    // JMP through a call gate: same privilege only (checked above); no stack use.
    checkTargetLimit(d, offset, what);
    markAccessed(cpu, d);
    loadCodeSegment(cpu, d, cpu.cpl);
    cpu.eip = offset;
    return;
  }

  if (!arIsConformingCode(d.ar) && dpl < cpu.cpl) {
    // MORE-PRIVILEGE: the stack for the new CPL comes from the TSS (#TS(TSS selector) if out of it).
    const { ss, esp } = readTssStack(cpu, dpl);
    // The new SS: not null, within its table, RPL = DPL = new CPL, writable data, else #TS(SS);
    // present, else #SS(SS).
    const ssd = checkStackSegment(cpu, ss, dpl, Vector.TS);
    const st = decodeDescriptor(ssd.lo, ssd.hi);
    const stack = detachedStack(st.base, st.limit, st.ar);
    // Copy the parameters from the caller's stack (read at the caller's privilege, before anything changes).
    const count = gate.paramCount;
    const params: number[] = [];
    for (let k = count - 1; k >= 0; k--) params.push(peek(cpu, gate32, k * size));
    // The new stack must have room for SS, ESP, the parameters, CS and EIP, else #SS(SS).
    const frame = new StackFrame(stack, esp, false, ss & 0xfffc);
    frame.push(size, cpu.segs[SegReg.SS].selector);
    frame.push(size, cpu.regs[ESP]);
    for (const p of params) frame.push(size, p);
    frame.push(size, cpu.segs[SegReg.CS].selector);
    frame.push(size, cpu.eip);
    frame.checkRoom();
    checkTargetLimit(d, offset, what);
    markAccessed(cpu, d);
    frame.write(cpu);
    // Commit: nothing below can fault.
    commitSegment(cpu, SegReg.SS, (ss & 0xfffc) | dpl, ssd);
    cpu.regs[ESP] = stack.big ? frame.sp : (esp & ~0xffff) | frame.sp;
    loadCodeSegment(cpu, d, dpl);
    cpu.eip = offset;
    return;
  }

  // SAME-PRIVILEGE: the current stack must have room for CS and EIP, else #SS(0).
  const frame = currentStackFrame(cpu);
  frame.push(size, cpu.segs[SegReg.CS].selector);
  frame.push(size, cpu.eip);
  frame.checkRoom();
  checkTargetLimit(d, offset, what);
  markAccessed(cpu, d);
  frame.write(cpu);
  setStackPointer(cpu, frame.sp);
  loadCodeSegment(cpu, d, cpu.cpl);
  cpu.eip = offset;
}

/** CALL ptr16:16 / ptr16:32 (9A). */
export const CALLF_Ap: Exec = (cpu, i) => farTransfer(cpu, Far.CALL, i.o32 ? i.imm >>> 0 : i.imm & 0xffff, i.imm2, i.o32);
/** JMP ptr16:16 / ptr16:32 (EA). */
export const JMPF_Ap: Exec = (cpu, i) => farTransfer(cpu, Far.JMP, i.o32 ? i.imm >>> 0 : i.imm & 0xffff, i.imm2, i.o32);

/** Read the far pointer m16:16 / m16:32 (offset, then selector) and transfer. */
function farIndirect(cpu: Cpu, i: Insn, kind: Far): void {
  const off = ea(cpu, i);
  const offset = i.o32 ? readV32(cpu, i.seg, off) >>> 0 : readV16(cpu, i.seg, off);
  const selector = readV16(cpu, i.seg, i.a32 ? (off + (i.o32 ? 4 : 2)) >>> 0 : (off + (i.o32 ? 4 : 2)) & 0xffff);
  farTransfer(cpu, kind, offset, selector, i.o32);
}
/** CALL m16:16 / m16:32 (FF /3). */
export const CALLF_Mp: Exec = (cpu, i) => farIndirect(cpu, i, Far.CALL);
/** JMP m16:16 / m16:32 (FF /5). */
export const JMPF_Mp: Exec = (cpu, i) => farIndirect(cpu, i, Far.JMP);

// ---------------------------------------------------------------------------------------------
// Far RET.

/**
 * Checks on the CS selector popped by far RET or IRET (SDM "RET" and "IRET": "return code
 * segment …" checks, in order).
 * @throws CpuFault #GP(0), #GP(selector), #NP(selector)
 */
function checkReturnCodeSegment(cpu: Cpu, cs: number, what: string): DescriptorEntry {
  // The return CS selector must not be null, else #GP(0).
  if (selectorIsNull(cs)) throw gp(0, `${what}: null return CS selector`);
  // It must lie within its descriptor table, else #GP(selector).
  const d = readDescriptor(cpu, cs);
  const rpl = cs & 3;
  const dpl = arDpl(d.ar);
  // It must be a code segment, else #GP(selector).
  if (!arIsCodeSeg(d.ar)) throw gp(cs & 0xfffc, `${what}: return selector ${hex(cs)} is not a code segment`);
  // Its RPL must be >= CPL (no return to an inner level), else #GP(selector).
  if (rpl < cpu.cpl) throw gp(cs & 0xfffc, `${what}: return RPL ${rpl} < CPL ${cpu.cpl}`);
  if (arIsConformingCode(d.ar)) {
    // Conforming: DPL must be <= RPL, else #GP(selector).
    if (dpl > rpl) throw gp(cs & 0xfffc, `${what}: conforming return segment ${hex(cs)} DPL ${dpl} > RPL ${rpl}`);
  } else if (dpl !== rpl) {
    // Nonconforming: DPL must equal RPL, else #GP(selector).
    throw gp(cs & 0xfffc, `${what}: nonconforming return segment ${hex(cs)} DPL ${dpl} ≠ RPL ${rpl}`);
  }
  // It must be present, else #NP(selector).
  if (!(d.ar & AR_P)) throw np(cs & 0xfffc, `${what}: return code segment ${hex(cs)} is not present`);
  return d;
}

/**
 * RETF / RETF imm16 (CB, CA): pop EIP and CS, release `imm16` bytes of parameters; to an
 * outer level also pop ESP and SS (releasing the parameters on that stack too) and null
 * the data segment registers the outer level may not use.
 */
export const RETF: Exec = (cpu, i) => {
  const o32 = i.o32;
  const size = o32 ? 4 : 2;
  const release = i.opcode === 0xca ? i.imm & 0xffff : 0;
  // The return address must lie within the stack, else #SS(0).
  const rawEip = peek(cpu, o32, 0);
  const eip = o32 ? rawEip >>> 0 : rawEip & 0xffff;
  const cs = peek(cpu, o32, size) & 0xffff;
  if (!isProtectedMode(cpu)) {
    // The return EIP must lie within the CS limit, else #GP(0).
    if (eip > cpu.segs[SegReg.CS].limit) throw gp(0, `far RET: EIP ${hex(eip)} beyond the CS limit`);
    setStackPointer(cpu, stackOffset(cpu, 2 * size + release));
    loadRealModeSegment(cpu, SegReg.CS, cs);
    cpu.eip = eip;
    return;
  }
  const d = checkReturnCodeSegment(cpu, cs, 'far RET');
  const rpl = cs & 3;
  if (rpl > cpu.cpl) {
    // RETURN-TO-OUTER-PRIVILEGE-LEVEL: the caller's ESP and SS lie above the parameters (#SS(0) if not on the stack).
    const newEsp = peek(cpu, o32, 2 * size + release);
    const newSs = peek(cpu, o32, 3 * size + release) & 0xffff;
    // SS: not null (#GP(0)), within its table, RPL = DPL = return RPL, writable data (#GP(SS)), present (#SS(SS)).
    const ssd = checkStackSegment(cpu, newSs, rpl, Vector.GP);
    checkTargetLimit(d, eip, 'far RET');
    markAccessed(cpu, d);
    loadCodeSegment(cpu, d, rpl);
    commitSegment(cpu, SegReg.SS, newSs, ssd);
    if (cpu.segs[SegReg.SS].big) cpu.regs[ESP] = (o32 ? newEsp : newEsp & 0xffff) + release;
    else cpu.regs[ESP] = (cpu.regs[ESP] & ~0xffff) | ((newEsp + release) & 0xffff);
    nullInaccessibleDataSegments(cpu);
    cpu.eip = eip;
    return;
  }
  // RETURN-TO-SAME-PRIVILEGE-LEVEL.
  checkTargetLimit(d, eip, 'far RET');
  markAccessed(cpu, d);
  setStackPointer(cpu, stackOffset(cpu, 2 * size + release));
  loadCodeSegment(cpu, d, cpu.cpl);
  cpu.eip = eip;
};

// ---------------------------------------------------------------------------------------------
// Software interrupts and IRET.

/** INT imm8 (CD ib). */
export const INT_Ib: Exec = (cpu, i) => deliverSoftwareInterrupt(cpu, i.imm & 0xff, 'INTn', i.len);
/** INT3 (CC): the breakpoint trap #BP, with the gate DPL check of INT n. */
export const INT3: Exec = (cpu, i) => deliverSoftwareInterrupt(cpu, Vector.BP, 'INT3', i.len);
/** INTO (CE): #OF when EFLAGS.OF = 1, else nothing. */
export const INTO: Exec = (cpu, i) => {
  if (getOF(cpu)) deliverSoftwareInterrupt(cpu, Vector.OF, 'INTO', i.len);
};
/** INT1 / ICEBP (F1): a #DB trap without the gate DPL check. */
export const INT1: Exec = (cpu, i) => deliverSoftwareInterrupt(cpu, Vector.DB, 'INT1', i.len);

/** EFLAGS bits IRET/IRETD always loads in protected mode (IF and IOPL follow CPL/IOPL rules). */
const IRET_FLAGS32 = EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_TF | EFLAGS_DF | EFLAGS_OF | EFLAGS_NT | EFLAGS_RF | EFLAGS_AC | EFLAGS_ID;
const IRET_FLAGS16 = IRET_FLAGS32 & 0xffff;
/** Real mode IRETD: EFLAGS ← (tempEFLAGS AND 257FD5H) OR (EFLAGS AND 1A0000H) (VM, VIF, VIP kept). */
const IRET_REAL_FLAGS32 = 0x257fd5;

/**
 * IRET / IRETD (CF): return from an interrupt or exception handler. Real mode pops IP, CS,
 * FLAGS. Protected mode, same level: pops EIP, CS, EFLAGS; to an outer level also ESP and
 * SS, then nulls ES/DS/FS/GS that the outer level may not use. EFLAGS rules: IF is loaded
 * only when CPL <= IOPL, IOPL only at CPL 0, both judged by the CPL before the return.
 * Unblocks NMIs.
 */
export const IRET: Exec = (cpu, i) => {
  const o32 = i.o32;
  const size = o32 ? 4 : 2;
  const pm = isProtectedMode(cpu);
  // Protected mode with EFLAGS.NT = 1: a return to the previous task (TASK-RETURN, decided
  // before the stack is read). Task switching is not implemented yet.
  if (pm && getEflags(cpu) & EFLAGS_NT) throw gp(0, 'IRET with EFLAGS.NT = 1 (return from a nested task): task switching is not implemented yet');
  // The three values must lie within the stack, else #SS(0).
  const rawEip = peek(cpu, o32, 0);
  const eip = o32 ? rawEip >>> 0 : rawEip & 0xffff;
  const cs = peek(cpu, o32, size) & 0xffff;
  const tempFlags = peek(cpu, o32, 2 * size);
  if (!pm) {
    // REAL-ADDRESS-MODE: the return EIP must lie within the CS limit, else #GP(0).
    if (eip > cpu.segs[SegReg.CS].limit) throw gp(0, `IRET: EIP ${hex(eip)} beyond the CS limit`);
    setStackPointer(cpu, stackOffset(cpu, 3 * size));
    loadRealModeSegment(cpu, SegReg.CS, cs);
    cpu.eip = eip;
    setEflagsBits(cpu, tempFlags, o32 ? IRET_REAL_FLAGS32 : 0x7fd5);
    cpu.nmiBlocked = false;
    cpu.breakBlock = true;
    return;
  }
  const eflags = getEflags(cpu);
  // A popped EFLAGS.VM = 1 at CPL 0 returns to virtual-8086 mode, which is not implemented yet.
  if (o32 && tempFlags & EFLAGS_VM && cpu.cpl === 0) throw gp(0, 'IRET to virtual-8086 mode (EFLAGS.VM = 1): virtual-8086 mode is not implemented yet');
  const d = checkReturnCodeSegment(cpu, cs, 'IRET');
  const rpl = cs & 3;
  const oldCpl = cpu.cpl;
  const iopl = (eflags & EFLAGS_IOPL) >>> EFLAGS_IOPL_SHIFT;
  let mask = o32 ? IRET_FLAGS32 : IRET_FLAGS16;
  if (oldCpl <= iopl) mask |= EFLAGS_IF;
  if (oldCpl === 0) mask |= EFLAGS_IOPL;
  // 'iret-if-ignored' (sensitive.ts): judged and placed before CS:EIP change, reported after the commit;
  // the popped IF differs from the believed one, so the kept IF is its opposite.
  const ifIgnored = cpu.hooks.onSensitive !== undefined && oldCpl > iopl && (tempFlags & EFLAGS_IF) !== 0 !== believedIf(cpu);
  const ownEip = ifIgnored ? instructionEip(cpu, i) : 0;
  const ownBase = cpu.segs[SegReg.CS].base;
  if (rpl > oldCpl) {
    // RETURN-TO-OUTER-PRIVILEGE-LEVEL: ESP and SS follow EFLAGS on the stack (#SS(0) if not).
    const newEsp = peek(cpu, o32, 3 * size);
    const newSs = peek(cpu, o32, 4 * size) & 0xffff;
    // SS: not null (#GP(0)), within its table, RPL = DPL = return RPL, writable data (#GP(SS)), present (#SS(SS)).
    const ssd = checkStackSegment(cpu, newSs, rpl, Vector.GP);
    checkTargetLimit(d, eip, 'IRET');
    markAccessed(cpu, d);
    setEflagsBits(cpu, tempFlags, mask);
    loadCodeSegment(cpu, d, rpl);
    commitSegment(cpu, SegReg.SS, newSs, ssd);
    if (cpu.segs[SegReg.SS].big) cpu.regs[ESP] = o32 ? newEsp : newEsp & 0xffff;
    else cpu.regs[ESP] = (cpu.regs[ESP] & ~0xffff) | (newEsp & 0xffff);
    nullInaccessibleDataSegments(cpu);
  } else {
    // RETURN-TO-SAME-PRIVILEGE-LEVEL.
    checkTargetLimit(d, eip, 'IRET');
    markAccessed(cpu, d);
    setStackPointer(cpu, stackOffset(cpu, 3 * size));
    setEflagsBits(cpu, tempFlags, mask);
    loadCodeSegment(cpu, d, oldCpl);
  }
  cpu.eip = eip;
  cpu.nmiBlocked = false;
  cpu.breakBlock = true;
  if (ifIgnored) reportSensitive(cpu, i, 'iret-if-ignored', o32 ? 'IRETD' : 'IRET', { poppedIf: (tempFlags & EFLAGS_IF) !== 0, if: (tempFlags & EFLAGS_IF) === 0 }, ownEip, ownBase);
};

// ---------------------------------------------------------------------------------------------
// SYSENTER and SYSEXIT.

/** Flat 4-GiB code and stack segments that SYSENTER/SYSEXIT load without reading the GDT. */
const FLAT_CODE_AR = AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED | AR_DB | AR_G; // type 11: execute/read, accessed
const FLAT_STACK_AR = AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB | AR_G; // type 3: read/write, accessed
const DPL3 = 3 << 5;

/**
 * SYSENTER (0F 34): fast call to CPL 0. CS = IA32_SYSENTER_CS & FFFCh and SS = CS + 8 get
 * flat 4-GiB descriptors without any GDT access (the GDT is expected to match);
 * ESP = IA32_SYSENTER_ESP, EIP = IA32_SYSENTER_EIP; VM, IF and RF are cleared.
 */
export const SYSENTER: Exec = (cpu) => {
  // Protected mode only, else #GP(0).
  if (!isProtectedMode(cpu)) throw gp(0, 'SYSENTER in real-address mode');
  // IA32_SYSENTER_CS[15:2] must not be 0, else #GP(0).
  if ((cpu.sysenterCs & 0xfffc) === 0) throw gp(0, 'SYSENTER with IA32_SYSENTER_CS = 0');
  const cs = cpu.sysenterCs & 0xfffc;
  setEflagsBits(cpu, 0, EFLAGS_VM | EFLAGS_IF | EFLAGS_RF);
  cpu.segs[SegReg.CS].setCache(cs, 0, 0xffffffff, FLAT_CODE_AR);
  setCpl(cpu, 0);
  cpu.segs[SegReg.SS].setCache((cs + 8) & 0xffff, 0, 0xffffffff, FLAT_STACK_AR);
  cpu.regs[ESP] = cpu.sysenterEsp;
  cpu.eip = cpu.sysenterEip >>> 0;
  cpu.breakBlock = true;
};

/**
 * SYSEXIT (0F 35): fast return to CPL 3. CS = (IA32_SYSENTER_CS + 16) | 3 and
 * SS = (IA32_SYSENTER_CS + 24) | 3 get flat 4-GiB DPL-3 descriptors; ESP = ECX, EIP = EDX.
 */
export const SYSEXIT: Exec = (cpu) => {
  // Protected mode only, else #GP(0).
  if (!isProtectedMode(cpu)) throw gp(0, 'SYSEXIT in real-address mode');
  // IA32_SYSENTER_CS[15:2] must not be 0, else #GP(0).
  if ((cpu.sysenterCs & 0xfffc) === 0) throw gp(0, 'SYSEXIT with IA32_SYSENTER_CS = 0');
  // CPL must be 0, else #GP(0).
  if (cpu.cpl !== 0) throw gp(0, `SYSEXIT at CPL ${cpu.cpl}`);
  const base = cpu.sysenterCs & 0xffff;
  cpu.segs[SegReg.CS].setCache(((base + 16) | 3) & 0xffff, 0, 0xffffffff, FLAT_CODE_AR | DPL3);
  setCpl(cpu, 3);
  cpu.segs[SegReg.SS].setCache(((base + 24) | 3) & 0xffff, 0, 0xffffffff, FLAT_STACK_AR | DPL3);
  cpu.regs[ESP] = cpu.regs[ECX];
  cpu.eip = cpu.regs[EDX] >>> 0;
  cpu.breakBlock = true;
};
