/**
 * NASM-style listing (`nasm -l`): for every source line, the line number, the address
 * (offset within its section, 8 hex digits), up to 9 bytes of output in hex, and the
 * source text; longer output continues on following lines marked with `-`.
 * Macro-expanded lines are marked `<1>` (nesting depth) as NASM does.
 */
import type { AssembledProgram } from './assembler';
import type { LineOrigin } from './diagnostics';

const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');

export function buildListing(p: AssembledProgram, lines: { text: string; origin: LineOrigin }[]): string {
  const out: string[] = [];
  const byOrigin = new Map<LineOrigin, typeof p.emissions>();
  for (const e of p.emissions) {
    const list = byOrigin.get(e.origin) ?? [];
    list.push(e);
    byOrigin.set(e.origin, list);
  }
  let counter = 0;
  for (const l of lines) {
    counter++;
    const depth = l.origin.expansion?.length ?? 0;
    const marker = depth > 0 ? `<${depth}> ` : '';
    const ems = byOrigin.get(l.origin) ?? [];
    const lineNo = String(l.origin.line).padStart(6, ' ');
    void counter;
    if (ems.length === 0 || ems.every((e) => e.length === 0)) {
      out.push(`${lineNo}${' '.repeat(28)}${marker}${l.text}`);
      continue;
    }
    let first = true;
    for (const e of ems) {
      if (e.length === 0) continue;
      const s = p.sections[e.section];
      const data = s && s.attrs.progbits && !e.reserved ? s.data.bytes().subarray(e.offset, e.offset + e.length) : null;
      const addr = hex(e.offset, 8);
      if (!data) {
        const field = `<res ${hex(e.length, 8)}>`;
        out.push(`${lineNo} ${addr} ${field.padEnd(18)}${first ? ` ${marker}${l.text}` : ''}`);
        first = false;
        continue;
      }
      for (let i = 0; i < data.length; i += 9) {
        const chunk = Array.from(data.subarray(i, i + 9), (b) => hex(b, 2)).join('');
        const cont = i + 9 < data.length ? '-' : '';
        const text = first ? ` ${marker}${l.text}` : '';
        out.push(`${lineNo} ${hex(e.offset + i, 8)} ${(chunk + cont).padEnd(18)}${text}`.trimEnd());
        first = false;
      }
    }
  }
  return out.join('\n') + '\n';
}
