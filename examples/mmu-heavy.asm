; mmu-heavy.asm — page-table traffic: maps and unmaps 2,000 pages one page-table-entry
; write at a time, several times over, then copies an address space the way fork does
; and lets copy-on-write faults separate the two copies.
;
; What it shows: the workload that costs a full-virtualization VMM the most. Every PTE
; write below is a separate store followed by INVLPG, as a guest kernel mapping pages in
; a loop does it (a shadow-paging VMM must trap and shadow each one; a paravirtual guest
; would batch them into one hypercall), and fork's copy-on-write turns later writes into
; page faults the kernel resolves.
;   1. Window rounds: 2,000 pages at 0x40000000 are mapped, in round r, to the frames
;      FRAMES + ((7 i + 13 r) mod 2000) * 4 KiB: one PTE store and one INVLPG per page.
;      Through each new mapping the kernel reads the first and last dword of the page
;      (what the previous round wrote there, through a different page) into a checksum,
;      then writes new values. The same checksum is computed first by reading the frames
;      through the identity map: the two agree only if every translation is right, stale
;      ones included. Then the 2,000 pages are unmapped the same way (store 0, INVLPG),
;      and reading the first and last page must raise #PF.
;   2. Fork: a "parent" address space maps 64 pages at 0x80000000 filled with a pattern.
;      fork copies its page directory and the page table, marks all 64 pages read-only
;      and copy-on-write (PTE bit 9, available to software) in both copies and counts the
;      sharers of each frame. The child then writes 16 pages and the parent 32; each first
;      write faults (CR0.WP = 1 makes read-only pages binding at ring 0 too); the #PF
;      handler copies the frame while it is shared, or just makes the PTE writable again
;      when the faulting side is its last user. Checksums of both views are compared
;      with values computed from the pattern.
;
; Entry state (Multiboot §3.2): 32-bit protected mode, flat segments, paging off, IF = 0.
; Needs 16 MiB of RAM (frames up to 0x00FD0000). Everything runs at ring 0.
; Output: COM1. Exit through isa-debug-exit with value 0 when every check matched (QEMU/
; Vanderpool status 1), 1 otherwise (status 3), 2 on an unexpected exception (status 5).
; Expected output: examples/mmu-heavy.expected.
;
; Build: nasm -f bin -I examples/ -o mmu-heavy.bin examples/mmu-heavy.asm

bits 32
ORIGIN          equ 0x100000
org ORIGIN

%include "lib/multiboot.inc"
        MULTIBOOT_AOUT_HEADER

%include "lib/com1.inc"
%include "lib/x86.inc"

KCODE           equ 0x08
KDATA           equ 0x10

IDENTITY_TABLES equ 4                   ; the kernel maps 0-16 MiB to itself, supervisor only
WINDOW          equ 0x40000000          ; page-directory entries 256 and 257
WINDOW_PAGES    equ 2000
WINDOW_TABLES   equ 2
FRAMES          equ 0x00800000          ; the window's 2,000 frames: 0x00800000-0x00FCFFFF
STRIDE          equ 7                   ; page i -> frame (STRIDE i + SHIFT r) mod 2000;
SHIFT           equ 13                  ; 7 is prime to 2000, so each round is a permutation
ROUNDS          equ 4
LAST_DWORD      equ PAGE_SIZE - 4

POOL            equ 0x00400000          ; frames for the fork part: 0x00400000-0x007FFFFF
POOL_FRAMES     equ 1024
FORK_BASE       equ 0x80000000          ; page-directory entry 512
FORK_PAGES      equ 64
PTE_COW         equ PTE_AVL0            ; "copy on write": a software bit of the PTE
CHILD_MARK      equ 0x40000000          ; what the child XORs into a page's first dword
PARENT_MARK     equ 0x20000000          ; ... and the parent

; mix SUM, VALUE — one step of the checksums: SUM = rol(SUM xor VALUE, 13) * 16777619.
; Each step is a bijection of SUM, so changing any one value changes the result.
%macro mix 2
        xor     %1, %2
        rol     %1, 13
        imul    %1, %1, 16777619
%endmacro

; expect_fault LABEL: the next instruction may fault; the handler records the exception
; in last_fault and resumes at LABEL.
%macro expect_fault 1
        mov     dword [last_fault], NO_FAULT
        mov     dword [fault_resume], %1
%endmacro

start:
        cli
        mov     esp, stack_top
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
        call    serial_init
        call    pic_init
        print   "mmu-heavy: page-table updates one entry at a time, and a copy-on-write fork", 10

        mov     edi, kernel_tables      ; identity map of 0-16 MiB
        mov     eax, PTE_P | PTE_W
        mov     ecx, IDENTITY_TABLES * 1024
.identity:
        stosd
        add     eax, PAGE_SIZE
        loop    .identity
        mov     edi, parent_pd
        xor     ebx, ebx
.kernel_pde:
        mov     eax, ebx
        shl     eax, 12
        add     eax, kernel_tables | PTE_P | PTE_W
        mov     [edi + ebx * 4], eax
        inc     ebx
        cmp     ebx, IDENTITY_TABLES
        jb      .kernel_pde
        mov     dword [edi + (WINDOW >> 22) * 4], window_tables | PTE_P | PTE_W
        mov     dword [edi + (WINDOW >> 22) * 4 + 4], (window_tables + PAGE_SIZE) | PTE_P | PTE_W

        mov     ecx, WINDOW_PAGES       ; frame k starts with 0x5A000000 + k, ends with its NOT
        mov     edi, FRAMES
        mov     eax, 0x5A000000
.seed:
        mov     [edi], eax
        not     eax
        mov     [edi + LAST_DWORD], eax
        not     eax
        inc     eax
        add     edi, PAGE_SIZE
        loop    .seed

        mov     eax, parent_pd
        mov     cr3, eax
        mov     eax, cr0
        or      eax, CR0_PG | CR0_WP
        mov     cr0, eax
        print   "paging on: 0-16 MiB identity mapped; window of 2000 pages at 0x40000000", 10

        xor     ebp, ebp                ; round
.round:
        call    window_round
        inc     ebp
        cmp     ebp, ROUNDS
        jb      .round

        call    fork_demo

        print   10
        mov     eax, [checks_failed]
        call    putdec
        print   " checks failed", 10
        xor     al, al
        cmp     dword [checks_failed], 0
        je      .exit
        mov     al, 1
.exit:
        jmp     exit

; ---------------------------------------------------------------------------------------
; window_round: round EBP of the window test (see the header).
window_round:
        pushad
        print   10, "round "
        lea     eax, [ebp + 1]
        call    putdec
        print   ":", 10

        xor     ebx, ebx                ; the reference checksum, through the identity map
        xor     esi, esi
.reference:
        call    window_frame            ; EDX = frame of page ESI in this round
        mix     ebx, [edx]
        mix     ebx, [edx + LAST_DWORD]
        inc     esi
        cmp     esi, WINDOW_PAGES
        jb      .reference
        mov     [reference_sum], ebx

        xor     ebx, ebx                ; map, read, write: one page at a time
        xor     esi, esi
.map:
        call    window_frame
        or      edx, PTE_P | PTE_W
        mov     [window_tables + esi * 4], edx
        mov     edi, esi
        shl     edi, 12
        add     edi, WINDOW
        invlpg  [edi]
        mix     ebx, [edi]
        mix     ebx, [edi + LAST_DWORD]
        mov     eax, ebp                ; the new contents: round << 16 | page, and its NOT
        shl     eax, 16
        or      eax, esi
        mov     [edi], eax
        not     eax
        mov     [edi + LAST_DWORD], eax
        inc     esi
        cmp     esi, WINDOW_PAGES
        jb      .map
        print   "  mapped 2000 pages (2000 PTE writes, 2000 INVLPG); checksum 0x"
        mov     eax, ebx
        mov     ecx, 8
        call    puthex
        mov     edx, [reference_sum]
        call    verdict
        print   " the frames' 0x"
        mov     eax, edx
        call    puthex
        print   10

        xor     esi, esi                ; unmap: one PTE write and one INVLPG each
.unmap:
        mov     dword [window_tables + esi * 4], 0
        mov     edi, esi
        shl     edi, 12
        invlpg  [WINDOW + edi]
        inc     esi
        cmp     esi, WINDOW_PAGES
        jb      .unmap
        print   "  unmapped 2000 pages (2000 PTE writes, 2000 INVLPG); reading the first page: "
        expect_fault .first_read
        mov     eax, [WINDOW]
.first_read:
        mov     eax, [last_fault]
        call    put_fault
        mov     ebx, eax
        print   ", the last: "
        expect_fault .last_read
        mov     eax, [WINDOW + (WINDOW_PAGES - 1) * PAGE_SIZE]
.last_read:
        mov     eax, [last_fault]
        call    put_fault
        mov     edx, VEC_PF << 16       ; #PF, error code 0: not present, read, ring 0
        cmp     ebx, edx
        je      .first_ok
        inc     dword [checks_failed]
.first_ok:
        call    verdict
        print   " expected", 10
        popad
        ret

; window_frame: EDX = physical frame of window page ESI in round EBP.
window_frame:
        push    eax
        push    ecx
        imul    eax, esi, STRIDE
        imul    ecx, ebp, SHIFT
        add     eax, ecx
        xor     edx, edx
        mov     ecx, WINDOW_PAGES
        div     ecx
        shl     edx, 12
        add     edx, FRAMES
        pop     ecx
        pop     eax
        ret

; verdict: prints ", same as" or ", DIFFERENT from" comparing EAX with EDX, counting
; differences in checks_failed.
verdict:
        cmp     eax, edx
        jne     .differ
        print   ", same as"
        ret
.differ:
        print   ", DIFFERENT from"
        inc     dword [checks_failed]
        ret

; ---------------------------------------------------------------------------------------
; fork_demo: part 2 (see the header).
fork_demo:
        pushad
        print   10, "fork:", 10
        mov     edi, parent_pt          ; the parent's 64 pages, filled with k << 16 | dword
        xor     ebx, ebx
.parent_page:
        call    alloc_frame             ; EAX = a frame with one user
        or      eax, PTE_P | PTE_W
        mov     [edi + ebx * 4], eax
        and     eax, ~(PAGE_SIZE - 1)
        push    edi
        mov     edi, eax
        mov     eax, ebx
        shl     eax, 16
        mov     ecx, 1024
.fill:
        stosd
        inc     eax
        loop    .fill
        pop     edi
        inc     ebx
        cmp     ebx, FORK_PAGES
        jb      .parent_page
        mov     dword [parent_pd + (FORK_BASE >> 22) * 4], parent_pt | PTE_P | PTE_W
        mov     eax, parent_pd          ; new page-directory entry: flush
        mov     cr3, eax
        print   "  parent: 64 pages at 0x80000000, checksum 0x"
        xor     eax, eax
        xor     edx, edx
        call    expected_sum
        mov     edx, eax
        call    region_sum
        mov     ecx, 8
        call    puthex
        call    verdict
        print   " the pattern's", 10

        mov     esi, parent_pd          ; fork: copy the directory ...
        mov     edi, child_pd
        mov     ecx, 1024
        rep movsd
        mov     dword [child_pd + (FORK_BASE >> 22) * 4], child_pt | PTE_P | PTE_W
        xor     ebx, ebx                ; ... and the table, sharing every page read-only
.share:
        mov     eax, [parent_pt + ebx * 4]
        and     eax, ~PTE_W
        or      eax, PTE_COW
        mov     [parent_pt + ebx * 4], eax
        mov     [child_pt + ebx * 4], eax
        call    frame_index
        inc     byte [frame_users + ecx]
        inc     ebx
        cmp     ebx, FORK_PAGES
        jb      .share
        mov     eax, parent_pd          ; the parent's TLB still holds writable entries
        mov     cr3, eax
        print   "  fork: copied the page directory and the page table; 64 pages shared read-only", 10

        mov     eax, child_pd           ; the child writes pages 0, 4, 8, ... 60
        mov     cr3, eax
        call    reset_counts
        xor     ebx, ebx
.child_write:
        mov     edi, ebx
        shl     edi, 12
        xor     dword [FORK_BASE + edi], CHILD_MARK
        add     ebx, 4
        cmp     ebx, FORK_PAGES
        jb      .child_write
        print   "  child writes 16 pages: "
        call    print_counts
        mov     eax, CHILD_MARK
        mov     edx, 4 - 1
        call    expected_sum
        mov     edx, eax
        call    region_sum
        print   "  child's checksum 0x"
        mov     ecx, 8
        call    puthex
        call    verdict
        print   " the expected 0x"
        mov     eax, edx
        call    puthex
        print   10

        mov     eax, parent_pd          ; the parent writes pages 0, 2, 4, ... 62
        mov     cr3, eax
        call    reset_counts
        xor     ebx, ebx
.parent_write:
        mov     edi, ebx
        shl     edi, 12
        xor     dword [FORK_BASE + edi], PARENT_MARK
        add     ebx, 2
        cmp     ebx, FORK_PAGES
        jb      .parent_write
        print   "  parent writes 32 pages: "
        call    print_counts
        mov     eax, PARENT_MARK
        mov     edx, 2 - 1
        call    expected_sum
        mov     edx, eax
        call    region_sum
        print   "  parent's checksum 0x"
        mov     ecx, 8
        call    puthex
        call    verdict
        print   " the expected 0x"
        mov     eax, edx
        call    puthex
        print   10

        mov     eax, child_pd           ; the child still sees only its own writes
        mov     cr3, eax
        mov     eax, CHILD_MARK
        mov     edx, 4 - 1
        call    expected_sum
        mov     edx, eax
        call    region_sum
        print   "  child's checksum again 0x"
        mov     ecx, 8
        call    puthex
        call    verdict
        print   " before the parent wrote", 10
        mov     eax, parent_pd
        mov     cr3, eax
        popad
        ret

; region_sum: EAX = checksum (see `mix`) of the 64 fork pages as the current
; address space sees them.
region_sum:
        push    ecx
        push    esi
        xor     eax, eax
        mov     esi, FORK_BASE
        mov     ecx, FORK_PAGES * 1024
.dword:
        mix     eax, [esi]
        add     esi, 4
        loop    .dword
        pop     esi
        pop     ecx
        ret

; expected_sum: EAX = the checksum region_sum should find when pages k with
; (k & EDX) == 0 have had EAX XORed into their first dword (EAX = 0: none).
expected_sum:
        push    ebx
        push    ecx
        push    esi
        push    edi
        mov     edi, eax                ; the mark
        xor     eax, eax
        xor     ebx, ebx                ; page
.page:
        xor     ecx, ecx                ; dword
.dword:
        mov     esi, ebx
        shl     esi, 16
        or      esi, ecx
        test    ecx, ecx
        jnz     .add
        test    ebx, edx
        jnz     .add
        xor     esi, edi
.add:
        mix     eax, esi
        inc     ecx
        cmp     ecx, 1024
        jb      .dword
        inc     ebx
        cmp     ebx, FORK_PAGES
        jb      .page
        pop     edi
        pop     esi
        pop     ecx
        pop     ebx
        ret

; alloc_frame: EAX = the next free pool frame, its user count set to 1.
alloc_frame:
        push    ecx
        mov     eax, [next_frame]
        cmp     eax, POOL + POOL_FRAMES * PAGE_SIZE
        jae     .empty
        add     dword [next_frame], PAGE_SIZE
        call    frame_index
        mov     byte [frame_users + ecx], 1
        pop     ecx
        ret
.empty:
        print   "out of frames", 10
        mov     al, 2
        jmp     exit

; frame_index: ECX = index in frame_users of the pool frame in EAX (a PTE or an address).
frame_index:
        mov     ecx, eax
        sub     ecx, POOL
        shr     ecx, 12
        ret

reset_counts:
        mov     dword [cow_faults], 0
        mov     dword [cow_copies], 0
        mov     dword [cow_reuses], 0
        ret

; print_counts: "N write faults, N copies, N made writable again".
print_counts:
        push    eax
        mov     eax, [cow_faults]
        call    putdec
        print   " write faults, "
        mov     eax, [cow_copies]
        call    putdec
        print   " frames copied, "
        mov     eax, [cow_reuses]
        call    putdec
        print   " made writable in place (last user)", 10
        pop     eax
        ret

; ---------------------------------------------------------------------------------------
; Exceptions: a write to a copy-on-write page is resolved; an expected fault
; (fault_resume != 0) is recorded and skipped; anything else stops the VM.
fault_common:
        pushad
        cmp     dword [esp + FRAME_VECTOR], VEC_PF
        jne     .other
        mov     edx, [esp + FRAME_ERROR]
        and     edx, PF_P | PF_W
        cmp     edx, PF_P | PF_W        ; a write to a present page
        jne     .other
        mov     eax, cr2                ; find its PTE through CR3 (tables are identity mapped)
        mov     ebx, cr3
        and     ebx, ~(PAGE_SIZE - 1)
        mov     ecx, eax
        shr     ecx, 22
        mov     ebx, [ebx + ecx * 4]
        and     ebx, ~(PAGE_SIZE - 1)
        mov     ecx, eax
        shr     ecx, 12
        and     ecx, 1023
        lea     ebx, [ebx + ecx * 4]    ; EBX = address of the PTE
        mov     edx, [ebx]
        test    edx, PTE_COW
        jz      .other
        inc     dword [cow_faults]
        push    eax
        mov     eax, edx
        call    frame_index
        pop     eax
        cmp     byte [frame_users + ecx], 1
        je      .last_user
        dec     byte [frame_users + ecx]
        push    eax
        call    alloc_frame
        mov     edi, eax
        mov     esi, edx
        and     esi, ~(PAGE_SIZE - 1)
        mov     ecx, 1024
        rep movsd                       ; copy through the identity map
        or      eax, PTE_P | PTE_W
        mov     edx, eax
        pop     eax
        inc     dword [cow_copies]
        jmp     .install
.last_user:
        and     edx, ~PTE_COW
        or      edx, PTE_W
        inc     dword [cow_reuses]
.install:
        mov     [ebx], edx
        invlpg  [eax]                   ; the read-only translation may be cached
        popad
        add     esp, 8
        iretd
.other:
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
        add     esp, 8
        iretd

        exception_stubs fault_common

; ---------------------------------------------------------------------------------------
        align   8
gdt:
        dq      0
        seg_desc 0, 0xFFFFF, ACC_CODE0, FLAGS_4K_32             ; 0x08 KCODE
        seg_desc 0, 0xFFFFF, ACC_DATA0, FLAGS_4K_32             ; 0x10 KDATA
gdt_end:

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
fault_resume:   dd 0
last_fault:     dd NO_FAULT
checks_failed:  dd 0
reference_sum:  dd 0
next_frame:     dd POOL
cow_faults:     dd 0
cow_copies:     dd 0
cow_reuses:     dd 0

load_end:

; bss: zeroed by the loader, not in the file. Its labels are numbers (PHYS(load_end)),
; so they are used without PHYS().
absolute PHYS(load_end)
        alignb  PAGE_SIZE
kernel_tables:  resb PAGE_SIZE * IDENTITY_TABLES
window_tables:  resb PAGE_SIZE * WINDOW_TABLES
parent_pd:      resb PAGE_SIZE
parent_pt:      resb PAGE_SIZE
child_pd:       resb PAGE_SIZE
child_pt:       resb PAGE_SIZE
frame_users:    resb POOL_FRAMES            ; how many page tables map each pool frame
        alignb  16
                resb PAGE_SIZE
stack_top:
bss_end:
