import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SegReg } from '../../../emulator/arch/segments';
import { InterruptionType, VMCS } from '../../../emulator/arch/vmcs';
import { ExitReason } from '../../../emulator/arch/vmx-exit-reasons';
import { EDX } from '../../../emulator/cpu/cpu';
import { arraySource, decode } from '../../../emulator/cpu/decoder/decoder';
import {
  CrAccessType,
  crAccessOfInsn,
  decodeCrAccess,
  decodeDebug,
  decodeDescriptorTableInfo,
  decodeDrAccess,
  decodeInterruption,
  decodeIo,
  decodeTaskSwitch,
  descriptorTableExitOfInsn,
  encodeCrAccess,
  encodeDebug,
  encodeDescriptorTableInfo,
  encodeDrAccess,
  encodeInterruption,
  encodeIo,
  encodeTaskSwitch,
  exitInfoOfEvent,
  ioOfInsn,
  readExitInfo,
  recordExit,
  TaskSwitchSource,
  type DescriptorTableInfo,
} from '../../../emulator/vmm/exit-info';
import { VmcsError, VmcsRecord } from '../../../emulator/vmm/vmcs-record';
import { Machine } from '../cpu/descriptor-machine';

const insn = (...bytes: number[]) => decode(arraySource(Uint8Array.from(bytes)), true);
const b = fc.boolean();
const nibble = fc.integer({ min: 0, max: 15 });

describe('exit qualification for control-register accesses (SDM Vol. 3C §28.2.1, Table 28-3 "Exit Qualification for Control-Register Accesses")', () => {
  it('encodes the table examples: MOV CR3,EAX; MOV EBX,CR0; CLTS; LMSW AX; LMSW [mem]', () => {
    expect(encodeCrAccess(crAccessOfInsn(insn(0x0f, 0x22, 0xd8)))).toBe(0x00000003); // CR3, MOV to CR, EAX
    expect(encodeCrAccess(crAccessOfInsn(insn(0x0f, 0x20, 0xc3)))).toBe(0x00000310); // CR0, MOV from CR, EBX
    expect(encodeCrAccess(crAccessOfInsn(insn(0x0f, 0x06)))).toBe(0x00000020); // CLTS: access type 2
    expect(encodeCrAccess(crAccessOfInsn(insn(0x0f, 0x01, 0xf0), 0x000b))).toBe(0x000b0030); // LMSW AX: type 3, register, source in 31:16
    expect(encodeCrAccess(crAccessOfInsn(insn(0x0f, 0x01, 0x30), 0x8001))).toBe(0x80010070); // LMSW [EAX]: operand type memory (bit 6)
  });

  it('round-trips every valid qualification', () => {
    fc.assert(
      fc.property(nibble, fc.integer({ min: 0, max: 3 }), b, nibble, fc.integer({ min: 0, max: 0xffff }), (cr, accessType, lmswMemory, gpr, lmswSource) => {
        const q = { cr, accessType, lmswMemory, gpr, lmswSource };
        expect(decodeCrAccess(encodeCrAccess(q))).toEqual(q);
      }),
    );
  });

  it('rejects out-of-range fields and instructions that are not CR accesses', () => {
    expect(() => encodeCrAccess({ cr: 16, accessType: CrAccessType.MOV_TO_CR, lmswMemory: false, gpr: 0, lmswSource: 0 })).toThrow(RangeError);
    expect(() => crAccessOfInsn(insn(0x0f, 0x01, 0x38))).toThrow(/not a control-register access/); // INVLPG
  });
});

