/**
 * Booting through the built-in BIOS, end to end: a two-stage floppy program that loads its
 * second stage with INT 13h (CHS), prints with INT 10h and reads the E820 memory map; the
 * same from a hard disk with the INT 13h LBA extensions; and the machine rebooting it.
 */
import { describe, expect, it } from 'vitest';
import { memoryMap } from '../../emulator/machine/bios/int15';
import { asm, diskImage, testMachine } from '../unit/machine/guest';

/** Stage 2 (at 7E00h): banner, E820 map as "base length type" lines in hex, INT 12h, exit. */
const STAGE2 = `
stage2:
  mov si, banner
  call puts
  xor ebx, ebx
.entry:
  mov eax, 0xe820
  mov edx, 0x534d4150
  mov ecx, 20
  mov di, buf
  int 0x15
  jc .fail
  mov eax, [buf]
  call hex32
  mov al, ' '
  call putc
  mov eax, [buf + 8]
  call hex32
  mov al, ' '
  call putc
  mov al, [buf + 16]
  add al, '0'
  call putc
  mov si, crlf
  call puts
  test ebx, ebx
  jnz .entry
  int 0x12
  movzx eax, ax
  call hex32
  mov si, kib
  call puts
  mov al, 0x11
  out 0xf4, al
.fail:
  mov si, failed
  call puts
  mov al, 0x7f
  out 0xf4, al

putc:                       ; AL → INT 10h teletype
  push bx
  mov ah, 0x0e
  xor bh, bh
  int 0x10
  pop bx
  ret
puts:                       ; DS:SI zero-terminated
  lodsb
  test al, al
  jz .done
  call putc
  jmp puts
.done:
  ret
hex32:                      ; EAX as 8 hex digits
  push ecx
  mov ecx, 8
.digit:
  rol eax, 4
  push eax
  and al, 0x0f
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 7
.out:
  call putc
  pop eax
  loop .digit
  pop ecx
  ret

banner: db "stage 2 loaded", 13, 10, 0
crlf: db 13, 10, 0
kib: db " KiB base memory", 13, 10, 0
failed: db "INT 15h E820h failed", 13, 10, 0
buf: times 20 db 0
`;

function expectedOutput(memoryBytes: number): string {
  const hex = (v: number): string => (v >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const lines = memoryMap(memoryBytes).map((e) => `${hex(e.base)} ${hex(e.length)} ${e.type}\r\n`);
  return `stage 2 loaded\r\n${lines.join('')}${hex(639)} KiB base memory\r\n`;
}

describe('booting a floppy through the built-in BIOS', () => {
  const source = `
bits 16
org 0x7c00
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7c00
  sti
  mov [drive], dl
  mov ah, 0x00              ; reset the drive
  int 0x13
  mov ax, 0x0203            ; read 3 sectors
  mov cx, 0x0002            ; cylinder 0, sector 2
  xor dh, dh                ; head 0
  mov dl, [drive]
  mov bx, 0x7e00
  int 0x13
  jc .error
  cmp al, 3
  jne .error
  jmp stage2
.error:
  mov al, 0x7e
  out 0xf4, al
drive: db 0
  times 510-($-$$) db 0
  dw 0xaa55
${STAGE2}
  times 4*512-($-$$) db 0
`;

  it('loadsItsSecondStageWithInt13h_printsWithInt10h_andReadsTheE820Map', () => {
    const t = testMachine({ memoryMiB: 32, disk: { image: diskImage(asm(source)), kind: 'floppy' } });
    expect(t.machine.run(10_000_000)).toEqual({ kind: 'exit', status: 0x23 });
    expect(t.video()).toBe(expectedOutput(32 << 20));
    expect(t.machine.bios!.calls.get('int13')).toBe(2);
  });

  it('runsTheSameWayTwice_instructionForInstruction', () => {
    const counts = [0, 1].map(() => {
      const t = testMachine({ memoryMiB: 32, disk: { image: diskImage(asm(source)), kind: 'floppy' } });
      t.machine.run(10_000_000);
      return [t.machine.cpu.icount, t.machine.clock.now(), t.video()] as const;
    });
    expect(counts[1]).toEqual(counts[0]);
  });

  it('reportsADiskWithoutTheBootSignature_andHalts', () => {
    const image = diskImage(asm('bits 16\njmp $'));
    const t = testMachine({ disk: { image, kind: 'floppy' } });
    const stop = t.machine.run(1_000_000);
    expect(stop.kind).toBe('halted');
    expect(t.video()).toBe('Boot failed: not a bootable disk\r\n\r\nNo bootable device.\r\n');
  });
});

describe('booting a hard disk through the INT 13h LBA extensions', () => {
  const source = `
bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  mov [drive], dl
  mov ah, 0x41              ; extensions present?
  mov bx, 0x55aa
  int 0x13
  jc .error
  cmp bx, 0xaa55
  jne .error
  mov si, dap
  mov ah, 0x42
  mov dl, [drive]
  int 0x13
  jc .error
  jmp stage2
.error:
  mov al, 0x7e
  out 0xf4, al
drive: db 0
dap: db 0x10, 0
  dw 3                      ; sectors
  dw 0x7e00, 0              ; buffer 0000:7E00
  dq 1                      ; LBA 1
  times 510-($-$$) db 0
  dw 0xaa55
${STAGE2}
  times 4*512-($-$$) db 0
`;

  it('loadsItsSecondStageWithAH42h_andRunsIt', () => {
    const t = testMachine({ memoryMiB: 64, disk: { image: diskImage(asm(source), 4 << 20), kind: 'hdd' } });
    expect(t.machine.run(10_000_000)).toEqual({ kind: 'exit', status: 0x23 });
    expect(t.video()).toBe(expectedOutput(64 << 20));
  });
});
