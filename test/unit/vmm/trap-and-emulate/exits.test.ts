import { describe, expect, it } from 'vitest';
import { CR0_TS } from '../../../../emulator/arch/control-registers';
import { VMCS } from '../../../../emulator/arch/vmcs';
import { ExitReason } from '../../../../emulator/arch/vmx-exit-reasons';
import { sdmCause, vmmCause, VmmExitReason } from '../../../../emulator/vmm/exit-cause';
import { decodeIo } from '../../../../emulator/vmm/exit-info';
import { VMM_LDT_SELECTOR, VMM_TSS_SELECTOR } from '../../../../emulator/vmm/trap-and-emulate/shadow-gdt';
import { EXIT, guestVm, peek, runGuest } from './guest';

const R = 0x8000;
const count = (vm: ReturnType<typeof guestVm>, r: ExitReason) => vm.stats.count(sdmCause(r));
const countVmm = (vm: ReturnType<typeof guestVm>, r: VmmExitReason) => vm.stats.count(vmmCause(r));

/** The guest's own GDT (flat 08h code, 10h data) and an IDT of 0x31 gates filled at run time. */
const TABLES = `
%macro setgate 2
        mov eax, %2
        mov [idt + %1*8], ax
        mov word [idt + %1*8 + 2], 0x08
        mov word [idt + %1*8 + 4], 0x8E00
        shr eax, 16
        mov [idt + %1*8 + 6], ax
%endmacro
%macro tables 0
        align 8
gdt:    dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
gdt_end:
gdtr:   dw gdt_end - gdt - 1
        dd gdt
idtr:   dw 0x31*8 - 1
        dd idt
        align 8
idt:    times 0x31*8 db 0
%endmacro
`;
const MASK_PICS = 'mov al, 0xff\nout 0x21, al\nout 0xa1, al';

describe('CR_ACCESS exits', () => {
  it('MOV to/from CR0, CLTS, CR3 and CR4 read back the virtual registers; the host CR0 mirrors TS; one exit each', () => {
    const vm = guestVm(`
        mov eax, cr0
        mov [${R}], eax
        or eax, ${CR0_TS}
        mov cr0, eax
        mov eax, cr0
        mov [${R + 4}], eax
        clts
        mov eax, cr0
        mov [${R + 8}], eax
        mov eax, 0x00102018
        mov cr3, eax
        mov ebx, cr3
        mov [${R + 12}], ebx
        mov eax, 0x10
        mov cr4, eax
        mov edx, cr4
        mov [${R + 16}], edx
        ${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0x11);
    expect(peek(vm, R + 4)).toBe(0x19);
    expect(peek(vm, R + 8)).toBe(0x11);
    expect(peek(vm, R + 12)).toBe(0x00102018);
    expect(peek(vm, R + 16)).toBe(0x10);
    expect(vm.cpu.cr3 >>> 0).toBe(vm.state.paging.currentDirectory); // the host's CR3 is the VMM's: the identity shadow (guest paging off)
    expect(vm.cpu.cr0 >>> 31).toBe(1); // host paging always on (address-space compression)
    expect(vm.cpu.cr0 & CR0_TS).toBe(0);
    expect(count(vm, ExitReason.CR_ACCESS)).toBe(9);
  });

  it('MOV CR0 enabling paging over an empty guest page directory: the next fetch is the guest\'s own #PF (reflected; without an IDT it ends in a guest triple fault)', () => {
    const vm = guestVm(`mov eax, 0x80000011\nmov cr0, eax\n${EXIT}`);
    const stop = runGuest(vm);
    expect(stop.kind).toBe('stopped');
    expect(stop.kind === 'stopped' && stop.message).toMatch(/^guest triple fault/);
    expect(vm.state.paging.active).toBe(true);
    expect(vm.state.cr2).not.toBe(0);
  });
});

describe('IO_INSTRUCTION exits', () => {
  it('record the SDM I/O qualification: the last exit is OUT imm8 to port F4h, 1 byte', () => {
    const vm = guestVm(EXIT);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(vm.vmcs.read(VMCS.VM_EXIT_REASON)).toBe(ExitReason.IO_INSTRUCTION);
    expect(decodeIo(vm.vmcs.read(VMCS.EXIT_QUALIFICATION))).toEqual({ size: 1, in: false, string: false, rep: false, immediate: true, port: 0xf4 });
    expect(vm.vmcs.read(VMCS.VM_EXIT_INSTRUCTION_LEN)).toBe(2);
    expect(count(vm, ExitReason.IO_INSTRUCTION)).toBe(1);
  });

  it('IN reads the VM-private device (COM1 LSR: transmitter empty) into AL only', () => {
    const vm = guestVm(`mov eax, 0x12345600\nmov dx, 0x3fd\nin al, dx\nmov [${R}], eax\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R) & 0xffffff00).toBe(0x12345600);
    expect(peek(vm, R) & 0x60).toBe(0x60);
  });
});

