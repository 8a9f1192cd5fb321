; tasks.asm — a tiny preemptive kernel: two ring-3 tasks, each in its own address space,
; switched by the timer, calling the kernel by INT 0x80 and by SYSENTER, with their stack
; and heap pages mapped on demand by the page-fault handler.
;
; What it shows:
;   - protected mode with the kernel's own GDT (kernel and user segments), IDT (exception
;     gates, the timer on vector 0x20, INT 0x80 callable from ring 3) and one 32-bit TSS
;     whose ESP0 the scheduler points at the running task's kernel stack;
;   - 32-bit paging with one page directory per task: both share the kernel's page table
;     (0-4 MiB, supervisor only) and run the same program at 0x00400000, but each has its
;     own page at 0x00401000 (its name) and its own heap at 0x00500000, so a counter kept
;     at the same virtual address holds different values in the two tasks;
;   - preemption: the 8259A PICs are remapped (IRQ 0 -> vector 0x20) and the 8254 PIT's
;     channel 0 interrupts 1000 times a second; the timer handler saves the running task's
;     registers on its kernel stack and resumes the other one (CR3, TSS.ESP0 switched);
;   - system calls by INT 0x80 (an interrupt gate with DPL 3) and by SYSENTER (MSRs
;     0x174-0x176; the kernel returns with STI; SYSEXIT, since SYSENTER cleared IF);
;   - demand paging: user stack and heap pages are not mapped at first; the #PF handler
;     gives each faulting page a zeroed frame and the access is retried.
; Deterministic output: the tasks take turns through a variable in a page both map
; (at 0x007FF000). A task that has handed over its turn spins until it is preempted, so
; every hand-off needs a timer interrupt, but *when* the timer fires only changes how long
; a task spins, never what is printed or in which order. Nothing printed depends on the
; number of timer ticks; the kernel prints only before the tasks start, in system calls
; (made by the task holding the turn) and after both have exited.
;
; Entry state (Multiboot §3.2): 32-bit protected mode, flat segments, paging off, IF = 0.
; Output: COM1. Exit through isa-debug-exit with value 0 (QEMU/Vanderpool status 1); an
; unexpected exception prints itself and exits with value 2 (status 5).
; Expected output: examples/tasks.expected.
;
; Build: nasm -f bin -I examples/ -o tasks.bin examples/tasks.asm

bits 32
ORIGIN          equ 0x100000
org ORIGIN

%include "lib/multiboot.inc"
        MULTIBOOT_AOUT_HEADER

%include "lib/com1.inc"
%include "lib/x86.inc"

KCODE           equ 0x08                ; SYSENTER/SYSEXIT need these four in a row
KDATA           equ 0x10
UCODE           equ 0x18 | 3
UDATA           equ 0x20 | 3
TSS_SEL         equ 0x28

VEC_TIMER       equ IRQ_BASE + 0
VEC_SPURIOUS    equ IRQ_BASE + 7        ; an 8259A's spurious IRQ 7 (datasheet, "Interrupt Sequence")
VEC_SYSCALL     equ 0x80

PIT_CH0         equ 0x40                ; Intel 8254: counter 0 data port
PIT_CONTROL     equ 0x43                ; control word register
PIT_CH0_MODE2   equ 0x34                ; counter 0, LSB then MSB, mode 2 (rate generator), binary
PIT_DIVISOR     equ 1193                ; 1.193182 MHz / 1193 = about 1000 interrupts a second

; The user address space (page-directory entry 1: 0x00400000-0x007FFFFF), per task
USER_CODE       equ 0x00400000          ; the program below, read-only, shared
TASK_INFO       equ 0x00401000          ; the task's own page: INFO_* fields, read-only
USER_HEAP       equ 0x00500000          ; demand-paged: counter page, then one page per round
HEAP_PAGES      equ 16
USER_STACK_LOW  equ 0x007F0000          ; demand-paged stack pages
USER_STACK_TOP  equ 0x007FF000
SHARED          equ 0x007FF000          ; one page both tasks map: SHARED_TURN
SHARED_TURN     equ 0                   ; id of the task whose turn it is