describe('exit qualification for MOV DR (Table 28-4), task switches (Table 28-2) and debug exceptions (Table 28-1)', () => {
  it('MOV DR7,ECX is DR 7, direction to DR, GPR 1; MOV from DR sets bit 4', () => {
    expect(encodeDrAccess({ dr: 7, fromDr: false, gpr: 1 })).toBe(0x107);
    expect(encodeDrAccess({ dr: 6, fromDr: true, gpr: 0 })).toBe(0x16);
    fc.assert(fc.property(fc.integer({ min: 0, max: 7 }), b, nibble, (dr, fromDr, gpr) => {
      expect(decodeDrAccess(encodeDrAccess({ dr, fromDr, gpr }))).toEqual({ dr, fromDr, gpr });
    }));
  });

  it('a task switch by IRET to TSS 0x28 has the selector in 15:0 and source 1 in 31:30', () => {
    expect(encodeTaskSwitch({ selector: 0x28, source: TaskSwitchSource.IRET })).toBe(0x40000028);
    expect(encodeTaskSwitch({ selector: 0xfff8, source: TaskSwitchSource.TASK_GATE_IN_IDT })).toBe(0xc000fff8);
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 3 }), (selector, source) => {
      expect(decodeTaskSwitch(encodeTaskSwitch({ selector, source }))).toEqual({ selector, source });
    }));
  });

  it('debug exceptions carry B3:B0 in 3:0, BD in 13 and BS in 14', () => {
    expect(encodeDebug({ b: 0b0101, bd: false, bs: true })).toBe(0x4005);
    expect(encodeDebug({ b: 0, bd: true, bs: false })).toBe(0x2000);
    fc.assert(fc.property(nibble, b, b, (bits, bd, bs) => {
      expect(decodeDebug(encodeDebug({ b: bits, bd, bs }))).toEqual({ b: bits, bd, bs });
    }));
  });
});

describe('exit qualification for I/O instructions (Table 28-5 "Exit Qualification for I/O Instructions")', () => {
  const cpu = new Machine().cpu;
  cpu.regs[EDX] = 0x123403f8;

  it('encodes IN AL,60h; OUT DX,AL; REP INSD; OUTSW; the port from the immediate or DX', () => {
    expect(encodeIo(ioOfInsn(cpu, insn(0xe4, 0x60)))).toBe(0x00600048); // 1 byte, IN, immediate
    expect(encodeIo(ioOfInsn(cpu, insn(0xee)))).toBe(0x03f80000); // 1 byte, OUT, DX
    expect(encodeIo(ioOfInsn(cpu, insn(0xf3, 0x6d)))).toBe(0x03f8003b); // 4 bytes, IN, string, REP
    expect(encodeIo(ioOfInsn(cpu, insn(0x66, 0x6f)))).toBe(0x03f80011); // 2 bytes, OUT, string
    expect(encodeIo(ioOfInsn(cpu, insn(0x66, 0xe7, 0x80)))).toBe(0x00800041); // OUT 80h,AX
  });

  it('round-trips every valid qualification and rejects the reserved size encoding 2', () => {
    fc.assert(
      fc.property(fc.constantFrom(1 as const, 2 as const, 4 as const), b, b, b, b, fc.integer({ min: 0, max: 0xffff }), (size, isIn, string, rep, immediate, port) => {
        const q = { size, in: isIn, string, rep, immediate, port };
        expect(decodeIo(encodeIo(q))).toEqual(q);
      }),
    );
    expect(() => decodeIo(2)).toThrow(/reserved I\/O size/);
    expect(() => ioOfInsn(cpu, insn(0x90))).toThrow(/not an I\/O instruction/);
  });
});

describe('interruption information (SDM Vol. 3C §25.9.2, table "Format of the VM-Exit Interruption-Information Field")', () => {
  it('encodes #GP with an error code, an external interrupt, an NMI and INT3', () => {
    const v = (vector: number, type: InterruptionType, errorCodeValid = false) => encodeInterruption({ vector, type, errorCodeValid, nmiUnblocking: false, valid: true });
    expect(v(13, InterruptionType.HARDWARE_EXCEPTION, true)).toBe(0x80000b0d);
    expect(v(0x20, InterruptionType.EXTERNAL_INTERRUPT)).toBe(0x80000020);
    expect(v(2, InterruptionType.NMI)).toBe(0x80000202);
    expect(v(3, InterruptionType.SOFTWARE_EXCEPTION)).toBe(0x80000603);
  });

  it('round-trips every valid value and rejects the reserved type 1', () => {
    const types = fc.constantFrom(0, 2, 3, 4, 5, 6, 7);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), types, b, b, b, (vector, type, errorCodeValid, nmiUnblocking, valid) => {
        const q = { vector, type, errorCodeValid, nmiUnblocking, valid };
        expect(decodeInterruption(encodeInterruption(q))).toEqual(q);
      }),
    );
    expect(() => encodeInterruption({ vector: 1, type: 1 as InterruptionType, errorCodeValid: false, nmiUnblocking: false, valid: true })).toThrow(RangeError);
  });
});

