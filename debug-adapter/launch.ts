/**
 * `launch`: check the launch attributes (package.json `contributes.debuggers[0]`, contracts in
 * the issue) and build one VM per program — assembled in-process when it is an .asm/.nasm
 * source (keeping its source map and symbols), booted as the command line boots it otherwise
 * (cli/boot-program.ts: Multiboot, ELF, flat binary, disk image, firmware).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { assemble, formatDiagnostic } from '../emulator/asm/index';
import { RING_MODELS, VMM_KINDS, type GuestVm, type RingModel, type VmmKind } from '../emulator/vmm/guest-vm';
import { NativeVm } from '../emulator/vmm/native-vm';
import { TrapAndEmulateVm } from '../emulator/vmm/trap-and-emulate/vm';
import type { DiskKind } from '../emulator/machine/disk';
import { bootMachine, hasElfMagic, hasMultibootMagic, padDiskImage, DEFAULT_FLAT_ADDRESS, FLOPPY_144_BYTES, type BootPlan } from '../cli/boot-program';
import { AdapterError } from './errors';
import { SourceIndex } from './source-index';

/** The `launch` request's arguments (DAP's plus ours). */
export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  program?: string;
  programs?: string[];
  vmm?: string;
  ringModel?: string;
  memory?: number;
  bios?: string;
  stopOnEntry?: boolean;
  includePaths?: string[];
  maxInstructions?: number;
  /** Directory relative paths are resolved against (VS Code passes the workspace folder). */
  cwd?: string;
}

/** Checked launch attributes. */
export interface LaunchConfig {
  programs: string[];
  vmm: VmmKind;
  ringModel: RingModel | null;
  memoryMiB: number;
  bios: string | null;
  stopOnEntry: boolean;
  includePaths: string[];
  maxInstructions: number | null;
}

/** One VM of the session: one DAP thread. */
export interface Target {
  threadId: number;
  /** The program's file name, shown as the thread's name. */
  name: string;
  file: string;
  vm: GuestVm;
  /** Source lines and symbols, for programs assembled from source; null for binaries. */
  sources: SourceIndex | null;
  /** Why the VM ended (guest exit, VMM stop), once it has. */
  ended: string | null;
  /**
   * Instruction budget used since launch (for `maxInstructions`), summed per run: runs whose
   * budget ran out count it whole (a halted guest spends it as virtual time, so an idle
   * guest reaches the limit too, as with the CLI's --max-instructions), others what ran.
   */
  instructions: number;
  /** Whether a stop the VM cannot go on from (triple fault, VMM stop, halt) was reported; the next run ends it. */
  fatalReported: boolean;
}

/** Disk images by extension (a floppy when it fits a 2.88 MB diskette, a hard disk otherwise). */
const DISK_EXTENSIONS = /\.(img|ima|flp|vfd|hdd)$/i;
const SOURCE_EXTENSIONS = /\.(asm|nasm|s)$/i;
const FLOPPY_MAX_BYTES = 2 * FLOPPY_144_BYTES;

/**
 * Check the attributes.
 * @throws AdapterError naming the attribute and what is wrong with it
 */
export function checkLaunchArguments(args: LaunchArguments): LaunchConfig {
  const base = typeof args.cwd === 'string' ? args.cwd : process.cwd();
  const resolve = (p: string) => path.resolve(base, p);
  let programs: string[];
  if (args.programs !== undefined) {
    if (args.program !== undefined) throw new AdapterError("launch: give either 'program' or 'programs', not both");
    if (!Array.isArray(args.programs) || args.programs.length === 0 || !args.programs.every((p) => typeof p === 'string' && p !== '')) {
      throw new AdapterError("launch: 'programs' must be a non-empty array of file paths");
    }
    programs = args.programs.map(resolve);
  } else if (args.program !== undefined) {
    if (typeof args.program !== 'string' || args.program === '') throw new AdapterError("launch: 'program' must be a file path");
    programs = [resolve(args.program)];
  } else programs = [];
  const bios = args.bios === undefined ? null : typeof args.bios === 'string' ? resolve(args.bios) : null;
  if (args.bios !== undefined && bios === null) throw new AdapterError("launch: 'bios' must be the path of a firmware ROM image");
  if (programs.length === 0 && bios === null) throw new AdapterError("launch: missing 'program' (the .asm source, kernel, flat binary or disk image to debug)");
  if (bios !== null && programs.length > 0) throw new AdapterError("launch: with 'bios' the firmware image is the program; leave out 'program' (kernels and disks boot through the built-in BIOS)");
  const vmm = (args.vmm ?? 'native') as VmmKind;
  if (!VMM_KINDS.includes(vmm)) throw new AdapterError(`launch: 'vmm' must be one of ${VMM_KINDS.join(', ')}, not '${String(args.vmm)}'`);
  let ringModel: RingModel | null = null;
  if (vmm !== 'native') {
    ringModel = (args.ringModel ?? '0/1/3') as RingModel;
    if (!RING_MODELS.includes(ringModel)) throw new AdapterError(`launch: 'ringModel' must be one of ${RING_MODELS.join(', ')}, not '${String(args.ringModel)}'`);
    if (bios !== null) throw new AdapterError(`launch: 'bios' is not supported with vmm '${vmm}' (it runs Multiboot kernels without firmware)`);
  } else if (args.ringModel !== undefined) throw new AdapterError("launch: 'ringModel' applies to a VMM; the bare machine (vmm 'native') runs the guest in its own rings");
  const memoryMiB = args.memory ?? 32;
  if (!Number.isInteger(memoryMiB) || memoryMiB < 1 || memoryMiB > 2048) throw new AdapterError(`launch: 'memory' must be a whole number of MiB from 1 to 2048, not ${String(args.memory)}`);
  if (args.includePaths !== undefined && (!Array.isArray(args.includePaths) || !args.includePaths.every((p) => typeof p === 'string'))) {
    throw new AdapterError("launch: 'includePaths' must be an array of directory paths");
  }
  const max = args.maxInstructions ?? null;
  if (max !== null && (!Number.isSafeInteger(max) || max < 1)) throw new AdapterError(`launch: 'maxInstructions' must be a whole number ≥ 1, not ${String(max)}`);
  if (args.stopOnEntry !== undefined && typeof args.stopOnEntry !== 'boolean') throw new AdapterError("launch: 'stopOnEntry' must be true or false");
  return {
    programs: bios !== null ? [bios] : programs,
    vmm,
    ringModel,
    memoryMiB,
    bios,
    stopOnEntry: args.stopOnEntry ?? false,
    includePaths: (args.includePaths ?? []).map(resolve),
    maxInstructions: max,
  };
}

