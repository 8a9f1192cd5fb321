import { describe, expect, it } from 'vitest';
import { EFLAGS_IF, EFLAGS_IOPL } from '../../../../emulator/arch/eflags';
import { AR_DPL_MASK, AR_P, AR_UNUSABLE, arDpl, SystemType } from '../../../../emulator/arch/segments';
import { VMCS } from '../../../../emulator/arch/vmcs';
import { getEflags } from '../../../../emulator/cpu/flags';
import { GuestRegisters } from '../../../../emulator/vmm/guest-state';
import { VMM_AREA_LINEAR, VMM_LDT_SELECTOR, VMM_TSS_SELECTOR } from '../../../../emulator/vmm/trap-and-emulate/shadow-gdt';
import { EXIT, guestVm, ORIGIN, runGuest } from './guest';

/**
 * `guestState()` presents the guest's view completely (guest-vm.ts): the virtual LDTR and TR
 * (the host's hold the VMM's shadow LDT and TSS) and the virtual CR2; and the `VmmMonitor`
 * methods the debugger uses instead of knowing the mode.
 */
const GUEST = `
        lgdt [gdtr2]
        mov ax, 0x18
        ltr ax
        mov ax, 0x20
        lldt ax
        mov eax, 0x00abc123
        mov cr2, eax
        ${EXIT}
        align 8
gdt2:   dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        dw 0x67, (tss - $$ + 0x100000) & 0xffff, 0x8900 | ((tss - $$ + 0x100000) >> 16) & 0xff, 0
        dw 15, (ldt - $$ + 0x100000) & 0xffff, 0x8200 | ((ldt - $$ + 0x100000) >> 16) & 0xff, 0
gdt2_end:
gdtr2:  dw gdt2_end - gdt2 - 1
        dd gdt2
        align 8
ldt:    dq 0x004092007000FFFF, 0
tss:    dd 0, 0x8F000, 0x10
        times 23 dd 0`;

describe('guestState(): the guest view of LDTR, TR and CR2', () => {
  it('after LTR, LLDT and MOV CR2 it shows the guest selectors, the guest LDT/TSS base and limit, a busy 32-bit TSS, and the virtual CR2 — not the VMM shadow LDT and TSS the host holds', () => {
    const vm = guestVm(GUEST);
    const before = new GuestRegisters();
    const r0 = vm.guestState(undefined, before);
    expect(r0.read(VMCS.GUEST_LDTR_AR_BYTES) & AR_UNUSABLE).toBe(AR_UNUSABLE);
    expect(r0.read(VMCS.GUEST_TR_AR_BYTES) & AR_UNUSABLE).toBe(AR_UNUSABLE);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(vm.cpu.ldtr.selector).toBe(VMM_LDT_SELECTOR);
    expect(vm.cpu.tr.selector).toBe(VMM_TSS_SELECTOR);
    const regs = new GuestRegisters();
    const r = vm.guestState(undefined, regs);
    const gdt = vm.state.gdtr.base;
    const tssBase = (vm.memory.read32(gdt + 0x18) >>> 16) | ((vm.memory.read32(gdt + 0x1c) & 0xff) << 16);
    const ldtBase = (vm.memory.read32(gdt + 0x20) >>> 16) | ((vm.memory.read32(gdt + 0x24) & 0xff) << 16);
    expect(tssBase).toBeGreaterThan(ORIGIN);
    expect(r.read(VMCS.GUEST_LDTR_SELECTOR)).toBe(0x20);
    expect(r.read(VMCS.GUEST_LDTR_BASE)).toBe(ldtBase);
    expect(r.read(VMCS.GUEST_LDTR_LIMIT)).toBe(15);
    expect(r.read(VMCS.GUEST_LDTR_AR_BYTES)).toBe(AR_P | SystemType.LDT);
    expect(r.read(VMCS.GUEST_TR_SELECTOR)).toBe(0x18);
    expect(r.read(VMCS.GUEST_TR_BASE)).toBe(tssBase);
    expect(r.read(VMCS.GUEST_TR_LIMIT)).toBe(0x67);
    expect(r.read(VMCS.GUEST_TR_AR_BYTES)).toBe(AR_P | SystemType.TSS32_BUSY);
    expect(regs.cr2).toBe(0x00abc123);
    expect(vm.state.cr2).toBe(0x00abc123);
  });
});

