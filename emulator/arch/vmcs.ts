/**
 * VMCS field encodings, defined once for every VMM mode (the debugger shows this record as
 * "the VMCS" whichever technique runs the guest).
 *
 * Encoding layout (SDM Vol. 3C §25.11.2 "VMREAD, VMWRITE, and Encodings of VMCS Fields",
 * Table 25-21 in current editions; Appendix B lists every field):
 *
 *   15 14:13  12   11:10   9:1    0
 *   0  width  0    type    index  access (0 = full, 1 = high half of a 64-bit field)
 *
 *   width: 0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural width (32 bits on this IA-32 model)
 *   type:  0 = control, 1 = VM-exit information (read-only data), 2 = guest state, 3 = host state
 *
 * Names follow the SDM's field names in the form Linux, SimpleVisor and ksm use
 * (`GUEST_CR3`, `VM_EXIT_REASON`, `EXIT_QUALIFICATION`, `CPU_BASED_VM_EXEC_CONTROL`).
 * Only the fields a 32-bit, non-nested guest on this model can meet are listed.
 *
 * @see Intel SDM Vol. 3C Chapter 25 "Virtual Machine Control Structures" (Chapter 24 in
 *      older editions) and Appendix B "Field Encoding in VMCS".
 */

export enum VmcsWidth {
  W16 = 0,
  W64 = 1,
  W32 = 2,
  NATURAL = 3,
}

export enum VmcsType {
  CONTROL = 0,
  EXIT_INFO = 1,
  GUEST_STATE = 2,
  HOST_STATE = 3,
}

/** The areas of the VMCS, as SDM Vol. 3C Chapter 25 groups them (for the debugger's tree). */
export type VmcsArea =
  | 'guest-state'
  | 'host-state'
  | 'vm-execution-controls'
  | 'vm-exit-controls'
  | 'vm-entry-controls'
  | 'vm-exit-information';

export interface VmcsField {
  name: string;
  encoding: number;
  area: VmcsArea;
}

/** Width bits (14:13) of an encoding. */
export const vmcsWidth = (encoding: number): VmcsWidth => (encoding >> 13) & 3;
/** Type bits (11:10) of an encoding. */
export const vmcsType = (encoding: number): VmcsType => (encoding >> 10) & 3;
/** Index bits (9:1) of an encoding. */
export const vmcsIndex = (encoding: number): number => (encoding >> 1) & 0x1ff;
/** Build an encoding from its parts (access = full). */
export const vmcsEncode = (width: VmcsWidth, type: VmcsType, index: number): number => (width << 13) | (type << 10) | (index << 1);

const g = (name: string, encoding: number): VmcsField => ({ name, encoding, area: 'guest-state' });
const h = (name: string, encoding: number): VmcsField => ({ name, encoding, area: 'host-state' });
const x = (name: string, encoding: number): VmcsField => ({ name, encoding, area: 'vm-execution-controls' });
const xc = (name: string, encoding: number): VmcsField => ({ name, encoding, area: 'vm-exit-controls' });
const ec = (name: string, encoding: number): VmcsField => ({ name, encoding, area: 'vm-entry-controls' });
const i = (name: string, encoding: number): VmcsField => ({ name, encoding, area: 'vm-exit-information' });

