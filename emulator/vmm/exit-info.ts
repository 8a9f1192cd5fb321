/**
 * Recording a VM exit into a `VmcsRecord`'s VM-exit information fields, and the pure codecs
 * of the exit qualification, interruption information and instruction information, for
 * every VMM mode (the trap-and-emulate engine records its exits in VT-x terms too, so the
 * debugger shows one VMCS whatever technique runs the guest).
 *
 * Exit qualification (SDM Vol. 3C §28.2.1 "Basic VM-Exit Information"; table numbers of
 * current editions, 27-x in older ones):
 *
 *   Debug exceptions (Table 28-1 "Exit Qualification for Debug Exceptions"):
 *     3:0 B3:B0   13 BD   14 BS
 *   Task switch (Table 28-2 "Exit Qualification for Task Switches"):
 *     15:0 selector of the new TSS   31:30 source: 0 CALL, 1 IRET, 2 JMP, 3 task gate in IDT
 *   Control-register access (Table 28-3 "Exit Qualification for Control-Register Accesses"):
 *     3:0 CR number (0 for CLTS, LMSW)   5:4 access type: 0 MOV to CR, 1 MOV from CR, 2 CLTS,
 *     3 LMSW   6 LMSW operand type: 0 register, 1 memory   11:8 GPR of MOV CR (ModRM order)
 *     31:16 LMSW source data
 *   MOV DR (Table 28-4 "Exit Qualification for MOV DR"):
 *     2:0 DR number   4 direction: 0 MOV to DR, 1 MOV from DR   11:8 GPR
 *   I/O instructions (Table 28-5 "Exit Qualification for I/O Instructions"):
 *     2:0 size: 0 = 1 byte, 1 = 2 bytes, 3 = 4 bytes   3 direction: 0 OUT, 1 IN   4 string
 *     5 REP prefixed   6 operand encoding: 0 DX, 1 immediate   31:16 port
 *   INVLPG: the linear-address operand. #PF: the faulting linear address.
 *   LGDT/LIDT/SGDT/SIDT/LLDT/LTR/SLDT/STR: the memory operand's displacement (0 for none).
 *
 * VM-exit interruption information and IDT-vectoring information (§25.9.2, §25.9.3; table
 * "Format of the VM-Exit Interruption-Information Field"):
 *     7:0 vector   10:8 type (InterruptionType)   11 error code valid
 *     12 NMI unblocking due to IRET (exit information only)   31 valid
 *
 * Instruction information (§28.2.5 in current editions, tables "Format of the VM-Exit
 * Instruction-Information Field as Used for LIDT, LGDT, SIDT, or SGDT" and "… for LLDT, LTR,
 * SLDT, and STR"):
 *     1:0 scaling   6:3 reg1 (LLDT/LTR/SLDT/STR register form)   9:7 address size: 0 16-bit,
 *     1 32-bit   10 0 = memory, 1 = register (LLDT group; always 0 for LGDT group)
 *     11 operand size: 0 16-bit, 1 32-bit (LGDT group)   17:15 segment   21:18 index reg
 *     22 index invalid   26:23 base reg   27 base invalid   29:28 identity: SGDT, SIDT,
 *     LGDT, LIDT / SLDT, STR, LLDT, LTR (= ModRM.reg of 0F 01 and 0F 00)
 *   Bits the SDM leaves undefined are written as 0.
 *
 * NOT YET (no user on this model): the EPT-violation qualification (no EPT), the APIC-access
 * qualification (no APIC), instruction information for INS/OUTS (reported only when
 * IA32_VMX_BASIC bit 54 is 1, which this model does not set) and for VMX instructions,
 * INVEPT, INVVPID and RDRAND, and the I/O SMI fields IO_RCX … IO_RIP (no SMM).
 *
 * @see Intel SDM Vol. 3C §28.2 "Recording VM-Exit Information and Updating VM-Entry Control
 *      Fields", §25.9 "VM-Exit Information Fields" (chapter numbers of current editions).
 */
import { InterruptionType, VMCS } from '../arch/vmcs';
import { ExitReason, EXIT_REASON_ENTRY_FAILURE } from '../arch/vmx-exit-reasons';
import { EDX, REG_ZERO, type CpuEvent, type CpuEventType, type Cpu } from '../cpu/cpu';
import { PFX_REP, PFX_REPNE, type Insn } from '../cpu/decoder/insn';
import type { VmcsRecord } from './vmcs-record';

