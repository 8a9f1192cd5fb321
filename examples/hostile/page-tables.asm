; page-tables.asm — a hostile guest: page tables pointing beyond its RAM. With paging on
; (0-4 MiB identity mapped), it maps linear 400000h to the first frame above the RAM the
; loader reported (under a VMM: the VMM's reserved area, where its GDT lies), 401000h to the
; frame at F0000000h, and 402000h to its page directory's own frame plus the top of RAM,
; then reads and writes each. A VMM must never map a guest page onto a frame that is not the
; guest's: it stops the VM with a message (or reflects a fault); the bytes it reads must never
; be the VMM's. (On the bare machine the frames above RAM read as all ones.)
; Build: nasm -f bin -I examples/hostile/ -o page-tables.bin examples/hostile/page-tables.asm

%define GUEST_NAME "hostile-page-tables"
%include "head.inc"

; poke LINEAR, "TEXT" — read the dword at LINEAR, print it, write POISON there.
%macro poke 2
        print   GUEST_NAME, ": ", %2, ": "
        attempt %%done
        mov     eax, [%1]
        call    print_hex32
        print   " read, "
        mov     dword [%1], POISON
        print   "written, "
%%done:
        report
%endmacro

main:
        call    paging_on
        mov     eax, [ram_top]
        or      eax, PTE_P | PTE_W
        mov     [page_table_high], eax                  ; 400000h -> top of RAM
        mov     dword [page_table_high + 4], 0xF0000000 | PTE_P | PTE_W
        mov     eax, [ram_top]
        add     eax, 0x20000                            ; a frame of the VMM's shadow-page pool, if it keeps one there
        or      eax, PTE_P | PTE_W
        mov     [page_table_high + 8], eax
        invlpg  [0x400000]
        invlpg  [0x401000]
        invlpg  [0x402000]
        poke    0x400000, "400000h -> the first frame above its RAM"
        poke    0x401000, "401000h -> frame F0000000h"
        poke    0x402000, "402000h -> top of RAM + 20000h"
        ret

%include "tail.inc"
