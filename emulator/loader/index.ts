/**
 * Kernel loaders: flat binaries, ELF32 executables and Multiboot kernels (ELF or a.out
 * kludge). Each writes into guest-physical memory and returns the entry state as data.
 */
export { loadFlatBinary, type FlatLoadOptions } from './flat';
export { loadElf32, parseElf32, type Elf32File } from './elf32';
export { loadMultiboot, findMultibootHeader, MULTIBOOT_BOOTLOADER_MAGIC, type MultibootOptions } from './multiboot';
export type { EntryState, LoadedImage, LoadedSymbol, LoadError, LoadResult, LoadTarget } from './types';
