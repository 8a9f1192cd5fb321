; ports.asm — a hostile guest: port I/O to devices it does not own — the 8042 keyboard
; controller (60h, 64h), the CMOS/RTC index and data (70h, 71h), the primary ATA channel
; (1F0h, 1F7h) and PCI configuration mechanism #1 (CF8h, CFCh). It writes first (an RTC
; index, an ATA command, a PCI address), then reads each port and prints what came back.
; Under the VMM a VM's I/O reaches only its own devices: a port with no device of the VM
; reads as all ones and ignores writes, and nothing reaches another VM. (On the bare
; machine the 8042 pulse resets the PC and the guest prints nothing.)
; Build: nasm -f bin -I examples/hostile/ -o ports.bin examples/hostile/ports.asm

%define GUEST_NAME "hostile-ports"
%include "head.inc"

; probe_in PORT, "PORT", SIZE (1, 2 or 4) — print "IN PORT = value".
%macro probe_in 3
        print   GUEST_NAME, ": IN ", %2, " = "
        mov     dx, %1
%if %3 == 1
        xor     eax, eax
        in      al, dx
%elif %3 == 2
        xor     eax, eax
        in      ax, dx
%else
        in      eax, dx
%endif
        call    print_hex32
        print   10
%endmacro

main:
        mov     al, 0x0F                ; CMOS: select the shutdown-status byte
        out     0x70, al
        mov     al, 0xFE                ; 8042: pulse the reset line
        out     0x64, al
        mov     dx, 0x1F7               ; ATA: IDENTIFY DEVICE
        mov     al, 0xEC
        out     dx, al
        mov     dx, 0xCF8               ; PCI: address of bus 0, device 0, register 0
        mov     eax, 0x80000000
        out     dx, eax
        probe_in 0x60, "0x60", 1
        probe_in 0x64, "0x64", 1
        probe_in 0x71, "0x71", 1
        probe_in 0x1F0, "0x1F0", 2
        probe_in 0x1F7, "0x1F7", 1
        probe_in 0xCF8, "0xCF8", 4
        probe_in 0xCFC, "0xCFC", 4
        ret

%include "tail.inc"
