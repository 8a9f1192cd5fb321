/**
 * Tokenizer for one preprocessed source line (NASM manual §3.1 layout of a line, §3.4 constants).
 *
 * The lexer never throws: characters it cannot classify become `bad` tokens, which the
 * parser reports with their column.
 */
import { decodeString, isFloatLiteral, parseInteger } from './numbers';

export type TokenKind = 'id' | 'num' | 'float' | 'str' | 'op' | 'bad';

/** One token. `col` is the 1-based column of its first character in the line. */
export interface Token {
  kind: TokenKind;
  /** Source text (for strings: including quotes). */
  text: string;
  col: number;
  /** For `num`: the value. */
  value?: bigint;
  /** For `str`: the decoded bytes. */
  bytes?: number[];
}

const OPERATORS = [
  '<<<', '>>>', '<=>', '<<', '>>', '//', '%%', '==', '!=', '<>', '<=', '>=', '&&', '||', '^^',
  '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '(', ')', '[', ']', ',', ':', '=', '<', '>', '?', '{', '}',
];

function isIdStart(c: string): boolean {
  return /[A-Za-z_.?@]/.test(c);
}
function isIdChar(c: string): boolean {
  return /[A-Za-z0-9_$#@~.?]/.test(c);
}

/** Returns the index where the `;` comment starts (outside quotes), or the line length. */
export function commentStart(line: string): number {
  let q: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (q === '`' && c === '\\') i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'" || c === '`') q = c;
    else if (c === ';') return i;
  }
  return line.length;
}

/** Splits a line (comment already removed or not) into tokens. */
export function tokenize(line: string): Token[] {
  const toks: Token[] = [];
  const end = commentStart(line);
  let i = 0;
  while (i < end) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    const col = i + 1;
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let closed = false;
      while (j < end) {
        if (c === '`' && line[j] === '\\') j += 2;
        else if (line[j] === c) {
          closed = true;
          break;
        } else j++;
      }
      if (!closed) {
        toks.push({ kind: 'bad', text: line.slice(i, end), col });
        break;
      }
      const body = line.slice(i + 1, j);
      toks.push({ kind: 'str', text: line.slice(i, j + 1), col, bytes: decodeString(body, c) });
      i = j + 1;
      continue;
    }
    if (c >= '0' && c <= '9') {
      let j = i;
      while (j < end && /[0-9A-Za-z_.]/.test(line[j]!)) {
        // exponent sign inside a float: 1.5e-3
        j++;
        if ((line[j - 1] === 'e' || line[j - 1] === 'E') && (line[j] === '+' || line[j] === '-') && /^[0-9][0-9_]*\./.test(line.slice(i, j))) j++;
      }
      const text = line.slice(i, j);
      if (isFloatLiteral(text)) toks.push({ kind: 'float', text, col });
      else {
        const v = parseInteger(text);
        if (v === undefined) toks.push({ kind: 'bad', text, col });
        else toks.push({ kind: 'num', text, col, value: v });
      }
      i = j;
      continue;
    }
    if (c === '$') {
      const n = line[i + 1];
      if (n === '$') {
        toks.push({ kind: 'id', text: '$$', col });
        i += 2;
        continue;
      }
      if (n !== undefined && n >= '0' && n <= '9') {
        let j = i + 1;
        while (j < end && /[0-9A-Za-z_]/.test(line[j]!)) j++;
        const text = line.slice(i, j);
        const v = parseInteger(text);
        toks.push(v === undefined ? { kind: 'bad', text, col } : { kind: 'num', text, col, value: v });
        i = j;
        continue;
      }
      if (n !== undefined && isIdStart(n)) {
        // `$name`: an identifier that is never a keyword (NASM §3.1).
        let j = i + 1;
        while (j < end && isIdChar(line[j]!)) j++;
        toks.push({ kind: 'id', text: line.slice(i, j), col });
        i = j;
        continue;
      }
      toks.push({ kind: 'id', text: '$', col });
      i++;
      continue;
    }
    if (isIdStart(c) && !(c === '?' && !isIdChar(line[i + 1] ?? ' '))) {
      let j = i + 1;
      while (j < end && isIdChar(line[j]!)) j++;
      toks.push({ kind: 'id', text: line.slice(i, j), col });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => line.startsWith(o, i));
    if (op) {
      toks.push({ kind: 'op', text: op, col });
      i += op.length;
      continue;
    }
    toks.push({ kind: 'bad', text: c, col });
    i++;
  }
  return toks;
}