describe('reflection through the guest IDT, LGDT/LIDT and the emulated IRET', () => {
  const guest = `
        lgdt [gdtr]
        lidt [idtr]
        setgate 0, de_handler
        setgate 13, gp_handler
        setgate 0x30, int_handler
        ${MASK_PICS}
        sti
        xor ecx, ecx
        mov eax, 1
        div ecx                 ; #DE: reflected, the handler skips the 2-byte DIV
        int 0x30
after_int:
        mov dword [${R + 20}], after_int
        mov eax, 0x20000011     ; NW without CD: #GP(0) reflected from the emulated MOV CR0
        mov cr0, eax
        ${EXIT}
de_handler:
        mov eax, [esp + 4]
        mov [${R}], eax         ; CS as pushed
        mov eax, [esp + 8]
        mov [${R + 4}], eax     ; EFLAGS as pushed
        add dword [esp], 2
        iret
int_handler:
        mov eax, [esp + 4]
        mov [${R + 12}], eax
        mov eax, [esp]
        mov [${R + 16}], eax
        iret
gp_handler:
        pop eax
        mov [${R + 24}], eax    ; the error code
        add dword [esp], 3
        mov dword [${R + 28}], 1
        iret
        tables
`;

  it('the guest handlers see CS with RPL 0 and EFLAGS with the virtual IF, as on bare hardware, and IRET restores the virtual IF', () => {
    const vm = guestVm(TABLES + guest);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0x08);
    expect(peek(vm, R + 4) & 0x200).toBe(0x200);
    expect(peek(vm, R + 12)).toBe(0x08);
    expect(peek(vm, R + 16)).toBe(peek(vm, R + 20)); // INT n pushes the next instruction
    expect(peek(vm, R + 28)).toBe(1);
    expect(peek(vm, R + 24)).toBe(0);
    expect(vm.state.vif).toBe(true);
    expect(vm.state.idtr.limit).toBe(0x31 * 8 - 1);
    expect(vm.state.gdtr.limit).toBe(23);
  });

  it('counts each exit under its reason', () => {
    const vm = guestVm(TABLES + guest);
    runGuest(vm);
    expect(count(vm, ExitReason.GDTR_IDTR_ACCESS)).toBe(2);
    expect(count(vm, ExitReason.EXCEPTION_NMI)).toBe(1); // #DE (the #GP of the bad CR0 value is raised inside the CR_ACCESS exit)
    expect(countVmm(vm, VmmExitReason.SOFTWARE_INTERRUPT)).toBe(1);
    expect(countVmm(vm, VmmExitReason.IRET)).toBe(3);
    expect(countVmm(vm, VmmExitReason.INTERRUPT_FLAG)).toBe(1);
    expect(count(vm, ExitReason.CR_ACCESS)).toBe(1);
    expect(count(vm, ExitReason.IO_INSTRUCTION)).toBe(3);
    // The guest's IDT shares a page with its GDT, which the VMM write-protects: each store of
    // setgate after the LGDT exits too (page granularity, as on a real shadowing VMM).
    expect(countVmm(vm, VmmExitReason.GUEST_DESCRIPTOR_TABLE_WRITE)).toBe(3 * 4);
    expect(vm.stats.total).toBe(12 + 3 * 4); // and nothing else: the page stays mapped read-only after each
  });
});

