/**
 * Expressions in preprocessor directives (`%if`, `%elif`, `%assign`, `%rep`, `%rotate`,
 * `%substr`), evaluated as NASM evaluates them: as *critical expressions* (NASM manual §3.8;
 * §4.2.8 `%assign`, §4.6.4 `%if`) over the assembler's symbols.
 *
 * NASM runs its preprocessor again in every assembly pass, line by line in step with the
 * assembler (nasm.c: `pp_reset` then `pp_getline` per pass), and the preprocessor's `evaluate`
 * call looks symbols up in the assembler's label table (eval.c `lookup_label`, `$` and `$$`
 * from the current location). So a directive sees every symbol defined on an earlier line
 * of the current pass, and the previous pass's value of any other; a symbol known to neither
 * is an error ("symbol `x' not defined before use" in the first pass, because the
 * evaluation is critical), and the value must be simple: a label or `$` alone is
 * "non-constant", a difference of two labels of one section is a number.
 */
import { evaluate, type Value } from './eval';
import { ExprParser } from './expr';
import { tokenize } from './lexer';

/** The assembler's symbols as a preprocessor directive sees them at its line of the current pass. */
export interface AssemblerSymbols {
  /** A symbol's value (local names are qualified by the caller's scope), or null when it is not known yet. */
  lookup(name: string): Value | null;
  /** A symbol's full name (`.x` → `label.x`), for messages. */
  qualify(name: string): string;
  /** `$`: the current location. */
  here(): Value;
  /** `$$`: the start of the current section. */
  base(): Value;
  /** The first pass, in which NASM calls an unknown symbol "not defined before use". */
  firstPass: boolean;
}

export type PpValue = { ok: true; value: bigint } | { ok: false; message: string; col: number };

/**
 * Evaluates a directive's expression, already macro-expanded.
 * @param text the expression text
 * @param what the directive, for messages (`%if`, `%assign` …)
 * @param symbols the assembler's symbols at this line; `onRead` is called whenever one is consulted
 *   (including `$`, `$$` and unknown names), which makes the preprocessor's output pass-dependent
 * @returns the number, or an error with its 1-based column in `text`
 */
export function evaluatePp(text: string, what: string, symbols: AssemblerSymbols, onRead: () => void): PpValue {
  const toks = tokenize(text);
  if (toks.length === 0) return { ok: false, message: `\`${what}' expects an expression`, col: 1 };
  const p = new ExprParser(toks, 0, text.length + 1);
  const e = p.parse();
  if (p.error) return { ok: false, message: p.error.message, col: p.error.col };
  if (p.pos < toks.length) return { ok: false, message: `trailing garbage after expression in \`${what}'`, col: toks[p.pos]!.col };
  let missing: string | null = null;
  const r = evaluate(e, {
    lookup: (name) => {
      onRead();
      const v = symbols.lookup(name);
      if (!v && missing === null) missing = name;
      return v;
    },
    here: () => (onRead(), symbols.here()),
    base: () => (onRead(), symbols.base()),
    final: true,
  });
  if (!r.ok) {
    if (missing !== null) return { ok: false, message: `symbol \`${symbols.qualify(missing)}' not defined${symbols.firstPass ? ' before use' : ''}`, col: r.col };
    return r;
  }
  // NASM's is_simple(): no section base left (a label, `$`, `$$`) and no register.
  if (r.value.seg !== null || r.value.unknown) return { ok: false, message: `non-constant value given to \`${what}'`, col: 1 };
  return { ok: true, value: r.value.n };
}
