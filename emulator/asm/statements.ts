/**
 * Parses one preprocessed line into a statement: an optional label, an optional `times`
 * prefix, then an instruction (with prefixes), a data/reserve directive, `equ`, or an
 * assembler directive (NASM manual §3.1–§3.2, chapter 7 for `bits`, `section`, `org` …).
 * Parsing happens once; the multi-pass assembler re-evaluates the parsed expressions.
 */
import type { LineOrigin } from './diagnostics';
import { ExprParser, type Expr } from './expr';
import { formsOf } from './insn-table';
import { PREFIX_NAMES, type Prefix } from './encoder';
import { tokenize, type Token } from './lexer';
import { parseOperands, type Operand } from './operands';

export const DATA_SIZES: Record<string, number> = { db: 1, dw: 2, dd: 4, dq: 8, dt: 10, do: 16 };
export const RES_SIZES: Record<string, number> = { resb: 1, resw: 2, resd: 4, resq: 8, rest: 10, reso: 16 };
/** Assembler directives other than data, reserve, `equ` and `times` (NASM manual chapter 7). */
export const DIRECTIVES = new Set([
  'bits', 'use16', 'use32', 'org', 'section', 'segment', 'align', 'alignb', 'global', 'extern', 'common', 'static',
  'cpu', 'default', 'absolute', 'struc', 'endstruc', 'istruc', 'at', 'iend', 'incbin', 'sectalign', 'float', 'warning', 'required',
]);

export type DataItem = { k: 'expr'; expr: Expr; col: number } | { k: 'str'; bytes: number[]; col: number } | { k: 'float'; text: string; negative: boolean; col: number };

export type Body =
  | { k: 'none' }
  | { k: 'insn'; mnemonic: string; prefixes: Prefix[]; operands: Operand[]; col: number }
  | { k: 'data'; size: number; items: DataItem[]; col: number }
  | { k: 'res'; size: number; count: Expr; col: number }
  | { k: 'equ'; expr: Expr; col: number }
  | { k: 'dir'; name: string; args: Token[]; col: number };

export interface Statement {
  origin: LineOrigin;
  text: string;
  label?: { name: string; col: number };
  times?: Expr;
  body: Body;
  /** A syntax error found while parsing (reported in the final pass). */
  error?: { message: string; col: number };
}

/** True if `word` begins an instruction or directive rather than naming a label. */
export function isKeyword(word: string): boolean {
  const w = word.toLowerCase();
  return (
    formsOf(w) !== undefined || PREFIX_NAMES.has(w) || DIRECTIVES.has(w) || w === 'times' || w === 'equ' ||
    DATA_SIZES[w] !== undefined || RES_SIZES[w] !== undefined
  );
}

