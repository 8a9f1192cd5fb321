/**
 * NASM-style listing (`nasm -l`), laid out as NASM 2.16 writes it: every source line read
 * (directives and skipped lines included) as `%6d %08X <hex> <marker><source>`, where the
 * address is the offset in the section, hex shows up to 9 bytes with `-` continuation
 * lines, TIMES/ALIGN show one repetition and `<rep Nh>`, reservations show `??` per byte
 * (up to 8) or `<res Nh>`, and lines from includes, macros and %rep carry `<depth>`.
 * Warnings follow their line behind a row of asterisks.
 */
import type { AssembledProgram, Emission } from './assembler';
import type { PreprocessResult } from './preprocessor';

const hex = (n: number, w = 0) => n.toString(16).toUpperCase().padStart(w, '0');

const WARNING_CLASS: [RegExp, string][] = [
  [/^uninitialized space declared/, 'zeroing'],
  [/data exceeds bounds$/, 'number-overflow'],
];

/**
 * Rows of the hex field for one emission, as NASM's `list_out` fills them: bytes as two
 * digits each, relocatable fields as `[bytes]` (the section-relative value, little-endian, so
 * `[1400]` for a word label at offset 0x14), a new row (the previous one ending in `-`) whenever the next item would
 * pass 18 characters. Returns [row text, offset of its first item].
 */
function hexRows(p: AssembledProgram, e: Emission): [string, number][] {
  if (e.reserved) return [[e.length <= 8 ? '??'.repeat(e.length) : `<res ${hex(e.length)}h>`, e.offset]];
  const s = p.sections[e.section];
  const data = s && s.attrs.progbits ? s.data.bytes().subarray(e.offset, e.offset + e.length) : new Uint8Array(e.length);
  const reps = e.reps ?? 1;
  const shownLen = reps > 1 ? Math.min(e.unit ?? data.length, data.length) : data.length;
  const rows: [string, number][] = [];
  let row = '';
  let rowStart = e.offset;
  const put = (text: string, at: number) => {
    if (row !== '' && row.length + text.length > 18) {
      rows.push([row, rowStart]);
      row = '';
    }
    if (row === '') rowStart = at;
    row += text;
  };
  const relocs = (e.relocs ?? []).slice().sort((a, b) => a.at - b.at);
  let i = 0;
  while (i < shownLen) {
    const r = relocs.find((x) => x.at === i);
    if (r && i + r.size <= data.length) {
      let v = 0n;
      for (let k = r.size - 1; k >= 0; k--) v = (v << 8n) | BigInt(data[i + k]!);
      const base = p.sections[r.seg]?.vstart ?? 0n;
      const rel = BigInt.asUintN(r.size * 8, v - base);
      let le = '';
      for (let k = 0; k < r.size; k++) le += hex(Number((rel >> BigInt(8 * k)) & 0xffn), 2);
      put(`[${le}]`, e.offset + i);
      i += r.size;
    } else {
      put(hex(data[i]!, 2), e.offset + i);
      i++;
    }
  }
  if (reps > 1) put(`<rep ${hex(reps)}h>`, e.offset);
  rows.push([row, rowStart]);
  return rows;
}

export function buildListing(p: AssembledProgram, pre: PreprocessResult): string {
  const byList = new Map<number, Emission[]>();
  for (const e of p.emissions) {
    if (e.length === 0) continue;
    const li = pre.lines[e.line]?.listIndex;
    if (li === undefined) continue;
    const list = byList.get(li) ?? [];
    list.push(e);
    byList.set(li, list);
  }
  const warningsByList = new Map<number, string[]>();
  for (const w of p.lineWarnings) {
    const li = pre.lines[w.line]?.listIndex;
    if (li === undefined) continue;
    const list = warningsByList.get(li) ?? [];
    list.push(w.message);
    warningsByList.set(li, list);
  }
  const out: string[] = [];
  pre.listing.forEach((l, i) => {
    const num = String(l.line).padStart(6, ' ');
    const marker = l.depth > 0 ? `<${l.depth}> ` : '    ';
    const ems = byList.get(i) ?? [];
    if (ems.length === 0) {
      out.push(`${num}${' '.repeat(30)}${marker}${l.text}`);
    } else {
      let first = true;
      for (const e of ems) {
        if (e.folded) continue;
        const rows = hexRows(p, e);
        rows.forEach(([row, at], r) => {
          const more = r < rows.length - 1;
          const field = (row + (more ? '-' : '')).padEnd(19);
          const addr = hex(at, 8);
          out.push(first ? `${num} ${addr} ${field} ${marker}${l.text}` : `${num} ${addr} ${field}`);
          first = false;
        });
      }
    }
    for (const w of warningsByList.get(i) ?? []) {
      const cls = WARNING_CLASS.find(([re]) => re.test(w));
      out.push(`${num}          ${'*'.repeat(18)}       warning: ${w}${cls ? ` [-w+${cls[1]}]` : ''}`);
    }
  });
  return out.join('\n') + '\n';
}
