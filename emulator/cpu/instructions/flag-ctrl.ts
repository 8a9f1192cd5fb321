/**
 * Flag control: CLC, STC, CMC, CLD, STD, LAHF, SAHF, SALC, CLI, STI, PUSHF/PUSHFD,
 * POPF/POPFD.
 *
 * CLI/STI/PUSHF/POPF are where IOPL matters. This model has no VME/PVI (CR4_SUPPORTED),
 * so virtual-8086 mode with IOPL < 3 always faults (#GP(0), to the V86 monitor).
 * POPF at CPL > IOPL in protected mode is the famous hole: it silently ignores the IF
 * bit instead of faulting, so a deprivileged guest kernel's POPF cannot be trapped
 * (Robin & Irvine 2000; this is why the opcode table marks it SENSITIVE).
 *
 * @see Intel SDM Vol. 2A "CLC", "CLD", "CLI", "CMC", "LAHF"; Vol. 2B "POPF/POPFD/POPFQ",
 *      "PUSHF/PUSHFD/PUSHFQ", "SAHF", "STC", "STD", "STI"; Vol. 3A §2.3 (system flags),
 *      §20.2.7 (sensitive instructions in virtual-8086 mode).
 */
import { CR0_PE } from '../../arch/control-registers';
import {
  EFLAGS_AF,
  EFLAGS_CF,
  EFLAGS_DF,
  EFLAGS_IF,
  EFLAGS_IOPL,
  EFLAGS_IOPL_SHIFT,
  EFLAGS_PF,
  EFLAGS_RF,
  EFLAGS_SF,
  EFLAGS_VIF,
  EFLAGS_VIP,
  EFLAGS_VM,
  EFLAGS_WRITABLE,
  EFLAGS_ZF,
} from '../../arch/eflags';
import type { Cpu } from '../cpu';
import type { Exec } from '../decoder/types';
import { gp } from '../fault';
import { getCF, getEflags, setCF, setEflagsBits } from '../flags';
import { pop16, pop32, push16, push32 } from '../stack-ops';
import { believedIf, reportSensitive } from '../sensitive';

/** EFLAGS.IOPL (0..3). */
export function iopl(cpu: Cpu): number {
  return (cpu.flags & EFLAGS_IOPL) >>> EFLAGS_IOPL_SHIFT;
}

/** CLC (F8): CF ← 0. */
export const CLC: Exec = (cpu) => setCF(cpu, false);
/** STC (F9): CF ← 1. */
export const STC: Exec = (cpu) => setCF(cpu, true);
/** CMC (F5): CF ← NOT CF. */
export const CMC: Exec = (cpu) => setCF(cpu, getCF(cpu) === 0);
/** CLD (FC): DF ← 0 (DF is never lazy). */
export const CLD: Exec = (cpu) => {
  cpu.flags &= ~EFLAGS_DF;
};
/** STD (FD): DF ← 1. */
export const STD: Exec = (cpu) => {
  cpu.flags |= EFLAGS_DF;
};

/** The flags LAHF/SAHF move: SF ZF AF PF CF (bits 7, 6, 4, 2, 0 of AH). */
const AH_FLAGS = EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF | EFLAGS_CF;

/** LAHF (9F): AH ← SF:ZF:0:AF:0:PF:1:CF. */
export const LAHF: Exec = (cpu) => {
  cpu.regs8[1] = (getEflags(cpu) & AH_FLAGS) | 2;
};
/** SAHF (9E): SF ZF AF PF CF ← AH bits 7 6 4 2 0. */
export const SAHF: Exec = (cpu) => setEflagsBits(cpu, cpu.regs8[1], AH_FLAGS);

/** SALC (D6, undocumented "set AL from carry"): AL ← CF ? FFh : 00h; flags unchanged. */
export const SALC: Exec = (cpu) => {
  cpu.regs8[0] = getCF(cpu) ? 0xff : 0;
};

/**
 * The IOPL-sensitivity check of CLI and STI: real mode always allowed; virtual-8086 mode
 * needs IOPL = 3 (no VME on this model); protected mode needs CPL ≤ IOPL. Else #GP(0).
 */
function checkIfChange(cpu: Cpu, what: string): void {
  if ((cpu.cr0 & CR0_PE) === 0) return;
  const pl = iopl(cpu);
  if (cpu.flags & EFLAGS_VM) {
    if (pl < 3) throw gp(0, `${what} in virtual-8086 mode with IOPL ${pl} < 3`);
  } else if (cpu.cpl > pl) {
    throw gp(0, `${what} at CPL ${cpu.cpl} > IOPL ${pl}`);
  }
}

/** CLI (FA): IF ← 0, when allowed (see checkIfChange). SDM Vol. 2A "CLI" (its decision table). */
export const CLI: Exec = (cpu) => {
  checkIfChange(cpu, 'CLI');
  if (cpu.flags & EFLAGS_IF) {
    cpu.flags &= ~EFLAGS_IF;
    cpu.breakBlock = true;
  }
};

