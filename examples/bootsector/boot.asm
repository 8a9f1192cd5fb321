; boot.asm — a 1.44 MB floppy image whose boot sector loads the rest of the program with
; BIOS INT 13h, then switches to protected mode.
;
; What it shows: how a PC starts a program from a disk. The BIOS reads only the first
; sector (512 bytes, ending in 55h AAh) to 0x0000:0x7C00 and jumps to it in real mode with
; DL = the drive it booted from. That boot sector reads the next 40 sectors one at a time
; with INT 13h AH = 02h (cylinder/head/sector addressing: 18 sectors a track, 2 heads, so
; the reads cross from head 0 to head 1 and into cylinder 1), retrying after a disk reset
; (AH = 00h) as floppies need. Stage 2, now in memory at 0x7E00, turns on the A20 gate
; (port 0x92), loads a GDT, sets CR0.PE and far-jumps into 32-bit code, which checks that
; every sector arrived where it belongs, that memory above 1 MiB no longer wraps to 0,
; and stops the VM.
;
; Entry state: real mode, CS:IP = 0000:7C00 (or 07C0:0000 on some BIOSes: the first jump
; makes it 0000:7C00), DL = boot drive (0x00 for the first floppy), interrupts on.
; Output: COM1 (programmed here to 8N1; each byte waits for LSR.THRE), then isa-debug-exit
; with value 0 (QEMU/Vanderpool status 1); 2 (status 5) when a disk read fails for good.
; Expected output: examples/bootsector.expected.
;
; The image: assembling this file gives the whole floppy image, 1,474,560 bytes (2 sides
; x 80 cylinders x 18 sectors x 512 bytes), so it is rebuilt from the source alone:
;   nasm -f bin -I examples/bootsector/ -o floppy.img examples/bootsector/boot.asm
;   qemu-system-i386 -drive file=floppy.img,format=raw,if=floppy -boot a -display none
;     -serial stdio -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
; (test/examples/ builds it the same way with our assembler; the .img is not committed).

ORIGIN          equ 0x7C00
org ORIGIN

%assign SECTOR 512                     ; (preprocessor numbers: %rep counts use them)
%assign STAGE2_SECTORS 40              ; LBA 1-40, read after the boot sector
%assign CODE_SECTORS 4                 ; stage 2's code; the other 36 are test data
SECTORS_PER_TRACK equ 18                ; 1.44 MB floppy geometry
HEADS           equ 2
FLOPPY_BYTES    equ 80 * HEADS * SECTORS_PER_TRACK * SECTOR
READ_TRIES      equ 3
; COM1, LSR_THRE and LSR_TEMT come from lib/com1.inc, included by stage 2 below.

; ---------------------------------------------------------------------------------------
; Stage 1: the boot sector, real mode, 16-bit code.
bits 16
boot:
        jmp     0x0000:.start           ; CS = 0 whatever segment the BIOS used
.start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, ORIGIN              ; the stack grows down from the boot sector
        sti
        cld
        mov     [boot_drive], dl
        call    serial_init16
        mov     si, msg_started
        call    puts16
        mov     al, [boot_drive]
        call    puthex8
        mov     si, msg_reading
        call    puts16

        mov     di, 1                   ; LBA of the next sector
