/**
 * NASM numeric constants and string literals.
 *
 * Follows the NASM manual §3.4.1 (numeric constants), §3.4.2 (character strings),
 * §3.4.3 (character constants) and §3.4.6 (floating-point constants, decimal form only).
 * Values are 64-bit two's complement, held in `bigint` as NASM computes in 64 bits.
 */

const RADIX_LETTERS: Record<string, number> = { x: 16, h: 16, d: 10, t: 10, o: 8, q: 8, b: 2, y: 2 };

function digitsValue(text: string, radix: number): bigint | undefined {
  const clean = text.replace(/_/g, '');
  if (clean.length === 0) return undefined;
  let v = 0n;
  const r = BigInt(radix);
  for (const ch of clean.toLowerCase()) {
    const d = ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch >= 'a' && ch <= 'z' ? ch.charCodeAt(0) - 87 : 99;
    if (d >= radix) return undefined;
    v = v * r + BigInt(d);
  }
  return BigInt.asUintN(64, v);
}

/**
 * Parses an integer constant in any NASM form: `0x1F`, `0h1F`, `1Fh`, `$1F` (the `$`
 * form is passed with its `$`), `0o17`/`0q17`/`17o`/`17q`, `0b101`/`0y101`/`101b`/`101y`,
 * `0d99`/`0t99`/`99d`/`99t`, plain decimal, each with optional `_` separators.
 * When both a prefix and a suffix reading are valid (`0bh`), the larger radix wins,
 * as in NASM's `readnum`.
 *
 * @returns the value as an unsigned 64-bit bigint, or `undefined` if the text is not a number.
 */
export function parseInteger(text: string): bigint | undefined {
  if (text.startsWith('$')) return digitsValue(text.slice(1), 16);
  const lower = text.toLowerCase();
  let prefix: { radix: number; value: bigint | undefined } | undefined;
  let suffix: { radix: number; value: bigint | undefined } | undefined;
  if (lower.length > 2 && lower[0] === '0' && RADIX_LETTERS[lower[1]!] !== undefined) {
    const radix = RADIX_LETTERS[lower[1]!]!;
    prefix = { radix, value: digitsValue(lower.slice(2), radix) };
  }
  const last = lower[lower.length - 1]!;
  if (lower.length > 1 && RADIX_LETTERS[last] !== undefined && last !== 'x') {
    const radix = RADIX_LETTERS[last]!;
    suffix = { radix, value: digitsValue(lower.slice(0, -1), radix) };
  }
  const candidates = [prefix, suffix].filter((c): c is { radix: number; value: bigint } => c !== undefined && c.value !== undefined);
  if (candidates.length > 0) {
    candidates.sort((a, b) => b.radix - a.radix);
    return candidates[0]!.value;
  }
  if (prefix || suffix) {
    // A radix marker was present but the digits did not fit it; a plain decimal reading may still apply.
    const dec = digitsValue(lower, 10);
    return dec;
  }
  return digitsValue(lower, 10);
}

/** True if `text` looks like a decimal floating-point constant (`1.5`, `1.0e10`, `3e-2`). */
export function isFloatLiteral(text: string): boolean {
  return /^[0-9][0-9_]*\.[0-9_]*(e[+-]?[0-9]+)?$/i.test(text) || /^[0-9][0-9_]*e[+-]?[0-9]+$/i.test(text);
}

/** Encodes a decimal float constant as IEEE-754 of `size` bytes (4 or 8), little-endian. */
export function encodeFloat(text: string, size: 4 | 8): Uint8Array {
  const v = Number(text.replace(/_/g, ''));
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  if (size === 4) dv.setFloat32(0, v, true);
  else dv.setFloat64(0, v, true);
  return out;
}

/**
 * Decodes the body of a quoted string (without its quotes).
 * Single and double quotes take the text literally; backquotes interpret C-style escapes
 * (NASM manual §3.4.2): `\n \t \r \0 \a \b \f \v \e \\ \' \" \` \?`, octal `\ooo`,
 * hex `\xHH`, and `\uHHHH`/`\UHHHHHHHH` encoded as UTF-8.
 *
 * Non-ASCII text in quotes is encoded as UTF-8, as NASM reads source files as bytes.
 */
export function decodeString(body: string, quote: string): number[] {
  const bytes: number[] = [];
  const utf8 = (cp: number) => {
    for (const b of new TextEncoder().encode(String.fromCodePoint(cp))) bytes.push(b);
  };
  if (quote !== '`') {
    for (const ch of body) {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x80) bytes.push(cp);
      else utf8(cp);
    }
    return bytes;
  }
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      const cp = body.codePointAt(i)!;
      if (cp > 0xffff) i++;
      if (cp < 0x80) bytes.push(cp);
      else utf8(cp);
      continue;
    }
    const e = body[++i];
    if (e === undefined) break;
    const simple: Record<string, number> = {
      n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27, '\\': 92, "'": 39, '"': 34, '`': 96, '?': 63,
    };
    if (simple[e] !== undefined) {
      bytes.push(simple[e]!);
    } else if (e >= '0' && e <= '7') {
      let s = e;
      while (s.length < 3 && body[i + 1] !== undefined && body[i + 1]! >= '0' && body[i + 1]! <= '7') s += body[++i];
      bytes.push(parseInt(s, 8) & 0xff);
    } else if (e === 'x') {
      let s = '';
      while (s.length < 2 && body[i + 1] !== undefined && /[0-9a-f]/i.test(body[i + 1]!)) s += body[++i];
      bytes.push(s.length ? parseInt(s, 16) : 0);
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      let s = '';
      while (s.length < n && body[i + 1] !== undefined && /[0-9a-f]/i.test(body[i + 1]!)) s += body[++i];
      const cp = parseInt(s || '0', 16);
      utf8(cp <= 0x10ffff ? cp : 0xfffd);
    } else {
      bytes.push(e.charCodeAt(0) & 0xff);
    }
  }
  return bytes;
}

/** A character constant's value: the bytes little-endian, at most 8 of them (NASM §3.4.3). */
export function charConstValue(bytes: number[]): bigint {
  let v = 0n;
  for (let i = Math.min(bytes.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}
