/**
 * A small kernel with guest user mode for the user-mode and 0/3/3 tests, run the same way on
 * the bare Machine and under the trap-and-emulate VM (differential): its own GDT (kernel and
 * user segments, a TSS), IDT (#GP, #PF, INT 0x80 with DPL 3, INT 0x81 with DPL 0, INT 0x82
 * with DPL 3 = exit), SYSENTER MSRs and, optionally, paging with one supervisor-only page
 * that the kernel reads before user code tries to (so a shadow holds it when user code runs).
 * It IRETs to ring 3; the user code makes the calls and faults below, the kernel's handlers
 * record what hardware pushed (frames, error codes, CR2) at R. Nothing recorded depends on
 * the deprivileging except through a hole (the handlers never read CS or SS themselves).
 * Must not import vitest.
 *
 * Results (dwords at R + offset):
 *   0x00  0x11 once user code runs        0x10–0x20  INT 0x80 frame: EIP, CS, EFLAGS, ESP, SS
 *   0x24  ESP in the INT 0x80 handler     0x28–0x3C  INT 0x81 #GP frame: error, EIP, CS, EFLAGS, ESP, SS
 *   0x40  ESP in the #GP handler          0x44–0x58  #PF frame (paging only), 0x5C CR2
 *   0x60  user ESP after SYSEXIT          0x64  ESP at the SYSENTER entry, 0x68 ECX there
 *   0x6C  EAX the INT 0x80 handler returned (0x80 + EAX)
 *   0x70  ZF of LAR 0x10 from ring 3 (0: DPL 0 is invisible)   0x74  ZF of VERR 0x10
 *   0x78  ZF of VERR 0x1B (1)   0x7C–0x84  #GP frame of MOV DS, 0x10 at ring 3: error, EIP, CS
 */
import { assemble, formatDiagnostic } from '../../../../emulator/asm/index';
import { enterFlatProtectedMode } from '../../../../emulator/machine/flat-protected-mode';
import { Machine } from '../../../../emulator/machine/machine';
import type { RingModel } from '../../../../emulator/vmm/guest-vm';
import { TrapAndEmulateVm } from '../../../../emulator/vmm/trap-and-emulate/vm';
import type { PhysicalMemory } from '../../../../emulator/memory/physical-memory';

export const ORIGIN = 0x100000;
export const R = 0x8000;
/** The supervisor-only page (with paging) that user code reads. */
export const SECRET = 0x300000;
export const KSTACK_TOP = 0x90000;
export const USER_STACK_TOP = 0x7f000;
export const SYSENTER_STACK_TOP = 0x88000;

