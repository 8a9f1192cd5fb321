/**
 * Conformance: our bytes equal NASM 2.16's on a generated corpus (every mnemonic with a grid
 * of operand kinds, every addressing form, immediate sizes, 16- and 32-bit code), and we
 * reject exactly the lines NASM rejects.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../emulator/asm/index';
import { addressingCorpus, instructionCorpus, jumpPrograms } from './corpus';
import { hex, requireNasm, runNasm } from './nasm-oracle';

/**
 * NASM stops after a pass that had errors, so one run does not report every bad line.
 * Remove the reported lines and run again until NASM accepts the rest.
 * @returns 1-based line numbers (counting the `bits` line) that NASM rejects.
 */
function nasmRejectedLines(bits: number, lines: string[]): Set<number> {
  const rejected = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const keep: number[] = [];
    for (let i = 0; i < lines.length; i++) if (!rejected.has(i + 2)) keep.push(i);
    const r = runNasm([`bits ${bits}`, ...keep.map((i) => lines[i]!)].join('\n') + '\n');
    if (r.ok) return rejected;
    if (r.errorLines.size === 0) throw new Error(`nasm failed without line errors: ${r.stderr.slice(0, 500)}`);
    for (const ln of r.errorLines) rejected.add(keep[ln - 2]! + 2);
  }
  throw new Error('nasm kept reporting new errors after 20 rounds');
}

function compareLines(bits: 16 | 32, lines: string[]): { rejected: number; compared: number; mismatches: string[] } {
  const src = [`bits ${bits}`, ...lines].join('\n') + '\n';
  const ref = { errorLines: nasmRejectedLines(bits, lines) };
  const ours = assemble(src, { fileName: 'main.asm' });
  const ourErrorLines = new Set(ours.errors.map((e) => e.line));
  const mismatches: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const ln = i + 2;
    if (ref.errorLines.has(ln) !== ourErrorLines.has(ln)) {
      const why = ours.errors.find((e) => e.line === ln)?.message ?? '';
      mismatches.push(`bits ${bits} line ${ln} \`${lines[i]}\`: nasm ${ref.errorLines.has(ln) ? 'rejects' : 'accepts'}, we ${ourErrorLines.has(ln) ? `reject (${why})` : 'accept'}`);
    }
  }
  // Bytes: assemble the accepted lines one per statement and compare per line via our source map.
  const good = lines.filter((_, i) => !ref.errorLines.has(i + 2));
  const gsrc = [`bits ${bits}`, ...good].join('\n') + '\n';
  const gref = runNasm(gsrc);
  const gours = assemble(gsrc, { fileName: 'main.asm' });
  if (hex(gref.bytes) !== hex(gours.bytes)) {
    // Find the first differing line through our source map.
    let shown = 0;
    const byLine = new Map<number, { off: number; len: number }>();
    for (const e of gours.sourceMap.entries) {
      const cur = byLine.get(e.line);
      if (!cur) byLine.set(e.line, { off: e.fileOffset, len: e.length });
      else cur.len += e.length;
    }
    for (let i = 0; i < good.length && shown < 40; i++) {
      const r = byLine.get(i + 2);
      if (!r) continue;
      const ourB = hex(gours.bytes.subarray(r.off, r.off + r.len));
      const refB = hex(gref.bytes.subarray(r.off, r.off + r.len));
      if (ourB !== refB) {
        const single = runNasm(`bits ${bits}\n${good[i]}\n`);
        mismatches.push(`bits ${bits} \`${good[i]}\`: nasm ${hex(single.bytes)}, ours ${ourB}`);
        shown++;
        if (single.bytes.length !== r.len) break; // later offsets are shifted
      }
    }
    if (shown === 0) mismatches.push(`bits ${bits}: outputs differ (lengths ${gref.bytes.length} vs ${gours.bytes.length}); errors: ${gours.errors.slice(0, 3).map((e) => e.message).join('; ')}`);
  }
  return { rejected: ref.errorLines.size, compared: good.length, mismatches };
}

describe.runIf(requireNasm)('assembler matches NASM byte for byte', () => {
  for (const bits of [16, 32] as const) {
    it(`instruction-form corpus, bits ${bits}`, () => {
      const lines = instructionCorpus();
      const r = compareLines(bits, lines);
      if (process.env.VP_DUMP) require("node:fs").writeFileSync(process.env.VP_DUMP + expect.getState().currentTestName!.replace(/\W+/g, "_"), r.mismatches.join("\n"));
      expect(r.mismatches.slice(0, 60)).toEqual([]);
      expect(r.compared + r.rejected).toBe(lines.length);
    });
    it(`addressing-form corpus, bits ${bits}`, () => {
      const r = compareLines(bits, addressingCorpus());
      if (process.env.VP_DUMP) require("node:fs").writeFileSync(process.env.VP_DUMP + expect.getState().currentTestName!.replace(/\W+/g, "_"), r.mismatches.join("\n"));
      expect(r.mismatches.slice(0, 60)).toEqual([]);
    });
  }
  it('jump-size optimisation over label distances and chains', () => {
    const mismatches: string[] = [];
    for (const p of jumpPrograms()) {
      const ref = runNasm(p);
      const ours = assemble(p, { fileName: 'main.asm' });
      if (ref.ok !== (ours.errors.length === 0) || hex(ref.bytes) !== hex(ours.bytes)) {
        mismatches.push(`${JSON.stringify(p)}: nasm ${ref.ok ? hex(ref.bytes).slice(0, 40) : 'error'} ours ${ours.errors.length ? ours.errors[0]!.message : hex(ours.bytes).slice(0, 40)}`);
      }
    }
    expect(mismatches.slice(0, 30)).toEqual([]);
  });
});
