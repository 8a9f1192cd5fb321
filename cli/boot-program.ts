/**
 * What `vanderpool run` boots, and the machine that boots it.
 *
 * FILE is read (or, for `*.asm`, assembled in-process) and booted as:
 *   - a disk image, when `--boot floppy|hdd` says so: the built-in BIOS loads its boot sector
 *     at 0x7C00 and serves INT 13h from it. A floppy image shorter than 1.44 MB is padded
 *     with zeros to 1.44 MB, a hard-disk image to a whole sector; INT 13h writes change the
 *     copy in memory, never the file;
 *   - a Multiboot kernel, when a Multiboot header (magic 1BADB002h, Multiboot 0.6.96 §3.1.1)
 *     lies 4-byte aligned in its first 8 KiB — ELF or a.out kludge, as QEMU's `-kernel`;
 *   - an ELF32 executable, by its magic (7Fh 'E' 'L' 'F');
 *   - otherwise a flat binary, copied to `--load-address` (default: the source's `org` when
 *     FILE is an .asm with a non-zero one, else 0x7C00) and entered there in `--mode`
 *     (default real mode).
 * With `--bios ROM` (also an .asm or a binary) the ROM is the program: it starts at the
 * reset vector, and FILE must not be given.
 */
import type { Diagnostic } from '../emulator/asm/index';
import { MULTIBOOT_HEADER_MAGIC } from '../emulator/loader/multiboot';
import type { LoadResult } from '../emulator/loader/types';
import { SECTOR_SIZE, type DiskKind } from '../emulator/machine/disk';
import { Machine, type MachineOptions } from '../emulator/machine/machine';
import { assembleFile } from './assemble-file';
import { formatDiagnostics } from './asm-diagnostics';
import { readInputFile } from './host-files';
import { UsageError } from './usage-error';

/** Size of a 1.44 MB diskette image: 80 cylinders × 2 heads × 18 sectors × 512 bytes. */
export const FLOPPY_144_BYTES = 1_474_560;
/** Where a flat binary goes when nothing says otherwise: the boot-sector address. */
export const DEFAULT_FLAT_ADDRESS = 0x7c00;
/** Multiboot §3.1.1: the header lies within the first 8192 bytes, 32-bit aligned. */
const MULTIBOOT_SEARCH_BYTES = 8192;

export interface ProgramOptions {
  boot?: DiskKind;
  /** `--bios` file. */
  bios?: string;
  loadAddress?: number;
  mode?: 'real' | 'protected';
  /** Multiboot command line (`--append`). */
  append?: string;
  /** For .asm files: `-I` directories and `-D` macros. */
  include?: string[];
  define?: Record<string, string>;
}

export type BootPlan =
  | { kind: 'multiboot'; file: string; image: Uint8Array; cmdline?: string }
  | { kind: 'elf'; file: string; image: Uint8Array }
  | { kind: 'flat'; file: string; image: Uint8Array; address: number; mode: 'real' | 'protected' }
  | { kind: 'disk'; file: string; image: Uint8Array; disk: DiskKind }
  | { kind: 'firmware'; file: string; image: Uint8Array };

/** Text for the user (stderr). */
export type WriteText = (text: string) => void;

/**
 * The bytes of a program file: read, or assembled when it is an .asm source (its
 * diagnostics are printed).
 * @returns the bytes and, for a source, its `org`
 * @throws UsageError when the file cannot be read or the source has errors
 */
export function programBytes(path: string, role: string, options: ProgramOptions, stderr: WriteText): { bytes: Uint8Array; origin?: number } {
  if (!/\.asm$/i.test(path)) return { bytes: readInputFile(path, role) };
  const result = assembleFile(path, { includePaths: options.include ?? [], defines: options.define ?? {} });
  stderr(formatDiagnostics(result.errors, result.warnings));
  if (result.errors.length > 0) throw new UsageError(`${role} '${path}' does not assemble (${count(result.errors, 'error')})`);
  return { bytes: result.bytes, origin: result.origin };
}

function count(list: readonly Diagnostic[], noun: string): string {
  return `${list.length} ${noun}${list.length === 1 ? '' : 's'}`;
}

/** Whether a Multiboot header magic lies 4-byte aligned in the first 8 KiB. */
export function hasMultibootMagic(bytes: Uint8Array): boolean {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(MULTIBOOT_SEARCH_BYTES, bytes.length) - 4;
  for (let o = 0; o <= end; o += 4) if (dv.getUint32(o, true) === MULTIBOOT_HEADER_MAGIC) return true;
  return false;
}

/** Whether the bytes start with the ELF magic. */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * A disk image as the BIOS gets it: a floppy image shorter than 1.44 MB padded to 1.44 MB,
 * a hard-disk image padded to a whole sector. Other sizes go to the machine unchanged (it
 * rejects a floppy image of no standard size).
 */
export function padDiskImage(image: Uint8Array, kind: DiskKind): Uint8Array {
  const target =
    kind === 'floppy' ? (image.length < FLOPPY_144_BYTES ? FLOPPY_144_BYTES : image.length) : Math.max(SECTOR_SIZE, Math.ceil(image.length / SECTOR_SIZE) * SECTOR_SIZE);
  if (target === image.length) return image;
  const padded = new Uint8Array(target);
  padded.set(image);
  return padded;
}