function check(ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`exit-info: ${what}`);
}
const bit = (v: number, n: number): boolean => ((v >>> n) & 1) === 1;

// --- Control-register access -------------------------------------------------------------

export enum CrAccessType {
  MOV_TO_CR = 0,
  MOV_FROM_CR = 1,
  CLTS = 2,
  LMSW = 3,
}

export interface CrAccessQualification {
  /** Control register number, 0 for CLTS and LMSW. */
  cr: number;
  accessType: CrAccessType;
  /** LMSW with a memory operand (false for the other access types). */
  lmswMemory: boolean;
  /** GPR of MOV to/from CR in ModRM order (EAX = 0 … EDI = 7); 0 for CLTS and LMSW. */
  gpr: number;
  /** LMSW source operand (16 bits); 0 for the other access types. */
  lmswSource: number;
}

/** @throws RangeError for a field out of range */
export function encodeCrAccess(q: CrAccessQualification): number {
  check(q.cr >= 0 && q.cr <= 15 && q.gpr >= 0 && q.gpr <= 15 && q.lmswSource >= 0 && q.lmswSource <= 0xffff, 'CR-access field out of range');
  return ((q.lmswSource << 16) | (q.gpr << 8) | (q.lmswMemory ? 1 << 6 : 0) | (q.accessType << 4) | q.cr) >>> 0;
}

export function decodeCrAccess(v: number): CrAccessQualification {
  return { cr: v & 0xf, accessType: (v >>> 4) & 3, lmswMemory: bit(v, 6), gpr: (v >>> 8) & 0xf, lmswSource: v >>> 16 };
}

/**
 * The CR-access qualification for a decoded MOV to/from CRn (0F 22 / 0F 20), CLTS (0F 06)
 * or LMSW (0F 01 /6).
 * @param lmswSource the 16-bit LMSW operand the instruction read (LMSW only)
 * @throws RangeError for any other instruction
 */
export function crAccessOfInsn(i: Insn, lmswSource = 0): CrAccessQualification {
  switch (i.opcode) {
    case 0x0f22:
    case 0x0f20:
      return { cr: i.reg, accessType: i.opcode === 0x0f22 ? CrAccessType.MOV_TO_CR : CrAccessType.MOV_FROM_CR, lmswMemory: false, gpr: i.rm, lmswSource: 0 };
    case 0x0f06:
      return { cr: 0, accessType: CrAccessType.CLTS, lmswMemory: false, gpr: 0, lmswSource: 0 };
    case 0x0f01:
      if (i.reg === 6) return { cr: 0, accessType: CrAccessType.LMSW, lmswMemory: i.mod !== 3, gpr: 0, lmswSource: lmswSource & 0xffff };
  }
  throw new RangeError(`exit-info: opcode 0x${i.opcode.toString(16)} /${i.reg} is not a control-register access`);
}

// --- MOV DR --------------------------------------------------------------------------------

export interface DrAccessQualification {
  dr: number;
  /** false: MOV to DR; true: MOV from DR. */
  fromDr: boolean;
  gpr: number;
}

export function encodeDrAccess(q: DrAccessQualification): number {
  check(q.dr >= 0 && q.dr <= 7 && q.gpr >= 0 && q.gpr <= 15, 'MOV DR field out of range');
  return (q.gpr << 8) | (q.fromDr ? 1 << 4 : 0) | q.dr;
}

export function decodeDrAccess(v: number): DrAccessQualification {
  return { dr: v & 7, fromDr: bit(v, 4), gpr: (v >>> 8) & 0xf };
}

// --- I/O instructions ------------------------------------------------------------------------

export interface IoQualification {
  /** Access size in bytes. */
  size: 1 | 2 | 4;
  /** true: IN/INS; false: OUT/OUTS. */
  in: boolean;
  string: boolean;
  rep: boolean;
  /** Port given as an immediate (else in DX). */
  immediate: boolean;
  port: number;
}

