/**
 * How the command line prints the assembler's diagnostics.
 *
 * NASM 2.16 prints `file:line: error: message` (and `warning:`), then, for a line produced
 * by a macro, `file:line: ... from macro `m' defined here`. Vanderpool's diagnostics carry a
 * column as well, and print it the way GCC and Clang do: `file:line:column: error: message`.
 * That form is read by the problem matchers editors ship for compilers (VS Code's `$gcc`,
 * Vim's default 'errorformat' `%f:%l:%c:`, Emacs' compilation mode), which also read the
 * column-less NASM form; a matcher written for NASM's form alone would not match it.
 * Decision: print the column (it is the more useful position), recorded in README.md.
 *
 * A diagnostic inside a macro expansion is reported at the line of the macro body (with its
 * column), followed by one line per invocation site, innermost first, in NASM's `...`
 * continuation style, which problem matchers skip:
 *   lib.inc:3:9: error: parser: instruction expected
 *   main.asm:12:1: ... from the macro invoked here
 */
import { formatDiagnostic, type Diagnostic } from '../emulator/asm/index';

/** The lines printing one diagnostic. */
export function diagnosticLines(d: Diagnostic): string[] {
  const lines = [formatDiagnostic(d)];
  for (const site of d.expansion ?? []) lines.push(`${site.file}:${site.line}:${site.column}: ... from the macro invoked here`);
  return lines;
}

/**
 * Errors and warnings in source order: grouped by file in the order files first appear
 * (errors before warnings), by line and column within a file.
 */
export function sortDiagnostics(errors: readonly Diagnostic[], warnings: readonly Diagnostic[]): Diagnostic[] {
  const all = [...errors, ...warnings];
  const fileRank = new Map<string, number>();
  for (const d of all) if (!fileRank.has(d.file)) fileRank.set(d.file, fileRank.size);
  return all
    .map((d, index) => ({ d, index }))
    .sort((a, b) => fileRank.get(a.d.file)! - fileRank.get(b.d.file)! || a.d.line - b.d.line || a.d.column - b.d.column || a.index - b.index)
    .map((x) => x.d);
}

/** All diagnostics of an assembly as the text printed on stderr (empty when there are none). */
export function formatDiagnostics(errors: readonly Diagnostic[], warnings: readonly Diagnostic[]): string {
  return sortDiagnostics(errors, warnings)
    .flatMap(diagnosticLines)
    .map((l) => `${l}\n`)
    .join('');
}
