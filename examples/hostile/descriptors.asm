; descriptors.asm — a hostile guest: segment descriptors that reach the VMM's area. Under a
; VMM the RAM the loader reports ends where the VMM's reserved area begins (ram_top). The
; guest gives descriptor 18h the base ram_top (and a 4-GiB limit), loads FS with it and
; writes POISON at FS:0; then, through its flat 4-GiB DS, writes POISON at ram_top and
; ram_top + 10000h (where the VMM keeps its TSS), and at FFC00000h (the top 4 MiB of the
; linear space). Each step prints the fault it took, or "no fault". Contained means: the
; faults are reflected to the guest (or the writes land in the guest's own memory), and the
; VMM's area never holds POISON. (On the bare machine every write lands: no fault.)
; Build: nasm -f bin -I examples/hostile/ -o descriptors.bin examples/hostile/descriptors.asm

%define GUEST_NAME "hostile-descriptors"
%include "head.inc"

main:
        mov     eax, [ram_top]
        mov     edi, gdt + 0x18
        mov     [edi + 2], ax           ; base 15:0
        shr     eax, 16
        mov     [edi + 4], al           ; base 23:16
        mov     [edi + 7], ah           ; base 31:24
        lgdt    [gdt_register]

        print   GUEST_NAME, ": FS = 0x18 (base = top of RAM): "
        attempt .fs_done
        mov     ax, 0x18
        mov     fs, ax
        mov     dword [fs:0], POISON
        mov     dword [fs:0x10004], POISON
.fs_done:
        report

        print   GUEST_NAME, ": flat DS, write at the top of RAM: "
        attempt .top_done
        mov     edi, [ram_top]
        mov     dword [edi], POISON
.top_done:
        report

        print   GUEST_NAME, ": flat DS, write at the top of RAM + 0x10000: "
        attempt .tss_done
        mov     edi, [ram_top]
        mov     dword [edi + 0x10004], POISON
.tss_done:
        report

        print   GUEST_NAME, ": flat DS, write at 0xFFC00000: "
        attempt .high_done
        mov     dword [0xFFC00000], POISON
.high_done:
        report
        xor     ax, ax
        mov     fs, ax
        ret

%include "tail.inc"