/** Parses one line. Never throws. */
export function parseStatement(text: string, origin: LineOrigin): Statement {
  const toks = tokenize(text);
  const eol = text.length + 1;
  const st: Statement = { origin, text, body: { k: 'none' } };
  const err = (message: string, col: number): Statement => {
    st.error = { message, col };
    return st;
  };
  let i = 0;
  if (toks.length === 0) return st;
  // [directive ...] form
  if (toks[0]!.text === '[') {
    const close = toks.findIndex((t) => t.text === ']');
    const inner = close >= 0 ? toks.slice(1, close) : toks.slice(1);
    if (inner[0]?.kind !== 'id') return err('parser: instruction expected', toks[0]!.col);
    st.body = { k: 'dir', name: inner[0].text.toLowerCase(), args: inner.slice(1), col: inner[0].col };
    return st;
  }
  const first = toks[0]!;
  if (first.kind === 'id' && (toks[1]?.text === ':' || !isKeyword(first.text)) && first.text !== '$' && first.text !== '$$') {
    st.label = { name: first.text.startsWith('$') ? first.text.slice(1) : first.text, col: first.col };
    i = toks[1]?.text === ':' ? 2 : 1;
  } else if (first.kind !== 'id') {
    return err(first.kind === 'bad' ? `unexpected character \`${first.text}'` : 'label or instruction expected at start of line', first.col);
  }
  if (i >= toks.length) return st;
  let t = toks[i]!;
  if (t.kind === 'id' && t.text.toLowerCase() === 'times') {
    const p = new ExprParser(toks, i + 1, eol);
    st.times = p.parse();
    if (p.error) return err(p.error.message, p.error.col);
    i = p.pos;
    if (i >= toks.length) return err('instruction expected after times', eol);
    t = toks[i]!;
  }
  if (t.kind !== 'id') return err('parser: instruction expected', t.col);
  const prefixes: Prefix[] = [];
  while (i < toks.length && toks[i]!.kind === 'id' && PREFIX_NAMES.has(toks[i]!.text.toLowerCase())) {
    prefixes.push({ name: toks[i]!.text.toLowerCase(), col: toks[i]!.col });
    i++;
  }
  if (i >= toks.length) {
    if (prefixes.length === 0) return st;
    // A lone prefix is assembled as its byte (NASM allows `rep` or `lock` on a line of its own).
    st.body = { k: 'insn', mnemonic: '', prefixes, operands: [], col: prefixes[0]!.col };
    return st;
  }
  t = toks[i]!;
  const word = t.text.toLowerCase();
  if (t.kind !== 'id') return err('parser: instruction expected', t.col);
  if (DATA_SIZES[word] !== undefined) {
    const items = parseDataItems(toks, i + 1, eol);
    if ('message' in items) return err(items.message, items.col);
    st.body = { k: 'data', size: DATA_SIZES[word]!, items, col: t.col };
    return st;
  }
  if (RES_SIZES[word] !== undefined) {
    const p = new ExprParser(toks, i + 1, eol);
    const count = p.parse();
    if (p.error) return err(p.error.message, p.error.col);
    if (p.pos < toks.length) return err('junk at end of line', toks[p.pos]!.col);
    st.body = { k: 'res', size: RES_SIZES[word]!, count, col: t.col };
    return st;
  }
  if (word === 'equ') {
    if (!st.label) return err('label required for EQU', t.col);
    const p = new ExprParser(toks, i + 1, eol);
    const expr = p.parse();
    if (p.error) return err(p.error.message, p.error.col);
    if (p.pos < toks.length) return err('junk at end of line', toks[p.pos]!.col);
    st.body = { k: 'equ', expr, col: t.col };
    return st;
  }
  if (DIRECTIVES.has(word)) {
    st.body = { k: 'dir', name: word, args: toks.slice(i + 1), col: t.col };
    return st;
  }
  if (!formsOf(word)) return err('parser: instruction expected', t.col);
  const ops = parseOperands(toks, i + 1, eol);
  if ('message' in ops) return err(ops.message, ops.col);
  st.body = { k: 'insn', mnemonic: word, prefixes, operands: ops, col: t.col };
  return st;
}

function parseDataItems(toks: Token[], pos: number, eol: number): DataItem[] | { message: string; col: number } {
  const items: DataItem[] = [];
  if (pos >= toks.length) return { message: 'no operand for data declaration', col: eol };
  for (;;) {
    const t = toks[pos];
    if (!t) return { message: 'expression syntax error', col: eol };
    const next = toks[pos + 1];
    if (t.kind === 'str' && (!next || next.text === ',')) {
      items.push({ k: 'str', bytes: t.bytes!, col: t.col });
      pos++;
    } else if (t.kind === 'float' && (!next || next.text === ',')) {
      items.push({ k: 'float', text: t.text, negative: false, col: t.col });
      pos++;
    } else if ((t.text === '-' || t.text === '+') && toks[pos + 1]?.kind === 'float' && (!toks[pos + 2] || toks[pos + 2]!.text === ',')) {
      items.push({ k: 'float', text: toks[pos + 1]!.text, negative: t.text === '-', col: t.col });
      pos += 2;
    } else {
      const p = new ExprParser(toks, pos, eol);
      const expr = p.parse();
      if (p.error) return p.error;
      items.push({ k: 'expr', expr, col: t.col });
      pos = p.pos;
    }
    const sep = toks[pos];
    if (!sep) return items;
    if (sep.text !== ',') return { message: 'comma expected after operand', col: sep.col };
    pos++;
  }
}