export function encodeIo(q: IoQualification): number {
  check(q.size === 1 || q.size === 2 || q.size === 4, 'I/O size must be 1, 2 or 4');
  check(q.port >= 0 && q.port <= 0xffff, 'I/O port out of range');
  return ((q.port << 16) | (q.immediate ? 1 << 6 : 0) | (q.rep ? 1 << 5 : 0) | (q.string ? 1 << 4 : 0) | (q.in ? 1 << 3 : 0) | (q.size - 1)) >>> 0;
}

/** @throws RangeError for the reserved size encoding 2 */
export function decodeIo(v: number): IoQualification {
  const s = v & 7;
  check(s === 0 || s === 1 || s === 3, `reserved I/O size encoding ${s}`);
  return { size: (s + 1) as 1 | 2 | 4, in: bit(v, 3), string: bit(v, 4), rep: bit(v, 5), immediate: bit(v, 6), port: v >>> 16 };
}

/**
 * The I/O qualification for a decoded IN/OUT (E4–E7, EC–EF) or INS/OUTS (6C–6F); the port
 * comes from the immediate or from DX in `cpu`. An F2 prefix repeats INS/OUTS as F3 does.
 * @throws RangeError for any other instruction
 */
export function ioOfInsn(cpu: Cpu, i: Insn): IoQualification {
  const op = i.opcode;
  const immediate = op >= 0xe4 && op <= 0xe7;
  const string = op >= 0x6c && op <= 0x6f;
  if (!immediate && !string && !(op >= 0xec && op <= 0xef)) throw new RangeError(`exit-info: opcode 0x${op.toString(16)} is not an I/O instruction`);
  const size = op & 1 ? (i.o32 ? 4 : 2) : 1;
  const isIn = string ? op <= 0x6d : (op & 2) === 0;
  return { size, in: isIn, string, rep: string && (i.prefixes & (PFX_REP | PFX_REPNE)) !== 0, immediate, port: immediate ? i.imm & 0xff : cpu.regs[EDX] & 0xffff };
}

// --- Task switch, debug exceptions -----------------------------------------------------------

export enum TaskSwitchSource {
  CALL = 0,
  IRET = 1,
  JMP = 2,
  TASK_GATE_IN_IDT = 3,
}

export interface TaskSwitchQualification {
  selector: number;
  source: TaskSwitchSource;
}

export function encodeTaskSwitch(q: TaskSwitchQualification): number {
  check(q.selector >= 0 && q.selector <= 0xffff, 'TSS selector out of range');
  return ((q.source << 30) | q.selector) >>> 0;
}

export function decodeTaskSwitch(v: number): TaskSwitchQualification {
  return { selector: v & 0xffff, source: v >>> 30 };
}

export interface DebugQualification {
  /** B3:B0, the breakpoint conditions met (bits 3:0). */
  b: number;
  bd: boolean;
  bs: boolean;
}

export function encodeDebug(q: DebugQualification): number {
  check(q.b >= 0 && q.b <= 15, 'B3:B0 out of range');
  return q.b | (q.bd ? 1 << 13 : 0) | (q.bs ? 1 << 14 : 0);
}

export function decodeDebug(v: number): DebugQualification {
  return { b: v & 0xf, bd: bit(v, 13), bs: bit(v, 14) };
}

// --- Interruption information ----------------------------------------------------------------

export interface InterruptionInfo {
  vector: number;
  type: InterruptionType;
  /** An error code was pushed / is in VM_EXIT_INTR_ERROR_CODE (or IDT_VECTORING_ERROR_CODE). */
  errorCodeValid: boolean;
  /** NMI unblocking due to IRET (bit 12; exit interruption information only). */
  nmiUnblocking: boolean;
  valid: boolean;
}

export function encodeInterruption(q: InterruptionInfo): number {
  check(q.vector >= 0 && q.vector <= 0xff && q.type >= 0 && q.type <= 7 && (q.type as number) !== 1, 'interruption vector or type out of range');
  return ((q.valid ? 1 << 31 : 0) | (q.nmiUnblocking ? 1 << 12 : 0) | (q.errorCodeValid ? 1 << 11 : 0) | (q.type << 8) | q.vector) >>> 0;
}

