import { describe, expect, it } from 'vitest';
import type { VirtualizationHole } from '../../../../emulator/vmm/hole-log';
import { VMM_AREA_LINEAR } from '../../../../emulator/vmm/trap-and-emulate/shadow-gdt';
import { EXIT, guestVm, ORIGIN, runGuest } from './guest';

describe('virtualization-hole events of the trap-and-emulate VM', () => {
  it('PUSHF / CLI / POPF: the POPF whose IF = 1 the CPU ignored is a popf-if-ignored hole at its own EIP', () => {
    // mov al,0FFh (2) out 21h,al (2) out 0A1h,al (2) sti (1) pushfd (1) cli (1) popfd at +9
    const vm = guestVm(`mov al, 0xff\nout 0x21, al\nout 0xa1, al\nsti\npushfd\ncli\npopfd\n${EXIT}`);
    const heard: VirtualizationHole[] = [];
    vm.onHole((h) => heard.push(h));
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(vm.state.vif).toBe(false);
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ type: 'virtualization-hole', kind: 'popf-if-ignored', mnemonic: 'POPFD', eip: ORIGIN + 9, linearEip: ORIGIN + 9, details: { poppedIf: true, if: false } });
    expect(vm.holes.recent()).toEqual(heard);
    expect(vm.holes.countsByKind()['popf-if-ignored']).toBe(1);
  });

  it('PUSHFD after an emulated CLI is a pushf-if-revealed hole: it shows the host IF 1, not the virtual IF 0', () => {
    // mov al,0FFh (2) out 21h,al (2) out 0A1h,al (2) sti (1) pushfd (1: virtual IF 1, no hole) cli (1) pushfd at +9
    const vm = guestVm(`mov al, 0xff\nout 0x21, al\nout 0xa1, al\nsti\npushfd\ncli\npushfd\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(vm.holes.recent()).toMatchObject([{ kind: 'pushf-if-revealed', mnemonic: 'PUSHFD', eip: ORIGIN + 9, details: { pushedIf: true, if: false } }]);
  });

  it('POPF that pops the IF the guest already has (virtual IF) is no hole', () => {
    // cli (virtual IF 0, emulated) then push 0 / popfd: popped IF 0 = virtual IF 0, although the host IF is 1.
    const vm = guestVm(`cli\npush 0x2\npopfd\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(vm.holes.total).toBe(0);
  });

  it('SGDT is a privileged-state-read hole that reveals the shadow GDT in the VMM area', () => {
    const vm = guestVm(`nop\nsgdt [0x8000]\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(vm.holes.recent()).toMatchObject([{ kind: 'privileged-state-read', mnemonic: 'SGDT', eip: ORIGIN + 1, details: { base: VMM_AREA_LINEAR, limit: 0xffff } }]);
  });

  it('every hole of the design is counted by kind: ring aliasing, state reads, descriptor queries', () => {
    const vm = guestVm(`push cs\npop eax\nmov ax, cs\nmov ax, ds\nsidt [0x8000]\nstr ax\nsldt ax\nsmsw ax\nmov ecx, 0x10\nlar eax, ecx\nlsl eax, ecx\nverr cx\nverw cx\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(vm.holes.countsByKind()).toEqual({ 'ring-aliasing': 2, 'privileged-state-read': 4, 'popf-if-ignored': 0, 'pushf-if-revealed': 0, 'iret-if-ignored': 0, 'descriptor-query': 4, 'hidden-state-lost': 0 });
    expect(vm.holes.recent().map((h) => h.mnemonic)).toEqual(['PUSH CS', 'MOV r/m, CS', 'SIDT', 'STR', 'SLDT', 'SMSW', 'LAR', 'LSL', 'VERR', 'VERW']);
    expect(vm.holes.recent().map((h) => h.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a listener removed with the function onHole returned hears nothing more', () => {
    const vm = guestVm(`sgdt [0x8000]\nsidt [0x8008]\n${EXIT}`);
    let heard = 0;
    const off = vm.onHole(() => {
      heard++;
      off();
    });
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect([heard, vm.holes.total]).toEqual([1, 2]);
  });
});
