; sensitive.asm — runs each virtualization-sensitive case of IA-32 and prints what it
; observed next to what bare hardware shows.
;
; What it shows: the instructions that make IA-32 hard to virtualize by trap-and-emulate
; (Robin & Irvine 2000; Intel's list of VT challenges): they read or depend on privileged
; state but do not fault when run deprivileged, so a guest kernel moved out of ring 0 sees
; the VMM's state or silently loses its own. Each line runs one case and compares:
;   - PUSH CS and MOV AX, CS: the low two bits of CS are the CPL (ring aliasing);
;   - SGDT, SIDT, SLDT, STR, SMSW: return the descriptor-table registers and CR0's low
;     word without faulting, at ring 0 and at ring 3;
;   - PUSHF / CLI / POPF: at ring 0 the POPF restores IF; at ring 3 (IOPL 0) a POPF that
;     clears IF, or raises IOPL, is silently ignored while CLI faults;
;   - LAR, LSL, VERR, VERW on the kernel's own selectors, and from ring 3 on DPL-0
;     selectors they cannot see (ZF = 0, no fault);
;   - the hidden part of a segment register: FS keeps the base it was loaded with after
;     its GDT descriptor is rewritten, until FS is reloaded (LSL, which reads the GDT,
;     already sees the new limit). The old *limit* is kept too, but showing that needs a
;     limit-violation #GP, which QEMU's TCG does not raise, so only the base is compared;
;   - SYSEXIT to ring 3 and SYSENTER back (MSRs 0x174-0x176): the selectors and stack
;     they load, and SYSENTER clearing IF;
;   - MOV to CR3 and CR0 read back (ET hard-wired to 1), and MOV from CR0, LGDT, CLI and
;     HLT faulting with #GP(0) at ring 3, while SMSW/SGDT do not.
; On bare hardware (and under a correct hardware-assisted VMM) every line says "match";
; under a deprivileging VMM without help, the lines that differ are the lesson.
;
; Entry state (Multiboot §3.2): 32-bit protected mode, flat segments, paging off, IF = 0.
; The kernel loads its own GDT (with an LDT and a TSS), IDT, CR0 = PE|MP|ET|NE, masks the
; 8259As (so STI lets nothing in), and enables paging with an identity map of the first
; 4 MiB open to ring 3.
;
; Output: COM1; the last line counts the checks that differ from bare hardware. Exit
; through isa-debug-exit with value 0 when all match (QEMU/Vanderpool status 1), 1 when
; any differs (status 3), 2 on an unexpected exception (status 5).
; Expected output (bare hardware): examples/sensitive.expected.
;
; Build: nasm -f bin -I examples/ -o sensitive.bin examples/sensitive.asm

bits 32
ORIGIN          equ 0x100000
org ORIGIN

%include "lib/multiboot.inc"
        MULTIBOOT_AOUT_HEADER

%include "lib/com1.inc"
%include "lib/x86.inc"

; Selectors (GDT indexes * 8). SYSENTER/SYSEXIT need KCODE, KDATA, UCODE, UDATA in a row.
KCODE           equ 0x08
KDATA           equ 0x10
UCODE           equ 0x18 | 3
UDATA           equ 0x20 | 3
TSS_SEL         equ 0x28
LDT_SEL         equ 0x30
PROBE           equ 0x38                ; small data segment for the hidden-cache case
RODATA          equ 0x40                ; read-only data segment
XONLY           equ 0x48                ; execute-only code segment
LDT_DATA        equ 0x04 | 0            ; the LDT's only descriptor (TI = 1)

CR0_BOOT        equ CR0_PE | CR0_MP | CR0_ET | CR0_NE
CR0_PAGED       equ CR0_BOOT | CR0_WP | CR0_PG
COLUMN_OBSERVED equ 51                  ; where check lines put the observed value,
COLUMN_EXPECTED equ 65                  ; bare hardware's,
COLUMN_VERDICT  equ 89                  ; and the verdict
FMT_YESNO       equ 0                   ; check formats: 1..8 = hex digits, or these
FMT_FAULT       equ -1

; check "label", FORMAT — compares EAX (observed) with EDX (bare hardware) and prints both.
%macro check 2
        jmp     %%after
%%label: db     %1, 0
%%after:
        push    esi
        push    ecx
        mov     esi, %%label
        mov     ecx, %2
        call    check_value
        pop     ecx
        pop     esi
%endmacro

; zf_to_eax: EAX = 1 if ZF is set, else 0 (for LAR/LSL/VERR/VERW results).
%macro zf_to_eax 0
        setz    al
        movzx   eax, al
%endmacro

; expect_fault LABEL — the next instruction may fault; the handler records the exception
; in last_fault and resumes at LABEL. Without a fault, execution reaches LABEL anyway.
%macro expect_fault 1
        mov     dword [last_fault], NO_FAULT
        mov     dword [fault_resume], %1
%endmacro

start:
        cli
        mov     esp, stack_top
        push    dword EFLAGS_FIXED      ; IF = 0, IOPL = 0, DF = 0, NT = 0
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
        mov     eax, CR0_BOOT           ; clears CD/NW the firmware may have left set
        mov     cr0, eax
        lidt    [idt_register]
        mov     ax, TSS_SEL
        ltr     ax
        mov     ax, LDT_SEL
        lldt    ax
        call    serial_init
        call    pic_init

        print   "sensitive: x86 instructions a VMM must handle, observed against bare hardware", 10
        print   10, "[ring 0] the ring shows in CS", 10
        push    cs
        pop     eax
        and     eax, 0xFFFF             ; 32-bit PUSH of a segment register may write 16 bits
        mov     edx, KCODE
        check   "PUSH CS (RPL = CPL = 0)", 4
        xor     eax, eax
        mov     ax, cs
        check   "MOV AX, CS", 4

        print   10, "[ring 0] descriptor-table registers and MSW read without a fault", 10
        sgdt    [stored_table]
        movzx   eax, word [stored_table]
        mov     edx, gdt_end - gdt - 1
        check   "SGDT limit", 4
        mov     eax, [stored_table + 2]
        mov     edx, gdt
        check   "SGDT base", 8
        sidt    [stored_table]
        movzx   eax, word [stored_table]
        mov     edx, idt_end - idt - 1
        check   "SIDT limit", 4
        mov     eax, [stored_table + 2]
        mov     edx, idt
        check   "SIDT base", 8
        xor     eax, eax
        sldt    ax
        mov     edx, LDT_SEL
        check   "SLDT", 4
        xor     eax, eax
        str     ax
        mov     edx, TSS_SEL
        check   "STR", 4
        xor     eax, eax
        smsw    ax
        mov     edx, CR0_BOOT & 0xFFFF
        check   "SMSW (CR0 bits 15:0)", 4

        print   10, "[ring 0] PUSHF / CLI / POPF keeps the interrupt flag", 10
        sti                             ; the 8259As mask every IRQ: nothing arrives
        pushfd
        cli
        pushfd
        pop     eax
        and     eax, EFLAGS_IF
        setnz   al
        movzx   eax, al
        xor     edx, edx
        check   "IF after PUSHF; CLI", FMT_YESNO
        popfd
        pushfd
        pop     eax
        and     eax, EFLAGS_IF
        setnz   al
        movzx   eax, al
        mov     edx, 1
        check   "IF after POPF (restored)", FMT_YESNO
        cli

        print   10, "[ring 0] LAR, LSL, VERR, VERW on our own selectors", 10
        mov     ecx, KCODE
        call    lar_masked
        mov     edx, 0x00C09B00
        check   "LAR 0x08 (code, execute/read)", 8
        mov     ecx, KDATA
        call    lar_masked
        mov     edx, 0x00C09300
        check   "LAR 0x10 (data, read/write)", 8
        mov     ecx, TSS_SEL
        call    lar_masked
        mov     edx, 0x00008B00         ; LTR marked the TSS busy in the GDT
        check   "LAR 0x28 (TSS, busy after LTR)", 8
        mov     ecx, LDT_SEL
        call    lar_masked
        mov     edx, 0x00008200
        check   "LAR 0x30 (LDT)", 8
        mov     ecx, KCODE
        xor     eax, eax
        lsl     eax, ecx
        mov     edx, 0xFFFFFFFF
        check   "LSL 0x08 (4 GiB, page granular)", 8
        mov     ecx, TSS_SEL
        xor     eax, eax
        lsl     eax, ecx
        mov     edx, TSS_SIZE - 1
        check   "LSL 0x28 (TSS)", 8
        mov     ecx, PROBE
        xor     eax, eax
        lsl     eax, ecx
        mov     edx, 0xFFF
        check   "LSL 0x38 (byte granular)", 8
        mov     ecx, KCODE
        verr    cx
        zf_to_eax
        mov     edx, 1
        check   "VERR 0x08 (readable code)", FMT_YESNO
        verw    cx
        zf_to_eax
        xor     edx, edx
        check   "VERW 0x08 (code is never writable)", FMT_YESNO
        mov     ecx, KDATA
        verw    cx
        zf_to_eax
        mov     edx, 1
        check   "VERW 0x10 (read/write data)", FMT_YESNO
        mov     ecx, RODATA
        verr    cx
        zf_to_eax
        mov     edx, 1
        check   "VERR 0x40 (read-only data)", FMT_YESNO
        verw    cx
        zf_to_eax
        xor     edx, edx
        check   "VERW 0x40 (read-only data)", FMT_YESNO
        mov     ecx, XONLY
        verr    cx
        zf_to_eax
        xor     edx, edx
        check   "VERR 0x48 (execute-only code)", FMT_YESNO
        xor     ecx, ecx
        verr    cx
        zf_to_eax
        xor     edx, edx
        check   "VERR 0x00 (null selector, no fault)", FMT_YESNO

        print   10, "[ring 0] the hidden part of FS outlives its descriptor", 10
        mov     ax, PROBE
        mov     fs, ax
        mov     eax, [fs:0]
        mov     edx, [probe_a]
        check   "FS:[0] after MOV FS, 0x38 (base = probe_a)", 8
        mov     eax, PHYS(probe_b)      ; rewrite the GDT entry: base probe_b, limit 0x1FFF
        mov     [gdt + PROBE + 2], ax
        shr     eax, 16
        mov     [gdt + PROBE + 4], al
        mov     [gdt + PROBE + 7], ah
        mov     word [gdt + PROBE], 0x1FFF
        mov     eax, [fs:0]
        mov     edx, [probe_a]
        check   "FS:[0] after the GDT entry moved to probe_b", 8
        mov     ecx, PROBE
        lsl     eax, ecx
        mov     edx, 0x1FFF
        check   "LSL 0x38 reads the new limit from the GDT", 8
        mov     ax, PROBE
        mov     fs, ax
        mov     eax, [fs:0]
        mov     edx, [probe_b]
        check   "FS:[0] after reloading FS", 8

        print   10, "[ring 0] CR3 and CR0 writes read back", 10
        call    build_identity_map
        mov     eax, page_directory | CR3_PWT | CR3_PCD
        mov     cr3, eax
        mov     eax, cr3
        mov     edx, page_directory | CR3_PWT | CR3_PCD
        check   "MOV CR3 (page directory, PWT, PCD)", 8
        mov     eax, CR0_PAGED & ~CR0_ET
        mov     cr0, eax
        jmp     .paged                  ; paging is on from the next instruction
.paged:
        mov     eax, cr0
        mov     edx, CR0_PAGED
        check   "MOV CR0 with PG, WP set and ET clear", 8
        xor     eax, eax
        smsw    ax
        mov     edx, CR0_PAGED & 0xFFFF
        check   "SMSW after paging is on", 4

        print   10, "[ring 0 -> 3] SYSEXIT; ring 3 records what it sees (it may not do I/O) and SYSENTERs back", 10
        xor     edx, edx
        mov     ecx, IA32_SYSENTER_CS
        mov     eax, KCODE
        wrmsr
        mov     ecx, IA32_SYSENTER_ESP
        mov     eax, sysenter_stack_top
        wrmsr
        mov     ecx, IA32_SYSENTER_EIP
        mov     eax, sysenter_entry
        wrmsr
        mov     ecx, user_stack_top     ; SYSEXIT: ESP = ECX, EIP = EDX
        mov     edx, ring3
        sti                             ; IF = 1 in ring 3; STI's shadow covers SYSEXIT
        sysexit

; ---------------------------------------------------------------------------------------
; Ring 3 (CPL 3, IOPL 0): records what it sees in `r3`, then SYSENTERs back. It cannot
; print (IN and OUT need CPL <= IOPL).
ring3:
        mov     ax, UDATA               ; SYSEXIT left DS/ES as the kernel had them
        mov     ds, ax
        mov     es, ax
        push    cs
        pop     eax
        and     eax, 0xFFFF
        mov     [r3.push_cs], eax
        xor     eax, eax
        mov     ax, cs
        mov     [r3.mov_cs], eax
        xor     eax, eax
        mov     ax, ss
        mov     [r3.ss], eax
        sgdt    [r3.gdtr]
        sidt    [r3.idtr]
        xor     eax, eax
        sldt    ax
        mov     [r3.ldtr], eax
        xor     eax, eax
        str     ax
        mov     [r3.tr], eax
        xor     eax, eax
        smsw    ax
        mov     [r3.msw], eax

        pushfd                          ; POPF that clears IF: ignored, no fault
        pop     eax
        mov     [r3.flags_before], eax
        and     eax, ~EFLAGS_IF
        push    eax
        popfd
        pushfd
        pop     eax
        mov     [r3.flags_popf_if], eax
        or      eax, EFLAGS_IOPL        ; POPF that raises IOPL: ignored, no fault
        push    eax
        popfd
        pushfd
        pop     eax
        mov     [r3.flags_popf_iopl], eax

        expect_fault .after_cli
        cli
.after_cli:
        mov     eax, [last_fault]
        mov     [r3.cli], eax
        expect_fault .after_hlt
        hlt
.after_hlt:
        mov     eax, [last_fault]
        mov     [r3.hlt], eax
        expect_fault .after_mov_cr0
        mov     eax, cr0
.after_mov_cr0:
        mov     eax, [last_fault]
        mov     [r3.mov_cr0], eax
        expect_fault .after_lgdt
        lgdt    [r3.gdtr]
.after_lgdt:
        mov     eax, [last_fault]
        mov     [r3.lgdt], eax
        mov     dword [fault_resume], 0

        mov     ecx, KDATA              ; DPL 0 < CPL 3: invisible, ZF = 0
        xor     eax, eax
        lar     eax, ecx
        zf_to_eax
        mov     [r3.lar_kdata], eax
        mov     ecx, UDATA
        call    lar_masked
        mov     [r3.lar_udata], eax
        mov     ecx, KDATA
        verr    cx
        zf_to_eax
        mov     [r3.verr_kdata], eax
        mov     ecx, UCODE
        verr    cx
        zf_to_eax
        mov     [r3.verr_ucode], eax
        sysenter                        ; back to ring 0 at sysenter_entry

; ---------------------------------------------------------------------------------------
; SYSENTER lands here: CS = KCODE, SS = KDATA, ESP = IA32_SYSENTER_ESP, IF = 0.
sysenter_entry:
        mov     [k.esp], esp
        xor     eax, eax
        mov     ax, cs
        mov     [k.cs], eax
        mov     ax, ss
        mov     [k.ss], eax
        pushfd
        pop     dword [k.flags]
        mov     ax, KDATA
        mov     ds, ax
        mov     es, ax
        mov     esp, stack_top

        print   10, "[ring 3] the ring shows in CS", 10
        mov     eax, [r3.push_cs]
        mov     edx, UCODE
        check   "PUSH CS (RPL = CPL = 3)", 4
        mov     eax, [r3.mov_cs]
        check   "MOV AX, CS", 4
        mov     eax, [r3.ss]
        mov     edx, UDATA
        check   "SS after SYSEXIT (IA32_SYSENTER_CS + 24, RPL 3)", 4

        print   10, "[ring 3] the kernel's registers, read without a fault", 10
        movzx   eax, word [r3.gdtr]
        mov     edx, gdt_end - gdt - 1
        check   "SGDT limit", 4
        mov     eax, [r3.gdtr + 2]
        mov     edx, gdt
        check   "SGDT base", 8
        movzx   eax, word [r3.idtr]
        mov     edx, idt_end - idt - 1
        check   "SIDT limit", 4
        mov     eax, [r3.idtr + 2]
        mov     edx, idt
        check   "SIDT base", 8
        mov     eax, [r3.ldtr]
        mov     edx, LDT_SEL
        check   "SLDT", 4
        mov     eax, [r3.tr]
        mov     edx, TSS_SEL
        check   "STR", 4
        mov     eax, [r3.msw]
        mov     edx, CR0_PAGED & 0xFFFF
        check   "SMSW", 4

        print   10, "[ring 3] POPF fails silently, CLI faults", 10
        mov     eax, [r3.flags_before]
        and     eax, EFLAGS_IF
        setnz   al
        movzx   eax, al
        mov     edx, 1
        check   "IF at ring 3 after SYSEXIT", FMT_YESNO
        mov     eax, [r3.flags_popf_if]
        and     eax, EFLAGS_IF
        setnz   al
        movzx   eax, al
        mov     edx, 1
        check   "IF after a POPF that clears it (ignored)", FMT_YESNO
        mov     eax, [r3.flags_popf_iopl]
        and     eax, EFLAGS_IOPL
        shr     eax, 12
        xor     edx, edx
        check   "IOPL after a POPF that sets it to 3 (ignored)", 1
        mov     eax, [r3.cli]
        mov     edx, VEC_GP << 16
        check   "CLI", FMT_FAULT
        mov     eax, [r3.hlt]
        check   "HLT", FMT_FAULT
        mov     eax, [r3.mov_cr0]
        check   "MOV EAX, CR0 (SMSW above did not fault)", FMT_FAULT
        mov     eax, [r3.lgdt]
        check   "LGDT (SGDT above did not fault)", FMT_FAULT

        print   10, "[ring 3] LAR and VERR see only what CPL 3 may use", 10
        mov     eax, [r3.lar_kdata]
        xor     edx, edx
        check   "LAR 0x10 (DPL 0) succeeds", FMT_YESNO
        mov     eax, [r3.lar_udata]
        mov     edx, 0x00C0F300
        check   "LAR 0x23 (DPL 3 data)", 8
        mov     eax, [r3.verr_kdata]
        xor     edx, edx
        check   "VERR 0x10 (DPL 0 data)", FMT_YESNO
        mov     eax, [r3.verr_ucode]
        mov     edx, 1
        check   "VERR 0x1B (DPL 3 readable code)", FMT_YESNO

        print   10, "[ring 3 -> 0] SYSENTER", 10
        mov     eax, [k.cs]
        mov     edx, KCODE
        check   "CS (IA32_SYSENTER_CS)", 4
        mov     eax, [k.ss]
        mov     edx, KDATA
        check   "SS (IA32_SYSENTER_CS + 8)", 4
        mov     eax, [k.esp]
        mov     edx, sysenter_stack_top
        check   "ESP (IA32_SYSENTER_ESP)", 8
        mov     eax, [k.flags]
        and     eax, EFLAGS_IF
        setnz   al
        movzx   eax, al
        xor     edx, edx
        check   "IF (cleared by SYSENTER)", FMT_YESNO

        print   10
        mov     eax, [checks_run]
        call    putdec
        print   " checks, "
        mov     eax, [checks_differing]
        call    putdec
        print   " differ from bare hardware", 10
        xor     al, al
        cmp     dword [checks_differing], 0
        je      .exit
        mov     al, 1
.exit:
        jmp     exit

; ---------------------------------------------------------------------------------------
; lar_masked: EAX = LAR of selector ECX masked to the defined bits (00F0FF00h: the SDM
; leaves bits 19:16, the limit's top nibble, undefined), or 0 when LAR fails (ZF = 0).
lar_masked:
        xor     eax, eax
        lar     eax, ecx
        jnz     .done
        and     eax, 0x00F0FF00
.done:
        ret

; check_value: prints "  LABEL  observed  hardware expected  match|DIFFERS" in columns.
; ESI = label, EAX = observed, EDX = expected, ECX = format (1..8 hex digits, FMT_YESNO,
; FMT_FAULT); counts the checks and the differences.
check_value:
        pushad
        inc     dword [checks_run]
        print   "  "
        call    puts
        push    ecx
        mov     ecx, COLUMN_OBSERVED
        call    pad_to
        pop     ecx
        call    put_formatted
        push    ecx
        mov     ecx, COLUMN_EXPECTED
        call    pad_to
        pop     ecx
        print   "hardware "
        xchg    eax, edx
        call    put_formatted
        mov     ecx, COLUMN_VERDICT
        call    pad_to
        cmp     eax, edx
        jne     .differs
        print   "match", 10
        popad
        ret
.differs:
        print   "DIFFERS", 10
        inc     dword [checks_differing]
        popad
        ret

; put_formatted: prints EAX in format ECX (see check_value).
put_formatted:
        cmp     ecx, FMT_FAULT
        je      put_fault
        cmp     ecx, FMT_YESNO
        jne     .hex
        test    eax, eax
        jz      .no
        print   "yes"
        ret
.no:
        print   "no"
        ret
.hex:
        print   "0x"
        jmp     puthex

; build_identity_map: page_directory[0] -> page_table, which maps 0-4 MiB to itself,
; present, writable and open to ring 3 (the ring-3 code and its data live in this image).
build_identity_map:
        pushad
        mov     edi, page_table
        mov     eax, PTE_P | PTE_W | PTE_U
        mov     ecx, 1024
.pte:
        stosd
        add     eax, PAGE_SIZE
        loop    .pte
        mov     edi, page_directory
        xor     eax, eax
        mov     ecx, 1024
        rep stosd
        mov     dword [page_directory], page_table | PTE_P | PTE_W | PTE_U
        popad
        ret

; ---------------------------------------------------------------------------------------
; Exceptions: an expected one (fault_resume != 0) is recorded in last_fault as
; (vector << 16) | error code and execution resumes at fault_resume, in the ring that
; faulted; any other stops the VM.
fault_common:
        pushad
        mov     eax, [fault_resume]
        test    eax, eax
        jz      unexpected_exception
        mov     [esp + FRAME_EIP], eax
        mov     dword [fault_resume], 0
        mov     eax, [esp + FRAME_VECTOR]
        shl     eax, 16
        mov     ax, [esp + FRAME_ERROR]
        mov     [last_fault], eax
        popad
        add     esp, 8                  ; vector and error code
        iretd

        exception_stubs fault_common

; ---------------------------------------------------------------------------------------
        align   8
gdt:
        dq      0
        seg_desc 0, 0xFFFFF, ACC_CODE0, FLAGS_4K_32             ; 0x08 KCODE
        seg_desc 0, 0xFFFFF, ACC_DATA0, FLAGS_4K_32             ; 0x10 KDATA
        seg_desc 0, 0xFFFFF, ACC_CODE3, FLAGS_4K_32             ; 0x18 UCODE
        seg_desc 0, 0xFFFFF, ACC_DATA3, FLAGS_4K_32             ; 0x20 UDATA
        seg_desc PHYS(tss), TSS_SIZE - 1, ACC_TSS32, 0          ; 0x28 TSS
        seg_desc PHYS(ldt), ldt_end - ldt - 1, ACC_LDT, 0       ; 0x30 LDT
        seg_desc PHYS(probe_a), 0xFFF, ACC_DATA0, 0x4           ; 0x38 PROBE, byte granular
        seg_desc 0, 0xFFFFF, 0x91, FLAGS_4K_32                  ; 0x40 read-only data
        seg_desc 0, 0xFFFFF, 0x99, FLAGS_4K_32                  ; 0x48 execute-only code
gdt_end:

ldt:
        seg_desc 0, 0xFFFFF, ACC_DATA0, FLAGS_4K_32
ldt_end:

        align   8
idt:
        exception_gates KCODE
idt_end:

gdt_register:
        dw      gdt_end - gdt - 1
        dd      gdt
idt_register:
        dw      idt_end - idt - 1
        dd      idt

        align   4
tss:                                    ; only SS0:ESP0 matter: the stack for ring 3 -> 0
        dd      0
        dd      fault_stack_top         ; ESP0
        dd      KDATA                   ; SS0
        times   TSS_IOMAP - ($ - tss) db 0
        dw      TSS_SIZE                ; I/O map base beyond the limit: no I/O bitmap
tss_end:

        align   4
probe_a:        dd 0x11111111
probe_b:        dd 0x22222222
fault_resume:   dd 0
last_fault:     dd NO_FAULT
checks_run:     dd 0
checks_differing: dd 0

load_end:

; bss: zeroed by the loader, not in the file. Its labels are numbers (PHYS(load_end)),
; so they are used without PHYS().
absolute PHYS(load_end)
        alignb  4
stored_table:   resb 8
r3:                                     ; what ring 3 saw
.push_cs:       resd 1
.mov_cs:        resd 1
.ss:            resd 1
.gdtr:          resb 8
.idtr:          resb 8
.ldtr:          resd 1
.tr:            resd 1
.msw:           resd 1
.flags_before:  resd 1
.flags_popf_if: resd 1
.flags_popf_iopl: resd 1
.cli:           resd 1
.hlt:           resd 1
.mov_cr0:       resd 1
.lgdt:          resd 1
.lar_kdata:     resd 1
.lar_udata:     resd 1
.verr_kdata:    resd 1
.verr_ucode:    resd 1
k:                                      ; what SYSENTER loaded
.cs:            resd 1
.ss:            resd 1
.esp:           resd 1
.flags:         resd 1
        alignb  4096
page_directory: resb 4096
page_table:     resb 4096
        resb    4096
stack_top:
        resb    4096
fault_stack_top:
        resb    4096
sysenter_stack_top:
        resb    4096
user_stack_top:
bss_end:
