; vmm-micro.asm — the VMM microbenchmarks of Adams & Agesen, "A Comparison of Software and
; Hardware Techniques for x86 Virtualization" (ASPLOS 2006, §6.1 and Figure 4: syscall,
; in, cr8wr, call/ret, pgfault, divzero, ptemod), plus a CR3-switch loop, a CLI/STI loop and
; CPU-bound user code, as one Multiboot kernel. bench/vmm.bench.ts assembles it once per
; benchmark with -D BENCH=<n> -D ITERATIONS=<count>, runs it on the bare machine and under
; each VMM, and derives exits and host time per operation from two iteration counts.
;
; Differences from the paper, on purpose: this is IA-32 without a TPR register, so "cr8wr"
; becomes a CR0 write of the value CR0 already holds (the same CR_ACCESS exit, no side
; effect); `in` reads the COM1 line-status register (present on the bare machine and in
; every VM); syscall is INT 0x80 from ring 3 to a DPL-3 interrupt gate whose handler IRETs.
;
; Entry state (Multiboot §3.2): 32-bit protected mode, flat segments, paging off, IF = 0.
; Each benchmark runs ITERATIONS operations, then the kernel writes 0 to isa-debug-exit
; (status 1). An unexpected exception writes 2 (status 5).
;
; Build: nasm -f bin -I examples/ -D BENCH=0 -D ITERATIONS=1000 bench/guests/vmm-micro.asm

bits 32
ORIGIN          equ 0x100000
org ORIGIN

%include "lib/multiboot.inc"
        MULTIBOOT_AOUT_HEADER

%include "lib/com1.inc"
%include "lib/x86.inc"

%ifndef BENCH
%define BENCH 0
%endif
%ifndef ITERATIONS
%define ITERATIONS 1000
%endif

B_SYSCALL       equ 0                   ; INT 0x80 from ring 3, IRET back
B_IN            equ 1                   ; IN AL, DX from the COM1 line-status register
B_CR_WRITE      equ 2                   ; MOV CR0, EAX (same value)
B_CALL_RET      equ 3                   ; CALL / RET at ring 0: no exit anywhere
B_PAGE_FAULT    equ 4                   ; a not-present page: #PF, the handler maps it; then unmap
B_DIVIDE_ZERO   equ 5                   ; DIV by zero: #DE, the handler skips the DIV
B_PTE_WRITE     equ 6                   ; a store to a live page table's entry (for an unused page)
B_CR3_SWITCH    equ 7                   ; MOV CR3 between two page directories
B_CLI_STI       equ 8                   ; CLI; STI
B_USER_COMPUTE  equ 9                   ; 5-instruction register loop at ring 3 (ITERATIONS x 1000)

KCODE           equ 0x08
KDATA           equ 0x10
UCODE           equ 0x1B
UDATA           equ 0x23
TSS_SEL         equ 0x28
DEBUG_EXIT      equ 0xF4
COM1_LSR        equ 0x3FD
PROBE           equ 0x00600000          ; the page B_PAGE_FAULT and B_PTE_WRITE play with
PROBE_PTE       equ page_tables + (PROBE >> 12) * 4
SPARE           equ 0x003FF000          ; an unused page mapped by the first page table, which
SPARE_PTE       equ page_tables + (SPARE >> 12) * 4 ; also maps the kernel: a table a VMM shadows

start:
        cli
        mov     esp, boot_stack_top
        lgdt    [gdt_register]
        jmp     KCODE:.reload
.reload:
        mov     ax, KDATA
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        xor     ax, ax
        mov     fs, ax
        mov     gs, ax
        lidt    [idt_register]
        mov     ax, TSS_SEL
        ltr     ax

        mov     edi, page_tables        ; 0-8 MiB identity, user-accessible, writable
        mov     eax, PTE_P | PTE_W | PTE_U
        mov     ecx, 2048
.pte:   stosd
        add     eax, PAGE_SIZE
        loop    .pte
        mov     dword [PROBE_PTE], 0    ; the probe page starts unmapped
        mov     eax, page_tables + (PTE_P | PTE_W | PTE_U)
        mov     [page_directory], eax
        mov     [page_directory_2], eax
        add     eax, PAGE_SIZE
        mov     [page_directory + 4], eax
        mov     [page_directory_2 + 4], eax
        mov     eax, page_directory
        mov     cr3, eax
        mov     eax, cr0
        or      eax, CR0_PG | CR0_WP
        mov     cr0, eax

        mov     ecx, ITERATIONS
%if BENCH == B_SYSCALL || BENCH == B_USER_COMPUTE
        push    dword UDATA             ; IRET to ring 3 with ECX = ITERATIONS
        push    dword user_stack_top
        push    dword EFLAGS_FIXED
        push    dword UCODE
        push    dword user_code
        mov     ax, UDATA
        mov     ds, ax
        mov     es, ax
        iretd