/**
 * Decide how to boot.
 * @param file FILE, or undefined (allowed with `--bios` only)
 * @throws UsageError for a missing or unreadable file, a source with errors, or options that do not fit the program
 */
export function planBoot(file: string | undefined, options: ProgramOptions, stderr: WriteText): BootPlan {
  const flatOnly = options.loadAddress !== undefined ? '--load-address' : options.mode !== undefined ? '--mode' : null;
  if (options.bios !== undefined) {
    if (file !== undefined) throw new UsageError(`FILE '${file}' cannot be booted with --bios: the firmware image is the program (kernels and disks need the built-in BIOS)`);
    if (options.boot !== undefined) throw new UsageError('--boot needs the built-in BIOS (its INT 13h serves the disk); it cannot be used with --bios');
    if (flatOnly) throw new UsageError(`${flatOnly} applies to flat binaries, not to a --bios image`);
    return { kind: 'firmware', file: options.bios, image: programBytes(options.bios, '--bios image', options, stderr).bytes };
  }
  if (file === undefined) throw new UsageError('missing FILE to run (or give a firmware image with --bios)');
  const { bytes, origin } = programBytes(file, 'file', options, stderr);
  if (bytes.length === 0) throw new UsageError(`'${file}' is empty: there is nothing to run`);
  if (options.append !== undefined && options.boot === undefined && !hasMultibootMagic(bytes)) {
    throw new UsageError(`--append passes a Multiboot command line, and '${file}' is not a Multiboot kernel`);
  }
  if (options.boot !== undefined) {
    if (flatOnly) throw new UsageError(`${flatOnly} applies to flat binaries; '${file}' is booted as a ${options.boot} disk image`);
    if (options.append !== undefined) throw new UsageError('--append passes a Multiboot command line; a disk image has none');
    return { kind: 'disk', file, image: padDiskImage(bytes, options.boot), disk: options.boot };
  }
  if (hasMultibootMagic(bytes)) {
    if (flatOnly) throw new UsageError(`${flatOnly} applies to flat binaries; '${file}' is a Multiboot kernel, which says where it loads`);
    return { kind: 'multiboot', file, image: bytes, cmdline: options.append };
  }
  if (hasElfMagic(bytes)) {
    if (flatOnly) throw new UsageError(`${flatOnly} applies to flat binaries; '${file}' is an ELF executable, which says where it loads`);
    return { kind: 'elf', file, image: bytes };
  }
  const address = options.loadAddress ?? (origin ? origin : DEFAULT_FLAT_ADDRESS);
  return { kind: 'flat', file, image: bytes, address, mode: options.mode ?? 'real' };
}

/** One line saying what is booted, for the trace and statistics headers. */
export function describePlan(plan: BootPlan): string {
  switch (plan.kind) {
    case 'multiboot':
      return `${plan.file}: Multiboot kernel, ${plan.image.length} bytes`;
    case 'elf':
      return `${plan.file}: ELF32 executable, ${plan.image.length} bytes`;
    case 'flat':
      return `${plan.file}: flat binary, ${plan.image.length} bytes at 0x${plan.address.toString(16).toUpperCase()}, ${plan.mode} mode`;
    case 'disk':
      return `${plan.file}: ${plan.disk === 'floppy' ? 'floppy' : 'hard-disk'} image, ${plan.image.length} bytes`;
    case 'firmware':
      return `${plan.file}: firmware ROM, ${plan.image.length} bytes, from the reset vector F000:FFF0`;
  }
}

/**
 * Build the machine and boot the plan on it.
 * @param machineOptions memory size and console sinks (disk and firmware come from the plan)
 * @param warn receives the loader's warnings
 * @throws UsageError when the machine rejects an option (memory size, image size) or the loader rejects the image
 */
export function bootMachine(plan: BootPlan, machineOptions: MachineOptions, warn: (message: string) => void): Machine {
  let machine: Machine;
  try {
    machine = new Machine({
      ...machineOptions,
      disk: plan.kind === 'disk' ? { image: plan.image, kind: plan.disk } : undefined,
      bios: plan.kind === 'firmware' ? plan.image : undefined,
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`cannot boot '${plan.file}': ${err.message}`);
    throw err;
  }
  let result: LoadResult | null = null;
  if (plan.kind === 'multiboot') result = machine.loadMultiboot(plan.image, { cmdline: plan.cmdline });
  else if (plan.kind === 'elf') result = machine.loadElf(plan.image);
  else if (plan.kind === 'flat') result = machine.loadFlat(plan.image, { address: plan.address, mode: plan.mode });
  if (result !== null) {
    if (!result.ok) {
      const at = result.error.offset !== undefined ? ` (at file offset 0x${result.error.offset.toString(16)})` : '';
      throw new UsageError(`cannot boot '${plan.file}': ${result.error.message}${at}`);
    }
    for (const w of result.image.warnings) warn(`${plan.file}: ${w}`);
  }
  return machine;
}
