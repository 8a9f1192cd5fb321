/**
 * EXIT_REASON_RDMSR (31) and EXIT_REASON_WRMSR (32): RDMSR and WRMSR fault at CPL 1 with
 * #GP(0) and are emulated with the CPU's own MSR semantics (cpu/msr.ts `readMsr`,
 * `writeMsr`: the same implemented set, the same #GP(0) for the others, reflected) against
 * the guest's VIRTUAL SYSENTER MSRs. The host's IA32_SYSENTER_CS stays 0 while the guest
 * runs, so a guest SYSENTER faults instead of entering host ring 0 (SDM Vol. 2B "SYSENTER":
 * #GP(0) "If IA32_SYSENTER_CS[15:2] = 0").
 * NOT YET: the time-stamp counter is the host's (a guest WRMSR to it moves the host TSC,
 * harmless with one VM); SYSENTER/SYSEXIT themselves are not emulated.
 */
import { EAX, EDX, ECX, type Cpu } from '../../../cpu/cpu';
import { readMsr, writeMsr, type MsrValue } from '../../../cpu/msr';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

/** Run `f` with the guest's virtual SYSENTER MSRs in the host CPU's fields, then put the host's (zero) back. */
function withVirtualMsrs(cpu: Cpu, state: TrapAndEmulateState, f: () => void): void {
  cpu.sysenterCs = state.sysenterCs;
  cpu.sysenterEsp = state.sysenterEsp;
  cpu.sysenterEip = state.sysenterEip;
  try {
    f();
  } finally {
    state.sysenterCs = cpu.sysenterCs;
    state.sysenterEsp = cpu.sysenterEsp;
    state.sysenterEip = cpu.sysenterEip;
    cpu.sysenterCs = cpu.sysenterEsp = cpu.sysenterEip = 0;
  }
}

const value: MsrValue = { lo: 0, hi: 0 };

export function onRdmsr(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'RDMSR');
  withVirtualMsrs(cpu, state, () => readMsr(cpu, cpu.regs[ECX] >>> 0, value));
  cpu.regs[EAX] = value.lo | 0;
  cpu.regs[EDX] = value.hi | 0;
  retire(cpu, insn);
  return RESUME;
}

export function onWrmsr(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'WRMSR');
  withVirtualMsrs(cpu, state, () => writeMsr(cpu, cpu.regs[ECX] >>> 0, cpu.regs[EAX] >>> 0, cpu.regs[EDX] >>> 0));
  retire(cpu, insn);
  return RESUME;
}
