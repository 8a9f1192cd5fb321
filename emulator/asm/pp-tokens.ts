/**
 * Token-level helpers for the preprocessor (NASM manual chapter 4): a tokenizer that keeps
 * every character (so expanded text can be rebuilt exactly), argument splitting for
 * macro calls, and splitting source text into lines.
 */
import type { LineOrigin } from './diagnostics';

export type PPKind = 'id' | 'num' | 'str' | 'ws' | 'comment' | 'pct' | 'other';

export interface PPToken {
  kind: PPKind;
  text: string;
}

const ID_START = /[A-Za-z_.?@$]/;
const ID_CHAR = /[A-Za-z0-9_$#@~.?]/;

/** Splits a line into tokens; concatenating their texts gives the line back. */
export function ppTokenize(line: string): PPToken[] {
  const out: PPToken[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    const start = i;
    if (c === ';') {
      out.push({ kind: 'comment', text: line.slice(i) });
      break;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      while (i < line.length && (line[i] === ' ' || line[i] === '\t' || line[i] === '\r')) i++;
      out.push({ kind: 'ws', text: line.slice(start, i) });
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < line.length && line[i] !== c) i += c === '`' && line[i] === '\\' ? 2 : 1;
      i = Math.min(line.length, i + 1);
      out.push({ kind: 'str', text: line.slice(start, i) });
      continue;
    }
    if (c === '%') {
      // %%name, %$name, %$$name, %N, %{...}, %+, %0, %00, or a directive name.
      const n = line[i + 1];
      if (n === '{') {
        const close = line.indexOf('}', i);
        i = close < 0 ? line.length : close + 1;
      } else if (n === '%' || n === '$') {
        i += 2;
        while (line[i] === '$') i++;
        while (i < line.length && ID_CHAR.test(line[i]!)) i++;
      } else if (n !== undefined && /[0-9]/.test(n)) {
        i += 1;
        while (i < line.length && /[0-9]/.test(line[i]!)) i++;
      } else if (n === '+' || n === '?') {
        i += 2;
        if (line[i] === '?') i++;
      } else if (n !== undefined && /[A-Za-z_]/.test(n)) {
        i += 1;
        while (i < line.length && ID_CHAR.test(line[i]!)) i++;
      } else i++;
      out.push({ kind: 'pct', text: line.slice(start, i) });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < line.length && /[0-9A-Za-z_.]/.test(line[i]!)) i++;
      out.push({ kind: 'num', text: line.slice(start, i) });
      continue;
    }
    if (ID_START.test(c)) {
      i++;
      while (i < line.length && ID_CHAR.test(line[i]!)) i++;
      out.push({ kind: 'id', text: line.slice(start, i) });
      continue;
    }
    i++;
    out.push({ kind: 'other', text: c });
  }
  return out;
}

/**
 * Splits macro-call arguments at top-level commas. Braces `{…}` group an argument that
 * contains commas (and are removed); parentheses and brackets are kept but also group.
 * @param greedyFrom when set, arguments from this index on are joined into one (the `+` form).
 */
export function splitArgs(text: string, greedyFrom?: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  const toks = ppTokenize(text);
  for (const t of toks) {
    if (t.kind === 'comment') break;
    if (t.kind === 'other') {
      if (t.text === ',' && depth === 0 && (greedyFrom === undefined || args.length < greedyFrom)) {
        args.push(cur.trim());
        cur = '';
        continue;
      }
      if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
      if (t.text === ')' || t.text === ']' || t.text === '}') depth = Math.max(0, depth - 1);
    }
    cur += t.text;
  }
  if (cur.trim() !== '' || args.length > 0) args.push(cur.trim());
  return args.map((a) => (a.startsWith('{') && a.endsWith('}') ? a.slice(1, -1) : a));
}

/** Strips a `;` comment (outside strings) and trailing blanks. */
export function stripComment(line: string): string {
  let s = '';
  for (const t of ppTokenize(line)) {
    if (t.kind === 'comment') break;
    s += t.text;
  }
  return s.trimEnd();
}

/** Splits source text into lines, joining `\` continuations (NASM §3.1). */
export function splitSource(text: string, file: string): { text: string; origin: LineOrigin }[] {
  const lines = text.split(/\r?\n/);
  const out: { text: string; origin: LineOrigin }[] = [];
  for (let i = 0; i < lines.length; i++) {
    let t = lines[i]!;
    const start = i;
    while (t.endsWith('\\') && i + 1 < lines.length) t = t.slice(0, -1) + lines[++i]!;
    out.push({ text: t, origin: { file, line: start + 1 } });
  }
  if (out.length > 0 && out[out.length - 1]!.text === '' && text.endsWith('\n')) out.pop();
  return out;
}

/** A macro or %rep body line as NASM's listing shows it: whitespace runs collapsed, comment dropped. */
export function collapse(text: string): string {
  let out = '';
  for (const t of ppTokenize(text)) {
    if (t.kind === 'comment') break;
    out += t.kind === 'ws' ? ' ' : t.text;
  }
  return out.trimEnd();
}
