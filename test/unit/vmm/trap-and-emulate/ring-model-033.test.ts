import { describe, expect, it } from 'vitest';
import { PTE_P, PTE_US } from '../../../../emulator/arch/paging';
import type { TrapAndEmulateVm } from '../../../../emulator/vmm/trap-and-emulate/vm';
import { EXIT, guestVm, peek, runGuest } from './guest';
import { ORIGIN, runUnderVmm, SECRET, userGuestSource } from './user-guest';

/** The host's current shadow PTE for guest-virtual `lin` (0 when the shadow has no table there). */
function shadowPte(vm: TrapAndEmulateVm, lin: number): number {
  const pd = vm.shadowPageDirectory();
  if (pd === null) throw new Error('no shadow page directory');
  const pde = vm.memory.read32(pd + (lin >>> 22) * 4);
  if (!(pde & PTE_P)) return 0;
  return vm.memory.read32((pde & -4096) + ((lin >>> 12) & 0x3ff) * 4);
}

describe('ring model 0/3/3: the guest kernel in ring 3, two shadows per guest CR3', () => {
  it('the ringModel option selects the model; anything else is a RangeError naming it', () => {
    expect(guestVm(EXIT).ringModel).toBe('0/1/3');
    const { vm } = runUnderVmm(userGuestSource(false), '0/3/3');
    expect(vm.ringModel).toBe('0/3/3');
    expect(vm.state.ring.kernelRing).toBe(3);
    expect(() => runUnderVmm(userGuestSource(false), '0/2/3' as never)).toThrow(/unknown ring model '0\/2\/3'/);
  });

  it('the kernel view maps the guest supervisor page user-accessible (the kernel runs at CPL 3); the user view never maps it, so user code faulted on it', () => {
    const { vm, out } = runUnderVmm(userGuestSource(true), '0/3/3');
    expect(out.stop).toEqual({ kind: 'exit', status: 1 });
    // Stopped in the guest kernel: the kernel view, where the kernel's own read filled SECRET.
    const kernelPd = vm.shadowPageDirectory();
    const k = shadowPte(vm, SECRET);
    expect(k & (PTE_P | PTE_US)).toBe(PTE_P | PTE_US);
    expect(k & -4096).toBe(SECRET);
    expect(shadowPte(vm, ORIGIN) & PTE_US).toBe(PTE_US);
    // The user view of the same guest CR3: another directory, without SECRET.
    vm.state.paging.setView(vm.cpu, true);
    expect(vm.shadowPageDirectory()).not.toBe(kernelPd);
    expect(shadowPte(vm, SECRET) & PTE_P).toBe(0);
    vm.state.paging.setView(vm.cpu, false);
    expect(vm.shadowPageDirectory()).toBe(kernelPd);
  });

  it('under 0/1/3 one shadow serves both rings: SECRET is mapped supervisor-only, and the host CPL keeps user code out', () => {
    const { vm, out } = runUnderVmm(userGuestSource(true), '0/1/3');
    expect(out.stop).toEqual({ kind: 'exit', status: 1 });
    const pd = vm.shadowPageDirectory();
    expect(shadowPte(vm, SECRET) & (PTE_P | PTE_US)).toBe(PTE_P);
    vm.state.paging.setView(vm.cpu, true); // no effect under 0/1/3
    expect(vm.shadowPageDirectory()).toBe(pd);
  });

  it('holes under 0/3/3: PUSH CS and MOV AX, SS in the guest kernel show RPL 3; a data selector keeps RPL 0', () => {
    const R = 0x8000;
    const vm = runAt033(`push cs\npop eax\nand eax, 0xffff\nmov [${R}], eax\nxor eax, eax\nmov ax, ss\nmov [${R + 4}], eax\nmov ax, ds\nmov [${R + 8}], eax\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0x0b);
    expect(peek(vm, R + 4)).toBe(0x13);
    expect(peek(vm, R + 8)).toBe(0x10);
    expect(vm.holes.countsByKind()['ring-aliasing']).toBe(2);
  });
});

/** guestVm with ring model 0/3/3. */
function runAt033(body: string): TrapAndEmulateVm {
  return guestVm(body, undefined, '0/3/3');
}
