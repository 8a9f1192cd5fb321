/**
 * Document symbols (the outline: sections holding their labels, local labels under their
 * label, macros, constants and structures) and workspace symbols (every definition in the
 * known files whose name contains the query, case-insensitively).
 */
import { SymbolKind, type DocumentSymbol, type SymbolInformation } from 'vscode-languageserver/node';
import type { Def, ScanResult } from './source-scan';
import { lineRange } from './words';
import { pathToUri, type WorkspaceIndex } from './workspace-index';

function kindOf(d: Def): SymbolKind {
  switch (d.kind) {
    case 'macro':
      return SymbolKind.Function;
    case 'equ':
    case 'define':
      return SymbolKind.Constant;
    case 'struc':
      return SymbolKind.Struct;
    default:
      return d.data ? SymbolKind.Variable : SymbolKind.Method;
  }
}

/** The outline of one file. */
export function documentSymbols(scan: ScanResult, lineLength: (line: number) => number): DocumentSymbol[] {
  const top: DocumentSymbol[] = [];
  const sections = scan.sections.map((s, n) => {
    const end = (scan.sections[n + 1]?.line ?? scan.lineCount) - 1;
    const sym: DocumentSymbol = { name: s.name, kind: SymbolKind.Namespace, range: lineRange(s.line, 0, 0), selectionRange: lineRange(s.line, 0, lineLength(s.line)), children: [] };
    sym.range = { start: { line: s.line, character: 0 }, end: { line: Math.max(s.line, end), character: lineLength(Math.max(s.line, end)) } };
    top.push(sym);
    return { sym, start: s.line, end };
  });
  const containerAt = (line: number) => sections.find((s) => line >= s.start && line <= s.end)?.sym.children ?? top;
  let lastLabel: DocumentSymbol | null = null;
  for (const d of scan.defs) {
    if (d.ambiguous) continue;
    const sym: DocumentSymbol = { name: d.parent !== undefined ? d.name.slice(d.parent.length) : d.name, detail: d.detail || undefined, kind: kindOf(d), range: lineRange(d.line, 0, lineLength(d.line)), selectionRange: lineRange(d.line, d.start, d.end) };
    if (d.parent !== undefined && lastLabel && lastLabel.name === d.parent) {
      (lastLabel.children ??= []).push(sym);
      continue;
    }
    containerAt(d.line).push(sym);
    if (d.kind === 'label' && d.parent === undefined) lastLabel = sym;
  }
  return top;
}

/** Definitions in every known file whose name contains `query` (all when it is empty). */
export function workspaceSymbols(query: string, index: WorkspaceIndex, limit = 500): SymbolInformation[] {
  const q = query.toLowerCase();
  const out: SymbolInformation[] = [];
  for (const path of index.knownFiles()) {
    for (const d of index.scan(path)?.defs ?? []) {
      if (d.ambiguous || !d.name.toLowerCase().includes(q)) continue;
      out.push({ name: d.name, kind: kindOf(d), location: { uri: pathToUri(path), range: lineRange(d.line, d.start, d.end) }, containerName: d.parent });
      if (out.length >= limit) return out;
    }
  }
  return out;
}