describe('virtual interrupts', () => {
  const PROGRAM_PICS_AND_PIT = `
        mov al, 0x11
        out 0x20, al
        out 0xa0, al
        mov al, 0x20
        out 0x21, al
        mov al, 0x28
        out 0xa1, al
        mov al, 4
        out 0x21, al
        mov al, 2
        out 0xa1, al
        mov al, 1
        out 0x21, al
        out 0xa1, al
        mov al, 0xfe            ; IRQ 0 only
        out 0x21, al
        mov al, 0xff
        out 0xa1, al
        mov al, 0x34            ; PIT counter 0, mode 2, divisor 100
        out 0x43, al
        mov al, 100
        out 0x40, al
        xor al, al
        out 0x40, al
`;
  const HANDLER = `
timer:
        push eax
        inc dword [${R}]
        mov al, 0x20
        out 0x20, al
        pop eax
        iret
`;

  it('the PIT interrupt wakes HLT and reaches the guest handler through its IDT as EXTERNAL_INTERRUPT exits', () => {
    const vm = guestVm(`${TABLES}
        lgdt [gdtr]
        lidt [idtr]
        setgate 0x20, timer
        ${PROGRAM_PICS_AND_PIT}
        sti
.wait:  hlt
        cmp dword [${R}], 3
        jb .wait
        cli
        ${EXIT}
${HANDLER}
        tables`);
    expect(runGuest(vm, 5_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(3);
    expect(count(vm, ExitReason.EXTERNAL_INTERRUPT)).toBe(3);
    expect(count(vm, ExitReason.HLT)).toBe(3);
  });

  it('a pending interrupt waits while the virtual IF is clear and arrives one instruction after STI', () => {
    const vm = guestVm(`${TABLES}
        lgdt [gdtr]
        lidt [idtr]
        setgate 0x20, timer
        ${PROGRAM_PICS_AND_PIT}
        mov ecx, 20000
.spin:  loop .spin
        mov eax, [${R}]
        mov [${R + 4}], eax
        sti
        mov eax, [${R}]         ; the STI shadow: still 0
        mov [${R + 8}], eax
        mov eax, [${R}]
        mov [${R + 12}], eax
        cli
        ${EXIT}
${HANDLER}
        tables`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R + 4)).toBe(0);
    expect(peek(vm, R + 8)).toBe(0);
    expect(peek(vm, R + 12)).toBe(1);
  });
});

describe('STACK_SEGMENT_LOAD exits', () => {
  it('MOV SS and POP SS with the guest kernel selector load it with RPL 1; the stack keeps working; the guest reads SS with RPL 1', () => {
    const vm = guestVm(`
        mov ax, 0x10
        mov ss, ax
        xor ebx, ebx
        mov bx, ss
        mov [${R}], ebx
        push dword 0x10
        pop ss
        mov [${R + 4}], esp
        push dword 0x5a5a
        pop eax
        mov [${R + 8}], eax
        ${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0x11);
    expect(peek(vm, R + 4)).toBe(0x90000);
    expect(peek(vm, R + 8)).toBe(0x5a5a);
    expect(countVmm(vm, VmmExitReason.STACK_SEGMENT_LOAD)).toBe(2);
  });
});

describe('LDTR_TR_ACCESS exits', () => {
  it('LTR marks the guest TSS busy and makes it the virtual TR (its ESP0 where virtual delivery reads it); LLDT installs a shadow LDT whose selectors load', () => {
    const vm = guestVm(`
        lgdt [gdtr2]
        mov ax, 0x18
        ltr ax
        mov ax, 0x20
        lldt ax
        mov ax, 0x04            ; LDT entry 0: data, base 0x7000
        mov fs, ax
        mov eax, [fs:0]
        mov [${R}], eax
        ${EXIT}
        align 8
gdt2:   dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        dw 0x67, (tss - $$ + 0x100000) & 0xffff, 0x8900 | ((tss - $$ + 0x100000) >> 16) & 0xff, 0
        dw 7, (ldt - $$ + 0x100000) & 0xffff, 0x8200 | ((ldt - $$ + 0x100000) >> 16) & 0xff, 0
gdt2_end:
gdtr2:  dw gdt2_end - gdt2 - 1
        dd gdt2
        align 8
ldt:    dq 0x004092007000FFFF
tss:    dd 0, 0x8F000, 0x10
        times 23 dd 0`);
    vm.memory.write32(0x7000, 0xcafe);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0xcafe);
    expect(vm.state.tr).toBe(0x18);
    expect(vm.state.ldtr.selector).toBe(0x20);
    expect(vm.cpu.tr.selector).toBe(VMM_TSS_SELECTOR);
    expect(vm.cpu.ldtr.selector).toBe(VMM_LDT_SELECTOR);
    const tssDesc = vm.state.gdtr.base + 0x18;
    expect((peek(vm, tssDesc + 4) >>> 8) & 0xf).toBe(0xb); // busy
    expect(vm.state.tss).toMatchObject({ limit: 0x67, is32: true });
    // Paging is off: the virtual TR's base is the guest-physical TSS, whose ESP0 / SS0 virtual delivery reads.
    expect(peek(vm, vm.state.tss!.base + 4)).toBe(0x8f000);
    expect(peek(vm, vm.state.tss!.base + 8)).toBe(0x10);
    expect(count(vm, ExitReason.LDTR_TR_ACCESS)).toBe(2);
  });
});

describe('guest faults and stops', () => {
  it('a #GP of SGDT (its operand through a null FS) is the guest fault, reflected, not an emulation', () => {
    const vm = guestVm(`${TABLES}
        lgdt [gdtr]
        lidt [idtr]
        setgate 13, gp_handler
        xor eax, eax
        mov fs, ax
        sgdt [fs:0x100]
        mov dword [${R + 4}], 1
        ${EXIT}
gp_handler:
        pop eax
        mov [${R}], eax
        add dword [esp], 8      ; sgdt [fs:disp32] is 8 bytes
        iret
        tables`);
    vm.memory.write32(R, 0xffffffff);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0);
    expect(peek(vm, R + 4)).toBe(1);
    expect(count(vm, ExitReason.EXCEPTION_NMI)).toBe(1);
    expect(count(vm, ExitReason.GDTR_IDTR_ACCESS)).toBe(2);
  });

  it('an exception with no usable guest IDT ends in a guest triple fault that stops the VM with the chain of faults', () => {
    const vm = guestVm(`xor ecx, ecx\ndiv ecx\n${EXIT}`);
    const stop = runGuest(vm);
    expect(stop.kind === 'stopped' && stop.message).toMatch(/^guest triple fault: .*while delivering #DF/);
    // As on VT-x, the triple fault is itself an exit: TRIPLE_FAULT, at the faulting DIV.
    expect(count(vm, ExitReason.TRIPLE_FAULT)).toBe(1);
    expect(vm.vmcs.read(VMCS.VM_EXIT_REASON)).toBe(ExitReason.TRIPLE_FAULT);
    expect(vm.vmcs.read(VMCS.GUEST_RIP)).toBe(0x100002);
  });

  it('an interrupt held back while the virtual IF was 0 exits as INTERRUPT_WINDOW when STI opens the window; later ones are EXTERNAL_INTERRUPT', () => {
    const gate = (label: string): string => `dw (${label} - $$ + 0x100000) & 0xFFFF, 0x08, 0x8E00, (${label} - $$ + 0x100000) >> 16`;
    const vm = guestVm(`
        cli
        lidt    [idtr]
        mov al, 0x11            ; the master 8259A: ICW1-ICW4, IRQ 0 at vector 8, only IRQ 0 unmasked
        out 0x20, al
        mov al, 0x08
        out 0x21, al
        mov al, 0x04
        out 0x21, al
        mov al, 0x01
        out 0x21, al
        mov al, 0xFE
        out 0x21, al
        mov al, 0x34            ; PIT counter 0, mode 2, divisor 100: a tick every ~84 us of virtual time
        out 0x43, al
        mov al, 100
        out 0x40, al
        xor al, al
        out 0x40, al
        mov ecx, 50000          ; several ticks fall due while IF = 0: IRQ 0 waits in the PIC
spin:   dec ecx
        jnz spin
        sti
        nop
wait:   jmp wait
handler:
        inc dword [ticks]
        mov al, 0x20            ; EOI
        out 0x20, al
        cmp dword [ticks], 2
        jb .back
        ${EXIT}
.back:  iretd
        align 8
idt:    times 8 dq 0
        ${gate('handler')}
idtr:   dw 9 * 8 - 1
        dd idt
ticks:  dd 0`);
    expect(runGuest(vm, 5_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect(count(vm, ExitReason.INTERRUPT_WINDOW)).toBe(1);
    expect(count(vm, ExitReason.EXTERNAL_INTERRUPT)).toBe(1);
  });

  it('HLT with the virtual IF clear stops the VM: nothing can wake the vCPU', () => {
    const vm = guestVm(`cli\nhlt\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'stopped', message: 'HLT with the virtual IF = 0: nothing can wake the vCPU' });
    expect(count(vm, ExitReason.HLT)).toBe(1);
  });

  it('the VMCS record shows the guest view at an exit: virtual IF, the guest GDTR and CR0, not the shadow ones', () => {
    const vm = guestVm(EXIT);
    runGuest(vm);
    expect(vm.cpu.flags & 0x200).toBe(0x200);
    expect(vm.vmcs.read(VMCS.GUEST_RFLAGS) & 0x200).toBe(0);
    expect(vm.vmcs.read(VMCS.GUEST_GDTR_BASE)).toBe(vm.state.gdtr.base);
    expect(vm.vmcs.read(VMCS.GUEST_GDTR_BASE)).not.toBe(vm.cpu.gdtr.base);
    expect(vm.vmcs.read(VMCS.GUEST_CR0)).toBe(0x11);
    expect(vm.vmcs.read(VMCS.GUEST_CS_SELECTOR)).toBe(0x09);
  });
});