.sector:
        mov     ax, di                  ; LBA -> C/H/S: S = LBA mod 18 + 1, H = LBA / 18 mod 2,
        xor     dx, dx                  ; C = LBA / 36
        mov     bx, SECTORS_PER_TRACK
        div     bx
        inc     dl
        mov     cl, dl                  ; sector (bits 5:0; a floppy's cylinder fits in CH)
        xor     dx, dx
        mov     bx, HEADS
        div     bx
        mov     ch, al                  ; cylinder
        mov     dh, dl                  ; head
        mov     ax, di                  ; destination ES:0 = 0x7C00 + LBA * 512
        shl     ax, 5
        add     ax, ORIGIN >> 4
        mov     es, ax
        xor     bx, bx
        mov     [last_chs], cx          ; kept for stage 2 to print
        mov     [last_chs + 2], dh
        mov     si, READ_TRIES
.try:
        mov     dl, [boot_drive]
        mov     ax, 0x0201              ; AH = 02h read sectors, AL = 1 sector
        int     0x13
        jnc     .read
        xor     ah, ah                  ; AH = 00h: reset the drive, then try again
        mov     dl, [boot_drive]
        int     0x13
        dec     si
        jnz     .try
        mov     si, msg_disk_error
        call    puts16
        mov     al, 2
        jmp     exit16
.read:
        inc     di
        cmp     di, STAGE2_SECTORS
        jbe     .sector
        xor     ax, ax
        mov     es, ax
        mov     si, msg_loaded
        call    puts16
        jmp     stage2

; serial_init16: COM1 to 115200 baud, 8N1, no UART interrupts.
serial_init16:
        mov     dx, COM1 + 1            ; IER
        xor     al, al
        out     dx, al
        mov     dx, COM1 + 3            ; LCR: DLAB = 1
        mov     al, 0x80
        out     dx, al
        mov     dx, COM1 + 0            ; divisor 1
        mov     al, 1
        out     dx, al
        inc     dx
        xor     al, al
        out     dx, al
        mov     dx, COM1 + 3            ; LCR: 8N1, DLAB = 0
        mov     al, 0x03
        out     dx, al
        ret

; putc16: sends AL to COM1 once the transmitter has room.
putc16:
        push    dx
        push    ax
        mov     dx, COM1 + 5
.wait:
        in      al, dx
        test    al, LSR_THRE
        jz      .wait
        pop     ax
        mov     dx, COM1
        out     dx, al
        pop     dx
        ret

; puts16: sends the NUL-terminated string at DS:SI.
puts16:
        push    ax
.next:
        lodsb
        test    al, al
        jz      .done
        call    putc16
        jmp     .next
.done:
        pop     ax
        ret

; puthex8: sends AL as two hex digits.
puthex8:
        push    ax
        shr     al, 4
        call    .digit
        pop     ax
.digit:
        push    ax
        and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .out
        add     al, 'A' - '9' - 1
.out:
        call    putc16
        pop     ax
        ret

; exit16: stops the VM with status AL once the UART is empty.
exit16:
        mov     bl, al
        mov     dx, COM1 + 5
.drain:
        in      al, dx
        test    al, LSR_TEMT
        jz      .drain
        mov     al, bl
        out     0xF4, al
.halt:
        cli
        hlt
        jmp     .halt

msg_started     db "boot sector: started at 0x7C00 from drive 0x", 0
msg_reading     db "; reading 40 sectors with INT 13h", 10, 0
msg_loaded      db "boot sector: loaded, jumping to 0x7E00", 10, 0
msg_disk_error  db "boot sector: INT 13h read failed", 10, 0
boot_drive      db 0
last_chs        db 0, 0, 0              ; CL (sector), CH (cylinder), DH (head) of the last read

        times   SECTOR - 2 - ($ - $$) db 0
        dw      0xAA55                  ; the BIOS boots only a sector ending in 55h AAh

; ---------------------------------------------------------------------------------------
; Stage 2: LBA 1-40, at 0x7E00. Starts in real mode.
stage2:
        mov     si, msg_stage2
        call    puts16
        in      al, 0x92                ; fast A20 (System Control Port A, bit 1); bit 0
        or      al, 0x02                ; would reset the machine
        and     al, 0xFE
        out     0x92, al
        cli
        lgdt    [gdt_register]
        mov     eax, cr0
        or      eax, 1                  ; CR0.PE
        mov     cr0, eax
        jmp     0x08:protected_mode     ; loads CS with a 32-bit code segment

bits 32
%include "../lib/com1.inc"              ; the 32-bit console routines (lib/com1.inc)

protected_mode:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     fs, ax
        mov     gs, ax
        mov     esp, 0x7C00
        mov     dword [console_column], 0
        print   "stage 2: protected mode, 32-bit code segment 0x08, data segment 0x10", 10

        print   "stage 2: the boot sector read LBA 40 as cylinder "
        movzx   eax, byte [last_chs + 1]
        call    putdec
        print   ", head "
        movzx   eax, byte [last_chs + 2]
        call    putdec
        print   ", sector "
        movzx   eax, byte [last_chs]
        and     eax, 0x3F
        call    putdec
        print   10

        mov     esi, test_data          ; each data sector holds dwords LBA << 16 | index
        mov     ebx, CODE_SECTORS + 1   ; its LBA
        xor     edx, edx                ; dwords that differ
.check_sector:
        xor     ecx, ecx
.check_dword:
        mov     eax, ebx
        shl     eax, 16
        or      eax, ecx
        cmp     [esi + ecx * 4], eax
        je      .same
        inc     edx
.same:
        inc     ecx
        cmp     ecx, SECTOR / 4
        jb      .check_dword
        add     esi, SECTOR
        inc     ebx
        cmp     ebx, STAGE2_SECTORS
        jbe     .check_sector
        print   "stage 2: sectors 5-40 hold what the image put there: "
        call    yes_if_edx_zero
        mov     edi, edx

        mov     dword [0x000500], 0x00000000    ; A20: 0x100500 must not alias 0x000500
        mov     dword [0x100500], 0xA20A20A2
        xor     edx, edx
        cmp     dword [0x000500], 0
        je      .no_wrap
        inc     edx
.no_wrap:
        print   "stage 2: A20 on, writing 0x100500 leaves 0x000500 alone: "
        call    yes_if_edx_zero
        or      edi, edx
        xor     al, al
        test    edi, edi
        jz      .exit
        mov     al, 1
.exit:
        jmp     exit

; yes_if_edx_zero: prints "yes" or "no" and a line end.
yes_if_edx_zero:
        test    edx, edx
        jnz     .no
        print   "yes", 10
        ret
.no:
        print   "no", 10
        ret

msg_stage2      db "stage 2: running at 0x7E00 in real mode; turning A20 on, entering protected mode", 10, 0

        align   8
gdt:
        dq      0
        dw      0xFFFF, 0               ; 0x08: code, base 0, limit 4 GiB, 32-bit
        db      0, 0x9A, 0xCF, 0
        dw      0xFFFF, 0               ; 0x10: data, base 0, limit 4 GiB
        db      0, 0x92, 0xCF, 0
gdt_end:
gdt_register:
        dw      gdt_end - gdt - 1
        dd      gdt

        times   CODE_SECTORS * SECTOR - ($ - stage2) db 0   ; the code fills exactly 4 sectors
test_data:                              ; LBA 5-40
%assign lba CODE_SECTORS + 1
%rep STAGE2_SECTORS - CODE_SECTORS
%assign index 0
%rep SECTOR / 4
        dd      (lba << 16) | index
%assign index index + 1
%endrep
%assign lba lba + 1
%endrep

        times   FLOPPY_BYTES - ($ - $$) db 0    ; the rest of the floppy
