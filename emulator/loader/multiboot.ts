/**
 * Multiboot (version 0.6.96) kernel loader: finds the Multiboot header in the first 8192
 * bytes (spec §3.1.1), loads the image by the a.out kludge fields (flag bit 16, §3.1.3) or
 * as ELF32 otherwise, builds the Multiboot information structure (§3.3) with memory
 * sizes, a BIOS-style memory map and the command line, and returns the machine state of
 * §3.2: EAX = 0x2BADB002, EBX = address of the information structure, flat 4-GiB CS/DS/ES/
 * FS/GS/SS, CR0.PE = 1 with paging off, EFLAGS.IF = EFLAGS.VM = 0, A20 enabled.
 * Selectors are 0x10 (code) and 0x18 (data), as QEMU's `-kernel` Multiboot loader uses.
 */
import { CR0_PE } from '../arch/control-registers';
import { EFLAGS_FIXED1 } from '../arch/eflags';
import { loadElfSegments, parseElf32 } from './elf32';
import { fail, fitsInMemory, type EntryState, type FlatSegment, type LoadedSegment, type LoadedSymbol, type LoadResult, type LoadTarget } from './types';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** Header flag bits (§3.1.2). */
export const MB_PAGE_ALIGN = 1 << 0;
export const MB_MEMORY_INFO = 1 << 1;
export const MB_VIDEO_MODE = 1 << 2;
export const MB_AOUT_KLUDGE = 1 << 16;
/** Information structure flag bits (§3.3). */
export const MBI_MEMORY = 1 << 0;
export const MBI_CMDLINE = 1 << 2;
export const MBI_MODS = 1 << 3;
export const MBI_MMAP = 1 << 6;
export const MBI_LOADER_NAME = 1 << 9;

const SEARCH_LIMIT = 8192;

export interface MultibootHeader {
  /** File offset of the header. */
  offset: number;
  flags: number;
  headerAddr?: number;
  loadAddr?: number;
  loadEndAddr?: number;
  bssEndAddr?: number;
  entryAddr?: number;
}

export interface MultibootOptions {
  /** Kernel command line, passed in the information structure (bit 2). */
  cmdline?: string;
  /** Physical address for the information structure and the data it points to (default 0x9000). */
  infoAddress?: number;
  bootloaderName?: string;
}

