; BIOS probe: a floppy boot sector program that calls BIOS services and prints the
; registers they return on COM1, one line per call, then exits through isa-debug-exit.
; bios-vs-qemu.test.ts boots it in Vanderpool (built-in BIOS) and in QEMU (SeaBIOS) and
; compares the lines. Only what both BIOSes define alike is printed: ES:DI / ES:BX table
; addresses, the E820 map beyond its first entry, the equipment word and timings differ
; by design and are left out.
;
; Layout: sector 1 = this boot sector (loads sectors 2-6 to 7E00h); sectors 2-6 = the
; rest of the program; from LBA 6 on, each sector is filled with its LBA & FFh (the test
; fills them). Data is read to 0000:0600h, below the program. Booted from a floppy
; (drive 00h) or a hard disk (80h, which adds the LBA-extension calls).

bits 16
org 0x7c00

boot:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7c00
  sti
  mov [drive], dl
  mov ax, 0x0205
  mov cx, 0x0002
  xor dh, dh
  mov bx, 0x7e00
  int 0x13
  jc $
  jmp main

drive: db 0
  times 510-($-$$) db 0
  dw 0xaa55

; ---------------------------------------------------------------------------------------
; report "name": print the name, then AX BX CX DX and CF ZF as they are now.
%macro report 1
  pushf
  pusha
  mov si, %%name
  call puts
  call dump
  popa
  popf
  jmp %%over
%%name: db %1, 0
%%over:
%endmacro

main:
  ; COM1: 8N1, 115200 baud.
  mov dx, 0x3fb
  mov al, 0x80
  out dx, al
  mov dx, 0x3f8
  mov al, 1
  out dx, al
  inc dx
  xor al, al
  out dx, al
  mov dx, 0x3fb
  mov al, 3
  out dx, al

  xor ax, ax
  mov dl, [drive]
  int 0x13
  report "13/00 reset"

  mov ax, 0x0201
  mov cx, 0x0009
  xor dh, dh
  mov dl, [drive]
  mov bx, 0x0600
  int 0x13
  report "13/02 read CHS 0/0/9"
  mov ax, [0x0600]
  mov bx, [0x07fe]
  report "13/02 data"

  mov ax, 0x0202
  mov cx, 0x0012
  xor dh, dh
  mov dl, [drive]
  mov bx, 0x0600
  int 0x13
  report "13/02 read across heads"
  mov ax, [0x0600]
  mov bx, [0x0800]
  report "13/02 data"

  mov ax, 0x0201
  mov cx, 0x0000
  xor dh, dh
  mov dl, [drive]
  mov bx, 0x0600
  int 0x13
  report "13/02 sector 0"
  mov ah, 0x01
  mov dl, [drive]
  int 0x13
  report "13/01 status"

  mov ax, 0x0201
  mov cx, 0x0001
  mov dh, 2
  mov dl, [drive]
  mov bx, 0x0600
  int 0x13
  report "13/02 head 2"

  mov ax, 0x0200
  mov cx, 0x0001
  xor dh, dh
  mov dl, [drive]
  mov bx, 0x0600
  int 0x13
  report "13/02 count 0"

  mov ax, 0x0202
  mov cx, 0x0005
  xor dh, dh
  mov dl, [drive]
  mov bx, 0xff00
  int 0x13
  report "13/02 64K boundary"

  mov ax, 0x0401
  mov cx, 0x0005
  xor dh, dh
  mov dl, [drive]
  xor bx, bx
  int 0x13
  report "13/04 verify"

  mov ah, 0x08
  mov dl, [drive]
  xor bx, bx
  int 0x13
  report "13/08 floppy"

  mov ah, 0x15
  mov dl, [drive]
  xor cx, cx
  xor bx, bx
  int 0x13
  report "13/15 floppy"

  mov ah, 0x41
  mov bx, 0x55aa
  mov dl, [drive]
  xor cx, cx
  int 0x13
  report "13/41 floppy"

  mov ax, 0x0201
  mov cx, 0x0001
  mov dx, 0x0080
  mov bx, 0x0600
  int 0x13
  report "13/02 drive 80h"

  mov ah, 0x08
  mov dl, 0x80
  xor bx, bx
  xor cx, cx
  int 0x13
  report "13/08 drive 80h"

  ; (AH=88h and E801h are left out: SeaBIOS keeps the top 128 KiB of RAM for its tables.)
  xor cx, cx
  xor dx, dx
  mov ax, 0x2403
  xor bx, bx
  int 0x15
  report "15/2403"
  mov ax, 0x2400
  int 0x15
  report "15/2400"
  mov ax, 0x2402
  int 0x15
  report "15/2402 off"
  mov ax, 0x2401
  int 0x15
  report "15/2401"
  mov ax, 0x2402
  int 0x15
  report "15/2402 on"

  mov ah, 0xc0
  int 0x15
  mov bl, [es:bx+2]
  xor bh, bh
  push ds
  pop es
  report "15/C0 model"

  xor ebx, ebx
  mov eax, 0xe820
  mov edx, 0x534d4150
  mov ecx, 20
  mov di, 0x9000
  int 0x15
  cmp eax, 0x534d4150
  sete al
  mov cx, [0x9008]
  mov dx, [0x9010]
  mov bx, [0x9000]
  report "15/E820 first"

  xor ebx, ebx
  mov eax, 0xe820
  mov edx, 0x12345678
  mov ecx, 20
  mov di, 0x9000
  int 0x15
  report "15/E820 no SMAP"

  int 0x12
  report "12"

  mov ah, 0x01
  int 0x16
  report "16/01 no key"

  mov ah, 0x0f
  int 0x10
  report "10/0F"

  mov ah, 0x04
  int 0x1a
  report "1A/04 date"

  cmp byte [drive], 0x80
  jb .done
  ; Hard disk only: the LBA extensions.
  mov ah, 0x41
  mov bx, 0x55aa
  mov dl, [drive]
  xor cx, cx
  int 0x13
  report "13/41 disk"

  mov word [0x9000], 0x1e
  mov si, 0x9000
  mov ah, 0x48
  mov dl, [drive]
  int 0x13
  report "13/48"
  mov ax, [0x9000]
  mov bx, [0x9004]
  mov cx, [0x9008]
  mov dx, [0x900c]
  report "13/48 size cyl heads spt"
  mov ax, [0x9010]
  mov bx, [0x9012]
  mov cx, [0x9018]
  xor dx, dx
  report "13/48 sectors bytes"

  mov ah, 0x15
  mov dl, [drive]
  int 0x13
  report "13/15 disk"

  mov word [0x9000], 0x0010
  mov word [0x9002], 2
  mov word [0x9004], 0x0600
  mov word [0x9006], 0
  mov dword [0x9008], 10
  mov dword [0x900c], 0
  mov si, 0x9000
  mov ah, 0x42
  mov dl, [drive]
  int 0x13
  report "13/42 LBA 10"
  mov ax, [0x0600]
  mov bx, [0x0800]
  mov cx, [0x9002]
  report "13/42 data"

  mov dword [0x9008], 0x7fffff
  mov si, 0x9000
  mov ah, 0x42
  mov dl, [drive]
  int 0x13
  report "13/42 beyond the end"

