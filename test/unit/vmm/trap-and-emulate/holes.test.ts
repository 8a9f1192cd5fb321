import { describe, expect, it } from 'vitest';
import { VMM_AREA_LINEAR, VMM_IDT_OFFSET, VMM_TSS_SELECTOR } from '../../../../emulator/vmm/trap-and-emulate/shadow-gdt';
import { EXIT, guestVm, peek, runGuest } from './guest';

/** Results land at 0x8000 + 4n. */
const R = 0x8000;

describe('the holes of trap-and-emulate show exactly where the design says', () => {
  it('PUSH CS and MOV AX, CS show RPL 1 (ring aliasing); a data selector keeps RPL 0', () => {
    const vm = guestVm(`push cs\npop eax\nand eax, 0xffff\nmov [${R}], eax\nxor eax, eax\nmov ax, cs\nmov [${R + 4}], eax\nmov ax, ds\nmov [${R + 8}], eax\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0x09);
    expect(peek(vm, R + 4)).toBe(0x09);
    expect(peek(vm, R + 8)).toBe(0x10);
  });

  it('SGDT, SIDT, STR, SLDT and SMSW do not exit and return the VMM values', () => {
    const vm = guestVm(
      `sgdt [${R}]\nsidt [${R + 8}]\nxor eax, eax\nstr ax\nmov [${R + 16}], eax\nmov eax, -1\nsldt ax\nmov [${R + 20}], eax\nxor eax, eax\nsmsw ax\nmov [${R + 24}], eax\n${EXIT}`,
    );
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    const reserved = VMM_AREA_LINEAR; // the VMM's tables at the top 4 MiB of the linear space
    expect(vm.memory.read16(R)).toBe(0xffff); // the shadow GDT's limit, not the guest's 0x27
    expect(vm.memory.read32(R + 2) >>> 0).toBe(reserved);
    expect(vm.memory.read16(R + 8)).toBe(0x7ff);
    expect(vm.memory.read32(R + 10) >>> 0).toBe(reserved + VMM_IDT_OFFSET);
    expect(peek(vm, R + 16)).toBe(VMM_TSS_SELECTOR);
    expect(peek(vm, R + 20) & 0xffff).toBe(0);
    expect(peek(vm, R + 24)).toBe(vm.cpu.cr0 & 0xffff);
    expect(vm.stats.total).toBe(1); // only the exit OUT
  });

  it('PUSHF / CLI / POPF leaves IF as the VMM believes: the virtual IF stays clear, PUSHF shows the host IF', () => {
    // The PICs mask every IRQ first (as examples/sensitive.asm does): nothing arrives after STI.
    const vm = guestVm(`mov al, 0xff\nout 0x21, al\nout 0xa1, al\nsti\npushfd\ncli\npushfd\npop eax\nmov [${R}], eax\npopfd\npushfd\npop eax\nmov [${R + 4}], eax\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    // On bare hardware: IF = 0 after CLI, IF = 1 after POPF. Here PUSHF shows the host IF (1) both times ...
    expect(peek(vm, R) & 0x200).toBe(0x200);
    expect(peek(vm, R + 4) & 0x200).toBe(0x200);
    // ... and the POPF that should have set IF again did not reach the VMM: it believes interrupts are off.
    expect(vm.state.vif).toBe(false);
  });
});
