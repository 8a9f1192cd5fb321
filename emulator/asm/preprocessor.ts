/**
 * Preprocessor placeholder: splits the source into lines. Replaced by the NASM
 * preprocessor (macros, conditionals, includes) in a following change.
 */
import type { DiagnosticSink, LineOrigin } from './diagnostics';

export interface PreprocessOptions {
  defines: Record<string, string>;
  readInclude(name: string, fromFile: string): { path: string; text: string } | undefined;
}

export interface PreprocessedLine {
  text: string;
  origin: LineOrigin;
}

export function preprocess(source: string, fileName: string, _opts: PreprocessOptions, _sink: DiagnosticSink): PreprocessedLine[] {
  return source.split(/\r?\n/).map((text, i) => ({ text, origin: { file: fileName, line: i + 1 } }));
}
