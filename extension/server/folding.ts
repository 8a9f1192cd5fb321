/** Folding ranges: `%macro`…`%endmacro`, `%if`…(`%elif`/`%else`)…`%endif`, `%rep`…`%endrep`, `struc`…`endstruc`, and each section up to the next. */
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver/node';
import type { ScanResult } from './source-scan';

/** LSP folding ranges (0-based lines) from a file's scan. */
export function foldingRanges(scan: ScanResult): FoldingRange[] {
  return scan.folds.map((f) => ({ startLine: f.start, endLine: f.end, kind: f.kind === 'section' ? FoldingRangeKind.Region : undefined }));
}