/** Finds and validates the Multiboot header (magic, checksum, 4-byte alignment, within 8 KiB). */
export function findMultibootHeader(bytes: Uint8Array): { ok: true; header: MultibootHeader } | { ok: false; error: { message: string; offset?: number } } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const limit = Math.min(SEARCH_LIMIT, bytes.length) - 12;
  for (let o = 0; o <= limit; o += 4) {
    if (dv.getUint32(o, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = dv.getUint32(o + 4, true);
    const checksum = dv.getUint32(o + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) {
      return fail(`Multiboot header checksum is wrong (magic + flags + checksum = 0x${((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0).toString(16)}, must be 0)`, o + 8);
    }
    const header: MultibootHeader = { offset: o, flags };
    if (flags & MB_AOUT_KLUDGE) {
      if (o + 32 > bytes.length) return fail('Multiboot header truncated: the a.out kludge fields need 32 bytes', o);
      header.headerAddr = dv.getUint32(o + 12, true);
      header.loadAddr = dv.getUint32(o + 16, true);
      header.loadEndAddr = dv.getUint32(o + 20, true);
      header.bssEndAddr = dv.getUint32(o + 24, true);
      header.entryAddr = dv.getUint32(o + 28, true);
    }
    return { ok: true, header };
  }
  return fail(`no Multiboot header (magic 0x1BADB002) in the first ${SEARCH_LIMIT} bytes`);
}

/**
 * Loads a Multiboot kernel and prepares its information structure.
 * @param memory RAM to load into; its `size` gives mem_upper and the memory map.
 */
export function loadMultiboot(target: LoadTarget, bytes: Uint8Array, options: MultibootOptions = {}): LoadResult {
  const h = findMultibootHeader(bytes);
  if (!h.ok) return h;
  const header = h.header;
  const warnings: string[] = [];
  const unknown = header.flags & 0xfff8;
  if (unknown) return fail(`Multiboot header requests unsupported features (flag bits 0x${unknown.toString(16)} in 0-15)`, header.offset + 4);
  if (header.flags & MB_VIDEO_MODE) warnings.push('the kernel asks for a video mode; none is set and no VBE information is passed');

  let segments: LoadedSegment[];
  let entryEip: number;
  let format: 'multiboot-aout' | 'multiboot-elf';
  let symbols: LoadedSymbol[] = [];
  if (header.flags & MB_AOUT_KLUDGE) {
    format = 'multiboot-aout';
    const headerAddr = header.headerAddr!;
    const loadAddr = header.loadAddr!;
    if (loadAddr > headerAddr) return fail(`a.out kludge: load_addr 0x${loadAddr.toString(16)} is above header_addr 0x${headerAddr.toString(16)}`, header.offset + 16);
    const fileStart = header.offset - (headerAddr - loadAddr);
    if (fileStart < 0) return fail('a.out kludge: header_addr - load_addr is larger than the header offset in the file', header.offset + 12);
    const loadEnd = header.loadEndAddr! === 0 ? loadAddr + (bytes.length - fileStart) : header.loadEndAddr!;
    if (loadEnd < loadAddr) return fail('a.out kludge: load_end_addr is below load_addr', header.offset + 20);
    const fileSize = loadEnd - loadAddr;
    if (fileStart + fileSize > bytes.length) return fail(`a.out kludge: the image (${fileSize} bytes from file offset ${fileStart}) runs past the end of the ${bytes.length}-byte file`, header.offset + 20);
    const bssEnd = header.bssEndAddr! === 0 ? loadEnd : header.bssEndAddr!;
    if (bssEnd < loadEnd) return fail('a.out kludge: bss_end_addr is below load_end_addr', header.offset + 24);
    if (!fitsInMemory(target, loadAddr, bssEnd - loadAddr)) return fail(`kernel at 0x${loadAddr.toString(16)}..0x${bssEnd.toString(16)} does not fit in ${target.size} bytes of RAM`);
    target.writeBytes(loadAddr, bytes.subarray(fileStart, fileStart + fileSize));
    if (bssEnd > loadEnd) target.writeBytes(loadEnd, new Uint8Array(bssEnd - loadEnd));
    segments = [{ paddr: loadAddr, fileSize, memSize: bssEnd - loadAddr }];
    entryEip = header.entryAddr!;
  } else {
    format = 'multiboot-elf';
    const p = parseElf32(bytes);
    if (!p.ok) return fail(`Multiboot kernel without the a.out kludge must be ELF32: ${p.error.message}`, p.error.offset);
    const l = loadElfSegments(target, bytes, p.elf);
    if (!l.ok) return l;
    segments = l.segments;
    entryEip = p.elf.entry;
    symbols = p.elf.symbols;
  }

  const info = buildInfo(target, segments, options);
  if (!info.ok) return info;
  const code: FlatSegment = { selector: 0x10, base: 0, limit: 0xffffffff, type: 0xb, db: true };
  const data: FlatSegment = { selector: 0x18, base: 0, limit: 0xffffffff, type: 0x3, db: true };
  const entry: EntryState = {
    mode: 'protected',
    eip: entryEip,
    registers: { eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: info.address },
    eflags: EFLAGS_FIXED1,
    cr0: CR0_PE,
    segments: { cs: code, ds: data, es: data, fs: data, gs: data, ss: data },
    a20: true,
  };
  return { ok: true, image: { format, entry, segments, symbols, warnings } };
}

/**
 * Writes the Multiboot information structure (§3.3) and what it points to:
 * | off | field            |
 * |   0 | flags            |  4 mem_lower (KiB) | 8 mem_upper (KiB) | 16 cmdline
 * |  44 | mmap_length      | 48 mmap_addr       | 64 boot_loader_name
 * Memory map entries are { size=20, base_addr u64, length u64, type u32 } (type 1 = RAM).
 */
function buildInfo(target: LoadTarget, segments: LoadedSegment[], options: MultibootOptions): { ok: true; address: number } | { ok: false; error: { message: string } } {
  const base = options.infoAddress ?? 0x9000;
  const cmdline = new TextEncoder().encode((options.cmdline ?? '') + '\0');
  const name = new TextEncoder().encode((options.bootloaderName ?? 'Vanderpool') + '\0');
  const mmap: [number, number, number][] = [
    [0, 0x9fc00, 1],
    [0x9fc00, 0x400, 2],
    [0xf0000, 0x10000, 2],
  ];
  if (target.size > 0x100000) mmap.push([0x100000, target.size - 0x100000, 1]);
  const infoSize = 120;
  const mmapAddr = base + infoSize;
  const cmdAddr = mmapAddr + mmap.length * 24;
  const nameAddr = cmdAddr + cmdline.length;
  const end = nameAddr + name.length;
  if (!fitsInMemory(target, base, end - base)) return fail(`Multiboot information at 0x${base.toString(16)} does not fit in RAM`);
  for (const s of segments) {
    if (s.paddr < end && base < s.paddr + s.memSize) return fail(`the kernel overlaps the Multiboot information area at 0x${base.toString(16)}..0x${end.toString(16)}`);
  }
  const buf = new Uint8Array(end - base);
  const dv = new DataView(buf.buffer);
  const memLower = Math.min(640, Math.floor(0x9fc00 / 1024));
  const memUpper = target.size > 0x100000 ? Math.floor((target.size - 0x100000) / 1024) : 0;
  dv.setUint32(0, MBI_MEMORY | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME, true);
  dv.setUint32(4, memLower, true);
  dv.setUint32(8, memUpper, true);
  dv.setUint32(16, cmdAddr, true);
  dv.setUint32(44, mmap.length * 24, true);
  dv.setUint32(48, mmapAddr, true);
  dv.setUint32(64, nameAddr, true);
  mmap.forEach(([addr, len, type], i) => {
    const o = infoSize + i * 24;
    dv.setUint32(o, 20, true);
    dv.setBigUint64(o + 4, BigInt(addr), true);
    dv.setBigUint64(o + 12, BigInt(len), true);
    dv.setUint32(o + 20, type, true);
  });
  buf.set(cmdline, cmdAddr - base);
  buf.set(name, nameAddr - base);
  target.writeBytes(base, buf);
  return { ok: true, address: base };
}
