/**
 * Sensitive-instruction events: the `CpuHooks.onSensitive` observer and the helper the
 * handlers call. x86 before VT has instructions that are sensitive (they reveal or depend on
 * privileged state) but not privileged (they never fault at CPL > 0), so a trap-and-emulate
 * VMM cannot see them by trapping (Popek & Goldberg 1974; Robin & Irvine 2000, "Analysis of
 * the Intel Pentium's Ability to Support a Secure Virtual Machine Monitor"). Their handlers
 * report each execution here, only when a hook is installed; these instructions are rare and
 * nothing on the executor's hot path changes. The CPU reports the same events on the bare
 * machine (the instructions behave identically there): whether one is a virtualization hole
 * is for the observer (the VMM) to decide.
 *
 * Kinds (named after the categories of the virtualization background, docs/vmm-design.md
 * "Holes as events"):
 *  - 'ring-aliasing': PUSH CS / PUSH SS, MOV r/m, CS / MOV r/m, SS in protected mode (not
 *    virtual-8086 mode) — the stored selector's RPL shows the CPL;
 *  - 'privileged-state-read': SGDT, SIDT, SLDT, STR, SMSW (SDM Vol. 3A §2.8: not privileged);
 *  - 'popf-if-ignored': POPF/POPFD at CPL > IOPL (protected mode, not virtual-8086) whose popped
 *    IF differs from the IF the program believes it has (SDM Vol. 2B "POPF": IF is not changed
 *    and no fault is raised);
 *  - 'pushf-if-revealed': PUSHF/PUSHFD at CPL > 0 (not virtual-8086 mode) that pushes an IF
 *    differing from the IF the program believes it has — a deprivileged kernel sees the real
 *    IF after its CLI was emulated (never on the bare machine without `virtualIf`);
 *  - 'iret-if-ignored': protected-mode IRET at CPL > IOPL whose popped IF differs likewise
 *    (SDM Vol. 2A "IRET": IF is loaded only when CPL <= IOPL);
 *  - 'descriptor-query': LAR, LSL, VERR, VERW (they read the descriptor tables in force and
 *    judge them against the CPL).
 *  - 'hidden-state-lost': not an instruction the CPU reports but a VMM event (never raised by
 *    this file's helpers): a VMM that restores a segment register by reloading its selector
 *    from the descriptor tables (no VMCS to keep the hidden cache, SDM Vol. 3A §3.4.3) gave it
 *    a different cache than the guest loaded — `mnemonic` names the reload ('MOV FS (VMM
 *    reload)', 'LLDT (VMM reload)', 'LTR (VMM reload)'), `details` the segment (SegReg order,
 *    LDTR 6, TR 7), the selector and the cache before and after (emulator/vmm/hole-log.ts
 *    `hiddenStateHole`).
 * SYSENTER is not reported: at CPL > 0 it is the ordinary system-call path, and under the VMM
 * it traps anyway (the host IA32_SYSENTER_CS is 0).
 *
 * "The IF the program believes it has" is `CpuHooks.virtualIf(cpu)` when the observer provides
 * it (a VMM's virtual IF), else EFLAGS.IF.
 */
import { EFLAGS_IF } from '../arch/eflags';
import { SegReg } from '../arch/segments';
import type { Cpu } from './cpu';
import type { Insn } from './decoder/insn';

/** Category of a sensitive, unprivileged instruction execution (see the file header). */
export type HoleKind = 'ring-aliasing' | 'privileged-state-read' | 'popf-if-ignored' | 'pushf-if-revealed' | 'iret-if-ignored' | 'descriptor-query' | 'hidden-state-lost';

/** All kinds, in a fixed order (for counters and tables). */
export const HOLE_KINDS: readonly HoleKind[] = ['ring-aliasing', 'privileged-state-read', 'popf-if-ignored', 'pushf-if-revealed', 'iret-if-ignored', 'descriptor-query', 'hidden-state-lost'];

/** One execution of a sensitive instruction, as given to `CpuHooks.onSensitive`. */
export interface SensitiveEvent {
  kind: HoleKind;
  /** Instruction and operand as the SDM spells it, e.g. 'PUSH CS', 'SGDT', 'POPFD'. */
  mnemonic: string;
  /** Offset of the instruction in CS (uint32; wraps at 64 KiB in a 16-bit code segment). */
  eip: number;
  /** Linear address of the instruction's first byte: CS.base + eip (uint32). */
  linearEip: number;
  /**
   * What the instruction revealed or what was ignored, by name: e.g. `selector`/`rpl` (ring
   * aliasing), `base`/`limit` (SGDT/SIDT), `value` (SLDT/STR/SMSW, LAR/LSL result), `zf`
   * (descriptor queries), `poppedIf`/`if` (the ignored popped IF and the IF kept), `pushedIf`/`if`
   * (the IF PUSHF revealed and the believed IF).
   */
  details: Record<string, number | boolean>;
}

/**
 * Offset in CS of the instruction being executed, from `cpu.eip`, which points past it while
 * its handler runs (in the interpreter and inside compiled blocks alike). Wraps at 64 KiB when
 * CS is a 16-bit segment (CS.D = 0), at 4 GiB otherwise — the same rule as the REP restart.
 * Valid only before the handler changes CS:EIP.
 */
export function instructionEip(cpu: Cpu, i: Insn): number {
  return cpu.segs[SegReg.CS].big ? (cpu.eip - i.len) >>> 0 : (cpu.eip - i.len) & 0xffff;
}

/**
 * Report one sensitive execution to `cpu.hooks.onSensitive`. Callers check that the hook is
 * set first (so nothing is computed otherwise) and call this after the instruction has done
 * everything that can fault, but before it changes CS:EIP (a faulting instruction reports
 * nothing). `eip` overrides the instruction offset when the caller computed it before
 * changing CS:EIP (IRET); `linearBase` is then the CS base it belongs to.
 */
export function reportSensitive(cpu: Cpu, i: Insn, kind: HoleKind, mnemonic: string, details: Record<string, number | boolean>, eip = instructionEip(cpu, i), linearBase = cpu.segs[SegReg.CS].base): void {
  const hook = cpu.hooks.onSensitive;
  if (hook === undefined) return;
  hook(cpu, { kind, mnemonic, eip, linearEip: (linearBase + eip) >>> 0, details });
}

/** The IF the program believes it has: the observer's `virtualIf` when provided, else EFLAGS.IF. */
export function believedIf(cpu: Cpu): boolean {
  const v = cpu.hooks.virtualIf;
  return v !== undefined ? v(cpu) : (cpu.flags & EFLAGS_IF) !== 0;
}
