/**
 * The tests of the `%if` family (NASM manual §4.6): `%if` (a critical expression, see
 * pp-expr.ts), `%ifdef`, `%ifmacro`, `%ifidn`/`%ifidni`, `%ifnum`/`%ifstr`/`%ifid`,
 * `%ifempty` and `%ifctx`. The negated and `%elif` forms are the preprocessor's business.
 */
import { tokenize } from './lexer';
import type { MacroTable, MultiLineMacro } from './pp-macros';
import { splitArgs } from './pp-tokens';

/** What the tests need from the preprocessor. */
export interface ConditionEnv {
  /** Evaluates a critical expression; null after an error (already reported). */
  evaluate(text: string): bigint | null;
  /** Expands the single-line macros in `text`. */
  expand(text: string): string;
  smacros: MacroTable;
  mmacros: Map<string, MultiLineMacro[]>;
  /** Depth of the `%push` context stack. */
  contextDepth: number;
}

/**
 * @param kind the directive's suffix (`''` for `%if`, `def`, `macro`, `idn` …)
 * @param arg its argument, comment removed
 * @returns the condition; null when `%if`'s expression could not be evaluated; undefined for
 *   a test this assembler does not implement (`%ifenv`, `%iftoken`)
 */
export function testCondition(kind: string, arg: string, env: ConditionEnv): boolean | null | undefined {
  switch (kind) {
    case '': {
      const v = env.evaluate(arg);
      return v === null ? null : v !== 0n;
    }
    case 'def':
      return env.smacros.get(arg) !== undefined;
    case 'macro': {
      const [mn, count] = arg.split(/\s+/);
      const list = env.mmacros.get(mn ?? '') ?? env.mmacros.get((mn ?? '').toLowerCase());
      if (!list) return false;
      if (count === undefined) return true;
      const r = /^(\d+)(?:-(\d+|\*))?/.exec(count);
      if (!r) return true;
      const n = Number(r[1]);
      return list.some((m) => m.min <= n && n <= m.max);
    }
    case 'idn':
    case 'idni': {
      const [a = '', b = ''] = splitArgs(env.expand(arg));
      const norm = (s: string) => s.replace(/\s+/g, '');
      return kind === 'idn' ? norm(a) === norm(b) : norm(a).toLowerCase() === norm(b).toLowerCase();
    }
    case 'num':
    case 'str':
    case 'id':
    case 'empty': {
      const expanded = env.expand(arg).trim();
      if (kind === 'empty') return expanded === '';
      const toks = tokenize(expanded);
      if (toks.length !== 1) return false;
      return kind === 'num' ? toks[0]!.kind === 'num' : kind === 'str' ? toks[0]!.kind === 'str' : toks[0]!.kind === 'id';
    }
    case 'ctx':
      return env.contextDepth > 0;
    default:
      return undefined;
  }
}
