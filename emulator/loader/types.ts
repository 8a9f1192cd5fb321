/**
 * Shared types of the kernel loaders. Loaders write into guest-physical memory through
 * `LoadTarget` (which `PhysicalMemory` satisfies) and return the entry state as data; the
 * machine applies it to the CPU. They never throw on bad input: a malformed or truncated
 * file gives `{ ok: false, error }` naming what is wrong and at which file offset.
 */

/** Where loaders put bytes: guest-physical addresses, sizes in bytes. */
export interface LoadTarget {
  writeBytes(paddr: number, bytes: Uint8Array): void;
  /** RAM size in bytes; everything loaded must fit below it. */
  readonly size: number;
}

export interface LoadError {
  message: string;
  /** File offset the problem was found at, when there is one. */
  offset?: number;
}

export interface LoadedSymbol {
  name: string;
  value: number;
  size: number;
  type: 'func' | 'object' | 'notype' | 'section' | 'file' | 'other';
  /** Section name, or null for absolute/undefined symbols. */
  section: string | null;
}

export interface LoadedSegment {
  paddr: number;
  /** Bytes copied from the file. */
  fileSize: number;
  /** Bytes occupied in memory (the rest after fileSize is zeroed). */
  memSize: number;
}

/** A flat 4-GiB segment as a loader leaves it (base 0, limit 0xFFFFFFFF). */
export interface FlatSegment {
  selector: number;
  base: number;
  limit: number;
  /** Descriptor type nibble (SDM Vol.3A §3.4.5.1): 0xB execute/read accessed, 0x3 read/write accessed. */
  type: number;
  /** D/B bit: 32-bit default operand size / stack. */
  db: boolean;
}

/**
 * The machine state to enter the image in. For Multiboot this is the state of the
 * Multiboot specification §3.2 "Machine state".
 */
export interface EntryState {
  mode: 'real' | 'protected';
  eip: number;
  registers: Partial<Record<'eax' | 'ebx' | 'ecx' | 'edx' | 'esi' | 'edi' | 'ebp' | 'esp', number>>;
  eflags: number;
  cr0: number;
  segments?: Record<'cs' | 'ds' | 'es' | 'fs' | 'gs' | 'ss', FlatSegment>;
  a20: boolean;
}

export interface LoadedImage {
  format: 'flat' | 'elf32' | 'multiboot-elf' | 'multiboot-aout';
  entry: EntryState;
  segments: LoadedSegment[];
  symbols: LoadedSymbol[];
  warnings: string[];
}

export type LoadResult = { ok: true; image: LoadedImage } | { ok: false; error: LoadError };

export function fail(message: string, offset?: number): { ok: false; error: LoadError } {
  return offset === undefined ? { ok: false, error: { message } } : { ok: false, error: { message, offset } };
}

/** Checks that [paddr, paddr+length) lies inside RAM. */
export function fitsInMemory(target: LoadTarget, paddr: number, length: number): boolean {
  return paddr >= 0 && length >= 0 && paddr + length <= target.size;
}
