/**
 * The preprocessor as the assembler's line source, pass by pass.
 *
 * NASM preprocesses the source again in every assembly pass, handing the assembler one line
 * at a time (nasm.c: `pp_reset`, then `pp_getline` until the end, in each pass), so a
 * directive such as `%if b - a > 5` or `%assign n N + 1` is evaluated with the labels of
 * the lines above it in this pass and the previous pass's values of the others (see
 * pp-expr.ts). We do the same, but a run whose directives never read a symbol (nor `$`,
 * `$$`) produces the same lines in every pass, so it is kept and its parsed statements are
 * replayed: only sources whose preprocessing depends on the assembler pay for re-runs.
 *
 * Diagnostics are those of the last run, which is what NASM shows: errors stop NASM at the
 * end of the pass that raised them (so a run with errors is kept for the remaining passes,
 * and the assembler still reports its own errors), while `%error`/`%warning` and other
 * warnings count only in the final pass.
 */
import { DiagnosticSink } from './diagnostics';
import type { PassLines, SourceLine } from './assembler';
import type { AssemblerSymbols } from './pp-expr';
import { Preprocessor, type PreprocessOptions, type PreprocessResult } from './preprocessor';

/**
 * Bound on the lines read over all runs (each run is bounded too, in preprocessor.ts), so that
 * preprocessing that keeps changing with label values cannot hold the language server for long.
 */
const MAX_LINES_ALL_PASSES = 500_000;

export class PassPreprocessor implements PassLines {
  private frozen = false;
  private linesRead = 0;
  private last: { result: PreprocessResult; diagnostics: DiagnosticSink } | null = null;
  /** Preprocessor runs so far (1 unless the output depends on symbols). */
  runs = 0;

  constructor(
    private readonly source: string,
    private readonly fileName: string,
    private readonly opts: Omit<PreprocessOptions, 'symbols'>,
  ) {}

  open(symbols: AssemblerSymbols): (() => SourceLine | undefined) | null {
    if (this.frozen) return null;
    if (this.last && this.linesRead > MAX_LINES_ALL_PASSES) {
      this.frozen = true;
      this.last.diagnostics.error({ file: this.fileName, line: 1 }, 1, `preprocessing depends on label values and read more than ${MAX_LINES_ALL_PASSES} lines over ${this.runs} passes; giving up`);
      return null;
    }
    const diagnostics = new DiagnosticSink();
    const pp = new Preprocessor(this.source, this.fileName, { ...this.opts, symbols }, diagnostics);
    this.runs++;
    let done = false;
    return () => {
      if (done) return undefined;
      const line = pp.next();
      if (line) return line;
      done = true;
      this.last = { result: pp.result(), diagnostics };
      this.linesRead += pp.linesRead;
      if (!pp.readSymbols || pp.passErrors > 0) this.frozen = true;
      return undefined;
    };
  }

  /** The lines and listing of the last run (the one the final pass assembled). */
  result(): PreprocessResult {
    return this.last?.result ?? { lines: [], listing: [] };
  }

  /** The last run's errors and warnings. */
  diagnostics(): DiagnosticSink {
    return this.last?.diagnostics ?? new DiagnosticSink();
  }
}
