/**
 * The identifier under the cursor and its meaning in the file's scan: NASM identifier
 * characters (manual §3.1), local labels resolved against the enclosing non-local label.
 */
import type { Position, Range } from 'vscode-languageserver/node';
import type { ScanResult } from './source-scan';

/** An identifier at a position: its text, range (0-based) and resolved full name. */
export interface WordAt {
  text: string;
  range: Range;
  /** The full name: `main.loop` for `.loop` inside `main`. */
  name: string;
}

/** The identifier at `pos` in `lineText` (line `pos.line`), resolved with `scan`. */
export function wordAt(lineText: string, pos: Position, scan?: ScanResult): WordAt | undefined {
  const re = /[A-Za-z_.?@$][A-Za-z0-9_$#@~.?]*/g;
  for (let m = re.exec(lineText); m; m = re.exec(lineText)) {
    const start = m.index;
    const end = start + m[0].length;
    if (pos.character >= start && pos.character <= end) {
      const text = m[0];
      const range = { start: { line: pos.line, character: start }, end: { line: pos.line, character: end } };
      return { text, range, name: scan ? resolveName(text, pos.line, scan) : text };
    }
  }
  return undefined;
}

/** The non-local label in force at `line` (the last one defined above or on it). */
export function parentAt(line: number, scan: ScanResult): string {
  let parent = '';
  for (const d of scan.defs) {
    if (d.line > line) break;
    if (d.kind === 'label' && !d.name.startsWith('.') && d.parent === undefined) parent = d.name;
  }
  return parent;
}

/** `.x` at `line` → `parent.x`; other names unchanged. */
export function resolveName(text: string, line: number, scan: ScanResult): string {
  if (!text.startsWith('.') || text.startsWith('..')) return text;
  const p = parentAt(line, scan);
  return p ? p + text : text;
}

/** A range on one line. */
export const lineRange = (line: number, start: number, end: number): Range => ({ start: { line, character: start }, end: { line, character: end } });