describe('instruction information (tables "Format of the VM-Exit Instruction-Information Field as Used for LIDT, LGDT, SIDT, or SGDT" and "… for LLDT, LTR, SLDT, and STR")', () => {
  it('SGDT [EBX+ESI*4+10h]: scaling 2, 32-bit address and operand, DS, index ESI, base EBX, identity SGDT; qualification = displacement', () => {
    const x = descriptorTableExitOfInsn(insn(0x0f, 0x01, 0x44, 0xb3, 0x10));
    expect(x.reason).toBe(ExitReason.GDTR_IDTR_ACCESS);
    expect(x.qualification).toBe(0x10);
    expect(encodeDescriptorTableInfo(x.info)).toBe(0x01998882);
  });

  it('LIDT [1234h]: no base, no index (both invalid bits set), identity LIDT', () => {
    const x = descriptorTableExitOfInsn(insn(0x0f, 0x01, 0x1d, 0x34, 0x12, 0, 0));
    expect(x.qualification).toBe(0x1234);
    expect(encodeDescriptorTableInfo(x.info)).toBe(0x38418880);
  });

  it('LLDT AX: register form (bit 10) with reg1 = EAX, identity LLDT; SLDT [EBP-4]: segment SS; qualification sign-extended', () => {
    const lldt = descriptorTableExitOfInsn(insn(0x0f, 0x00, 0xd0));
    expect(lldt.reason).toBe(ExitReason.LDTR_TR_ACCESS);
    expect(lldt.qualification).toBe(0);
    expect(encodeDescriptorTableInfo(lldt.info)).toBe(0x20000400);
    const str = descriptorTableExitOfInsn(insn(0x0f, 0x00, 0xcb)); // STR EBX
    expect(encodeDescriptorTableInfo(str.info)).toBe(0x10000418);
    const sldt = descriptorTableExitOfInsn(insn(0x0f, 0x00, 0x45, 0xfc));
    expect(sldt.info.operand).toMatchObject({ kind: 'memory', segment: SegReg.SS, base: 5, index: null });
    expect(sldt.qualification).toBe(0xfffffffc);
  });

  it('round-trips memory and register forms of both groups', () => {
    const reg = fc.option(fc.integer({ min: 0, max: 7 }), { nil: null });
    const memory = fc.record({
      kind: fc.constant('memory' as const),
      scaling: fc.integer({ min: 0, max: 3 }),
      addressSize: fc.integer({ min: 0, max: 1 }),
      segment: fc.integer({ min: 0, max: 5 }),
      base: reg,
      index: reg,
    });
    fc.assert(
      fc.property(fc.constantFrom('gdtr-idtr' as const, 'ldtr-tr' as const), fc.integer({ min: 0, max: 3 }), b, memory, fc.integer({ min: 0, max: 7 }), b, (group, identity, o32, mem, r, useReg) => {
        const q: DescriptorTableInfo = {
          group,
          identity: identity as 0 | 1 | 2 | 3,
          operand32: group === 'gdtr-idtr' && o32,
          operand: group === 'ldtr-tr' && useReg ? { kind: 'register', reg: r } : mem,
        };
        expect(decodeDescriptorTableInfo(encodeDescriptorTableInfo(q), group)).toEqual(q);
      }),
    );
    expect(() => encodeDescriptorTableInfo({ group: 'gdtr-idtr', identity: 0, operand32: true, operand: { kind: 'register', reg: 0 } })).toThrow(RangeError);
    expect(() => descriptorTableExitOfInsn(insn(0x0f, 0x01, 0xe0))).toThrow(/not a descriptor-table instruction/); // SMSW
  });
});