describe('RDMSR and WRMSR exits', () => {
  it('write and read back the virtual SYSENTER MSRs while the host MSRs stay 0; an unimplemented MSR is a #GP(0) reflected', () => {
    const vm = guestVm(`${TABLES}
        lgdt [gdtr]
        lidt [idtr]
        setgate 13, gp_handler
        mov ecx, 0x174
        mov eax, 0x08
        xor edx, edx
        wrmsr
        mov ecx, 0x176
        mov eax, 0x00123456
        wrmsr
        xor eax, eax
        rdmsr
        mov [${R}], eax
        mov ecx, 0x1b           ; IA32_APIC_BASE: not on this model
        rdmsr
        ${EXIT}
gp_handler:
        pop eax
        mov dword [${R + 4}], 1
        add dword [esp], 2
        iret
        tables`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0x00123456);
    expect(peek(vm, R + 4)).toBe(1);
    expect(vm.state.sysenterCs).toBe(0x08);
    expect(vm.state.sysenterEip).toBe(0x00123456);
    expect(vm.cpu.sysenterCs).toBe(0);
    expect(vm.cpu.sysenterEip).toBe(0);
    expect(vm.vmcs.read(VMCS.GUEST_SYSENTER_EIP)).toBe(0x00123456);
    expect(count(vm, ExitReason.WRMSR)).toBe(2);
    expect(count(vm, ExitReason.RDMSR)).toBe(2);
  });
});

