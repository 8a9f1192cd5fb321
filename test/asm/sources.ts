/** Hand-written NASM sources shared by the conformance and fuzz tests. */
export const SOURCES: Record<string, string> = {
  numbers: `db 0x1F, 0h1F, 1Fh, $1F, 0o17, 0q17, 17o, 17q, 0b101, 0y101, 101b, 101y, 0d99, 99d, 0t99, 99t, 1_000 & 0xff, 0x1_F
dd 0xdead_beef, 0bh, 0abh, 1e3h
dw 'a', 'ab', "ab", \`\\n\\t\\x41\\101\`
dd 'abcd', 'ab'
db 'hello', 0, "w", \`a\\0b\`
dq -2, 0x123456789abcdef0, 'abcdefgh'
dd 1.5, -2.25, 3.0e2
dq 1.5, -0.0`,
  operators: `dd 1+2*3, (1+2)*3, 7/2, -7/2, -7//2, 7 % 3, -7 %% 3, 1<<4, -16>>2, -16>>>2, 1<<<3
dd 5&3, 5|3, 5^3, ~5, !5, !0, -5, +5
dd 1==1, 1!=2, 1<>1, 2<3, 3<=3, 4>5, 5>=5, 1<=>2, 2<=>2, 3<=>2, 1=1
dd 1&&0, 1||0, 1^^1, 0^^1, 1 ? 2 : 3, 0 ? 2 : 3
dd 1+2<<1, 1|2^3&4, 2*3+4*5, 10-2-3, 100/10/5, 'a'+1
dq 1<<70, -1>>1, 0x8000000000000000>>>63`,
  labels: `org 0x7c00
start: jmp short main
.local: db 1
main: mov ax, start.local
  mov bx, start.local
..@special: nop
.next: dw .next, main.next, ..@special
x equ 5
y equ x*2+start
  dw x, y, $, $$, $-$$
times 510-($-$$) db 0
dw 0xaa55`,
  bits32: `bits 32
org 0x100000
entry: mov esp, stack_top
  call main
  jmp $
main: push ebp
  mov ebp, esp
  mov eax, [ebp+8]
  lgdt [gdtr]
  jmp 0x08:.flush
.flush: mov ax, 0x10
  mov ds, ax
  ret
gdtr: dw gdt_end - gdt - 1
  dd gdt
gdt: dq 0, 0x00cf9a000000ffff, 0x00cf92000000ffff
gdt_end:
align 16
stack: times 64 db 0
stack_top:`,
  mixedBits: `bits 16
org 0x7c00
  cli
  lgdt [gdt_desc]
  mov eax, cr0
  or eax, 1
  mov cr0, eax
  jmp 0x08:pm
bits 32
pm: mov ax, 0x10
  mov ds, ax
  jmp pm
[bits 16]
gdt_desc: dw 23
  dd 0`,
  alignAndRes: `db 1
align 8
db 2
align 4, db 0xcc
db 3
alignb 4
db 4
align 16, nop
section .bss
buf: resb 10
buf2: resw 3
buf3: resd 1
section .text
dd buf, buf2, buf3`,
  sections: `org 0x1000
section .text
  mov eax, msg
  mov ebx, var
section .data
msg: db 'hi', 0
section .rodata align=16
ro: dd 0x11223344
section .bss
var: resd 4
section .text
  dd ro, $$`,
  vstart: `org 0x7c00
section .payload vstart=0x500
p: db 3
  dw p, $
section .text
  dw p
  dw $`,
  // An absolute block that starts at a section-relative address: its labels stay in that section.
  absoluteRelocatable: `org 0x1000
x: dd y - $$, w2 - $$
  dw q, h, b
e:
absolute e
y: resb 4
q: resb 2
h equ $
b equ $$
alignb 8
w2:
section .data
  dd w, w3
section .text
  db 1
z:
section .data
absolute z
w: resb 2
alignb 4
w3:`,
  absoluteScalar: `absolute 5
v: resb 1
v2:
section .text
  dw v, v2`,
  times: `times 3 db 1, 2
times 2 nop
times 4 dw $
times 0 db 9
l: times 2 jmp l`,
  struc: `struc point
  .x: resw 1
  .y: resw 1
  .name: resb 8
endstruc
p1: istruc point
  at point.x, dw 1
  at point.y, dw 2
  at point.name, db 'abc'
iend
  dw point_size, point.y, point.name`,
  jumpsForward: `bits 32
  jz far_away
  jmp near_target
near_target: times 100 nop
  jnz near_target
far_away: times 200 nop
  loop near_target2
near_target2: call far_away
  jmp short near_target2
  jecxz near_target2`,
  forwardConstants: `bits 32
  add eax, K
  add ebx, BIG
  mov eax, [ebx+K]
  mov eax, [ebx+BIG]
  push K
  push BIG
  imul ecx, edx, K
  shl eax, ONE
K equ 4
BIG equ 0x1000
ONE equ 1`,
  relocatableImm: `bits 32
l: add eax, l
  push l
  mov eax, [ebx+l]
  cmp ecx, l2-l
  push l2-l
l2:`,
  errorUndefined: `mov ax, nowhere`,
  errorBadOperand: `bits 32
mov eax, bl`,
  errorSizeMissing: `inc [eax]`,
  errorShortRange: `jmp short target
times 200 nop
target:`,
  errorRedefined: `a: nop
a: nop`,
  // NASM accepts a symbol defined again with the same value (section and offset).
  redefinedSameValue: `C equ 0x3F8
C equ 0x3F8
x: db 0
R equ x
R equ x
here:
here:
here equ $
  dw C, here
  dd R`,
  errorEquRedefinedDifferent: `C equ 0x3F8
C equ 0x3F8
C equ 0x3F9`,
  errorLabelEquRedefined: `db 1
a equ 1
a:`,
  errorDivZero: `db 1/0`,
  errorTimesNegative: `times -1 db 0`,
  errorGarbage: `mov ax, )`,
  errorUnknownInsn: `foo bar baz`,
  errorShiftReloc: `l: dw l >> 1`,
  ppDefine: `%define FOO 5
%define BAR(x, y) ((x) * (y) + FOO)
%define BAZ FOO + 1
%xdefine XB BAZ
%define FOO 7
%idefine CaseLess 3
db FOO, BAR(2, 3), BAZ, XB, caseless, CASELESS
%undef FOO
%ifdef FOO
db 0xEE
%else
db 0x11
%endif
%assign i 1
%assign i i*10+2
db i
%define EMPTY
db 1 EMPTY`,
  ppMacros: `%macro pushall 1-*
%rep %0
  push %1
%rotate 1
%endrep
%endmacro
%macro popall 1-*
%rep %0
%rotate -1
  pop %1
%endrep
%endmacro
%macro retz 0
  jnz %%skip
  ret
%%skip:
%endmacro
%macro def 1-3 7, 9
  db %1, %2, %3, %0
%endmacro
%macro greedy 1+
  db %1
%endmacro
%macro twice 1
  %1
  %1
%endmacro
bits 32
pushall eax, ebx, ecx
popall eax, ebx, ecx
retz
retz
def 1
def 1, 2
def 1, 2, 3
greedy 1, 2, 3
twice nop
lbl: twice cld
  dd lbl`,
  ppConditionals: `%assign x 3
%if x == 1
db 1
%elif x == 3
db 3
%if x > 2
db 0x33
%endif
%else
db 9
%endif
%ifn 0
db 0x10
%endif
%ifidn abc, abc
db 0x20
%endif
%ifidni Abc, aBC
db 0x21
%endif
%ifnum 42
db 0x22
%endif
%ifstr 'x'
db 0x23
%endif
%ifid foo
db 0x24
%endif
%macro m1 2
%endmacro
%ifmacro m1 2
db 0x25
%endif
%ifnmacro m2
db 0x26
%endif
%ifndef nothere
db 0x27
%endif`,
  // %if/%elif expressions see the labels assembled so far (NASM interleaves the preprocessor
  // with each assembly pass).
  ppIfLabels: `a: times 10 db 0
b:
%if b - a > 5
  db 1
%endif
%if b - a > 50
  db 2
%elif b - a == 10
  db 3
%endif
start: db 0
.l: db 1
%if .l - start == 1
  db 4
%endif
%if $ - $$ > 2
  db 5
%endif
section .data
%if $ - $$ == 0
  db 6
%endif`,
  // The jump is short in the first pass and near in the last: only the last pass's
  // preprocessing counts, and %error is a final-pass diagnostic.
  ppIfPassDependent: `a: jmp t
b:
%if b - a == 2
%error only in an early pass, where the jump is still short
%endif
%assign x b - a
  db x
%if b - a == 3
  db 0x33
%endif
times 200 nop
t:`,
  // %elif is evaluated where errors are dropped: a forward reference only leaves the
  // construct off in the first pass, an undefined symbol leaves it off for good.
  ppElifForward: `%if 0
%elif fwd
  db 1
%else
  db 2
%endif
%if 0
%elif nowhere
  db 3
%else
  db 4
%endif
fwd equ 1`,
  errorPpIfForward: `%if fwd > 5
  db 1
%endif
fwd equ 10`,
  errorPpIfRelocatable: `a: db 0
%if a
  db 1
%endif`,
  errorPpIfUndefined: `%if nowhere
  db 1
%else
  db 2
%endif`,
  errorPpErrorFinalPass: `a: jmp t
b:
%if b - a == 3
%error the jump is near
%endif
times 200 nop
t:`,
  // %assign and %rep take equ constants and label differences defined above them.
  ppAssignRepEqu: `N equ 4
%assign x N + 1
  db x
%rep N
  db 9
%endrep
a: times 3 db 0
b:
L equ b - a
%assign y L * 2
%rep L
  db y
%endrep
%assign i 0
%rep b - a
  db i
%assign i i + 1
%endrep
%rep -2
  db 0xEE
%endrep`,
  // A %rep count that cannot be evaluated starts no block: NASM also rejects the %endrep.
  errorPpRepForward: `%rep fwd
  db 1
%endrep
fwd equ 1`,
  errorPpRepRelocatable: `a: db 0
%rep a
  db 1
%endrep`,
  errorPpRepSyntax: `%rep 2+
  db 1
%endrep`,
  errorPpAssignForward: `%assign x fwd + 1
  db x
fwd equ 1`,
  ppRep: `%assign n 0
%rep 5
db n
%assign n n+1
%endrep
%rep 10
%if n > 7
%exitrep
%endif
db n
%assign n n+1
%endrep
times 2 db 0xff`,
  ppContext: `%macro if_ 0
%push ifctx
  jz %$skip
%endmacro
%macro endif_ 0
%$skip:
%pop
%endmacro
if_
  nop
endif_
if_
  cld
endif_`,
  ppStrings: `%strlen L 'hello'
db L
%substr S1 'xyzzy' 2
%substr S2 'xyzzy' 2, 3
%substr S3 'xyzzy' 3, -1
db S1, S2, S3
%strcat C 'ab', "cd", 'e'
db C
%defstr D some text here
db D
%deftok T 'nop'
T
bits 32
db __BITS__
section .data
%define SAVED __SECT__
db 7
SAVED
db 8
%ifidn __BITS__, 32
db 0x32
%endif`,
  errorPpError: `%error this is bad
db 1`,
  errorPpMacroArgs: `%macro two 2
db %1, %2
%endmacro
two 1`,
  errorPpUnterminated: `%if 1
db 1`,
};

