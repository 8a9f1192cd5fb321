import { describe, expect, it } from 'vitest';
import { VMCS } from '../../../emulator/arch/vmcs';
import { ExitReason } from '../../../emulator/arch/vmx-exit-reasons';
import { sdmCause, vmmCause, VmmExitReason } from '../../../emulator/vmm/exit-cause';
import { dispatchExit, exitActionOfError, RESUME, stop, VmmError, WAIT, type ExitContext, type ExitVcpu, type VmmMode } from '../../../emulator/vmm/exit-dispatch';
import { ExitStats } from '../../../emulator/vmm/exit-stats';
import { saveGuestState } from '../../../emulator/vmm/guest-state';
import { VmcsRecord } from '../../../emulator/vmm/vmcs-record';
import { Machine } from '../cpu/descriptor-machine';

/** A toy mode: its per-VM state is a log of what the handlers saw (no emulation). */
interface ToyState {
  seen: string[];
}

const toy: VmmMode<ToyState> = {
  name: 'toy',
  handlers: {
    [ExitReason.CPUID]: (ctx) => {
      ctx.state.seen.push(`CPUID at ${ctx.cs.toString(16)}:${ctx.eip.toString(16)} len ${ctx.vmcs.read(VMCS.VM_EXIT_INSTRUCTION_LEN)}`);
      ctx.charge(2);
      return RESUME;
    },
    [ExitReason.HLT]: () => WAIT,
    [VmmExitReason.HIDDEN_PAGE_FAULT]: (ctx) => {
      ctx.state.seen.push(`hidden #PF at 0x${ctx.vmcs.read(VMCS.EXIT_QUALIFICATION).toString(16)}, recorded as reason ${ctx.vmcs.read(VMCS.VM_EXIT_REASON)}`);
      return RESUME;
    },
    [ExitReason.TRIPLE_FAULT]: () => stop('guest triple fault'),
  },
};

function vcpu(): ExitVcpu<ToyState> & { m: Machine } {
  const m = new Machine().protectedMode(1);
  m.cpu.eip = 0xc0001234;
  const vmcs = new VmcsRecord();
  saveGuestState(m.cpu, vmcs);
  return { m, cpu: m.cpu, vmcs, stats: new ExitStats(), state: { seen: [] } };
}

describe('dispatchExit', () => {
  it('records the exit in the VMCS record and the statistics, then calls the handler for its SDM reason', () => {
    const v = vcpu();
    const action = dispatchExit(toy, v, { reason: ExitReason.CPUID, instructionLength: 2 });
    expect(action).toBe(RESUME);
    expect(v.state.seen).toEqual(['CPUID at 39:c0001234 len 2']);
    expect(v.vmcs.read(VMCS.VM_EXIT_REASON)).toBe(ExitReason.CPUID);
    expect(v.stats.count(sdmCause(ExitReason.CPUID))).toBe(1);
    expect(v.stats.cost(sdmCause(ExitReason.CPUID))).toBe(3); // transition + the handler's 2
    expect(v.stats.atEip(0xc0001234)?.count).toBe(1);
  });

  it('a software-VMM reason selects its own handler and is counted under it, while the record keeps the arriving event', () => {
    const v = vcpu();
    const action = dispatchExit(toy, v, { reason: ExitReason.EXCEPTION_NMI, qualification: 0x400000 }, VmmExitReason.HIDDEN_PAGE_FAULT);
    expect(action).toBe(RESUME);
    expect(v.state.seen).toEqual(['hidden #PF at 0x400000, recorded as reason 0']);
    expect(v.stats.count(vmmCause(VmmExitReason.HIDDEN_PAGE_FAULT))).toBe(1);
    expect(v.stats.count(sdmCause(ExitReason.EXCEPTION_NMI))).toBe(0);
  });

  it('passes the handler\'s action through (wait, stop)', () => {
    const v = vcpu();
    expect(dispatchExit(toy, v, { reason: ExitReason.HLT, instructionLength: 1 })).toBe(WAIT);
    expect(dispatchExit(toy, v, { reason: ExitReason.TRIPLE_FAULT })).toEqual({ kind: 'stop', message: 'guest triple fault' });
  });

  it('is loud for a reason with no handler: a VmmError naming the reason in hex, its SDM name and the guest CS:EIP, after recording the exit', () => {
    const v = vcpu();
    let error: unknown;
    try {
      dispatchExit(toy, v, { reason: ExitReason.CR_ACCESS, qualification: 3 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VmmError);
    const e = error as VmmError;
    expect(e.code).toBe('unhandled-exit');
    expect(e.exitCause).toBe(sdmCause(ExitReason.CR_ACCESS));
    expect([e.cs, e.eip]).toEqual([0x39, 0xc0001234]);
    expect(e.message).toBe("VMM mode 'toy': no handler for exit reason 0x1c EXIT_REASON_CR_ACCESS at guest CS:EIP 0039:c0001234 (linear 0xc0001234)");
    expect(v.vmcs.read(VMCS.VM_EXIT_REASON)).toBe(ExitReason.CR_ACCESS);
    expect(v.stats.count(sdmCause(ExitReason.CR_ACCESS))).toBe(1);
  });

  it('is loud for an unhandled software-VMM reason too', () => {
    expect(() => dispatchExit(toy, vcpu(), { reason: ExitReason.EXCEPTION_NMI }, VmmExitReason.GUEST_PAGE_TABLE_WRITE)).toThrow(
      /no handler for exit reason 0x10001 VMM GUEST_PAGE_TABLE_WRITE at guest CS:EIP 0039:c0001234/,
    );
  });

  it('hands the handler the guest location from the record (CS base + EIP)', () => {
    const v = vcpu();
    v.vmcs.write(VMCS.GUEST_CS_BASE, 0x10000);
    v.vmcs.write(VMCS.GUEST_RIP, 0x20);
    let seen: ExitContext<ToyState> | null = null;
    dispatchExit({ name: 'probe', handlers: { [ExitReason.RDTSC]: (ctx) => ((seen = ctx), RESUME) } }, v, { reason: ExitReason.RDTSC, instructionLength: 2 });
    expect(seen).toMatchObject({ cs: 0x39, eip: 0x20, linear: 0x10020, cause: sdmCause(ExitReason.RDTSC) });
  });
});

describe('exitActionOfError', () => {
  it('turns a VmmError into a stopped VM with its message and rethrows anything else', () => {
    const v = vcpu();
    let action;
    try {
      dispatchExit(toy, v, { reason: ExitReason.WBINVD });
    } catch (e) {
      action = exitActionOfError(e);
    }
    expect(action).toEqual({ kind: 'stop', message: expect.stringContaining('0x36 EXIT_REASON_WBINVD') });
    const bug = new TypeError('host bug');
    expect(() => exitActionOfError(bug)).toThrow(bug);
  });
});
