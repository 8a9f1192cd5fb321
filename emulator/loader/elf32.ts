/**
 * ELF32 (i386) executables: header, program headers, section headers and the symbol table,
 * following the System V ABI (gABI "Object Files", and the i386 psABI for EM_386).
 * Every offset and size read from the file is bounds-checked; a malformed file gives an
 * error naming the field and its offset instead of an exception.
 */
import { fail, fitsInMemory, type LoadedSegment, type LoadedSymbol, type LoadError, type LoadResult, type LoadTarget, type EntryState } from './types';

export const ET_EXEC = 2;
export const EM_386 = 3;
export const PT_LOAD = 1;
export const SHT_SYMTAB = 2;

export interface Elf32ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
}

export interface Elf32SectionHeader {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface Elf32File {
  type: number;
  machine: number;
  entry: number;
  programHeaders: Elf32ProgramHeader[];
  sections: Elf32SectionHeader[];
  symbols: LoadedSymbol[];
}

/**
 * Parses an ELF32 little-endian i386 file.
 * @returns the parsed file or an error naming the bad field and its file offset.
 */
export function parseElf32(bytes: Uint8Array): { ok: true; elf: Elf32File } | { ok: false; error: LoadError } {
  const n = bytes.length;
  if (n < 52) return fail(`ELF file truncated: ${n} bytes, the ELF32 header needs 52`, 0);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return fail('not an ELF file (bad magic)', 0);
  if (bytes[4] !== 1) return fail(`ELF class ${bytes[4]} is not ELFCLASS32`, 4);
  if (bytes[5] !== 1) return fail(`ELF data encoding ${bytes[5]} is not little-endian (ELFDATA2LSB)`, 5);
  if (bytes[6] !== 1) return fail(`ELF ident version ${bytes[6]} is not EV_CURRENT`, 6);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const type = u16(16);
  const machine = u16(18);
  if (machine !== EM_386) return fail(`ELF machine ${machine} is not EM_386 (3)`, 18);
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  const shnum = u16(48);
  const shstrndx = u16(50);

  const programHeaders: Elf32ProgramHeader[] = [];
  if (phnum > 0) {
    if (phentsize < 32) return fail(`e_phentsize ${phentsize} is smaller than an ELF32 program header (32)`, 42);
    if (phoff + phnum * phentsize > n) return fail(`program header table (offset 0x${phoff.toString(16)}, ${phnum} entries) runs past the end of the file`, 28);
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      programHeaders.push({ type: u32(o), offset: u32(o + 4), vaddr: u32(o + 8), paddr: u32(o + 12), filesz: u32(o + 16), memsz: u32(o + 20), flags: u32(o + 24), align: u32(o + 28) });
    }
  }

