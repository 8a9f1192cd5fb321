/**
 * Diagnostics and source positions shared by every stage of the assembler.
 *
 * Positions are 1-based (line and column), as NASM prints them and as editors expect.
 * A position inside a macro expansion also records the chain of invocations that
 * produced it (`expansion`, innermost first), so a diagnostic can name both the
 * definition line and the line that invoked the macro.
 */

/** A place in a source file. `line` and `column` are 1-based; `column` counts UTF-16 units. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** An error or warning, in NASM's manner: `file:line: error: message`. */
export interface Diagnostic extends SourcePosition {
  severity: 'error' | 'warning';
  message: string;
  /** For lines produced by macro expansion: the invocation sites, innermost first. */
  expansion?: SourcePosition[];
}

/** Where a logical (preprocessed) line came from. */
export interface LineOrigin {
  file: string;
  line: number;
  /** Invocation sites of the macros this line was expanded from, innermost first. */
  expansion?: SourcePosition[];
}

/** Collects diagnostics; never throws. Every error is kept: the issue asks for all of a file's errors. */
export class DiagnosticSink {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  error(origin: LineOrigin, column: number, message: string): void {
    this.errors.push(make('error', origin, column, message));
  }

  warning(origin: LineOrigin, column: number, message: string): void {
    this.warnings.push(make('warning', origin, column, message));
  }
}

function make(severity: 'error' | 'warning', origin: LineOrigin, column: number, message: string): Diagnostic {
  const d: Diagnostic = { severity, file: origin.file, line: origin.line, column: Math.max(1, column), message };
  if (origin.expansion && origin.expansion.length > 0) d.expansion = origin.expansion;
  return d;
}

/** Formats a diagnostic as NASM prints it (`file:line:column: error: message`). */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}
