/**
 * Why control came to the VMM: from the event the CPU offered (`CpuHooks.interceptEvent`)
 * and, for a #GP or #NP raised by the guest, the instruction at CS:EIP decoded with the
 * CPU's own decoder — to the exit information VT-x would record (exit-info.ts) and, where
 * no SDM reason fits, a software-VMM reason (docs/vmm-design.md, "Exits"). "Guest kernel"
 * is the guest's CPL 0 (host CPL 1 under 0/1/3, 3 under 0/3/3: guest-ring.ts).
 *
 *   #GP in the guest kernel on a privileged (CPL0 / IOPL) instruction whose opcode-table row
 *     names an `exit` reason (IN/OUT, HLT, MOV CR, LGDT/LIDT, RDMSR …) → that SDM reason, with its qualification
 *   #GP in the guest kernel on CLI / STI           → VMM INTERRUPT_FLAG
 *   #GP in the guest kernel on IRET (return to its own ring), and
 *   #NP in the guest kernel on IRET (return to guest user code, hidden: guest-ring.ts) → VMM IRET
 *   #GP(selector) in the guest kernel on MOV SS / POP SS → VMM STACK_SEGMENT_LOAD
 *   #GP on SYSENTER (the host IA32_SYSENTER_CS is 0), from either guest ring, and
 *   #GP in the guest kernel on SYSEXIT (host CPL > 0) → VMM SYSTEM_CALL
 *   INT n, INT3, INTO, INT1                        → VMM SOFTWARE_INTERRUPT
 *   an interrupt from the VM's PIC                 → EXTERNAL_INTERRUPT
 *   any other exception                            → EXCEPTION_NMI (reflected; from guest
 *     user code every #GP but SYSENTER's is the guest's own: CLI, HLT, MOV CR0 at ring 3 …)
 *
 * @see Intel SDM Vol. 3C §25.1.2 "Instructions That Cause VM Exits Unconditionally",
 *      §26.1.3 "Instructions That Cause VM Exits Conditionally", §28.2.
 */
import { Vector } from '../../arch/exceptions';
import { SegReg } from '../../arch/segments';
import { ExitReason } from '../../arch/vmx-exit-reasons';
import type { Cpu, CpuEvent } from '../../cpu/cpu';
import { CpuFault } from '../../cpu/fault';
import { decode } from '../../cpu/decoder/decoder';
import type { Insn } from '../../cpu/decoder/insn';
import { Attr } from '../../cpu/decoder/types';
import { readLinear } from '../../cpu/memory-access';
import { VmmExitReason } from '../exit-cause';
import { crAccessOfInsn, descriptorTableExitOfInsn, encodeCrAccess, encodeDescriptorTableInfo, encodeDrAccess, encodeIo, exitInfoOfEvent, ioOfInsn, type ExitInfo } from '../exit-info';
import { CLI_OPCODE, STI_OPCODE } from './exits/interrupt-flag';
import { IRET_OPCODE } from './exits/iret';
import { isStackSegmentLoad } from './exits/stack-segment';
import { SYSENTER_OPCODE, SYSEXIT_OPCODE } from './exits/system-call';

export interface ClassifiedExit {
  info: ExitInfo;
  vmmReason?: VmmExitReason;
  /** The instruction at CS:EIP for a #GP from the guest kernel, else null. */
  insn: Insn | null;
}

/**
 * Decode the instruction at CS:EIP (the faulting one: the executor restored EIP).
 * @returns null when its bytes cannot be fetched (the #GP is then simply reflected)
 */
export function decodeAtEip(cpu: Cpu): Insn | null {
  const cs = cpu.segs[SegReg.CS];
  const at = (cs.base + cpu.eip) >>> 0;
  try {
    return decode({ byte: (k) => readLinear(cpu, (at + k) | 0, 1, cpu.cpl === 3) }, cs.big);
  } catch (e) {
    if (e instanceof CpuFault) return null;
    throw e;
  }
}

/**
 * Classify one event offered by the CPU while the guest ran (see the file header).
 * @param guestKernel the guest was at its CPL 0 (else in user mode); by default judged by the
 *   host CPL as ring model 0/1/3 places the guest kernel (CPL 1)
 */
export function classifyEvent(cpu: Cpu, event: CpuEvent, guestKernel = cpu.cpl === 1): ClassifiedExit {
  const base = exitInfoOfEvent(event);
  if (event.type === 'software-interrupt' || event.type === 'software-exception' || event.type === 'privileged-software-exception') {
    return { info: base, vmmReason: VmmExitReason.SOFTWARE_INTERRUPT, insn: null };
  }
  if (event.type !== 'hardware-exception' || (event.vector !== Vector.GP && event.vector !== Vector.NP) || cpu.cpl === 0) return { info: base, insn: null };
  if (event.vector === Vector.NP && !guestKernel) return { info: base, insn: null };
  const insn = decodeAtEip(cpu);
  if (insn === null || insn.entry === null) return { info: base, insn: null };
  if (event.vector === Vector.NP) return { info: base, vmmReason: insn.opcode === IRET_OPCODE ? VmmExitReason.IRET : undefined, insn };
  if (insn.opcode === SYSENTER_OPCODE || (guestKernel && insn.opcode === SYSEXIT_OPCODE)) return { info: { ...base, instructionLength: insn.len }, vmmReason: VmmExitReason.SYSTEM_CALL, insn };
  if (!guestKernel) return { info: base, insn };
  if (insn.opcode === CLI_OPCODE || insn.opcode === STI_OPCODE) return { info: base, vmmReason: VmmExitReason.INTERRUPT_FLAG, insn };
  if (insn.opcode === IRET_OPCODE) return { info: base, vmmReason: VmmExitReason.IRET, insn };
  if (isStackSegmentLoad(insn.opcode, insn.reg) && event.errorCode !== 0) return { info: base, vmmReason: VmmExitReason.STACK_SEGMENT_LOAD, insn };
  const name = insn.entry.exit;
  // Only CPL0 / IOPL rows fault for privilege at CPL 1; a #GP of any other instruction that
  // VT-x would intercept (SGDT, SIDT, SLDT, STR, RDTSC …: operand beyond a limit) is the
  // guest's own fault, reflected.
  if (name === undefined || ((insn.entry.attrs ?? 0) & (Attr.CPL0 | Attr.IOPL)) === 0) return { info: base, insn };
  const reason = ExitReason[name];
  const info: ExitInfo = { reason, instructionLength: insn.len };
  switch (reason) {
    case ExitReason.IO_INSTRUCTION:
      info.qualification = encodeIo(ioOfInsn(cpu, insn));
      break;
    case ExitReason.CR_ACCESS:
      info.qualification = encodeCrAccess(crAccessOfInsn(insn));
      break;
    case ExitReason.DR_ACCESS:
      info.qualification = encodeDrAccess({ dr: insn.reg, fromDr: insn.opcode === 0x0f21, gpr: insn.rm });
      break;
    case ExitReason.GDTR_IDTR_ACCESS:
    case ExitReason.LDTR_TR_ACCESS: {
      const d = descriptorTableExitOfInsn(insn);
      info.qualification = d.qualification;
      info.instructionInfo = encodeDescriptorTableInfo(d.info);
      break;
    }
  }
  return { info, insn };
}
