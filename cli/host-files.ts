/**
 * Files for the command line: reading the user's input files with messages that name the
 * file and the problem, writing outputs, and the assembler's host (the file system for
 * `%include` and `incbin`).
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AssemblerHost } from '../emulator/asm/index';
import { UsageError } from './usage-error';

/** The reason in a Node file-system error, in words (`no such file or directory`). */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return e?.message ?? String(err);
  }
}

/**
 * Read a whole input file.
 * @param path as the user gave it
 * @param role what the file is for, for the message (`source file`, `--bios image`)
 * @throws UsageError naming the file and the reason when it cannot be read
 */
export function readInputFile(path: string, role: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`cannot read ${role} '${path}': it is a directory`);
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${role} '${path}': ${reason(err)}`);
  }
}

/**
 * Write a whole output file (created or replaced).
 * @throws UsageError naming the file and the reason when it cannot be written
 */
export function writeOutputFile(path: string, data: Uint8Array | string): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw new UsageError(`cannot write '${path}': ${reason(err)}`);
  }
}

/** Remove a file if it exists (a stale output after a failed assembly, as nasm does). */
export function removeStaleFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Not ours to fail on: the diagnostics already say the assembly failed.
  }
}

/** The assembler's view of the file system: any readable file, `undefined` otherwise. */
export const fileSystemHost: AssemblerHost = {
  readFile(path: string): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(path));
    } catch {
      return undefined;
    }
  },
};