describe('VmmMonitor: what a debugger needs without knowing the mode', () => {
  it.each(['0/1/3', '0/3/3'] as const)('under %s expectedSegmentCache raises a DPL 0 data descriptor to the kernel ring and truncates its limit below 0xFFC00000, keeps DPL 3 and, for SS, the descriptor DPL; LDTR/TR unchanged', (model) => {
    const vm = guestVm(`.spin: jmp .spin`, undefined, model);
    const ring = model === '0/3/3' ? 3 : 1;
    const flat = { base: 0, limit: 0xffffffff, ar: AR_P | 0x10 | 0x3 | 0x4000 | 0x8000 };
    const e = vm.monitor.expectedSegmentCache('DS', flat);
    expect(arDpl(e.ar)).toBe(ring);
    expect(e.limit >>> 0).toBe(VMM_AREA_LINEAR - 1);
    expect(arDpl(vm.monitor.expectedSegmentCache('DS', { ...flat, ar: flat.ar | AR_DPL_MASK }).ar)).toBe(3);
    expect(arDpl(vm.monitor.expectedSegmentCache('SS', flat).ar)).toBe(0);
    const ldt = { base: 0x7000, limit: 15, ar: AR_P | SystemType.LDT };
    expect(vm.monitor.expectedSegmentCache('LDTR', ldt)).toEqual(ldt);
    // What guestState shows for the loaded caches equals that expectation (the loader's flat GDT).
    const r = vm.guestState();
    expect(r.read(VMCS.GUEST_DS_LIMIT) >>> 0).toBe(e.limit >>> 0);
    expect(arDpl(r.read(VMCS.GUEST_DS_AR_BYTES))).toBe(ring);
  });

  it('isGuestPagingStructure is true only for the pages the shadow paging write-protects; writeGuestEflags sets the virtual IF and keeps the VMM IOPL and host IF', () => {
    const vm = guestVm(`
        mov eax, 0x20000 | 3     ; PDE 0 -> page table at 0x20000
        mov [0x10000], eax
        mov ecx, 0
.fill:  mov eax, ecx
        shl eax, 12
        or eax, 3
        mov [0x20000 + ecx*4], eax
        inc ecx
        cmp ecx, 1024
        jne .fill
        mov eax, 0x10000
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        mov eax, [0x5000]
.spin:  jmp .spin`);
    expect(vm.run(20_000)).toEqual({ kind: 'limit' });
    const m = vm.monitor;
    expect(m.isGuestPagingStructure(0x10000)).toBe(true);
    expect(m.isGuestPagingStructure(0x20ffc)).toBe(true);
    expect(m.isGuestPagingStructure(0x5000)).toBe(false);
    vm.state.vif = false;
    m.writeGuestEflags(getEflags(vm.cpu) | EFLAGS_IF | 1);
    expect(vm.state.vif).toBe(true);
    expect(vm.guestState().read(VMCS.GUEST_RFLAGS) & (EFLAGS_IF | 1)).toBe(EFLAGS_IF | 1);
    m.writeGuestEflags(getEflags(vm.cpu) & ~EFLAGS_IF);
    expect(vm.state.vif).toBe(false);
    expect(getEflags(vm.cpu) & EFLAGS_IF).toBe(EFLAGS_IF); // the host IF stays 1 while the guest runs
    expect(getEflags(vm.cpu) & EFLAGS_IOPL).toBe(0);
    expect(m.writableGuestEflags & EFLAGS_IOPL).toBe(0);
  });
});