export function decodeInterruption(v: number): InterruptionInfo {
  return { vector: v & 0xff, type: (v >>> 8) & 7, errorCodeValid: bit(v, 11), nmiUnblocking: bit(v, 12), valid: bit(v, 31) };
}

const EVENT_TYPES: Record<CpuEventType, InterruptionType> = {
  'external-interrupt': InterruptionType.EXTERNAL_INTERRUPT,
  nmi: InterruptionType.NMI,
  'hardware-exception': InterruptionType.HARDWARE_EXCEPTION,
  'software-interrupt': InterruptionType.SOFTWARE_INTERRUPT,
  'privileged-software-exception': InterruptionType.PRIVILEGED_SOFTWARE_EXCEPTION,
  'software-exception': InterruptionType.SOFTWARE_EXCEPTION,
};

/** The VMX interruption type of a CPU event (cpu.ts `CpuEventType` uses the same names). */
export function interruptionTypeOf(type: CpuEventType): InterruptionType {
  return EVENT_TYPES[type];
}

// --- Instruction information for descriptor-table instructions ---------------------------------

/** Identity bits 29:28: SGDT, SIDT, LGDT, LIDT (0F 01 /0–/3) or SLDT, STR, LLDT, LTR (0F 00 /0–/3). */
export type DescriptorTableIdentity = 0 | 1 | 2 | 3;

/** A memory operand as instruction information describes it: base and index are GPR numbers or null when absent. */
export interface InfoMemoryOperand {
  kind: 'memory';
  /** Scaling as a shift count (0 = ×1 … 3 = ×8). */
  scaling: number;
  /** 0 = 16-bit, 1 = 32-bit. */
  addressSize: number;
  segment: number;
  base: number | null;
  index: number | null;
}

export interface InfoRegisterOperand {
  kind: 'register';
  reg: number;
}

export interface DescriptorTableInfo {
  /** Which table: GDTR/IDTR (0F 01 group) or LDTR/TR (0F 00 group). */
  group: 'gdtr-idtr' | 'ldtr-tr';
  identity: DescriptorTableIdentity;
  /** 32-bit operand size (GDTR/IDTR group only; false for the LDTR/TR group). */
  operand32: boolean;
  operand: InfoMemoryOperand | InfoRegisterOperand;
}

export function encodeDescriptorTableInfo(q: DescriptorTableInfo): number {
  let v = q.identity << 28;
  if (q.group === 'gdtr-idtr' && q.operand32) v |= 1 << 11;
  const o = q.operand;
  if (o.kind === 'register') {
    check(q.group === 'ldtr-tr', 'LGDT/LIDT/SGDT/SIDT take a memory operand only');
    check(o.reg >= 0 && o.reg <= 15, 'reg1 out of range');
    return (v | (1 << 10) | (o.reg << 3)) >>> 0;
  }
  check(o.scaling >= 0 && o.scaling <= 3 && o.addressSize >= 0 && o.addressSize <= 2 && o.segment >= 0 && o.segment <= 5, 'memory operand field out of range');
  v |= o.scaling | (o.addressSize << 7) | (o.segment << 15);
  v |= o.index === null ? 1 << 22 : o.index << 18;
  v |= o.base === null ? 1 << 27 : o.base << 23;
  return v >>> 0;
}

export function decodeDescriptorTableInfo(v: number, group: DescriptorTableInfo['group']): DescriptorTableInfo {
  const identity = ((v >>> 28) & 3) as DescriptorTableIdentity;
  const operand32 = group === 'gdtr-idtr' && bit(v, 11);
  if (group === 'ldtr-tr' && bit(v, 10)) return { group, identity, operand32, operand: { kind: 'register', reg: (v >>> 3) & 0xf } };
  return {
    group,
    identity,
    operand32,
    operand: {
      kind: 'memory',
      scaling: v & 3,
      addressSize: (v >>> 7) & 7,
      segment: (v >>> 15) & 7,
      index: bit(v, 22) ? null : (v >>> 18) & 0xf,
      base: bit(v, 27) ? null : (v >>> 23) & 0xf,
    },
  };
}

/**
 * Exit reason, qualification (the displacement) and instruction information for a decoded
 * SGDT/SIDT/LGDT/LIDT (0F 01 /0–/3) or SLDT/STR/LLDT/LTR (0F 00 /0–/3).
 * @throws RangeError for any other instruction
 */
