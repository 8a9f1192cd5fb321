; multiboot-floppy.asm — a minimal Multiboot (v1) loader on a floppy, so that Bochs, which
; has no `-kernel` option, can boot the Multiboot examples. Used by bochs.ts; not an example.
;
; Disk layout: this loader in LBA 0-1, the kernel file from LBA 2 (KERNEL_SECTORS sectors
; at most). The boot sector reads both parts to 0x7C00 and 0x10000 with INT 13h, enables
; A20 (port 0x92), enters 32-bit protected mode and then does what a Multiboot loader
; does for an a.out-kludge kernel (Multiboot Specification 0.6.96 §3.1.3, §3.2): finds the
; header in the first 8 KiB, copies the file from load_addr to load_end_addr, zeroes up to
; bss_end_addr, and jumps to entry_addr with EAX = 0x2BADB002, EBX = an information
; structure with flags = 0 (no fields), flat segments, paging off and IF = 0.
; Only the a.out kludge (flags bit 16) is supported; anything else halts with a message
; on COM1.

org 0x7C00
%assign SECTOR 512
%assign LOADER_SECTORS 2
%assign KERNEL_SECTORS 64               ; 32 KiB: more than any example needs
FILE_BUFFER     equ 0x10000
MBI             equ 0x9000
COM1            equ 0x3F8

bits 16
        jmp     0x0000:start
start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7C00
        sti
        mov     [drive], dl
        mov     di, 1                   ; LBA; sector LBA goes to (0x7C00 + LBA * 512), or
.sector:                                ; for the kernel to FILE_BUFFER + (LBA - 2) * 512
        mov     ax, di
        xor     dx, dx
        mov     bx, 18
        div     bx
        inc     dl
        mov     cl, dl
        xor     dx, dx
        mov     bx, 2
        div     bx
        mov     ch, al
        mov     dh, dl
        mov     ax, di
        shl     ax, 5
        add     ax, 0x7C00 >> 4
        cmp     di, LOADER_SECTORS
        jb      .target
        mov     ax, di
        sub     ax, LOADER_SECTORS
        shl     ax, 5
        add     ax, FILE_BUFFER >> 4
.target:
        mov     es, ax
        xor     bx, bx
        mov     si, 3
.try:
        mov     dl, [drive]
        mov     ax, 0x0201
        int     0x13
        jnc     .done
        xor     ah, ah
        mov     dl, [drive]
        int     0x13
        dec     si
        jnz     .try
        jmp     $
.done:
        inc     di
        cmp     di, LOADER_SECTORS + KERNEL_SECTORS
        jb      .sector
        in      al, 0x92
        or      al, 2
        and     al, 0xFE
        out     0x92, al
        cli
        lgdt    [gdt_register]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     0x08:protected

drive   db 0
        align   8
gdt:    dq      0
        dw      0xFFFF, 0
        db      0, 0x9B, 0xCF, 0
        dw      0xFFFF, 0
        db      0, 0x93, 0xCF, 0
gdt_register:
        dw      23
        dd      gdt
        times   SECTOR - 2 - ($ - $$) db 0
        dw      0xAA55

bits 32
protected:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        mov     esp, 0x7C00
        mov     esi, FILE_BUFFER
.find:                                  ; the header: 4-byte aligned in the first 8 KiB
        cmp     dword [esi], 0x1BADB002
        jne     .next
        mov     eax, [esi]
        add     eax, [esi + 4]
        add     eax, [esi + 8]
        jz      .found
.next:
        add     esi, 4
        cmp     esi, FILE_BUFFER + 8192
        jb      .find
        mov     esi, msg_no_header
        jmp     fail
.found:
        test    dword [esi + 4], 1 << 16
        jnz     .aout
        mov     esi, msg_not_aout
        jmp     fail
.aout:
        mov     ebx, esi                ; EBX = header in the buffer
        mov     edi, [ebx + 16]         ; load_addr
        mov     eax, [ebx + 12]         ; header_addr - load_addr = header's file offset
        sub     eax, edi
        sub     esi, eax                ; ESI = the file byte that goes to load_addr
        mov     ecx, [ebx + 20]         ; load_end_addr (0: the rest of the file)
        test    ecx, ecx
        jnz     .length
        mov     ecx, FILE_BUFFER + KERNEL_SECTORS * SECTOR
        sub     ecx, esi
        add     ecx, edi
.length:
        sub     ecx, edi
        cld
        rep movsb
        mov     ecx, [ebx + 24]         ; bss_end_addr: zero from load_end up to it
        sub     ecx, edi
        jbe     .entry
        xor     al, al
        rep stosb
.entry:
        mov     edx, [ebx + 28]
        mov     dword [MBI], 0          ; flags: no fields valid
        mov     eax, 0x2BADB002
        mov     ebx, MBI
        jmp     edx

fail:                                   ; prints ESI on COM1 and halts
        lodsb
        test    al, al
        jz      .halt
        mov     dx, COM1
        out     dx, al
        jmp     fail
.halt:
        cli
        hlt
        jmp     .halt

msg_no_header   db "multiboot-floppy: no Multiboot header in the first 8 KiB", 10, 0
msg_not_aout    db "multiboot-floppy: only a.out-kludge kernels (flags bit 16) are supported", 10, 0
        times   LOADER_SECTORS * SECTOR - ($ - $$) db 0
