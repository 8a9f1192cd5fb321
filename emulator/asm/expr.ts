/**
 * Expression syntax trees and their parser, with NASM's operators at NASM's precedence
 * (NASM manual §3.5, lowest first): `?:`, `||`, `^^`, `&&`, comparisons
 * (`= == != <> < <= > >= <=>`), `|`, `^`, `&`, shifts (`<< >> <<< >>>`), `+ -`,
 * `* / // % %%`, and the unary `+ - ~ !` and `seg`. `wrt` is parsed at the level of `+`.
 *
 * The parser works on the tokens of one line, starting at a given index, and stops at
 * the first token that cannot continue the expression (`,`, `]`, a lone `:` …).
 */
import type { Token } from './lexer';
import { lookupRegister, type Register } from './registers';

export type Expr =
  | { k: 'num'; v: bigint; col: number }
  | { k: 'float'; text: string; col: number }
  | { k: 'str'; bytes: number[]; col: number }
  | { k: 'sym'; name: string; col: number }
  | { k: 'here'; col: number }
  | { k: 'base'; col: number }
  | { k: 'reg'; reg: Register; col: number }
  | { k: 'un'; op: string; a: Expr; col: number }
  | { k: 'bin'; op: string; a: Expr; b: Expr; col: number }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr; col: number };

/** A parse failure: message and 1-based column. */
export interface ParseError {
  message: string;
  col: number;
}

const LEVELS: string[][] = [
  ['||'],
  ['^^'],
  ['&&'],
  ['=', '==', '!=', '<>', '<', '<=', '>', '>=', '<=>'],
  ['|'],
  ['^'],
  ['&'],
  ['<<', '>>', '<<<', '>>>'],
  ['+', '-', 'wrt'],
  ['*', '/', '//', '%', '%%'],
];

/** Parses expressions from a token array; keeps a cursor. Errors are recorded, not thrown. */
export class ExprParser {
  pos: number;
  error: ParseError | null = null;

  constructor(
    readonly toks: Token[],
    start: number,
    /** End column used for "expression expected" at end of line. */
    readonly eolCol: number,
  ) {
    this.pos = start;
  }

  peek(): Token | undefined {
    return this.toks[this.pos];
  }

  private fail(message: string, col: number): Expr {
    if (!this.error) this.error = { message, col };
    return { k: 'num', v: 0n, col };
  }

  /** Parses a full expression (including `?:`). */
  parse(): Expr {
    const c = this.parseLevel(0);
    const t = this.peek();
    if (t && t.kind === 'op' && t.text === '?') {
      this.pos++;
      const a = this.parse();
      const colon = this.peek();
      if (!colon || colon.text !== ':') return this.fail("expecting `:'", colon?.col ?? this.eolCol);
      this.pos++;
      const b = this.parse();
      return { k: 'cond', c, a, b, col: c.col };
    }
    return c;
  }

  private parseLevel(level: number): Expr {
    if (level >= LEVELS.length) return this.parseUnary();
    let left = this.parseLevel(level + 1);
    for (;;) {
      const t = this.peek();
      if (!t) return left;
      const text = t.kind === 'id' ? t.text.toLowerCase() : t.kind === 'op' ? t.text : '';
      if ((t.kind !== 'op' && !(t.kind === 'id' && text === 'wrt')) || !LEVELS[level]!.includes(text)) return left;
      this.pos++;
      const right = this.parseLevel(level + 1);
      left = { k: 'bin', op: text, a: left, b: right, col: t.col };
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (!t) return this.fail('expression syntax error', this.eolCol);
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~' || t.text === '!')) {
      this.pos++;
      return { k: 'un', op: t.text, a: this.parseUnary(), col: t.col };
    }
    if (t.kind === 'id' && t.text.toLowerCase() === 'seg') {
      this.pos++;
      return { k: 'un', op: 'seg', a: this.parseUnary(), col: t.col };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    if (!t) return this.fail('expression syntax error', this.eolCol);
    this.pos++;
    switch (t.kind) {
      case 'num':
        return { k: 'num', v: t.value!, col: t.col };
      case 'float':
        return { k: 'float', text: t.text, col: t.col };
      case 'str':
        return { k: 'str', bytes: t.bytes!, col: t.col };
      case 'id': {
        if (t.text === '$') return { k: 'here', col: t.col };
        if (t.text === '$$') return { k: 'base', col: t.col };
        if (t.text.startsWith('$')) return { k: 'sym', name: t.text.slice(1), col: t.col };
        const reg = lookupRegister(t.text);
        if (reg) return { k: 'reg', reg, col: t.col };
        return { k: 'sym', name: t.text, col: t.col };
      }
      case 'op':
        if (t.text === '(') {
          const e = this.parse();
          const close = this.peek();
          if (!close || close.text !== ')') return this.fail("expecting `)'", close?.col ?? this.eolCol);
          this.pos++;
          return e;
        }
        this.pos--;
        return this.fail('expression syntax error', t.col);
      default:
        this.pos--;
        return this.fail(t.kind === 'bad' ? `unexpected character or malformed number \`${t.text}'` : 'expression syntax error', t.col);
    }
  }
}

/** True if the expression mentions a symbol (used to decide label forward references). */
export function exprMentionsSymbols(e: Expr): boolean {
  switch (e.k) {
    case 'sym':
    case 'here':
    case 'base':
      return true;
    case 'un':
      return exprMentionsSymbols(e.a);
    case 'bin':
      return exprMentionsSymbols(e.a) || exprMentionsSymbols(e.b);
    case 'cond':
      return exprMentionsSymbols(e.c) || exprMentionsSymbols(e.a) || exprMentionsSymbols(e.b);
    default:
      return false;
  }
}
