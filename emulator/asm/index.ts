/**
 * Public entry point of the NASM-compatible assembler.
 *
 * `assemble(source, options)` preprocesses, assembles in as many passes as jump sizes
 * need, and returns the flat binary (as `nasm -f bin` writes it) with diagnostics, a source
 * map, a symbol table and a NASM-style listing. It never throws and never touches the host
 * directly: files for `%include` and `incbin` come through `options.host`.
 */
import { assembleLines } from './assembler';
import { DiagnosticSink, type Diagnostic } from './diagnostics';
import { buildListing } from './listing';
import { PassPreprocessor } from './pp-passes';
import { flatten } from './sections';
import { buildSourceMap, buildSymbolTable, type SourceMap, type SymbolInfo } from './outputs';
import { dirname, joinPath } from './paths';

export type { Diagnostic } from './diagnostics';
export { formatDiagnostic } from './diagnostics';
export type { SourceMap, SourceMapEntry, SymbolInfo } from './outputs';

/** Host services the assembler needs (injected; the emulator library imports no Node modules). */
export interface AssemblerHost {
  /** Reads a file by path; returns undefined when it does not exist or cannot be read. */
  readFile(path: string): Uint8Array | undefined;
}

export interface AssembleOptions {
  /** Name of the main source file, used in diagnostics and to resolve relative includes. */
  fileName: string;
  /** Directories searched by `%include` and `incbin` after the including file's directory (like `-I`). */
  includePaths?: string[];
  /** Predefined single-line macros (like `-D NAME=VALUE`). */
  defines?: Record<string, string>;
  host?: AssemblerHost;
}

export interface AssemblyResult {
  /** The flat binary, starting at `origin`. */
  bytes: Uint8Array;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  sourceMap: SourceMap;
  symbols: SymbolInfo[];
  /** The NASM-style listing (`nasm -l`), built on demand. */
  listing(): string;
  /** Address of the first byte of `bytes` (`org`). */
  origin: number;
}

/**
 * Assembles NASM-syntax source to a flat binary.
 * @param source the text of `options.fileName`
 * @returns bytes plus diagnostics; when `errors` is non-empty, `bytes` is empty as NASM writes no output.
 */
export function assemble(source: string, options: AssembleOptions): AssemblyResult {
  const sink = new DiagnosticSink();
  try {
    const host = options.host;
    const includePaths = options.includePaths ?? [];
    const resolve = (name: string, fromFile: string): { path: string; bytes: Uint8Array } | undefined => {
      if (!host) return undefined;
      const candidates = name.startsWith('/') ? [name] : [joinPath(dirname(fromFile), name), ...includePaths.map((p) => joinPath(p, name))];
      for (const c of candidates) {
        let bytes: Uint8Array | undefined;
        try {
          bytes = host.readFile(c);
        } catch {
          bytes = undefined; // a failing host reads as a missing file
        }
        if (bytes) return { path: c, bytes };
      }
      return undefined;
    };
    const lines = new PassPreprocessor(source, options.fileName, {
      defines: options.defines ?? {},
      readInclude: (name, from) => {
        const r = resolve(name, from);
        return r ? { path: r.path, text: new TextDecoder().decode(r.bytes) } : undefined;
      },
    });
    const asmSink = new DiagnosticSink();
    const program = assembleLines(lines, asmSink, { readBinary: (name, from) => resolve(name, from)?.bytes });
    const pre = lines.result();
    // The preprocessor's diagnostics (of its last run) come first, as when it ran before the assembler.
    const ppSink = lines.diagnostics();
    sink.errors.push(...ppSink.errors, ...asmSink.errors);
    sink.warnings.push(...ppSink.warnings, ...asmSink.warnings);
    const ok = sink.errors.length === 0;
    const bytes = ok ? flatten(program.sections, program.org) : new Uint8Array(0);
    return {
      bytes,
      errors: sink.errors,
      warnings: sink.warnings,
      sourceMap: buildSourceMap(program),
      symbols: buildSymbolTable(program),
      listing: () => buildListing(program, pre),
      origin: Number(BigInt.asUintN(32, program.org)),
    };
  } catch (err) {
    // Defensive: an internal bug becomes a diagnostic, never an exception for the caller.
    sink.error({ file: options.fileName, line: 1 }, 1, `internal assembler error: ${err instanceof Error ? err.message : String(err)}`);
    return {
      bytes: new Uint8Array(0),
      errors: sink.errors,
      warnings: sink.warnings,
      sourceMap: { entries: [] },
      symbols: [],
      listing: () => '',
      origin: 0,
    };
  }
}
