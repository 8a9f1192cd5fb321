; hello.asm — the smallest Multiboot kernel: it checks that a Multiboot loader started it,
; prints one line on the first serial port and stops the VM.
;
; What it shows: the Multiboot (version 1) header with the "a.out kludge" (flags bit 16),
; which makes a flat binary bootable without ELF headers — the header itself tells the
; loader where the file goes (load_addr .. load_end_addr), how much zeroed memory follows it
; (bss_end_addr) and where to start (entry_addr). Multiboot Specification 0.6.96, §3.1.1
; "The layout of Multiboot header" and §3.1.3 "The address fields of Multiboot header".
;
; Entry state (Multiboot §3.2 "Machine state"): 32-bit protected mode with flat 4-GiB code
; and data segments, paging off, interrupts off (IF = 0), A20 on, EAX = 0x2BADB002,
; EBX = physical address of the Multiboot information structure; ESP and GDTR are
; undefined, so the kernel sets its own stack and never reloads a segment register.
;
; Output: COM1 (16550A at 0x3F8, programmed to 8N1 here; each byte waits for LSR.THRE),
; then isa-debug-exit (port 0xF4) with value 0, which QEMU and Vanderpool report as exit
; status (0 << 1) | 1 = 1. Expected output: examples/hello.expected.
;
; Build: nasm -f bin -o hello.bin hello.asm
; Run:   qemu-system-i386 -kernel hello.bin -display none -serial stdio -monitor none
;          -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04

bits 32
org 0x100000                        ; loaded at 1 MiB, where Multiboot kernels usually live

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 1 << 16         ; the header's address fields are valid (a.out kludge)
MB_BOOTED       equ 0x2BADB002      ; what a Multiboot loader leaves in EAX

COM1            equ 0x3F8           ; registers: +0 THR/DLL, +1 IER/DLM, +3 LCR, +5 LSR
LSR_THRE        equ 0x20
LSR_TEMT        equ 0x40

        align 4                     ; the header must be 32-bit aligned in the first 8 KiB
mb_header:
        dd MB_MAGIC
        dd MB_FLAGS
        dd -(MB_MAGIC + MB_FLAGS)   ; checksum: the three fields sum to 0
        dd mb_header                ; header_addr: where this header is loaded
        dd $$                       ; load_addr: the file is loaded from its first byte
        dd load_end                 ; load_end_addr: ... up to here
        dd bss_end                  ; bss_end_addr: zeroed up to here
        dd start                    ; entry_addr

start:
        mov     esp, stack_top
        mov     esi, msg_hello
        cmp     eax, MB_BOOTED
        je      .init
        mov     esi, msg_not_multiboot
.init:
        mov     dx, COM1 + 1        ; IER = 0: no UART interrupts
        xor     al, al
        out     dx, al
        mov     dx, COM1 + 3        ; LCR: DLAB = 1 to reach the divisor latch
        mov     al, 0x80
        out     dx, al
        mov     dx, COM1 + 0        ; divisor 1: 115200 baud
        mov     al, 1
        out     dx, al
        inc     dx
        xor     al, al
        out     dx, al
        mov     dx, COM1 + 3        ; LCR: 8 data bits, no parity, 1 stop bit; DLAB = 0
        mov     al, 0x03
        out     dx, al
        call    puts

        mov     dx, COM1 + 5        ; wait until the last byte has left the UART
.drain:
        in      al, dx
        test    al, LSR_TEMT
        jz      .drain
        xor     al, al
        out     0xF4, al            ; isa-debug-exit: the VM stops here with status 1
.halt:
        cli
        hlt
        jmp     .halt

; puts: sends the NUL-terminated string at ESI to COM1.
puts:
        lodsb
        test    al, al
        jz      .done
        mov     ah, al
        mov     dx, COM1 + 5
.wait:
        in      al, dx
        test    al, LSR_THRE
        jz      .wait
        mov     al, ah
        mov     dx, COM1
        out     dx, al
        jmp     puts
.done:
        ret

msg_hello          db "Hello from a Multiboot kernel!", 10, 0
msg_not_multiboot  db "hello: not started by a Multiboot loader (EAX != 0x2BADB002)", 10, 0

load_end:

absolute load_end                   ; the bss: memory the loader zeroes, not in the file
        alignb 16
        resb 1024
stack_top:
bss_end:
