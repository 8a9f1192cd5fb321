/**
 * Assemble a source file from the file system with Vanderpool's assembler, as
 * `nasm -f bin` would: `%include` and `incbin` look beside the including file, then in the
 * current directory (NASM's first place), then in the `-I` directories in order.
 */
import { assemble, type AssemblyResult } from '../emulator/asm/index';
import { fileSystemHost, readInputFile } from './host-files';

export interface AssembleFileOptions {
  /** `-I` directories. */
  includePaths: string[];
  /** `-D` macros. */
  defines: Record<string, string>;
}

/**
 * @param path the source file, as the user named it (diagnostics name files this way)
 * @throws UsageError when the file cannot be read (assembly errors are in the result)
 */
export function assembleFile(path: string, options: AssembleFileOptions): AssemblyResult {
  const source = new TextDecoder().decode(readInputFile(path, 'source file'));
  return assemble(source, {
    fileName: path,
    includePaths: ['.', ...options.includePaths],
    defines: options.defines,
    host: fileSystemHost,
  });
}