  const raw: (Omit<Elf32SectionHeader, 'name'> & { nameOff: number; at: number })[] = [];
  if (shnum > 0 && shoff !== 0) {
    if (shentsize < 40) return fail(`e_shentsize ${shentsize} is smaller than an ELF32 section header (40)`, 46);
    if (shoff + shnum * shentsize > n) return fail(`section header table (offset 0x${shoff.toString(16)}, ${shnum} entries) runs past the end of the file`, 32);
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      raw.push({ nameOff: u32(o), type: u32(o + 4), flags: u32(o + 8), addr: u32(o + 12), offset: u32(o + 16), size: u32(o + 20), link: u32(o + 24), info: u32(o + 28), entsize: u32(o + 36), at: o });
    }
  }
  const cstr = (tableOff: number, tableSize: number, off: number): string | null => {
    if (off >= tableSize) return null;
    let end = tableOff + off;
    const limit = Math.min(n, tableOff + tableSize);
    while (end < limit && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(tableOff + off, end));
  };
  const nobits = (t: number) => t === 8;
  for (const s of raw) {
    if (!nobits(s.type) && s.type !== 0 && s.offset + s.size > n) return fail(`section data (offset 0x${s.offset.toString(16)}, size ${s.size}) runs past the end of the file`, s.at + 16);
  }
  const shstr = shstrndx < raw.length ? raw[shstrndx] : undefined;
  const sections: Elf32SectionHeader[] = raw.map((s) => ({
    name: (shstr && cstr(shstr.offset, shstr.size, s.nameOff)) ?? '',
    type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size, link: s.link, info: s.info, entsize: s.entsize,
  }));

  const symbols: LoadedSymbol[] = [];
  raw.forEach((s) => {
    if (s.type !== SHT_SYMTAB) return;
    const strtab = raw[s.link];
    const ent = s.entsize || 16;
    if (ent < 16) return;
    for (let o = s.offset + ent; o + 16 <= s.offset + s.size; o += ent) {
      const nameOff = u32(o);
      const info = bytes[o + 12]!;
      const shndx = u16(o + 14);
      const name = strtab ? cstr(strtab.offset, strtab.size, nameOff) : null;
      if (!name) continue;
      const t = info & 0xf;
      symbols.push({
        name,
        value: u32(o + 4),
        size: u32(o + 8),
        type: t === 2 ? 'func' : t === 1 ? 'object' : t === 0 ? 'notype' : t === 3 ? 'section' : t === 4 ? 'file' : 'other',
        section: shndx > 0 && shndx < sections.length ? sections[shndx]!.name : null,
      });
    }
  });
  return { ok: true, elf: { type, machine, entry, programHeaders, sections, symbols } };
}

/**
 * Copies the PT_LOAD segments of a parsed ELF to their physical addresses (p_paddr, as
 * Multiboot loaders and QEMU do) and zeroes the part of p_memsz beyond p_filesz.
 */
export function loadElfSegments(target: LoadTarget, bytes: Uint8Array, elf: Elf32File): { ok: true; segments: LoadedSegment[] } | { ok: false; error: LoadError } {
  const segments: LoadedSegment[] = [];
  for (const [i, ph] of elf.programHeaders.entries()) {
    if (ph.type !== PT_LOAD) continue;
    if (ph.filesz > ph.memsz) return fail(`program header ${i}: p_filesz ${ph.filesz} exceeds p_memsz ${ph.memsz}`);
    if (ph.offset + ph.filesz > bytes.length) return fail(`program header ${i}: segment data (offset 0x${ph.offset.toString(16)}, ${ph.filesz} bytes) runs past the end of the file`, ph.offset);
    if (!fitsInMemory(target, ph.paddr, ph.memsz)) return fail(`program header ${i}: segment at 0x${ph.paddr.toString(16)} (${ph.memsz} bytes) does not fit in ${target.size} bytes of RAM`);
    segments.push({ paddr: ph.paddr, fileSize: ph.filesz, memSize: ph.memsz });
  }
  if (segments.length === 0) return fail('ELF file has no PT_LOAD segment');
  // Validate everything before writing anything.
  for (const ph of elf.programHeaders.filter((p) => p.type === PT_LOAD)) {
    target.writeBytes(ph.paddr, bytes.subarray(ph.offset, ph.offset + ph.filesz));
    if (ph.memsz > ph.filesz) target.writeBytes(ph.paddr + ph.filesz, new Uint8Array(ph.memsz - ph.filesz));
  }
  return { ok: true, segments };
}

/**
 * Loads an ELF32 executable (not as Multiboot): segments in memory, entry at e_entry in flat
 * protected mode, and its symbol table for the debugger.
 */
export function loadElf32(target: LoadTarget, bytes: Uint8Array): LoadResult {
  const p = parseElf32(bytes);
  if (!p.ok) return p;
  if (p.elf.type !== ET_EXEC) return fail(`ELF type ${p.elf.type} is not ET_EXEC (2)`, 16);
  const l = loadElfSegments(target, bytes, p.elf);
  if (!l.ok) return l;
  const entry: EntryState = { mode: 'protected', eip: p.elf.entry, registers: {}, eflags: 0x2, cr0: 1, a20: true };
  return { ok: true, image: { format: 'elf32', entry, segments: l.segments, symbols: p.elf.symbols, warnings: [] } };
}