function readFile(file: string, role: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new AdapterError(`launch: cannot read ${role} '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Bytes of a program and, for a source, its index; assembly errors become an AdapterError listing them. */
function programBytes(file: string, config: LaunchConfig): { bytes: Uint8Array; origin: number; sources: SourceIndex | null } {
  if (!SOURCE_EXTENSIONS.test(file)) return { bytes: readFile(file, 'program'), origin: 0, sources: null };
  const text = new TextDecoder().decode(readFile(file, 'source'));
  const result = assemble(text, {
    fileName: file,
    includePaths: config.includePaths,
    host: {
      readFile: (p) => {
        try {
          return fs.readFileSync(p);
        } catch {
          return undefined;
        }
      },
    },
  });
  if (result.errors.length > 0) {
    const shown = result.errors.slice(0, 5).map(formatDiagnostic).join('\n');
    throw new AdapterError(`launch: '${file}' does not assemble (${result.errors.length} error${result.errors.length === 1 ? '' : 's'}):\n${shown}`);
  }
  return { bytes: result.bytes, origin: result.origin, sources: new SourceIndex(result.sourceMap.entries, result.symbols) };
}

/** How the bare machine boots these bytes (cli/boot-program.ts `planBoot`, decided by content and extension). */
function plan(file: string, bytes: Uint8Array, origin: number, config: LaunchConfig): BootPlan {
  if (config.bios !== null) return { kind: 'firmware', file, image: bytes };
  if (bytes.length === 0) throw new AdapterError(`launch: '${file}' is empty: there is nothing to run`);
  if (DISK_EXTENSIONS.test(file)) {
    const disk: DiskKind = bytes.length <= FLOPPY_MAX_BYTES ? 'floppy' : 'hdd';
    return { kind: 'disk', file, image: padDiskImage(bytes, disk), disk };
  }
  if (hasMultibootMagic(bytes)) return { kind: 'multiboot', file, image: bytes };
  if (hasElfMagic(bytes)) return { kind: 'elf', file, image: bytes };
  return { kind: 'flat', file, image: bytes, address: origin || DEFAULT_FLAT_ADDRESS, mode: 'real' };
}

/**
 * Build and boot one VM.
 * @param serial receives each byte the guest's COM1 transmits
 * @param warn receives the loader's warnings
 * @throws AdapterError when the program cannot be read, assembled, booted, or run under the VMM
 */
export function createTarget(file: string, threadId: number, config: LaunchConfig, serial: (byte: number) => void, warn: (message: string) => void): Target {
  const { bytes, origin, sources } = programBytes(file, config);
  const p = plan(file, bytes, origin, config);
  let vm: GuestVm;
  if (config.vmm === 'native') {
    try {
      vm = new NativeVm(bootMachine(p, { memoryMiB: config.memoryMiB, serial }, warn));
    } catch (e) {
      throw new AdapterError(`launch: ${(e as Error).message}`);
    }
  } else {
    if (p.kind !== 'multiboot') throw new AdapterError(`launch: vmm '${config.vmm}' runs Multiboot kernels only, and '${file}' is not one (it would boot as ${p.kind === 'elf' ? 'an ELF executable' : `a ${p.kind} image`})`);
    let t: TrapAndEmulateVm;
    try {
      t = new TrapAndEmulateVm({ memoryMiB: config.memoryMiB, serial, ringModel: config.ringModel ?? '0/1/3' });
      const r = t.loadMultiboot(p.image);
      if (!r.ok) throw new Error(r.error.message);
      for (const w of r.image.warnings) warn(`${file}: ${w}`);
    } catch (e) {
      throw new AdapterError(`launch: cannot boot '${file}' under the VMM: ${(e as Error).message}`);
    }
    vm = t;
  }
  return { threadId, name: path.basename(file), file, vm, sources, ended: null, instructions: 0, fatalReported: false };
}
