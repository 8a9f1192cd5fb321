/**
 * Preprocessor string functions (NASM manual §4.2.5–§4.2.9): `%strlen`, `%substr`,
 * `%strcat`, `%defstr`, `%deftok`. Each computes the body of the macro it defines.
 */
import { tokenize } from './lexer';
import { splitArgs } from './pp-tokens';

/** Quotes bytes as a NASM string, choosing a quote character the text does not contain. */
function quote(bytes: number[]): string {
  const t = String.fromCharCode(...bytes);
  if (!t.includes("'")) return `'${t}'`;
  if (!t.includes('"')) return `"${t}"`;
  return `\`${t.replace(/[\\`]/g, '\\$&')}\``;
}

/**
 * @param name the directive (`%strlen`, `%substr`, `%strcat`, `%defstr`/`%idefstr`, `%deftok`/`%ideftok`)
 * @param rest its arguments after the macro name, single-line macros already expanded
 * @param evaluate evaluates `%substr` positions; null when it reported an error
 * @returns the macro body, `{ error }` for a bad argument, or null when `evaluate` already reported
 */
export function stringFunction(name: string, rest: string, evaluate: (e: string) => bigint | null): string | { error: string } | null {
  if (name === '%defstr' || name === '%idefstr') return quote([...new TextEncoder().encode(rest)]);
  const toks = tokenize(rest);
  const str = toks[0]?.kind === 'str' ? toks[0].bytes! : null;
  if (name === '%strcat') {
    const all: number[] = [];
    for (const part of splitArgs(rest)) {
      const t = tokenize(part);
      if (t.length !== 1 || t[0]!.kind !== 'str') return { error: '`%strcat\' requires string arguments' };
      all.push(...t[0]!.bytes!);
    }
    return quote(all);
  }
  if (!str) return { error: `\`${name}' requires a string as second parameter` };
  if (name === '%deftok' || name === '%ideftok') return new TextDecoder().decode(new Uint8Array(str));
  if (name === '%strlen') return String(str.length);
  // %substr: 1-based start; a negative length counts back from the end of the string.
  const args = splitArgs(rest.slice(toks[0]!.col - 1 + toks[0]!.text.length).replace(/^\s*,?/, ''));
  const start = args[0] !== undefined && args[0] !== '' ? evaluate(args[0]) : 1n;
  const len = args[1] !== undefined ? evaluate(args[1]) : 1n;
  if (start === null || len === null) return null;
  const from = Math.max(0, Number(start) - 1);
  const count = len < 0n ? str.length - from + Number(len) + 1 : Number(len);
  return quote(str.slice(from, from + Math.max(0, count)));
}
