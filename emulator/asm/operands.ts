/**
 * Operand syntax (NASM manual §3.2.1–§3.3): registers, immediates with size keywords
 * (`byte word dword qword tword oword`), `strict`, jump distances (`short near far`),
 * memory references `[seg: size base + index*scale + disp]` with `nosplit`, and far
 * pointers `seg:offset`.
 */
import { ExprParser, type Expr, type ParseError } from './expr';
import type { Token } from './lexer';
import { lookupRegister, type Register } from './registers';

export const SIZE_KEYWORDS: Record<string, number> = { byte: 1, word: 2, dword: 4, qword: 8, tword: 10, oword: 16, yword: 32, zword: 64 };

export type Operand =
  | { k: 'reg'; reg: Register; col: number }
  | {
      k: 'mem';
      size?: number;
      far: boolean;
      near: boolean;
      seg?: Register;
      expr: Expr;
      /** `[byte …]`/`[word …]`/`[dword …]`: displacement (or bare address) size in bytes. */
      dispSize?: number;
      nosplit: boolean;
      col: number;
    }
  | { k: 'imm'; size?: number; strict: boolean; jump?: 'short' | 'near' | 'far'; expr: Expr; col: number }
  | { k: 'far'; size?: number; seg: Expr; off: Expr; col: number };

/**
 * Parses one operand starting at `pos`; stops before the next top-level `,`.
 * @returns the operand and the index after it, or an error.
 */
export function parseOperand(toks: Token[], pos: number, eolCol: number): { op: Operand; next: number } | ParseError {
  let size: number | undefined;
  let strict = false;
  let jump: 'short' | 'near' | 'far' | undefined;
  const startCol = toks[pos]?.col ?? eolCol;
  for (;;) {
    const t = toks[pos];
    if (!t || t.kind !== 'id') break;
    const w = t.text.toLowerCase();
    if (SIZE_KEYWORDS[w] !== undefined) size = SIZE_KEYWORDS[w];
    else if (w === 'strict') strict = true;
    else if (w === 'short' || w === 'near' || w === 'far') jump = w;
    else break;
    pos++;
  }
  const t = toks[pos];
  if (!t) return { message: 'expecting operand', col: eolCol };
  // Segment override written outside the brackets: es:[bx]
  let outerSeg: Register | undefined;
  if (t.kind === 'id' && toks[pos + 1]?.text === ':' && toks[pos + 2]?.text === '[') {
    const r = lookupRegister(t.text);
    if (r && r.cls === 'sreg') {
      outerSeg = r;
      pos += 2;
    }
  }
  if (toks[pos]?.text === '[') {
    pos++;
    let seg = outerSeg;
    let dispSize: number | undefined;
    let nosplit = false;
    for (;;) {
      const u = toks[pos];
      if (!u || u.kind !== 'id') break;
      const w = u.text.toLowerCase();
      if (SIZE_KEYWORDS[w] !== undefined) dispSize = SIZE_KEYWORDS[w];
      else if (w === 'nosplit') nosplit = true;
      else if (w === 'rel' || w === 'abs') {
        // 64-bit only; accepted and ignored in 16/32-bit code as NASM does.
      } else {
        const r = lookupRegister(w);
        if (r && r.cls === 'sreg' && toks[pos + 1]?.text === ':') {
          seg = r;
          pos += 2;
          continue;
        }
        break;
      }
      pos++;
    }
    const p = new ExprParser(toks, pos, eolCol);
    const expr = p.parse();
    if (p.error) return p.error;
    pos = p.pos;
    if (toks[pos]?.text !== ']') return { message: "expecting `]'", col: toks[pos]?.col ?? eolCol };
    pos++;
    const op: Operand = { k: 'mem', far: jump === 'far', near: jump === 'near', expr, nosplit, col: startCol };
    if (size !== undefined) op.size = size;
    if (seg) op.seg = seg;
    if (dispSize !== undefined) op.dispSize = dispSize;
    return { op, next: pos };
  }
  // A lone register.
  if (t.kind === 'id') {
    const r = lookupRegister(t.text);
    const after = toks[pos + 1];
    if (r && (!after || after.text === ',')) {
      if (size !== undefined && size !== r.size && (r.cls === 'r8' || r.cls === 'r16' || r.cls === 'r32')) {
        return { message: 'mismatch in operand sizes', col: t.col };
      }
      return { op: { k: 'reg', reg: r, col: t.col }, next: pos + 1 };
    }
  }
  const p = new ExprParser(toks, pos, eolCol);
  const expr = p.parse();
  if (p.error) return p.error;
  pos = p.pos;
  if (toks[pos]?.text === ':') {
    const q = new ExprParser(toks, pos + 1, eolCol);
    const off = q.parse();
    if (q.error) return q.error;
    const op: Operand = { k: 'far', seg: expr, off, col: startCol };
    if (size !== undefined) op.size = size;
    return { op, next: q.pos };
  }
  const op: Operand = { k: 'imm', strict, expr, col: startCol };
  if (size !== undefined) op.size = size;
  if (jump) op.jump = jump;
  return { op, next: pos };
}

/** Parses a comma-separated operand list to the end of the tokens. */
export function parseOperands(toks: Token[], pos: number, eolCol: number): Operand[] | ParseError {
  const ops: Operand[] = [];
  if (pos >= toks.length) return ops;
  for (;;) {
    const r = parseOperand(toks, pos, eolCol);
    if ('message' in r) return r;
    ops.push(r.op);
    pos = r.next;
    const t = toks[pos];
    if (!t) return ops;
    if (t.text !== ',') return { message: 'comma, colon, decorator or end of line expected after operand', col: t.col };
    pos++;
  }
}