%elif BENCH == B_IN
        mov     dx, COM1_LSR
.loop:  in      al, dx
        dec     ecx
        jnz     .loop
%elif BENCH == B_CR_WRITE
        mov     eax, cr0
.loop:  mov     cr0, eax
        dec     ecx
        jnz     .loop
%elif BENCH == B_CALL_RET
.loop:  call    nothing
        dec     ecx
        jnz     .loop
%elif BENCH == B_PAGE_FAULT
.loop:  mov     eax, [PROBE]            ; #PF: the handler maps the page, the load runs again
        mov     dword [PROBE_PTE], 0    ; unmap it again
        invlpg  [PROBE]
        dec     ecx
        jnz     .loop
%elif BENCH == B_DIVIDE_ZERO
        xor     ebx, ebx
.loop:  xor     edx, edx
        mov     eax, 1
        div     ebx                     ; #DE: the handler resumes after this 2-byte DIV
        dec     ecx
        jnz     .loop
%elif BENCH == B_PTE_WRITE
        mov     eax, SPARE | PTE_P | PTE_W | PTE_U
.loop:  mov     [SPARE_PTE], eax
        xor     eax, PTE_W              ; alternate read-only and writable
        dec     ecx
        jnz     .loop
%elif BENCH == B_CR3_SWITCH
        mov     ebx, page_directory
        mov     esi, page_directory_2
.loop:  mov     cr3, esi
        xchg    ebx, esi
        dec     ecx
        jnz     .loop
%elif BENCH == B_CLI_STI
.loop:  cli
        sti
        dec     ecx
        jnz     .loop
%else
%error unknown BENCH
%endif
finish:
        xor     al, al
        out     DEBUG_EXIT, al
        jmp     $

nothing:
        ret

; Ring 3.
user_code:
%if BENCH == B_SYSCALL
.loop:  int     0x80
        dec     ecx
        jnz     .loop
%else
        mov     edx, 1000
.outer: mov     ebx, ITERATIONS
.loop:  add     eax, ebx
        xor     esi, eax
        add     edi, 7
        dec     ebx
        jnz     .loop
        dec     edx
        jnz     .outer
%endif
        int     0x81                    ; done: back to the kernel for good

; Ring 0 handlers.
syscall_handler:                        ; INT 0x80: the null system call
        iretd

done_handler:                           ; INT 0x81 from ring 3
        mov     ax, KDATA
        mov     ds, ax
        mov     es, ax
        jmp     finish

page_fault_handler:                     ; #PF on the probe page: map it
        mov     dword [ss:PROBE_PTE], PROBE | PTE_P | PTE_W
        add     esp, 4                  ; the error code
        iretd

divide_handler:                         ; #DE: skip the 2-byte DIV
        add     dword [esp], 2
        iretd

unexpected:
        mov     al, 2
        out     DEBUG_EXIT, al
        jmp     $

        align   8
gdt:    dq      0
        seg_desc 0, 0xFFFFF, ACC_CODE0, FLAGS_4K_32
        seg_desc 0, 0xFFFFF, ACC_DATA0, FLAGS_4K_32
        seg_desc 0, 0xFFFFF, ACC_CODE3, FLAGS_4K_32
        seg_desc 0, 0xFFFFF, ACC_DATA3, FLAGS_4K_32
        seg_desc PHYS(tss), TSS_SIZE - 1, ACC_TSS32, 0
gdt_end:

        align   8
idt:
%assign v 0
%rep 0x82
%if v == 0
        gate_desc PHYS(divide_handler), KCODE, GATE_INT0
%elif v == 14
        gate_desc PHYS(page_fault_handler), KCODE, GATE_INT0
%elif v == 0x80
        gate_desc PHYS(syscall_handler), KCODE, GATE_INT3
%elif v == 0x81
        gate_desc PHYS(done_handler), KCODE, GATE_INT3
%else
        gate_desc PHYS(unexpected), KCODE, GATE_INT0
%endif
%assign v v + 1
%endrep
idt_end:

gdt_register:
        dw      gdt_end - gdt - 1
        dd      gdt
idt_register:
        dw      idt_end - idt - 1
        dd      idt

tss:
        dd      0
        dd      kernel_stack_top        ; ESP0
        dd      KDATA                   ; SS0
        times   TSS_IOMAP - 12 db 0
        dw      TSS_SIZE                ; no I/O permission bitmap

load_end:
        section .bss
        alignb  PAGE_SIZE
page_directory:   resb PAGE_SIZE
page_directory_2: resb PAGE_SIZE
page_tables:      resb 2 * PAGE_SIZE
                  resb PAGE_SIZE
boot_stack_top:
                  resb PAGE_SIZE
kernel_stack_top:
                  resb PAGE_SIZE
user_stack_top:
bss_end:
