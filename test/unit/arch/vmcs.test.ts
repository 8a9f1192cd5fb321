import { describe, expect, it } from 'vitest';
import { VMCS, VMCS_FIELDS, VmcsType, VmcsWidth, vmcsEncode, vmcsField, vmcsIndex, vmcsType, vmcsWidth } from '../../../emulator/arch/vmcs';
import { ExitReason, exitReasonName } from '../../../emulator/arch/vmx-exit-reasons';

/** The width a field's name implies, from the SDM Appendix B section it is listed in. */
function expectedWidth(name: string): VmcsWidth {
  if (/_SELECTOR$|^VIRTUAL_PROCESSOR_ID$/.test(name)) return VmcsWidth.W16;
  if (/^(IO_BITMAP_[AB]|MSR_BITMAP|VM_EXIT_MSR_(STORE|LOAD)_ADDR|VM_ENTRY_MSR_LOAD_ADDR|TSC_OFFSET|EPT_POINTER|GUEST_PHYSICAL_ADDRESS|VMCS_LINK_POINTER|GUEST_IA32_DEBUGCTL)$/.test(name)) return VmcsWidth.W64;
  if (/(_LIMIT|_AR_BYTES|_CONTROL|_CONTROLS|_COUNT|_BITMAP|_MASK|_MATCH|_THRESHOLD|_INFO|_INFO_FIELD|_ERROR_CODE|_LEN|_ERROR|_REASON|_STATE|GUEST_SYSENTER_CS|HOST_IA32_SYSENTER_CS)$/.test(name) && !/^CR[04]_GUEST_HOST_MASK$/.test(name)) return VmcsWidth.W32;
  return VmcsWidth.NATURAL;
}

function expectedType(name: string, area: string): VmcsType {
  if (area === 'guest-state') return VmcsType.GUEST_STATE;
  if (area === 'host-state') return VmcsType.HOST_STATE;
  if (area === 'vm-exit-information') return VmcsType.EXIT_INFO;
  void name;
  return VmcsType.CONTROL;
}

describe('VMCS field encodings (SDM Vol. 3C Appendix B)', () => {
  it('every encoding has the width and type bits of the Appendix B section its field belongs to', () => {
    for (const f of VMCS_FIELDS) {
      expect(vmcsWidth(f.encoding), f.name).toBe(expectedWidth(f.name));
      expect(vmcsType(f.encoding), f.name).toBe(expectedType(f.name, f.area));
      expect(f.encoding & 1, `${f.name} is a full-access encoding`).toBe(0);
      expect(f.encoding & 0x9000, `${f.name} has reserved bits 15 and 12 clear`).toBe(0);
      expect(vmcsEncode(vmcsWidth(f.encoding), vmcsType(f.encoding), vmcsIndex(f.encoding))).toBe(f.encoding);
    }
  });

  it('encodings and names are unique, and lookups agree', () => {
    expect(new Set(VMCS_FIELDS.map((f) => f.encoding)).size).toBe(VMCS_FIELDS.length);
    expect(new Set(VMCS_FIELDS.map((f) => f.name)).size).toBe(VMCS_FIELDS.length);
    for (const f of VMCS_FIELDS) expect(vmcsField(VMCS[f.name])).toBe(f);
  });

  it('matches well-known encodings', () => {
    expect(VMCS.GUEST_CR3).toBe(0x6802);
    expect(VMCS.GUEST_ES_SELECTOR).toBe(0x0800);
    expect(VMCS.VM_EXIT_REASON).toBe(0x4402);
    expect(VMCS.EXIT_QUALIFICATION).toBe(0x6400);
    expect(VMCS.VM_EXIT_INSTRUCTION_LEN).toBe(0x440c);
    expect(VMCS.CPU_BASED_VM_EXEC_CONTROL).toBe(0x4002);
    expect(VMCS.GUEST_RIP).toBe(0x681e);
  });

  it('names exit reasons by their Appendix C numbers', () => {
    expect(ExitReason.CPUID).toBe(10);
    expect(ExitReason.CR_ACCESS).toBe(28);
    expect(ExitReason.GDTR_IDTR_ACCESS).toBe(46);
    expect(exitReasonName(ExitReason.IO_INSTRUCTION)).toBe('EXIT_REASON_IO_INSTRUCTION');
    expect(exitReasonName(35)).toBe('EXIT_REASON_UNKNOWN_35');
  });
});
