; triple-fault.asm — a hostile guest: it empties its IDT (LIDT with limit 0) and executes
; INT3. The #BP cannot be delivered (#GP), nor the #GP, nor the #DF: a triple fault. On bare
; hardware the processor shuts down; under a VMM only this VM stops, with a message, and the
; other VMs run on. Output: one line, then nothing.
; Build: nasm -f bin -I examples/hostile/ -o triple-fault.bin examples/hostile/triple-fault.asm

%define GUEST_NAME "hostile-triple-fault"
%include "head.inc"

main:
        print   GUEST_NAME, ": LIDT with limit 0, then INT3", 10
        lidt    [empty_idt]
        int3
        print   GUEST_NAME, ": still running after the triple fault (escaped!)", 10
        ret

empty_idt:
        dw      0
        dd      0

%include "tail.inc"
