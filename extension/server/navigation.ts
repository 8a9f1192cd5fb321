/**
 * Go to definition, find references and rename for labels (local labels included), macros,
 * `equ`s and `%define`s, across the files of the include group (workspace-index.ts).
 */
import type { Location, Position, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver/node';
import { isReservedWord } from './source-scan';
import { lineRange, wordAt, type WordAt } from './words';
import { pathToUri, type WorkspaceIndex } from './workspace-index';

function symbolAt(path: string, pos: Position, index: WorkspaceIndex): WordAt | undefined {
  const own = index.groupScans(path).find((s) => s.path === path)?.scan;
  const lineText = index.text(path)?.split(/\r?\n/)[pos.line] ?? '';
  const w = wordAt(lineText, pos, own);
  if (!w || isReservedWord(w.text)) return undefined;
  return w;
}

/** Where the symbol at `pos` is defined. */
export function definitionAt(path: string, pos: Position, index: WorkspaceIndex): Location[] {
  const w = symbolAt(path, pos, index);
  if (!w) return [];
  return index.definitions(path, w.name).map(({ path: p, def }) => ({ uri: pathToUri(p), range: lineRange(def.line, def.start, def.end) }));
}

/** Every occurrence (definitions when `includeDeclaration`, and uses) of the symbol at `pos`. */
export function referencesAt(path: string, pos: Position, index: WorkspaceIndex, includeDeclaration: boolean): Location[] {
  return occurrences(path, pos, index, includeDeclaration).map((o) => ({ uri: pathToUri(o.path), range: o.range }));
}

interface Occurrence {
  path: string;
  range: Range;
  text: string;
}

function occurrences(path: string, pos: Position, index: WorkspaceIndex, includeDeclaration: boolean): Occurrence[] {
  const w = symbolAt(path, pos, index);
  if (!w) return [];
  const out: Occurrence[] = [];
  const text = (p: string, line: number, s: number, e: number) => index.text(p)?.split(/\r?\n/)[line]?.slice(s, e) ?? '';
  for (const { path: p, scan } of index.groupScans(path)) {
    if (includeDeclaration) for (const d of scan.defs) if (d.name === w.name) out.push({ path: p, range: lineRange(d.line, d.start, d.end), text: text(p, d.line, d.start, d.end) });
    for (const r of scan.refs) if (r.name === w.name) out.push({ path: p, range: lineRange(r.line, r.start, r.end), text: r.text });
  }
  return out;
}

/** The range of the symbol that would be renamed, or null when nothing renameable is there. */
export function prepareRenameAt(path: string, pos: Position, index: WorkspaceIndex): Range | null {
  const w = symbolAt(path, pos, index);
  if (!w || index.definitions(path, w.name).length === 0) return null;
  return w.range;
}

/**
 * Rename the symbol at `pos` everywhere in its group. For a local label, `newName` may be
 * given with or without its leading '.'; uses written in full (`main.loop`) keep their prefix.
 * @throws Error when `newName` is not a NASM identifier
 */
export function renameAt(path: string, pos: Position, newName: string, index: WorkspaceIndex): WorkspaceEdit | null {
  const w = symbolAt(path, pos, index);
  if (!w) return null;
  if (!/^[A-Za-z_.?@$][A-Za-z0-9_$#@~.?]*$/.test(newName) || isReservedWord(newName)) throw new Error(`'${newName}' is not a valid NASM identifier here`);
  const local = w.text.startsWith('.') && !w.text.startsWith('..');
  const localPart = local ? (newName.startsWith('.') ? newName : '.' + newName) : newName;
  const changes: Record<string, TextEdit[]> = {};
  for (const o of occurrences(path, pos, index, true)) {
    let replacement = newName;
    if (local) replacement = o.text.startsWith('.') ? localPart : o.text.slice(0, o.text.length - w.text.length) + localPart;
    (changes[pathToUri(o.path)] ??= []).push({ range: o.range, newText: replacement });
  }
  return { changes };
}
