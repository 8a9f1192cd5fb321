/**
 * Small shared pieces of the inspection trees and commands: hex formatting, parsing of
 * values the user types (setVariable, commands), and bit-field nodes built from a table of
 * named bits.
 */
import { InspectError, type InspectNode } from './tree';

/** `0x` + `digits` lowercase hex digits of `v` taken as unsigned (8 by default: a dword). */
export function hex(v: number, digits = 8): string {
  return `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;
}

/** 16-bit selector / word as `0x0008`. */
export const hex16 = (v: number): string => hex(v & 0xffff, 4);

/** One named bit (or field) of a register: `shift` is the lowest bit, `width` bits wide (1 when omitted). */
export interface BitField {
  name: string;
  shift: number;
  width?: number;
  /** Short meaning, shown in the value after the number ('protection enable'). */
  meaning?: string;
}

/**
 * Parse a number the user typed: `0x…` hex, `…h` hex (NASM style), `0b…` binary, `0o…` octal,
 * or decimal (a leading `-` allowed: taken modulo 2^32). Underscores are ignored.
 * @param what what the value is for, named in the error ('EAX', 'count')
 * @throws InspectError naming `what` and the text when it is not a number or does not fit in 32 bits
 */
export function parseNumber(text: string, what: string): number {
  const t = text.trim().replace(/_/g, '');
  let neg = false;
  let body = t;
  if (body.startsWith('-')) {
    neg = true;
    body = body.slice(1).trim();
  }
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(body)) v = parseInt(body.slice(2), 16);
  else if (/^[0-9][0-9a-f]*h$/i.test(body)) v = parseInt(body.slice(0, -1), 16);
  else if (/^0b[01]+$/i.test(body)) v = parseInt(body.slice(2), 2);
  else if (/^0o[0-7]+$/i.test(body)) v = parseInt(body.slice(2), 8);
  else if (/^[0-9]+$/.test(body)) v = parseInt(body, 10);
  else throw new InspectError(`${what}: '${text}' is not a number (use 0x… hex, …h hex, or decimal)`);
  if (!Number.isSafeInteger(v) || v > 0xffffffff) throw new InspectError(`${what}: ${text} does not fit in 32 bits`);
  return neg ? -v >>> 0 : v >>> 0;
}

/**
 * Parse the value of a `width`-bit field: a number (see parseNumber) that fits, or for a one-bit
 * field also true/false/on/off/set/clear.
 * @throws InspectError when the value is not a number or does not fit in the field
 */
export function parseField(text: string, what: string, width: number): number {
  const t = text.trim().toLowerCase();
  if (width === 1) {
    if (t === 'true' || t === 'on' || t === 'set') return 1;
    if (t === 'false' || t === 'off' || t === 'clear') return 0;
  }
  const v = parseNumber(text, what);
  const max = width >= 32 ? 0xffffffff : 2 ** width - 1;
  if (v > max) throw new InspectError(`${what} is ${width} bit${width === 1 ? '' : 's'} wide: ${text} does not fit (0 … ${max})`);
  return v;
}

/** The value of a field of `value`. */
export function fieldOf(value: number, f: BitField): number {
  const w = f.width ?? 1;
  return w >= 32 ? value >>> 0 : (value >>> f.shift) & (2 ** w - 1);
}

/**
 * One child node per bit field of `value`: single bits as '0'/'1' (type 'bit'), wider
 * fields as a decimal number (type `${width}-bit field`). With `write`, each node gets a
 * `set` that replaces that field and calls `write(newWholeValue)`, which returns the new
 * whole value actually held (it may refuse with an InspectError).
 */
export function bitNodes(value: number, fields: readonly BitField[], write?: (next: number) => number): InspectNode[] {
  return fields.map((f) => {
    const w = f.width ?? 1;
    const v = fieldOf(value, f);
    const node: InspectNode = {
      name: f.name,
      value: f.meaning ? `${v} (${f.meaning})` : String(v),
      type: w === 1 ? 'bit' : `${w}-bit field`,
    };
    if (write) {
      node.set = (text) => {
        const nv = parseField(text, f.name, w);
        const mask = (w >= 32 ? 0xffffffff : (2 ** w - 1) * 2 ** f.shift) >>> 0;
        const held = write(((value & ~mask) | ((nv * 2 ** f.shift) & mask)) >>> 0);
        value = held >>> 0;
        return String(fieldOf(held, f));
      };
    }
    return node;
  });
}

/** 'PG CD NW ac wp…' style text: the names of the one-bit fields, upper case when set, lower case when clear (as Bochs prints CR0). */
export function flagLetters(value: number, fields: readonly BitField[]): string {
  return fields
    .filter((f) => (f.width ?? 1) === 1)
    .map((f) => (fieldOf(value, f) ? f.name.toUpperCase() : f.name.toLowerCase()))
    .join(' ');
}

/** The names of the set one-bit fields, space separated ('PE ET PG'), or '-' when none. */
export function setFlagNames(value: number, fields: readonly BitField[]): string {
  const names = fields.filter((f) => (f.width ?? 1) === 1 && fieldOf(value, f)).map((f) => f.name);
  return names.length ? names.join(' ') : '-';
}

/** A name unique among `taken` (adds ' (2)', ' (3)' …); records it. */
export function uniqueName(name: string, taken: Set<string>): string {
  let n = name;
  for (let k = 2; taken.has(n); k++) n = `${name} (${k})`;
  taken.add(n);
  return n;
}