/** The kernel and its user program; `paging` adds 4 MiB identity-mapped (user-accessible but SECRET). */
export function userGuestSource(paging: boolean): string {
  return `bits 32
org 0x${ORIGIN.toString(16)}
R equ 0x${R.toString(16)}
start:
        lgdt [gdtr]
        jmp 0x08:.cs
.cs:    mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x${KSTACK_TOP.toString(16)}
        lidt [idtr]
        mov ax, 0x28
        ltr ax
        xor edx, edx
        mov ecx, 0x174
        mov eax, 0x08
        wrmsr
        mov ecx, 0x175
        mov eax, 0x${SYSENTER_STACK_TOP.toString(16)}
        wrmsr
        mov ecx, 0x176
        mov eax, sysenter_entry
        wrmsr
${
  paging
    ? `        mov edi, pt
        mov eax, 7
        mov ecx, 1024
.pte:   stosd
        add eax, 4096
        loop .pte
        and dword [pt + (0x${SECRET.toString(16)} >> 12) * 4], ~4
        mov dword [pd], pt + 7
        mov eax, pd
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80010000
        mov cr0, eax
        mov eax, [0x${SECRET.toString(16)}]      ; the kernel uses its page first`
    : ''
}
        push dword 0x23
        push dword 0x${USER_STACK_TOP.toString(16)}
        push dword 0x2
        push dword 0x1b
        push dword user
        iretd

user:   mov ax, 0x23
        mov ds, ax
        mov es, ax
        mov dword [R], 0x11
        mov eax, 5
        int 0x80
        mov [R + 0x6c], eax
        mov dword [resume], .after81
        int 0x81
.after81:
${paging ? `        mov dword [resume], .afterpf\n        mov eax, [0x${SECRET.toString(16)}]\n.afterpf:` : ''}
        mov ecx, 0x10
        xor eax, eax
        lar eax, ecx
        setz al
        mov [R + 0x70], eax
        verr cx
        setz al
        mov [R + 0x74], eax
        mov ecx, 0x1b
        verr cx
        setz al
        mov [R + 0x78], eax
        mov dword [resume], .afterds
        mov dword [gp_record], R + 0x7c
        mov ax, 0x10
        mov ds, ax
.afterds:
        mov ax, 0x23
        mov ds, ax
        mov ecx, esp
        mov edx, .back
        sysenter
.back:  mov [R + 0x60], esp
        int 0x82

int80:  push eax
        mov eax, [esp + 4]
        mov [R + 0x10], eax
        mov eax, [esp + 8]
        mov [R + 0x14], eax
        mov eax, [esp + 12]
        mov [R + 0x18], eax
        mov eax, [esp + 16]
        mov [R + 0x1c], eax
        mov eax, [esp + 20]
        mov [R + 0x20], eax
        mov [R + 0x24], esp
        pop eax
        add eax, 0x80
        iretd

gp_handler:
        push eax
        push ebx
        mov ebx, [gp_record]
        mov eax, [esp + 8]
        mov [ebx], eax
        mov eax, [esp + 12]
        mov [ebx + 4], eax
        mov eax, [esp + 16]
        mov [ebx + 8], eax
        pop ebx
        cmp dword [gp_record], R + 0x28
        jne .resume
        mov eax, [esp + 16]
        mov [R + 0x34], eax
        mov eax, [esp + 20]
        mov [R + 0x38], eax
        mov eax, [esp + 24]
        mov [R + 0x3c], eax
        mov [R + 0x40], esp
.resume:
        mov eax, [resume]
        mov [esp + 8], eax
        pop eax
        add esp, 4
        iretd

pf_handler:
        push eax
        mov eax, [esp + 4]
        mov [R + 0x44], eax
        mov eax, [esp + 8]
        mov [R + 0x48], eax
        mov eax, [esp + 12]
        mov [R + 0x4c], eax
        mov eax, [esp + 16]
        mov [R + 0x50], eax
        mov eax, [esp + 20]
        mov [R + 0x54], eax
        mov eax, [esp + 24]
        mov [R + 0x58], eax
        mov eax, cr2
        mov [R + 0x5c], eax
        mov eax, [resume]
        mov [esp + 8], eax
        pop eax
        add esp, 4
        iretd

sysenter_entry:
        mov [R + 0x64], esp
        mov [R + 0x68], ecx
        sysexit

exit_handler:
        xor al, al
        out 0xf4, al
        jmp $

%macro gate 3
        dw (%1 - $$ + 0x${ORIGIN.toString(16)}) & 0xffff
        dw 0x08
        db 0, %2
        dw (%1 - $$ + 0x${ORIGIN.toString(16)}) >> 16
%endmacro
        align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF
        dq 0x00CF92000000FFFF
        dq 0x00CFFA000000FFFF
        dq 0x00CFF2000000FFFF
        dw 103, (tss - $$ + 0x${ORIGIN.toString(16)}) & 0xffff
        db ((tss - $$ + 0x${ORIGIN.toString(16)}) >> 16) & 0xff, 0x89, 0, (tss - $$ + 0x${ORIGIN.toString(16)}) >> 24
gdt_end:
gdtr:   dw gdt_end - gdt - 1
        dd gdt
idtr:   dw idt_end - idt - 1
        dd idt
        align 8
idt:    times 13 dq 0
        gate gp_handler, 0x8E, 0
        gate pf_handler, 0x8E, 0
        times 0x80 - 15 dq 0
        gate int80, 0xEE, 3
        gate int80, 0x8E, 0
        gate exit_handler, 0xEE, 3
idt_end:
        align 4
tss:    dd 0, 0x${KSTACK_TOP.toString(16)}, 0x10
        times 23 dd 0
        dd 104 << 16
resume: dd 0
gp_record: dd R + 0x28
        align 4096
pd:     times 1024 dd 0
pt:     times 1024 dd 0
`;
}

function image(source: string): Uint8Array {
  const result = assemble(source, { fileName: 'user-guest.asm' });
  if (result.errors.length > 0) throw new Error(`guest does not assemble:\n${result.errors.map(formatDiagnostic).join('\n')}`);
  return result.bytes;
}

/** How a run ended and the result dwords R .. R + 0x84. */
export interface UserGuestOutcome {
  stop: unknown;
  results: number[];
}

const read = (mem: PhysicalMemory): number[] => Array.from({ length: 0x88 / 4 }, (_, k) => mem.read32(R + k * 4) >>> 0);

/** Run `source` on the bare machine (the reference). */
export function runBare(source: string): UserGuestOutcome {
  const machine = new Machine({ memoryMiB: 32 });
  machine.memory.writeBytes(ORIGIN, image(source));
  enterFlatProtectedMode(machine.cpu, { eip: ORIGIN, esp: KSTACK_TOP });
  const stop = machine.run(1_000_000);
  return { stop, results: read(machine.memory) };
}

/** Run `source` under the trap-and-emulate VM with `ringModel`. */
export function runUnderVmm(source: string, ringModel: RingModel): { vm: TrapAndEmulateVm; out: UserGuestOutcome } {
  const vm = new TrapAndEmulateVm({ ringModel });
  vm.memory.writeBytes(ORIGIN, image(source));
  enterFlatProtectedMode(vm.cpu, { eip: ORIGIN, esp: KSTACK_TOP });
  vm.enter();
  const stop = vm.run(1_000_000);
  return { vm, out: { stop, results: read(vm.memory) } };
}
