/**
 * `vanderpool asm FILE.asm [-o FILE.bin] [-l FILE.lst] [-I DIR]... [-D NAME[=VALUE]]...`:
 * assemble with Vanderpool's NASM-compatible assembler and write what `nasm -f bin` writes.
 *
 * As NASM 2.16 does: the output defaults to FILE without its extension (`boot.asm` →
 * `boot`, in the source's directory; `nasm.out` when FILE has no extension); diagnostics go
 * to stderr; on an error the exit status is 1 and neither the output nor the listing is
 * written — an existing one is deleted, so that a build never picks up a stale binary.
 * The diagnostic format is described in asm-diagnostics.ts.
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { assembleFile } from './assemble-file';
import { formatDiagnostics } from './asm-diagnostics';
import { ASM_EXIT_STATUS_HELP, EXIT_ASSEMBLY_ERRORS, EXIT_OK } from './exit-codes';
import { removeStaleFile, writeOutputFile } from './host-files';
import { collect, parseDefine, UsageError } from './usage-error';

export interface AsmCommandOptions {
  output?: string;
  listing?: string;
  include?: string[];
  define?: Record<string, string>;
}

/** Where text for the user goes (the process's stderr; a test may capture it). */
export type WriteText = (text: string) => void;

/**
 * NASM's default output name: the source path without its last extension, or `nasm.out`
 * (in the current directory) when that would be the source itself.
 * @returns the name and, for `nasm.out`, the warning NASM prints
 */
export function defaultOutputName(source: string): { path: string; warning?: string } {
  const slash = source.lastIndexOf('/');
  const dot = source.lastIndexOf('.');
  const stripped = dot > slash + 1 ? source.slice(0, dot) : source;
  if (stripped === source) return { path: 'nasm.out', warning: "default output file same as input, using 'nasm.out' for output" };
  return { path: stripped };
}

/**
 * Assemble `file` and write the outputs.
 * @returns the exit status (0, or 1 when the source has errors)
 * @throws UsageError when a file cannot be read or written, or an output would overwrite the source
 */
export function runAsmCommand(file: string, options: AsmCommandOptions, stderr: WriteText): number {
  let output = options.output;
  if (output === undefined) {
    const name = defaultOutputName(file);
    if (name.warning) stderr(`vanderpool: warning: ${name.warning}\n`);
    output = name.path;
  }
  for (const [flag, path] of [['-o', output], ['-l', options.listing]] as const) {
    if (path !== undefined && resolve(path) === resolve(file)) throw new UsageError(`${flag} ${path} would overwrite the source file`);
  }

  const result = assembleFile(file, { includePaths: options.include ?? [], defines: options.define ?? {} });
  stderr(formatDiagnostics(result.errors, result.warnings));
  if (result.errors.length > 0) {
    removeStaleFile(output);
    if (options.listing !== undefined) removeStaleFile(options.listing);
    return EXIT_ASSEMBLY_ERRORS;
  }
  writeOutputFile(output, result.bytes);
  if (options.listing !== undefined) writeOutputFile(options.listing, result.listing());
  return EXIT_OK;
}

/** Add the `asm` subcommand to the program; `setExit` receives its exit status. */
export function addAsmCommand(program: Command, setExit: (status: number) => void): void {
  program
    .command('asm')
    .description('assemble a NASM-syntax source to a flat binary, as nasm -f bin does')
    .argument('<FILE.asm>', 'source file')
    .option('-o, --output <FILE>', 'output file (default: FILE without its extension, as nasm)')
    .option('-l, --listing <FILE>', 'write a listing, as nasm -l')
    .option('-I, --include <DIR>', 'search DIR for %include and incbin (repeatable; after the including file\'s directory and the current one)', collect)
    .option('-D, --define <NAME[=VALUE]>', 'predefine a single-line macro, as %define (repeatable)', parseDefine)
    .addHelpText('after', ASM_EXIT_STATUS_HELP)
    .action((file: string, options: AsmCommandOptions) => {
      setExit(runAsmCommand(file, options, (t) => process.stderr.write(t)));
    });
}
