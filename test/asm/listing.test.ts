/**
 * The listing equals `nasm -l` for sources covering data continuation lines, macros,
 * %rep, includes, TIMES/ALIGN repetition, reservations, sections and warnings, and
 * directives whose expressions read labels.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../emulator/asm/index';
import { requireNasm } from './nasm-oracle';

const INC = '  mov  eax,   X  ; hi\nnop\n';
const SOURCES: Record<string, string> = {
  mixed: `bits 32
%macro two 1
  nop
  db %1
%endmacro
%define X 5
start:  mov eax, [ebx+4]   ; comment
        jmp start
        db 'hello world, a long string', 0
        two 5
        resb 4
        times 3 nop
x equ 5
%if 0
nop
%else
  int3   ; c
%endif
%rep 2
nop
%endrep
%include "inc.inc"
align 8
section .data
        dd 1
section .bss
resb 1
resb 9
resw 3
alignb 16
times 3 resb 2`,
  relocations: `org 0x7c00
bits 32
l: mov eax, [l]
mov eax, [ebx+l]
push l
jmp 0x08:l
dd l, l-$$
dw l
call l
add eax, l
mov byte [l+1], 2
times 2 push l
section .data
d: dd d, l
db 'a string that is long enough to wrap twice over', 0`,
  bootSector: `org 0x7c00
bits 16
start: cli
  xor ax, ax
  mov ds, ax
  mov si, msg
.loop: lodsb
  or al, al
  jz .done
  mov ah, 0x0e
  int 0x10
  jmp .loop
.done: hlt
msg: db "Hello from Vanderpool", 13, 10, 0
times 510-($-$$) db 0
dw 0xaa55`,
  // Directives that read labels: the listing is that of the final pass's preprocessing.
  symbolDependent: `a: jmp t
b:
%assign x b - a
db x
%if b - a == 3
  nop
%else
  int3
%endif
%rep x - 1
db 9
%endrep
times 200 nop
t:`,
};

function nasmListing(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vp-lst-'));
  try {
    writeFileSync(join(dir, 'main.asm'), src);
    writeFileSync(join(dir, 'inc.inc'), INC);
    const r = spawnSync('nasm', ['-f', 'bin', '-o', 'main.bin', '-l', 'main.lst', 'main.asm'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return readFileSync(join(dir, 'main.lst'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.runIf(requireNasm)('listing matches nasm -l', () => {
  for (const [name, src] of Object.entries(SOURCES)) {
    it(name, () => {
      const ours = assemble(src + '\n', { fileName: 'main.asm', host: { readFile: (p) => (p === 'inc.inc' ? new TextEncoder().encode(INC) : undefined) } });
      expect(ours.errors).toEqual([]);
      expect(ours.listing().split('\n')).toEqual(nasmListing(src + '\n').split('\n'));
    });
  }
});