.done:
  ; Wait for the transmitter to empty, then exit.
  mov dx, 0x3fd
.drain:
  in al, dx
  test al, 0x40
  jz .drain
  mov al, 0x10
  out 0xf4, al
  jmp $

; ---------------------------------------------------------------------------------------
putc:                       ; AL → COM1
  push dx
  push ax
  mov dx, 0x3fd
.wait:
  in al, dx
  test al, 0x20
  jz .wait
  pop ax
  mov dx, 0x3f8
  out dx, al
  pop dx
  ret

puts:                       ; DS:SI
  push ax
.next:
  lodsb
  test al, al
  jz .done
  call putc
  jmp .next
.done:
  pop ax
  ret

hex16:                      ; AX as 4 hex digits
  push cx
  mov cx, 4
.digit:
  rol ax, 4
  push ax
  and al, 0x0f
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 7
.out:
  call putc
  pop ax
  loop .digit
  pop cx
  ret

; The registers saved by `report` (pushf; pusha) lie above the saved BP and the return
; address: [bp+4] DI, +6 SI, +8 BP, +10 SP, +12 BX, +14 DX, +16 CX, +18 AX, +20 FLAGS.
dump:
  push bp
  mov bp, sp
  mov si, s_ax
  call puts
  mov ax, [bp+18]
  call hex16
  mov si, s_bx
  call puts
  mov ax, [bp+12]
  call hex16
  mov si, s_cx
  call puts
  mov ax, [bp+16]
  call hex16
  mov si, s_dx
  call puts
  mov ax, [bp+14]
  call hex16
  mov si, s_cf
  call puts
  mov ax, [bp+20]
  and al, 1
  add al, '0'
  call putc
  mov si, s_zf
  call puts
  mov ax, [bp+20]
  shr al, 6
  and al, 1
  add al, '0'
  call putc
  mov al, 10
  call putc
  pop bp
  ret

s_ax: db ": AX=", 0
s_bx: db " BX=", 0
s_cx: db " CX=", 0
s_dx: db " DX=", 0
s_cf: db " CF=", 0
s_zf: db " ZF=", 0

  times 6*512-($-$$) db 0