describe('recordExit / readExitInfo (SDM Vol. 3C §28.2)', () => {
  it('writes reason, qualification, linear address, length, instruction and interruption information, and reads them back', () => {
    const r = new VmcsRecord();
    const info = {
      reason: ExitReason.EXCEPTION_NMI,
      qualification: 0xc0001000,
      guestLinearAddress: 0xc0001000,
      interruption: { vector: 14, type: InterruptionType.HARDWARE_EXCEPTION, errorCodeValid: true, nmiUnblocking: false, valid: true },
      errorCode: 6,
      idtVectoring: { vector: 0x21, type: InterruptionType.EXTERNAL_INTERRUPT, errorCodeValid: false, nmiUnblocking: false, valid: true },
      instructionLength: 3,
      instructionInfo: 0x1234,
    };
    recordExit(r, info);
    expect(r.read(VMCS.VM_EXIT_REASON)).toBe(0);
    expect(r.read(VMCS.VM_EXIT_INTR_INFO)).toBe(0x80000b0e);
    expect(r.read(VMCS.VM_EXIT_INTR_ERROR_CODE)).toBe(6);
    expect(readExitInfo(r)).toEqual({ ...info, entryFailure: false, guestPhysicalAddress: 0 });
  });

  it('clears what the next exit does not give (no stale qualification, interruption valid bit cleared) and sets bit 31 for an entry failure', () => {
    const r = new VmcsRecord();
    recordExit(r, { reason: ExitReason.IO_INSTRUCTION, qualification: 0x03f80000, instructionLength: 1, interruption: { vector: 13, type: 3, errorCodeValid: true, nmiUnblocking: false, valid: true }, errorCode: 8 });
    recordExit(r, { reason: ExitReason.INVALID_GUEST_STATE, entryFailure: true });
    expect(r.read(VMCS.VM_EXIT_REASON)).toBe(0x80000021);
    expect(readExitInfo(r)).toEqual({ reason: 33, entryFailure: true, qualification: 0, guestLinearAddress: 0, guestPhysicalAddress: 0, instructionLength: 0, instructionInfo: 0 });
    expect(r.read(VMCS.VM_EXIT_INTR_ERROR_CODE)).toBe(0);
  });

  it('the recorded fields stay read-only to VMWRITE', () => {
    const r = new VmcsRecord();
    recordExit(r, { reason: ExitReason.CPUID, instructionLength: 2 });
    expect(() => r.write(VMCS.VM_EXIT_REASON, 0)).toThrow(VmcsError);
    expect(r.read(VMCS.VM_EXIT_REASON)).toBe(ExitReason.CPUID);
  });
});

describe('exitInfoOfEvent (an event intercepted before delivery)', () => {
  it('a #PF becomes EXCEPTION_NMI with vector 14, hardware-exception type, the error code and the faulting address as qualification', () => {
    const info = exitInfoOfEvent({ vector: 14, errorCode: 2, type: 'hardware-exception', instructionLength: 0 }, 0xdead0000);
    expect(info).toEqual({
      reason: ExitReason.EXCEPTION_NMI,
      qualification: 0xdead0000,
      interruption: { vector: 14, type: InterruptionType.HARDWARE_EXCEPTION, errorCodeValid: true, nmiUnblocking: false, valid: true },
      errorCode: 2,
    });
  });

  it('an INTR-pin interrupt becomes EXTERNAL_INTERRUPT with its vector; INT3 records its length as a software exception', () => {
    expect(exitInfoOfEvent({ vector: 0x20, errorCode: -1, type: 'external-interrupt', instructionLength: 0 })).toMatchObject({
      reason: ExitReason.EXTERNAL_INTERRUPT,
      interruption: { vector: 0x20, type: InterruptionType.EXTERNAL_INTERRUPT, errorCodeValid: false, valid: true },
    });
    const int3 = exitInfoOfEvent({ vector: 3, errorCode: -1, type: 'software-exception', instructionLength: 1 });
    expect(int3.reason).toBe(ExitReason.EXCEPTION_NMI);
    expect(int3.instructionLength).toBe(1);
    expect(int3.interruption?.type).toBe(InterruptionType.SOFTWARE_EXCEPTION);
    expect(exitInfoOfEvent({ vector: 2, errorCode: -1, type: 'nmi', instructionLength: 0 }).interruption?.type).toBe(InterruptionType.NMI);
  });
});
