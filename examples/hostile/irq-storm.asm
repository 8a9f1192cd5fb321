; irq-storm.asm — a hostile guest: an interrupt storm. It programs the 8254's channel 0 to
; divisor 2 (about 597 kHz, the fastest rate-generator mode allows), unmasks IRQ 0 and
; enables interrupts; its IRQ 0 handler busy-loops before its EOI, so a new tick is always
; pending when it returns and the guest does little else. After TICKS ticks the handler
; prints the count and the VM exits. Under a multi-VM host the storm stays inside this VM:
; the other VMs still get their slices and finish.
; Build: nasm -f bin -I examples/hostile/ -o irq-storm.bin examples/hostile/irq-storm.asm

%define GUEST_NAME "hostile-irq-storm"
%include "head.inc"

TICKS           equ 2000
BUSY_LOOPS      equ 200
PIT_CH0         equ 0x40
PIT_MODE        equ 0x43

main:
        mov     eax, PHYS(storm_handler)
        mov     [idt_extra], ax                         ; gate 20h: IRQ 0
        mov     word [idt_extra + 2], KCODE
        mov     word [idt_extra + 4], GATE_INT0 << 8
        shr     eax, 16
        mov     [idt_extra + 6], ax
        mov     al, 0x34                                ; channel 0, lobyte/hibyte, mode 2
        out     PIT_MODE, al
        mov     al, 2
        out     PIT_CH0, al
        xor     al, al
        out     PIT_CH0, al
        mov     al, 0xFE                                ; unmask IRQ 0 only
        out     PIC1_DATA, al
        print   GUEST_NAME, ": PIT at divisor 2, IRQ 0 handler busy for "
        mov     eax, BUSY_LOOPS
        call    putdec
        print   " loops", 10
        sti
.idle:
        jmp     .idle

storm_handler:
        inc     dword [ticks]
        mov     ecx, BUSY_LOOPS
.busy:
        loop    .busy
        cmp     dword [ticks], TICKS
        jae     .enough
        mov     al, PIC_EOI
        out     PIC1_CMD, al
        iretd
.enough:
        mov     al, 0xFF                                ; mask everything: the storm is over
        out     PIC1_DATA, al
        mov     al, PIC_EOI
        out     PIC1_CMD, al
        print   GUEST_NAME, ": "
        mov     eax, [ticks]
        call    putdec
        print   " ticks handled", 10
        print   GUEST_NAME, ": done", 10
        xor     al, al
        jmp     exit

ticks:          dd 0

%include "tail.inc"
