; sieve.asm — counts the primes below 1,000,000 with the sieve of Eratosthenes and prints
; the count and the largest one on the Bochs debug console (port 0xE9), then exits
; through QEMU's isa-debug-exit (port 0xF4) with status (0 << 1) | 1 = 1.
;
; Entry state: flat 32-bit protected mode (CS = 0x08, DS = ES = SS = 0x10, base 0,
; limit 4 GiB), paging off. Loaded as a flat binary at 0x10000; it sets up its own stack.
; Expected output: "primes below 1000000: 78498, largest: 999983"

bits 32
org 0x10000

LIMIT   equ 1000000
SIEVE   equ 0x100000            ; one byte per number: 0 = prime so far, 1 = composite

start:
        mov     esp, 0x90000    ; a stack below the 640-KiB line
        mov     edi, SIEVE      ; clear the sieve
        mov     ecx, LIMIT
        xor     eax, eax
        cld
        rep stosb

        mov     ebx, 2          ; for each i with i*i < LIMIT
.outer:
        mov     eax, ebx
        mul     ebx             ; edx:eax = i*i
        cmp     eax, LIMIT
        jae     .count
        cmp     byte [SIEVE + ebx], 0
        jne     .next
.mark:                          ; mark i*i, i*i + i, ... as composite
        mov     byte [SIEVE + eax], 1
        add     eax, ebx
        cmp     eax, LIMIT
        jb      .mark
.next:
        inc     ebx
        jmp     .outer

.count:
        xor     ecx, ecx        ; ecx = number of primes
        mov     ebx, 2
.cloop:
        cmp     byte [SIEVE + ebx], 0
        jne     .cnext
        inc     ecx
        mov     [last], ebx
.cnext:
        inc     ebx
        cmp     ebx, LIMIT
        jb      .cloop

        mov     esi, msg_count
        call    puts
        mov     eax, ecx
        call    putdec
        mov     esi, msg_largest
        call    puts
        mov     eax, [last]
        call    putdec
        mov     al, 10
        out     0xE9, al

        xor     eax, eax        ; exit status 0 -> the host sees (0 << 1) | 1
        out     0xF4, al
        hlt

; puts: print the NUL-terminated string at ESI.
puts:
        lodsb
        test    al, al
        jz      .done
        out     0xE9, al
        jmp     puts
.done:
        ret

; putdec: print EAX in decimal.
putdec:
        mov     edi, digits_end
        mov     ebx, 10
.digit:
        xor     edx, edx
        div     ebx
        add     dl, '0'
        dec     edi
        mov     [edi], dl
        test    eax, eax
        jnz     .digit
.print:
        mov     al, [edi]
        out     0xE9, al
        inc     edi
        cmp     edi, digits_end
        jb      .print
        ret

msg_count       db "primes below 1000000: ", 0
msg_largest     db ", largest: ", 0
last            dd 0
digits          times 12 db 0
digits_end:
