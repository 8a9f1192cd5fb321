; sgdt-leak.asm — a hostile guest: SGDT and SIDT are not privileged, so under a
; trap-and-emulate VMM they reveal where the VMM keeps the REAL descriptor tables. The guest
; writes POISON through the leaked GDT base (over the null descriptor and its own code and
; data descriptors) and IDT base, then reloads DS and prints what each step did. A VMM must
; keep its tables out of the guest's reach: the writes fault (and are reflected to the
; guest) or land in the guest's own memory, never in the VMM's tables. (On the bare
; machine SGDT names the guest's own GDT, so it wrecks itself: the DS reload triple-faults.)
; Build: nasm -f bin -I examples/hostile/ -o sgdt-leak.bin examples/hostile/sgdt-leak.asm

%define GUEST_NAME "hostile-sgdt-leak"
%include "head.inc"

main:
        sgdt    [scratch]
        sidt    [scratch + 8]
        print   GUEST_NAME, ": SGDT base "
        mov     eax, [scratch + 2]
        call    print_hex32
        print   ", SIDT base "
        mov     eax, [scratch + 10]
        call    print_hex32
        print   10

        print   GUEST_NAME, ": write POISON over the leaked GDT: "
        attempt .gdt_done
        mov     edi, [scratch + 2]
        mov     dword [edi], POISON
        mov     dword [edi + 4], POISON
        mov     dword [edi + KCODE], POISON
        mov     dword [edi + KCODE + 4], POISON
        mov     dword [edi + KDATA], POISON
        mov     dword [edi + KDATA + 4], POISON
.gdt_done:
        report

        print   GUEST_NAME, ": write POISON over the leaked IDT: "
        attempt .idt_done
        mov     edi, [scratch + 10]
        mov     dword [edi + 13 * 8], POISON
        mov     dword [edi + 13 * 8 + 4], POISON
.idt_done:
        report

        print   GUEST_NAME, ": reload DS from 0x10: "
        attempt .reload_done
        mov     ax, KDATA
        mov     ds, ax
.reload_done:
        report
        ret

%include "tail.inc"
