import { describe, expect, it } from 'vitest';
import { VMCS } from '../../../../emulator/arch/vmcs';
import { vmmCause, VmmExitReason } from '../../../../emulator/vmm/exit-cause';
import { RING_MODELS } from '../../../../emulator/vmm/guest-vm';
import { KSTACK_TOP, runBare, runUnderVmm, SECRET, SYSENTER_STACK_TOP, USER_STACK_TOP, userGuestSource } from './user-guest';

/** Index of the result dword at R + offset. */
const at = (offset: number): number => offset / 4;

describe.each([false, true])('guest user mode against the bare machine (paging %s)', (paging) => {
  const source = userGuestSource(paging);
  const native = runBare(source);

  it('the bare machine runs the guest as the test expects (the reference is sound)', () => {
    expect(native.stop).toEqual({ kind: 'exit', status: 1 });
    const r = native.results;
    expect(r[at(0)]).toBe(0x11);
    // INT 0x80 (gate DPL 3) from ring 3: the TSS stack switch, frame EIP, CS 0x1B, EFLAGS, ESP, SS 0x23.
    expect(r.slice(at(0x14), at(0x24))).toEqual([0x1b, 0x2, USER_STACK_TOP, 0x23]);
    expect(r[at(0x24)]).toBe(KSTACK_TOP - 24);
    expect(r[at(0x6c)]).toBe(0x85);
    // INT 0x81 (gate DPL 0) from ring 3: #GP(0x81 × 8 + 2) with an error code frame on the ring-0 stack.
    expect(r[at(0x28)]).toBe(0x81 * 8 + 2);
    expect(r.slice(at(0x30), at(0x40))).toEqual([0x1b, 0x2, USER_STACK_TOP, 0x23]);
    expect(r[at(0x40)]).toBe(KSTACK_TOP - 28);
    if (paging) {
      // A user read of a supervisor page: #PF, error code P | U/S (read), CR2 the address.
      expect(r[at(0x44)]).toBe(0b101);
      expect(r[at(0x5c)]).toBe(SECRET);
    }
    // Ring 3 cannot see or load DPL-0 descriptors: LAR and VERR fail, MOV DS, 0x10 takes #GP(0x10).
    expect(r.slice(at(0x70), at(0x7c))).toEqual([0, 0, 1]);
    expect(r.slice(at(0x7c), at(0x88))).toEqual([0x10, r[at(0x80)], 0x1b]);
    // SYSENTER: ESP from IA32_SYSENTER_ESP; SYSEXIT back to ring 3 with ESP = ECX.
    expect(r[at(0x64)]).toBe(SYSENTER_STACK_TOP);
    expect(r[at(0x68)]).toBe(USER_STACK_TOP);
    expect(r[at(0x60)]).toBe(USER_STACK_TOP);
  });

  it.each([...RING_MODELS])('under ring model %s the guest records exactly what the bare machine recorded', (model) => {
    const { out } = runUnderVmm(source, model);
    expect(out.stop).toEqual(native.stop);
    expect(out.results.map((v) => `0x${v.toString(16)}`)).toEqual(native.results.map((v) => `0x${v.toString(16)}`));
  });

  it.each([...RING_MODELS])('under ring model %s each transition is an exit of its kind: SYSENTER/SYSEXIT as SYSTEM_CALL, the IRETs to ring 3 as IRET', (model) => {
    const { vm } = runUnderVmm(source, model);
    expect(vm.stats.count(vmmCause(VmmExitReason.SYSTEM_CALL))).toBe(2);
    // The first IRET to ring 3, the returns from INT 0x80, from the two #GP and (paging) from the #PF handler.
    expect(vm.stats.count(vmmCause(VmmExitReason.IRET))).toBe(paging ? 5 : 4);
    // INT 0x80, INT 0x81 (its #GP is a second exit, reflected), INT 0x82.
    expect(vm.stats.count(vmmCause(VmmExitReason.SOFTWARE_INTERRUPT))).toBe(3);
  });
}, 60_000);

describe('the guest CPL the VMM tracks', () => {
  it.each([
    ['0/1/3', 1],
    ['0/3/3', 3],
  ] as const)('under %s the guest kernel runs at host CPL %d and guestState() shows its CPL 0 in SS.DPL, the host CS/SS selectors (RPL = kernel ring)', (model, ring) => {
    const { vm, out } = runUnderVmm(userGuestSource(true), model);
    expect(out.stop).toEqual({ kind: 'exit', status: 1 });
    // The guest stopped in its INT 0x82 handler: guest kernel.
    expect(vm.state.guestCpl).toBe(0);
    expect(vm.cpu.cpl).toBe(ring);
    const g = vm.guestState();
    expect((g.read(VMCS.GUEST_SS_AR_BYTES) >>> 5) & 3).toBe(0);
    expect(g.read(VMCS.GUEST_CS_SELECTOR)).toBe(0x08 | ring);
  });

});