describe('cache control and debug registers', () => {
  it('WBINVD and INVD at CPL 1 exit under their SDM reasons and are performed for the guest (no caches here): the guest goes on', () => {
    const vm = guestVm(`nop\nwbinvd\ninvd\nmov dword [0x8000], 0x600d\n${EXIT}`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(count(vm, ExitReason.WBINVD)).toBe(1);
    expect(count(vm, ExitReason.INVD)).toBe(1);
    expect(peek(vm, 0x8000)).toBe(0x600d);
  });

  it('MOV to and from DR0 exit as DR_ACCESS with the SDM qualification (register, direction, GPR) and round-trip the value', () => {
    const vm = guestVm(`mov eax, 0x12345678\nmov dr0, eax\nmov ecx, dr0\nmov [0x8000], ecx\n${EXIT}`);
    const quals: number[] = [];
    vm.stats.onRecord(() => quals.push(vm.vmcs.read(VMCS.EXIT_QUALIFICATION)));
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(count(vm, ExitReason.DR_ACCESS)).toBe(2);
    expect(peek(vm, 0x8000)).toBe(0x12345678);
    // SDM Vol. 3C Table 28-4: bits 2:0 the DR, bit 4 the direction (1 = MOV from DR), bits 11:8 the GPR.
    expect(quals.slice(0, 2)).toEqual([0x000, 0x110]);
  });

  it('MOV from DR4 is judged against the guest\'s virtual CR4: an alias of DR6 with CR4.DE clear, the guest\'s #UD with it set', () => {
    const alias = guestVm(`mov eax, dr4\nmov [0x8000], eax\n${EXIT}`);
    expect(runGuest(alias)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(alias, 0x8000)).toBe(0xffff0ff0); // DR6's fixed bits (SDM Vol. 3A §18.2.3)
    const ud = guestVm(`mov eax, cr4\nor eax, 8\nmov cr4, eax\nmov eax, dr4\n${EXIT}`);
    const stop = runGuest(ud);
    // The #UD is the guest's, reflected; with no guest IDT it ends in the guest's triple fault at that MOV.
    expect(stop.kind === 'stopped' && stop.message).toMatch(/^guest triple fault/);
    expect(count(ud, ExitReason.DR_ACCESS)).toBe(1);
    expect(count(ud, ExitReason.TRIPLE_FAULT)).toBe(1);
  });
});
