/**
 * Test fixtures for the loaders: an in-memory load target, a small ELF32 writer (so tests
 * do not depend on a linker), and a Multiboot a.out-kludge kernel built by our assembler.
 */
import { assemble } from '../../emulator/asm/index';
import type { LoadTarget } from '../../emulator/loader/types';

export class FakeMemory implements LoadTarget {
  readonly ram: Uint8Array;
  writes = 0;
  constructor(readonly size: number) {
    this.ram = new Uint8Array(size);
  }
  writeBytes(paddr: number, bytes: Uint8Array): void {
    if (paddr < 0 || paddr + bytes.length > this.size) throw new RangeError(`write outside RAM at 0x${paddr.toString(16)}`);
    this.ram.set(bytes, paddr);
    this.writes++;
  }
  u32(a: number): number {
    return new DataView(this.ram.buffer).getUint32(a, true);
  }
  cstr(a: number): string {
    let e = a;
    while (this.ram[e] !== 0) e++;
    return new TextDecoder().decode(this.ram.subarray(a, e));
  }
}

export interface ElfSpec {
  entry: number;
  segments: { paddr: number; vaddr?: number; data: Uint8Array; memsz?: number }[];
  symbols?: { name: string; value: number; size: number; type: number; shndx: number }[];
}

/** Writes a minimal ELF32 i386 ET_EXEC file with program headers, .text, .symtab, .strtab, .shstrtab. */
export function buildElf(spec: ElfSpec): Uint8Array {
  const phnum = spec.segments.length;
  const ehsize = 52;
  const phoff = ehsize;
  let off = phoff + phnum * 32;
  const segOffsets: number[] = [];
  for (const s of spec.segments) {
    segOffsets.push(off);
    off += s.data.length;
  }
  const strtab: number[] = [0];
  const symEntries: number[][] = [[0, 0, 0, 0, 0, 0]];
  for (const sym of spec.symbols ?? []) {
    const nameOff = strtab.length;
    for (const c of new TextEncoder().encode(sym.name)) strtab.push(c);
    strtab.push(0);
    symEntries.push([nameOff, sym.value, sym.size, (1 << 4) | sym.type, 0, sym.shndx]);
  }
  const shstr = [0, ...new TextEncoder().encode('.text\0.symtab\0.strtab\0.shstrtab\0')];
  const symOff = off;
  off += symEntries.length * 16;
  const strOff = off;
  off += strtab.length;
  const shstrOff = off;
  off += shstr.length;
  off = (off + 3) & ~3;
  const shoff = off;
  const shnum = 5;
  off += shnum * 40;
  const out = new Uint8Array(off);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, 3, true);
  dv.setUint32(20, 1, true);
  dv.setUint32(24, spec.entry, true);
  dv.setUint32(28, phoff, true);
  dv.setUint32(32, shoff, true);
  dv.setUint16(40, ehsize, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, phnum, true);
  dv.setUint16(46, 40, true);
  dv.setUint16(48, shnum, true);
  dv.setUint16(50, 4, true);
  spec.segments.forEach((s, i) => {
    const o = phoff + i * 32;
    dv.setUint32(o, 1, true);
    dv.setUint32(o + 4, segOffsets[i]!, true);
    dv.setUint32(o + 8, s.vaddr ?? s.paddr, true);
    dv.setUint32(o + 12, s.paddr, true);
    dv.setUint32(o + 16, s.data.length, true);
    dv.setUint32(o + 20, s.memsz ?? s.data.length, true);
    dv.setUint32(o + 24, 5, true);
    dv.setUint32(o + 28, 0x1000, true);
    out.set(s.data, segOffsets[i]!);
  });
  symEntries.forEach((e, i) => {
    const o = symOff + i * 16;
    dv.setUint32(o, e[0]!, true);
    dv.setUint32(o + 4, e[1]!, true);
    dv.setUint32(o + 8, e[2]!, true);
    out[o + 12] = e[3]!;
    dv.setUint16(o + 14, e[5]!, true);
  });
  out.set(strtab, strOff);
  out.set(shstr, shstrOff);
  const sh = (i: number, name: number, type: number, offset: number, size: number, link = 0, entsize = 0, addr = 0) => {
    const o = shoff + i * 40;
    dv.setUint32(o, name, true);
    dv.setUint32(o + 4, type, true);
    dv.setUint32(o + 12, addr, true);
    dv.setUint32(o + 16, offset, true);
    dv.setUint32(o + 20, size, true);
    dv.setUint32(o + 24, link, true);
    dv.setUint32(o + 36, entsize, true);
  };
  const first = spec.segments[0];
  sh(1, 1, 1, segOffsets[0] ?? 0, first?.data.length ?? 0, 0, 0, first?.paddr ?? 0);
  sh(2, 7, 2, symOff, symEntries.length * 16, 3, 16);
  sh(3, 15, 3, strOff, strtab.length);
  sh(4, 23, 3, shstrOff, shstr.length);
  return out;
}

/** A Multiboot kernel using the a.out kludge, assembled by our own assembler. */
export const AOUT_KERNEL = `bits 32
org 0x100000
MAGIC equ 0x1BADB002
FLAGS equ (1 << 0) | (1 << 1) | (1 << 16)
header:
  dd MAGIC, FLAGS, -(MAGIC + FLAGS)
  dd header, header, load_end, bss_end, start
start:
  cmp eax, 0x2BADB002
  jne .bad
  mov esi, [ebx + 16]       ; cmdline
.print:
  lodsb
  test al, al
  jz .done
  out 0xE9, al              ; QEMU debugcon
  jmp .print
.done:
  mov al, 10
  out 0xE9, al
  mov ax, 0x10
  out 0xF4, al              ; isa-debug-exit: QEMU exits with status (0x10 << 1) | 1
  hlt
.bad:
  mov al, '!'
  out 0xE9, al
  out 0xF4, al
  hlt
load_end:
section .bss
  resb 4096
bss_end:
`;

export function assembleKernel(src = AOUT_KERNEL): Uint8Array {
  const r = assemble(src, { fileName: 'kernel.asm' });
  if (r.errors.length) throw new Error(r.errors.map((e) => `${e.line}: ${e.message}`).join('\n'));
  return r.bytes;
}