export function descriptorTableExitOfInsn(i: Insn): { reason: ExitReason; qualification: number; info: DescriptorTableInfo } {
  if ((i.opcode !== 0x0f01 && i.opcode !== 0x0f00) || i.reg > 3) throw new RangeError(`exit-info: opcode 0x${i.opcode.toString(16)} /${i.reg} is not a descriptor-table instruction`);
  const group = i.opcode === 0x0f01 ? 'gdtr-idtr' : 'ldtr-tr';
  const memory = i.mod !== 3;
  const operand: DescriptorTableInfo['operand'] = memory
    ? { kind: 'memory', scaling: i.scale, addressSize: i.a32 ? 1 : 0, segment: i.seg, base: i.base === REG_ZERO ? null : i.base, index: i.index === REG_ZERO ? null : i.index }
    : { kind: 'register', reg: i.rm };
  return {
    reason: group === 'gdtr-idtr' ? ExitReason.GDTR_IDTR_ACCESS : ExitReason.LDTR_TR_ACCESS,
    qualification: memory ? i.disp >>> 0 : 0,
    info: { group, identity: i.reg as DescriptorTableIdentity, operand32: group === 'gdtr-idtr' && i.o32, operand },
  };
}

// --- Recording ---------------------------------------------------------------------------------

/** What one VM exit records (SDM Vol. 3C §28.2). Fields left out are written as 0 (see `recordExit`). */
export interface ExitInfo {
  /** Basic exit reason, bits 15:0 of VM_EXIT_REASON. */
  reason: ExitReason;
  /** Bit 31 of VM_EXIT_REASON: the exit is a VM-entry failure. */
  entryFailure?: boolean;
  /** EXIT_QUALIFICATION (uint32), e.g. from `encodeCrAccess`, `encodeIo`, a linear address. */
  qualification?: number;
  /** GUEST_LINEAR_ADDRESS (uint32). */
  guestLinearAddress?: number;
  /** VM_EXIT_INTR_INFO and, when it says so, VM_EXIT_INTR_ERROR_CODE. */
  interruption?: InterruptionInfo;
  errorCode?: number;
  /** IDT_VECTORING_INFO_FIELD / IDT_VECTORING_ERROR_CODE: the exit interrupted the delivery of this event. */
  idtVectoring?: InterruptionInfo;
  idtVectoringErrorCode?: number;
  /** VM_EXIT_INSTRUCTION_LEN in bytes (instruction exits). */
  instructionLength?: number;
  /** VMX_INSTRUCTION_INFO (uint32), e.g. from `encodeDescriptorTableInfo`. */
  instructionInfo?: number;
  /** GUEST_PHYSICAL_ADDRESS (EPT exits; none on this model yet). */
  guestPhysicalAddress?: number;
}

/**
 * Write the VM-exit information fields of `record` for one exit, as the processor does
 * (SDM Vol. 3C §28.2). Every field is written: where the SDM leaves a field undefined for
 * this kind of exit (the qualification of an exit that has none, the instruction length of
 * a non-instruction exit) we store 0, and the valid bits of the interruption and
 * IDT-vectoring information are cleared when not given, as §28.2.2 and §28.2.4 require.
 * Uses `VmcsRecord.writeExitInformation` (these fields are read-only to VMWRITE).
 */
export function recordExit(record: VmcsRecord, info: ExitInfo): void {
  record.writeExitInformation(VMCS.VM_EXIT_REASON, ((info.reason & 0xffff) | (info.entryFailure ? EXIT_REASON_ENTRY_FAILURE : 0)) >>> 0);
  record.writeExitInformation(VMCS.EXIT_QUALIFICATION, info.qualification ?? 0);
  record.writeExitInformation(VMCS.GUEST_LINEAR_ADDRESS, info.guestLinearAddress ?? 0);
  record.writeExitInformation(VMCS.GUEST_PHYSICAL_ADDRESS, info.guestPhysicalAddress ?? 0);
  record.writeExitInformation(VMCS.VM_EXIT_INTR_INFO, info.interruption ? encodeInterruption(info.interruption) : 0);
  record.writeExitInformation(VMCS.VM_EXIT_INTR_ERROR_CODE, info.interruption?.errorCodeValid ? (info.errorCode ?? 0) : 0);
  record.writeExitInformation(VMCS.IDT_VECTORING_INFO_FIELD, info.idtVectoring ? encodeInterruption(info.idtVectoring) : 0);
  record.writeExitInformation(VMCS.IDT_VECTORING_ERROR_CODE, info.idtVectoring?.errorCodeValid ? (info.idtVectoringErrorCode ?? 0) : 0);
  record.writeExitInformation(VMCS.VM_EXIT_INSTRUCTION_LEN, info.instructionLength ?? 0);
  record.writeExitInformation(VMCS.VMX_INSTRUCTION_INFO, info.instructionInfo ?? 0);
}

/** An exit as read back from a record: the fields every exit has, and the optional ones whose valid bit is set. */
export interface RecordedExit extends ExitInfo {
  entryFailure: boolean;
  qualification: number;
  guestLinearAddress: number;
  guestPhysicalAddress: number;
  instructionLength: number;
  instructionInfo: number;
}

/**
 * Read back what `recordExit` wrote: the fields with a meaning for every exit, plus the
 * interruption and IDT-vectoring information (and their error codes) when valid.
 */
export function readExitInfo(record: VmcsRecord): RecordedExit {
  const raw = record.read(VMCS.VM_EXIT_REASON);
  const intr = decodeInterruption(record.read(VMCS.VM_EXIT_INTR_INFO));
  const idt = decodeInterruption(record.read(VMCS.IDT_VECTORING_INFO_FIELD));
  return {
    reason: raw & 0xffff,
    entryFailure: (raw & EXIT_REASON_ENTRY_FAILURE) !== 0,
    qualification: record.read(VMCS.EXIT_QUALIFICATION),
    guestLinearAddress: record.read(VMCS.GUEST_LINEAR_ADDRESS),
    guestPhysicalAddress: record.read(VMCS.GUEST_PHYSICAL_ADDRESS),
    instructionLength: record.read(VMCS.VM_EXIT_INSTRUCTION_LEN),
    instructionInfo: record.read(VMCS.VMX_INSTRUCTION_INFO),
    ...(intr.valid ? { interruption: intr, ...(intr.errorCodeValid ? { errorCode: record.read(VMCS.VM_EXIT_INTR_ERROR_CODE) } : {}) } : {}),
    ...(idt.valid ? { idtVectoring: idt, ...(idt.errorCodeValid ? { idtVectoringErrorCode: record.read(VMCS.IDT_VECTORING_ERROR_CODE) } : {}) } : {}),
  };
}

/**
 * The exit a CPU event intercepted before delivery (cpu.ts `CpuHooks.interceptEvent`) records
 * under VT-x rules (§28.2.2): an external interrupt is EXTERNAL_INTERRUPT with its vector
 * (as with the "acknowledge interrupt on exit" control: our CPU has acknowledged it); every
 * other event is EXCEPTION_NMI with vector, type and error code. Software interrupts and
 * exceptions (INT n, INT3, INTO, INT1) also record their instruction length.
 * @param qualification the exit qualification: the faulting linear address for #PF, the
 *   debug qualification for #DB, else 0. Note for #PF: VT-x does not write CR2 on such an
 *   exit, but our Cpu has already put the address in CR2 when it raised the fault
 *   (paging.ts); a VMM that must keep the guest's CR2 (a hidden page fault) restores it.
 */
export function exitInfoOfEvent(event: CpuEvent, qualification = 0): ExitInfo {
  const type = interruptionTypeOf(event.type);
  const errorCodeValid = event.errorCode >= 0;
  const interruption: InterruptionInfo = { vector: event.vector, type, errorCodeValid, nmiUnblocking: false, valid: true };
  const info: ExitInfo = {
    reason: type === InterruptionType.EXTERNAL_INTERRUPT ? ExitReason.EXTERNAL_INTERRUPT : ExitReason.EXCEPTION_NMI,
    interruption,
    qualification,
  };
  if (errorCodeValid) info.errorCode = event.errorCode >>> 0;
  if (event.instructionLength > 0) info.instructionLength = event.instructionLength;
  return info;
}
