/**
 * Sections of a flat binary and their layout, as NASM's `-f bin` output format does it
 * (NASM manual §8.1.3 "Multisection support for the bin format"): `.text` first, other
 * PROGBITS sections in order of definition, NOBITS sections (`.bss`) last; each aligned to
 * its `align=` (default 4) unless `start=` or `follows=` places it; `vstart=`/`vfollows=`
 * give a different address for its labels.
 */

import type { Token } from './lexer';

/** Section attributes from `section NAME attrs…`. Addresses are absolute (bigint). */
export interface SectionAttrs {
  progbits: boolean;
  align: number;
  start?: bigint;
  vstart?: bigint;
  follows?: string;
  vfollows?: string;
}

/** Growable byte buffer for section contents. */
export class ByteBuffer {
  private buf = new Uint8Array(256);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.length));
    this.buf = nb;
  }

  push(bytes: ArrayLike<number>): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export interface Section {
  name: string;
  index: number;
  attrs: SectionAttrs;
  /** Size in bytes after the current pass. */
  size: number;
  /** Load address (where its bytes go), from the last layout. */
  start: bigint;
  /** Address its labels are relative to (vstart, or start). */
  vstart: bigint;
  /** Contents, filled in the final pass only. */
  data: ByteBuffer;
}

/** Default attributes for a section name (§8.1.3: `.bss` is NOBITS, the rest PROGBITS). */
export function defaultAttrs(name: string): SectionAttrs {
  return { progbits: name !== '.bss', align: 4 };
}

const alignUp = (v: bigint, a: number) => {
  const A = BigInt(Math.max(1, a));
  return ((v + A - 1n) / A) * A;
};

/**
 * Places the sections. `org` is the address of the start of the output file.
 * @returns an error message when sections overlap or a `follows=` target is unknown.
 */
export function layoutSections(sections: Section[], org: bigint): string | null {
  const progbits = sections.filter((s) => s.attrs.progbits);
  const nobits = sections.filter((s) => !s.attrs.progbits);
  const text = progbits.find((s) => s.name === '.text');
  const ordered: Section[] = text ? [text, ...progbits.filter((s) => s !== text)] : progbits.slice();
  ordered.push(...nobits);
  // Sections naming `follows=` go right after their target.
  for (const s of ordered.slice()) {
    if (!s.attrs.follows) continue;
    const target = ordered.find((t) => t.name === s.attrs.follows);
    if (!target) return `section \`${s.attrs.follows}' not defined`;
    ordered.splice(ordered.indexOf(s), 1);
    ordered.splice(ordered.indexOf(target) + 1, 0, s);
  }
  let end = org;
  let first = true;
  for (const s of ordered) {
    if (s.attrs.start !== undefined) s.start = s.attrs.start;
    else if (first) s.start = alignUp(org, 1);
    else s.start = alignUp(end, s.attrs.align);
    first = false;
    end = s.start + BigInt(s.size);
  }
  for (const s of ordered) {
    if (s.attrs.vstart !== undefined) s.vstart = s.attrs.vstart;
    else if (s.attrs.vfollows) {
      const t = ordered.find((x) => x.name === s.attrs.vfollows);
      if (!t) return `section \`${s.attrs.vfollows}' not defined`;
      s.vstart = alignUp(t.vstart + BigInt(t.size), s.attrs.align);
    } else s.vstart = s.start;
  }
  const placed = ordered.filter((s) => s.attrs.progbits && s.size > 0).sort((a, b) => (a.start < b.start ? -1 : 1));
  for (let i = 1; i < placed.length; i++) {
    const p = placed[i - 1]!;
    if (p.start + BigInt(p.size) > placed[i]!.start) return `sections \`${p.name}' and \`${placed[i]!.name}' overlap`;
  }
  for (const s of placed) if (s.start < org) return `section \`${s.name}' begins before the origin`;
  return null;
}

/** Builds the flat file: from `org` to the end of the last PROGBITS section, gaps zero. */
export function flatten(sections: Section[], org: bigint): Uint8Array {
  const placed = sections.filter((s) => s.attrs.progbits && s.data.length > 0);
  let end = org;
  for (const s of placed) if (s.start + BigInt(s.data.length) > end) end = s.start + BigInt(s.data.length);
  const out = new Uint8Array(Number(end - org));
  for (const s of placed) out.set(s.data.bytes(), Number(s.start - org));
  return out;
}

/**
 * Applies `section NAME` attribute tokens (`progbits`, `nobits`, `align=`, `start=`,
 * `vstart=`, `follows=`, `vfollows=`) to `attrs`.
 * @returns problems found: errors stop at the offending attribute, unknown ones are warnings.
 */
export function applySectionAttrs(attrs: SectionAttrs, args: Token[]): { error: boolean; col: number; message: string }[] {
  const problems: { error: boolean; col: number; message: string }[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!;
    const key = t.text.toLowerCase();
    if (key === 'progbits') attrs.progbits = true;
    else if (key === 'nobits') attrs.progbits = false;
    else if (args[i + 1]?.text === '=') {
      const v = args[i + 2];
      i += 2;
      if (!v) return [...problems, { error: true, col: t.col, message: `value expected for section attribute ${key}` }];
      if (key === 'follows' || key === 'vfollows') attrs[key] = v.text;
      else if (key === 'align' || key === 'start' || key === 'vstart') {
        if (v.kind !== 'num') return [...problems, { error: true, col: v.col, message: `section attribute ${key} requires a number` }];
        const n = v.value!;
        if (key === 'align') {
          if (n <= 0n || (n & (n - 1n)) !== 0n) return [...problems, { error: true, col: v.col, message: 'section alignment is not a power of two' }];
          attrs.align = Math.max(attrs.align, Number(n));
        } else attrs[key] = n;
      } else problems.push({ error: false, col: t.col, message: `unknown section attribute \`${key}' ignored` });
    } else if (!['align', 'exec', 'noexec', 'alloc', 'noalloc', 'write', 'nowrite'].includes(key)) {
      problems.push({ error: false, col: t.col, message: `unknown section attribute \`${key}' ignored` });
    }
  }
  return problems;
}