INFO_ID         equ 0                   ; 0 for A, 1 for B
INFO_NAME       equ 4                   ; 'A' or 'B'
INFO_STEP       equ 8                   ; what the task adds to its counter each round

NTASKS          equ 2
ROUNDS          equ 3
MAX_FAULTS      equ 8
SYS_WRITE       equ 1                   ; EBX = buffer, ESI = length; returns EAX = length or -1
SYS_EXIT        equ 2                   ; EBX = status (INT 0x80 only: it switches tasks)
FRAME_POOL_PAGES equ 32

struc task
.esp:           resd 1                  ; kernel ESP while the task is not running
.cr3:           resd 1
.kstack_top:    resd 1                  ; TSS.ESP0 while it runs
.upt:           resd 1                  ; its page table for 0x00400000-0x007FFFFF
.runnable:      resd 1
.name:          resd 1
.int80:         resd 1                  ; system calls made by INT 0x80
.sysenter:      resd 1                  ; ... and by SYSENTER
.status:        resd 1                  ; exit status
.nfaults:       resd 1                  ; pages mapped on demand
.faults:        resd MAX_FAULTS         ; their addresses, in order
endstruc

start:
        cli
        mov     esp, boot_stack_top
        push    dword EFLAGS_FIXED
        popfd
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
        call    serial_init
        call    pic_init
        print   "tasks: two ring-3 tasks, a page directory each, preempted by the 8254 timer", 10

        call    build_address_spaces
        print   "kernel: task A's page directory at 0x"
        mov     eax, [tasks + task.cr3]
        mov     ecx, 8
        call    puthex
        print   ", task B's at 0x"
        mov     eax, [tasks + task_size + task.cr3]
        call    puthex
        print   10, "kernel: both run the program at 0x00400000 and read their own page at 0x00401000", 10

        xor     edx, edx                ; SYSENTER: CS, ESP and EIP of the kernel entry
        mov     ecx, IA32_SYSENTER_CS
        mov     eax, KCODE
        wrmsr
        mov     ecx, IA32_SYSENTER_ESP
        mov     eax, sysenter_stack_top
        wrmsr
        mov     ecx, IA32_SYSENTER_EIP
        mov     eax, sysenter_entry
        wrmsr

        mov     eax, [tasks + task.cr3] ; paging on, in task A's address space
        mov     cr3, eax
        mov     eax, cr0
        or      eax, CR0_PG | CR0_WP
        mov     cr0, eax

        mov     al, PIT_CH0_MODE2       ; the 8254's counter 0 drives IRQ 0
        out     PIT_CONTROL, al
        mov     al, PIT_DIVISOR & 0xFF
        out     PIT_CH0, al
        mov     al, PIT_DIVISOR >> 8
        out     PIT_CH0, al
        mov     al, 0xFE                ; OCW1: unmask IRQ 0 only
        out     PIC1_DATA, al
        print   "kernel: PIT channel 0 at 1000 Hz on IRQ 0; starting task A", 10

        mov     ax, UDATA               ; the IRET to ring 3 would null DPL-0 data selectors
        mov     ds, ax
        mov     es, ax
        mov     ebx, tasks
        mov     [current], ebx
        jmp     resume                  ; the task's kernel stack holds its first IRET frame

; ---------------------------------------------------------------------------------------
; build_address_spaces: the kernel page table, each task's page directory, user page
; table, task page and first kernel stack frame.
build_address_spaces:
        pushad
        mov     edi, kernel_pt          ; 0-4 MiB identity, supervisor only
        mov     eax, PTE_P | PTE_W
        mov     ecx, 1024