/** Every field, in Appendix B order (by width, then type, then index). */
export const VMCS_FIELDS: readonly VmcsField[] = [
  // 16-bit control fields
  x('VIRTUAL_PROCESSOR_ID', 0x0000),
  // 16-bit guest-state fields
  g('GUEST_ES_SELECTOR', 0x0800),
  g('GUEST_CS_SELECTOR', 0x0802),
  g('GUEST_SS_SELECTOR', 0x0804),
  g('GUEST_DS_SELECTOR', 0x0806),
  g('GUEST_FS_SELECTOR', 0x0808),
  g('GUEST_GS_SELECTOR', 0x080a),
  g('GUEST_LDTR_SELECTOR', 0x080c),
  g('GUEST_TR_SELECTOR', 0x080e),
  // 16-bit host-state fields
  h('HOST_ES_SELECTOR', 0x0c00),
  h('HOST_CS_SELECTOR', 0x0c02),
  h('HOST_SS_SELECTOR', 0x0c04),
  h('HOST_DS_SELECTOR', 0x0c06),
  h('HOST_FS_SELECTOR', 0x0c08),
  h('HOST_GS_SELECTOR', 0x0c0a),
  h('HOST_TR_SELECTOR', 0x0c0c),
  // 64-bit control fields
  x('IO_BITMAP_A', 0x2000),
  x('IO_BITMAP_B', 0x2002),
  x('MSR_BITMAP', 0x2004),
  xc('VM_EXIT_MSR_STORE_ADDR', 0x2006),
  xc('VM_EXIT_MSR_LOAD_ADDR', 0x2008),
  ec('VM_ENTRY_MSR_LOAD_ADDR', 0x200a),
  x('TSC_OFFSET', 0x2010),
  x('EPT_POINTER', 0x201a),
  // 64-bit read-only data fields
  i('GUEST_PHYSICAL_ADDRESS', 0x2400),
  // 64-bit guest-state fields
  g('VMCS_LINK_POINTER', 0x2800),
  g('GUEST_IA32_DEBUGCTL', 0x2802),
  // 32-bit control fields
  x('PIN_BASED_VM_EXEC_CONTROL', 0x4000),
  x('CPU_BASED_VM_EXEC_CONTROL', 0x4002),
  x('EXCEPTION_BITMAP', 0x4004),
  x('PAGE_FAULT_ERROR_CODE_MASK', 0x4006),
  x('PAGE_FAULT_ERROR_CODE_MATCH', 0x4008),
  x('CR3_TARGET_COUNT', 0x400a),
  xc('VM_EXIT_CONTROLS', 0x400c),
  xc('VM_EXIT_MSR_STORE_COUNT', 0x400e),
  xc('VM_EXIT_MSR_LOAD_COUNT', 0x4010),
  ec('VM_ENTRY_CONTROLS', 0x4012),
  ec('VM_ENTRY_MSR_LOAD_COUNT', 0x4014),
  ec('VM_ENTRY_INTR_INFO_FIELD', 0x4016),
  ec('VM_ENTRY_EXCEPTION_ERROR_CODE', 0x4018),
  ec('VM_ENTRY_INSTRUCTION_LEN', 0x401a),
  x('TPR_THRESHOLD', 0x401c),
  x('SECONDARY_VM_EXEC_CONTROL', 0x401e),
  // 32-bit read-only data fields
  i('VM_INSTRUCTION_ERROR', 0x4400),
  i('VM_EXIT_REASON', 0x4402),
  i('VM_EXIT_INTR_INFO', 0x4404),
  i('VM_EXIT_INTR_ERROR_CODE', 0x4406),
  i('IDT_VECTORING_INFO_FIELD', 0x4408),
  i('IDT_VECTORING_ERROR_CODE', 0x440a),
  i('VM_EXIT_INSTRUCTION_LEN', 0x440c),
  i('VMX_INSTRUCTION_INFO', 0x440e),
  // 32-bit guest-state fields
  g('GUEST_ES_LIMIT', 0x4800),
  g('GUEST_CS_LIMIT', 0x4802),
  g('GUEST_SS_LIMIT', 0x4804),
  g('GUEST_DS_LIMIT', 0x4806),
  g('GUEST_FS_LIMIT', 0x4808),
  g('GUEST_GS_LIMIT', 0x480a),
  g('GUEST_LDTR_LIMIT', 0x480c),
  g('GUEST_TR_LIMIT', 0x480e),
  g('GUEST_GDTR_LIMIT', 0x4810),
  g('GUEST_IDTR_LIMIT', 0x4812),
  g('GUEST_ES_AR_BYTES', 0x4814),
  g('GUEST_CS_AR_BYTES', 0x4816),
  g('GUEST_SS_AR_BYTES', 0x4818),
  g('GUEST_DS_AR_BYTES', 0x481a),
  g('GUEST_FS_AR_BYTES', 0x481c),
  g('GUEST_GS_AR_BYTES', 0x481e),
  g('GUEST_LDTR_AR_BYTES', 0x4820),
  g('GUEST_TR_AR_BYTES', 0x4822),
  g('GUEST_INTERRUPTIBILITY_INFO', 0x4824),
  g('GUEST_ACTIVITY_STATE', 0x4826),
  g('GUEST_SYSENTER_CS', 0x482a),
  // 32-bit host-state field
  h('HOST_IA32_SYSENTER_CS', 0x4c00),
  // natural-width control fields
  x('CR0_GUEST_HOST_MASK', 0x6000),
  x('CR4_GUEST_HOST_MASK', 0x6002),
  x('CR0_READ_SHADOW', 0x6004),
  x('CR4_READ_SHADOW', 0x6006),
  x('CR3_TARGET_VALUE0', 0x6008),
  x('CR3_TARGET_VALUE1', 0x600a),
  x('CR3_TARGET_VALUE2', 0x600c),
  x('CR3_TARGET_VALUE3', 0x600e),
  // natural-width read-only data fields
  i('EXIT_QUALIFICATION', 0x6400),
  i('IO_RCX', 0x6402),
  i('IO_RSI', 0x6404),
  i('IO_RDI', 0x6406),
  i('IO_RIP', 0x6408),
  i('GUEST_LINEAR_ADDRESS', 0x640a),
  // natural-width guest-state fields
  g('GUEST_CR0', 0x6800),
  g('GUEST_CR3', 0x6802),
  g('GUEST_CR4', 0x6804),
  g('GUEST_ES_BASE', 0x6806),
  g('GUEST_CS_BASE', 0x6808),
  g('GUEST_SS_BASE', 0x680a),
  g('GUEST_DS_BASE', 0x680c),
  g('GUEST_FS_BASE', 0x680e),
  g('GUEST_GS_BASE', 0x6810),
  g('GUEST_LDTR_BASE', 0x6812),
  g('GUEST_TR_BASE', 0x6814),
  g('GUEST_GDTR_BASE', 0x6816),
  g('GUEST_IDTR_BASE', 0x6818),
  g('GUEST_DR7', 0x681a),
  g('GUEST_RSP', 0x681c),
  g('GUEST_RIP', 0x681e),
  g('GUEST_RFLAGS', 0x6820),
  g('GUEST_PENDING_DBG_EXCEPTIONS', 0x6822),
  g('GUEST_SYSENTER_ESP', 0x6824),
  g('GUEST_SYSENTER_EIP', 0x6826),
  // natural-width host-state fields
  h('HOST_CR0', 0x6c00),
  h('HOST_CR3', 0x6c02),
  h('HOST_CR4', 0x6c04),
  h('HOST_FS_BASE', 0x6c06),
  h('HOST_GS_BASE', 0x6c08),
  h('HOST_TR_BASE', 0x6c0a),
  h('HOST_GDTR_BASE', 0x6c0c),
  h('HOST_IDTR_BASE', 0x6c0e),
  h('HOST_IA32_SYSENTER_ESP', 0x6c10),
  h('HOST_IA32_SYSENTER_EIP', 0x6c12),
  h('HOST_RSP', 0x6c14),
  h('HOST_RIP', 0x6c16),
];

/** Field by name. */
export const VMCS: Readonly<Record<string, number>> = Object.fromEntries(VMCS_FIELDS.map((f) => [f.name, f.encoding]));

const byEncoding = new Map(VMCS_FIELDS.map((f) => [f.encoding, f]));
/** The field with this encoding, if this model has it. */
export function vmcsField(encoding: number): VmcsField | undefined {
  return byEncoding.get(encoding);
}

/** GUEST_INTERRUPTIBILITY_INFO bits (SDM Vol. 3C §25.4.2, Table 25-3). */
export const INTERRUPTIBILITY_STI = 1 << 0;
export const INTERRUPTIBILITY_MOV_SS = 1 << 1;
export const INTERRUPTIBILITY_SMI = 1 << 2;
export const INTERRUPTIBILITY_NMI = 1 << 3;

/** GUEST_ACTIVITY_STATE values (SDM Vol. 3C §25.4.2). */
export enum ActivityState {
  ACTIVE = 0,
  HLT = 1,
  SHUTDOWN = 2,
  WAIT_FOR_SIPI = 3,
}

/**
 * VM-instruction error numbers stored in VM_INSTRUCTION_ERROR when a VMX instruction fails
 * with VMfailValid (SDM Vol. 3C §31.4 "VM Instruction Error Numbers", Table 31-1 in current
 * editions). Only the numbers this model produces are listed.
 */
export enum VmInstructionError {
  VMENTRY_INVALID_CONTROL_FIELD = 7,
  VMENTRY_INVALID_HOST_STATE_FIELD = 8,
  /** VMREAD/VMWRITE from/to an unsupported VMCS component (unknown encoding, or the high half of a field that is not 64-bit). */
  UNSUPPORTED_VMCS_COMPONENT = 12,
  /** VMWRITE to a read-only VMCS component (the VM-exit information fields). */
  VMWRITE_READ_ONLY_COMPONENT = 13,
  VMENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26,
}

/**
 * Interruption type, bits 10:8 of VM_EXIT_INTR_INFO, IDT_VECTORING_INFO_FIELD and
 * VM_ENTRY_INTR_INFO_FIELD (SDM Vol. 3C §25.9.2 "Information for VM Exits Due to Vectored
 * Events", table "Format of the VM-Exit Interruption-Information Field"; §25.9.3 for
 * IDT-vectoring information; §25.8.3 for VM-entry event injection). Value 1 is reserved.
 */
export enum InterruptionType {
  EXTERNAL_INTERRUPT = 0,
  NMI = 2,
  HARDWARE_EXCEPTION = 3,
  SOFTWARE_INTERRUPT = 4,
  PRIVILEGED_SOFTWARE_EXCEPTION = 5,
  SOFTWARE_EXCEPTION = 6,
  OTHER_EVENT = 7,
}