/**
 * STI (FB): IF ← 1, when allowed. When IF was 0, interrupts stay blocked until the end of
 * the next instruction (the STI interrupt shadow, SDM Vol. 3A §6.8.3), so `STI; HLT` and
 * `STI; RET` cannot be interrupted in between.
 */
export const STI: Exec = (cpu) => {
  checkIfChange(cpu, 'STI');
  if ((cpu.flags & EFLAGS_IF) === 0) {
    cpu.flags |= EFLAGS_IF;
    cpu.shadowUntil = cpu.icount + 1;
    cpu.breakBlock = true;
  }
};

/** In virtual-8086 mode PUSHF/POPF need IOPL = 3 (no VME on this model), else #GP(0). */
function checkV86(cpu: Cpu, what: string): void {
  if (cpu.flags & EFLAGS_VM && iopl(cpu) < 3) throw gp(0, `${what} in virtual-8086 mode with IOPL ${iopl(cpu)} < 3`);
}

/**
 * PUSHF (9C, 16-bit: the low word of EFLAGS) / PUSHFD (32-bit: EFLAGS with VM and RF
 * read as 0). Not privileged at any CPL: a guest kernel running at CPL > 0 sees the real
 * IF and IOPL (a sensitive, non-trapping instruction). SDM Vol. 2B "PUSHF/PUSHFD/PUSHFQ".
 */
export const PUSHF: Exec = (cpu, i) => {
  checkV86(cpu, 'PUSHF');
  const f = getEflags(cpu);
  if (i.o32) push32(cpu, f & ~(EFLAGS_VM | EFLAGS_RF));
  else push16(cpu, f);
  // Reported only at CPL > 0 when the IF pushed differs from the IF the program believes it has (sensitive.ts).
  if (cpu.hooks.onSensitive !== undefined && cpu.cpl > 0 && (f & EFLAGS_VM) === 0) {
    const pushedIf = (f & EFLAGS_IF) !== 0;
    const believed = believedIf(cpu);
    if (pushedIf !== believed) reportSensitive(cpu, i, 'pushf-if-revealed', i.o32 ? 'PUSHFD' : 'PUSHF', { pushedIf, if: believed });
  }
};

/**
 * POPF (9D, 16-bit: replaces bits 15:0) / POPFD (32-bit), with the SDM's rules for which
 * bits may change (Vol. 2B "POPF/POPFD/POPFQ", Operation):
 *  - CPL 0 (and real mode): every writable bit, IOPL and IF included;
 *  - 0 < CPL ≤ IOPL: IF may change, IOPL may not;
 *  - CPL > IOPL: neither IOPL nor IF changes, and there is NO fault. The write to IF is
 *    silently dropped — the classic x86 virtualization hole (a guest kernel deprivileged
 *    to ring 1 or 3 executes POPF to restore IF and nothing traps; Robin & Irvine 2000);
 *  - virtual-8086 mode: #GP(0) unless IOPL = 3, then IOPL may not change.
 * VM, VIP and VIF never change; POPFD clears RF. Writable bits are EFLAGS_WRITABLE (AC
 * and ID included: this is a Pentium-class model). IF or TF may change: breakBlock.
 */
export const POPF: Exec = (cpu, i) => {
  checkV86(cpu, 'POPF');
  const v = i.o32 ? pop32(cpu) : pop16(cpu);
  let mask = EFLAGS_WRITABLE & ~(EFLAGS_VM | EFLAGS_RF | EFLAGS_VIP | EFLAGS_VIF);
  if (cpu.flags & EFLAGS_VM) {
    mask &= ~EFLAGS_IOPL;
  } else if (cpu.cpl > 0) {
    mask &= ~EFLAGS_IOPL;
    // The hole: at CPL > IOPL the IF bit of the popped value is ignored without a fault.
    if (cpu.cpl > iopl(cpu)) mask &= ~EFLAGS_IF;
  }
  if (i.o32) setEflagsBits(cpu, v & ~EFLAGS_RF, mask | EFLAGS_RF);
  else setEflagsBits(cpu, v, mask & 0xffff);
  cpu.breakBlock = true;
  // Reported only when the ignored IF differs from the IF the program believes it has (sensitive.ts).
  if (cpu.hooks.onSensitive !== undefined && (mask & EFLAGS_IF) === 0 && (cpu.flags & EFLAGS_VM) === 0) {
    const poppedIf = (v & EFLAGS_IF) !== 0;
    const believed = believedIf(cpu);
    if (poppedIf !== believed) reportSensitive(cpu, i, 'popf-if-ignored', i.o32 ? 'POPFD' : 'POPF', { poppedIf, if: believed });
  }
};