.kpte:
        stosd
        add     eax, PAGE_SIZE
        loop    .kpte

        mov     ebx, tasks
        xor     ebp, ebp                ; task id
.task:
        mov     eax, ebp                ; its pages: directory, user table, info, kernel stack
        shl     eax, 12
        lea     edx, [page_directories + eax]
        mov     [ebx + task.cr3], edx
        lea     esi, [user_page_tables + eax]
        mov     [ebx + task.upt], esi
        mov     dword [edx], kernel_pt | PTE_P | PTE_W
        mov     [edx + 4], esi          ; PDE 1 -> user page table, open to ring 3
        or      dword [edx + 4], PTE_P | PTE_W | PTE_U
        mov     dword [esi], PHYS(user_program) | PTE_P | PTE_U         ; read-only
        lea     edi, [task_pages + eax]
        mov     [esi + 4], edi
        or      dword [esi + 4], PTE_P | PTE_U                          ; read-only
        mov     dword [esi + 1023 * 4], shared_page | PTE_P | PTE_W | PTE_U
        mov     [edi + INFO_ID], ebp
        lea     ecx, ['A' + ebp]
        mov     [edi + INFO_NAME], ecx
        mov     [ebx + task.name], ecx
        imul    ecx, ebp, 2             ; steps 11 and 13: A counts 11, 22, 33; B 13, 26, 39
        add     ecx, 11
        mov     [edi + INFO_STEP], ecx

        lea     edi, [kernel_stacks + eax + PAGE_SIZE]
        mov     [ebx + task.kstack_top], edi
        sub     edi, 13 * 4             ; first frame: 8 pushad registers, then IRET to ring 3
        mov     [ebx + task.esp], edi
        push    edi
        xor     eax, eax
        mov     ecx, 8
        rep stosd
        mov     dword [edi], USER_CODE  ; EIP
        mov     dword [edi + 4], UCODE
        mov     dword [edi + 8], EFLAGS_FIXED | EFLAGS_IF
        mov     dword [edi + 12], USER_STACK_TOP
        mov     dword [edi + 16], UDATA
        pop     edi
        mov     dword [ebx + task.runnable], 1

        add     ebx, task_size
        inc     ebp
        cmp     ebp, NTASKS
        jb      .task
        mov     dword [shared_page + SHARED_TURN], 0
        popad
        ret

; ---------------------------------------------------------------------------------------
; The scheduler. Entered with the current task's registers saved on its kernel stack
; (pushad under the processor's IRET frame); resumes the next runnable task after it in
; round-robin order, or finishes when none is left.
schedule:
        mov     ebx, [current]
        mov     [ebx + task.esp], esp
        mov     ecx, NTASKS
        mov     edx, ebx
.next:
        add     edx, task_size
        cmp     edx, tasks + NTASKS * task_size
        jb      .check
        mov     edx, tasks
.check:
        cmp     dword [edx + task.runnable], 0
        jne     .found
        loop    .next
        jmp     all_done
.found:
        cmp     edx, ebx
        je      resume
        cmp     dword [ebx + task.runnable], 0
        je      .switch
        inc     dword [preemptions]     ; the old task could have gone on: preempted
.switch:
        mov     ebx, edx
        mov     [current], ebx
; resume: runs task EBX (= [current]) from the frame on its kernel stack.
resume:
        mov     eax, [ebx + task.kstack_top]
        mov     [tss + TSS_ESP0], eax
        mov     eax, [ebx + task.cr3]
        mov     cr3, eax
        mov     esp, [ebx + task.esp]
        popad
        iretd

; IRQ 0: the PIT. Acknowledge it at the 8259A, then let another task run.
timer_interrupt:
        pushad
        mov     al, PIC_EOI
        out     PIC1_CMD, al
        jmp     schedule

; A spurious IRQ 7 has no in-service bit to clear: no EOI.
spurious_interrupt:
        iretd

; ---------------------------------------------------------------------------------------
; INT 0x80: EAX = call number, EBX and ESI = arguments; the result goes back in EAX.
int80_entry:
        pushad
        mov     ebp, [current]
        inc     dword [ebp + task.int80]
        cmp     eax, SYS_EXIT
        je      .exit
        call    syscall
        mov     [esp + FRAME_EAX], eax
        popad
        iretd
.exit:
        mov     [ebp + task.status], ebx
        mov     dword [ebp + task.runnable], 0
        jmp     schedule

; SYSENTER: CS = KCODE, SS = KDATA, ESP = sysenter_stack_top, IF = 0. The caller leaves
; its return address in EDX and its stack pointer in ECX for SYSEXIT.
sysenter_entry:
        push    ebp
        mov     ebp, [current]
        inc     dword [ebp + task.sysenter]
        call    syscall
        pop     ebp
        sti                             ; STI's one-instruction shadow covers SYSEXIT,
        sysexit                         ; so no interrupt arrives on the kernel stack

; syscall: EAX = number, EBX, ESI = arguments -> EAX = result. Preserves other registers.
syscall:
        cmp     eax, SYS_WRITE
        jne     .bad
        cmp     ebx, USER_CODE          ; the buffer must lie in user space
        jb      .bad
        cmp     esi, 256
        ja      .bad
        lea     eax, [ebx + esi]
        cmp     eax, SHARED + PAGE_SIZE
        ja      .bad
        push    esi
        push    ecx
        push    ebx
        mov     ecx, esi
        jecxz   .written
.byte:
        mov     al, [ebx]
        inc     ebx
        call    putc
        loop    .byte
.written:
        pop     ebx
        pop     ecx
        pop     eax                     ; the length
        ret
.bad:
        mov     eax, -1
        ret

; ---------------------------------------------------------------------------------------
; Exceptions. A #PF on a not-present page of the user heap or stack gets a zeroed frame
; and the access is retried; anything else stops the VM.
fault_common:
        pushad
        cmp     dword [esp + FRAME_VECTOR], VEC_PF
        jne     unexpected_exception
        test    dword [esp + FRAME_ERROR], PF_P
        jnz     unexpected_exception
        mov     eax, cr2
        mov     edx, eax
        sub     edx, USER_HEAP
        cmp     edx, HEAP_PAGES * PAGE_SIZE
        jb      .map
        mov     edx, eax
        sub     edx, USER_STACK_LOW
        cmp     edx, USER_STACK_TOP - USER_STACK_LOW
        jae     unexpected_exception
.map:
        mov     edi, [next_frame]
        cmp     edi, frame_pool + FRAME_POOL_PAGES * PAGE_SIZE
        jae     unexpected_exception    ; out of frames
        add     dword [next_frame], PAGE_SIZE
        push    eax
        push    edi
        xor     eax, eax
        mov     ecx, PAGE_SIZE / 4
        rep stosd                       ; through the kernel's identity map
        pop     edi
        pop     eax
        mov     ebx, [current]
        mov     esi, [ebx + task.upt]
        mov     edx, eax
        shr     edx, 12
        and     edx, 1023
        or      edi, PTE_P | PTE_W | PTE_U
        mov     [esi + edx * 4], edi    ; not present -> present needs no INVLPG (SDM
                                        ; Vol. 3A §4.10.4.3: not-present entries are not cached)
        mov     ecx, [ebx + task.nfaults]
        cmp     ecx, MAX_FAULTS
        jae     .counted
        and     eax, ~(PAGE_SIZE - 1)
        mov     [ebx + task.faults + ecx * 4], eax
.counted:
        inc     dword [ebx + task.nfaults]
        popad
        add     esp, 8
        iretd

        exception_stubs fault_common

; ---------------------------------------------------------------------------------------
; Both tasks have exited: print what each did and stop.
all_done:
        mov     ax, KDATA
        mov     ds, ax
        mov     es, ax
        mov     esp, boot_stack_top
        print   "kernel: both tasks have exited", 10
        mov     ebx, tasks
        mov     ebp, NTASKS
.task:
        print   "  task "
        mov     eax, [ebx + task.name]
        call    putc
        print   ": exit status "
        mov     eax, [ebx + task.status]
        call    putdec
        print   ", system calls: "
        mov     eax, [ebx + task.int80]
        call    putdec
        print   " by INT 0x80, "
        mov     eax, [ebx + task.sysenter]
        call    putdec
        print   " by SYSENTER", 10, "    pages mapped on demand: "
        mov     eax, [ebx + task.nfaults]
        call    putdec
        mov     ecx, [ebx + task.nfaults]
        cmp     ecx, MAX_FAULTS
        jbe     .list
        mov     ecx, MAX_FAULTS
.list:
        lea     esi, [ebx + task.faults]
        jecxz   .listed
        print   " at"
.fault:
        print   " 0x"
        lodsd
        push    ecx
        mov     ecx, 8
        call    puthex
        pop     ecx
        loop    .fault
.listed:
        print   10
        add     ebx, task_size
        dec     ebp
        jnz     .task
        print   "  timer preemptions: at least "
        mov     eax, 2 * ROUNDS - 2
        call    putdec
        print   " (every hand-off but the exits waits for one): "
        cmp     dword [preemptions], 2 * ROUNDS - 2
        jb      .too_few
        print   "yes", 10
        xor     al, al
        jmp     exit
.too_few:
        print   "no", 10
        mov     al, 1
        jmp     exit

; ---------------------------------------------------------------------------------------
; The user program: mapped read-only at USER_CODE in both tasks. It runs at ring 3 and
; can only compute, touch its own memory and make system calls. Position independent
; except for UVA(): the address a label of this page has in the user address space.
%define UVA(x) (USER_CODE + ((x) - user_program))

        align   PAGE_SIZE, db 0
user_program:
        mov     ebp, [TASK_INFO + INFO_ID]
        mov     edi, 1                  ; round
.round:
.wait_turn:                             ; only the timer can end this loop
        cmp     [SHARED + SHARED_TURN], ebp
        jne     .wait_turn
        mov     eax, [TASK_INFO + INFO_STEP]
        add     [USER_HEAP], eax        ; the private counter (its first use: a #PF)
        mov     ebx, edi                ; this round's line goes to heap page `round`
        shl     ebx, 12
        add     ebx, USER_HEAP
        call    build_line              ; -> ESI = length
        mov     eax, SYS_WRITE
        test    edi, 1
        jz      .by_sysenter
        int     VEC_SYSCALL
        jmp     .written
.by_sysenter:
        call    sysenter_call
.written:
        mov     eax, ebp                ; hand the turn to the other task
        xor     eax, 1
        mov     [SHARED + SHARED_TURN], eax
        inc     edi
        cmp     edi, ROUNDS
        jbe     .round
        mov     eax, SYS_EXIT
        xor     ebx, ebx
        int     VEC_SYSCALL             ; does not return

; sysenter_call: the SYSENTER convention of this kernel: EAX, EBX, ESI as for INT 0x80;
; ECX and EDX carry the stack pointer and return address for SYSEXIT.
sysenter_call:
        push    ecx
        push    edx
        mov     ecx, esp
        mov     edx, UVA(.back)
        sysenter
.back:
        pop     edx
        pop     ecx
        ret

; build_line: writes the round's line at EBX; EDI = round. Returns ESI = its length.
build_line:
        push    edi
        push    ecx
        push    eax
        mov     eax, edi
        mov     edi, ebx
        mov     esi, UVA(line_template)
        mov     ecx, line_template_len
        rep movsb
        mov     ecx, [TASK_INFO + INFO_NAME]
        mov     [ebx + line_name - line_template], cl
        add     al, '0'
        mov     [ebx + line_round - line_template], al
        mov     esi, UVA(text_int80)
        test    al, 1                   ; odd rounds use INT 0x80 (the digit's parity)
        jnz     .how
        mov     esi, UVA(text_sysenter)
.how:
        lea     edi, [ebx + line_how - line_template]
        mov     ecx, 8
        rep movsb
        mov     eax, [USER_HEAP]        ; the counter, two decimal digits
        mov     cl, 10
        div     cl
        add     ax, '00'
        mov     [ebx + line_counter - line_template], ax
        mov     esi, line_template_len
        pop     eax
        pop     ecx
        pop     edi
        ret

line_template:
        db      "task "
line_name:
        db      "?, round "
line_round:
        db      "?/3 by "
line_how:
        db      "????????: my counter at 0x00500000 is "
line_counter:
        db      "??", 10
line_template_len equ $ - line_template
text_int80      db "INT 0x80"
text_sysenter   db "SYSENTER"
        times   PAGE_SIZE - ($ - user_program) db 0    ; exactly one page (a negative
                                                        ; count, an error, if it grew)

; ---------------------------------------------------------------------------------------
        align   8
gdt:
        dq      0
        seg_desc 0, 0xFFFFF, ACC_CODE0, FLAGS_4K_32             ; 0x08 KCODE
        seg_desc 0, 0xFFFFF, ACC_DATA0, FLAGS_4K_32             ; 0x10 KDATA
        seg_desc 0, 0xFFFFF, ACC_CODE3, FLAGS_4K_32             ; 0x18 UCODE
        seg_desc 0, 0xFFFFF, ACC_DATA3, FLAGS_4K_32             ; 0x20 UDATA
        seg_desc PHYS(tss), TSS_SIZE - 1, ACC_TSS32, 0          ; 0x28 TSS
gdt_end:

        align   8
idt:
        exception_gates KCODE                                   ; vectors 0-31
        gate_desc PHYS(timer_interrupt), KCODE, GATE_INT0       ; 0x20
        times   (VEC_SPURIOUS - VEC_TIMER - 1) * 8 db 0
        gate_desc PHYS(spurious_interrupt), KCODE, GATE_INT0    ; 0x27
        times   (VEC_SYSCALL - VEC_SPURIOUS - 1) * 8 db 0
        gate_desc PHYS(int80_entry), KCODE, GATE_INT3           ; 0x80, open to ring 3
idt_end:

gdt_register:
        dw      gdt_end - gdt - 1
        dd      gdt
idt_register:
        dw      idt_end - idt - 1
        dd      idt

        align   4
tss:
        dd      0
        dd      0                       ; ESP0: set by the scheduler
        dd      KDATA                   ; SS0
        times   TSS_IOMAP - ($ - tss) db 0
        dw      TSS_SIZE                ; no I/O bitmap: ring 3 has no port access
current:        dd 0                    ; the running task
preemptions:    dd 0                    ; switches away from a task that could have gone on
next_frame:     dd frame_pool           ; the frame allocator: the next free frame

load_end:

; bss: zeroed by the loader, not in the file. Its labels are numbers (PHYS(load_end)),
; so they are used without PHYS().
absolute PHYS(load_end)
        alignb  4
tasks:          resb task_size * NTASKS
        alignb  PAGE_SIZE
kernel_pt:      resb PAGE_SIZE
page_directories: resb PAGE_SIZE * NTASKS
user_page_tables: resb PAGE_SIZE * NTASKS
task_pages:     resb PAGE_SIZE * NTASKS
kernel_stacks:  resb PAGE_SIZE * NTASKS
shared_page:    resb PAGE_SIZE
frame_pool:     resb PAGE_SIZE * FRAME_POOL_PAGES
                resb PAGE_SIZE
boot_stack_top:
                resb PAGE_SIZE
sysenter_stack_top:
bss_end:
