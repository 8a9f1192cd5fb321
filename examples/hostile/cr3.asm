; cr3.asm — a hostile guest: loading the real CR3. A deprivileged guest cannot read the
; host CR3, but SGDT leaks where the VMM's area lies, and a shadow page directory is likely a
; page of a pool at a fixed offset from it. With paging on, the guest moves guesses into CR3
; — SGDT base + 20000h + k * 1000h for k = 0..3, and the top of its RAM plus the same
; offsets — and after each reads linear 0 (its own memory in its own tables). A VMM treats
; every guest CR3 as a guest-physical address: a directory beyond the guest's RAM is never
; used (the VM stops with a message, or the guest takes a fault). (On the bare machine the
; guessed directory is whatever lies there, and the guest soon triple-faults.)
; Build: nasm -f bin -I examples/hostile/ -o cr3.bin examples/hostile/cr3.asm

%define GUEST_NAME "hostile-cr3"
%include "head.inc"

; try_cr3 — EAX = the guessed CR3: print it, load it, read linear 0, print what happened.
try_cr3:
        print   GUEST_NAME, ": MOV CR3, "
        call    print_hex32
        print   ": "
        attempt .done
        mov     cr3, eax
        mov     eax, [0]
        print   "read [0] = "
        call    print_hex32
        print   ", "
        mov     dword [0x1000], POISON
        print   "wrote [1000h], "
.done:
        report
        mov     eax, page_directory                     ; back to its own tables
        mov     cr3, eax
        ret

main:
        call    paging_on
        sgdt    [scratch]
        mov     ebx, [scratch + 2]
        add     ebx, 0x20000
        mov     ecx, 4
.leaked:
        mov     eax, ebx
        call    try_cr3
        add     ebx, 0x1000
        loop    .leaked
        mov     ebx, [ram_top]
        add     ebx, 0x20000
        mov     ecx, 4
.top:
        mov     eax, ebx
        call    try_cr3
        add     ebx, 0x1000
        loop    .top
        ret

%include "tail.inc"
