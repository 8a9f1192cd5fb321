/**
 * Hand-written sources for directives, expressions, number syntax, sections and errors,
 * each assembled by NASM and by us: the bytes must be identical, and a source NASM
 * rejects must be rejected by us too.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../emulator/asm/index';
import { hex, requireNasm, runNasm } from './nasm-oracle';
import { SOURCES } from './sources';

describe.runIf(requireNasm)('hand-written sources match NASM', () => {
  for (const [name, src] of Object.entries(SOURCES)) {
    it(`${name}: same bytes, or both reject`, () => {
      const ref = runNasm(src + '\n');
      const ours = assemble(src + '\n', { fileName: 'main.asm' });
      if (!ref.ok) {
        expect(ours.errors.length, `nasm rejects: ${ref.stderr}`).toBeGreaterThan(0);
        const ourLines = new Set(ours.errors.map((e) => e.line));
        for (const l of ref.errorLines) expect(ourLines.has(l), `error on line ${l}: ${ref.stderr}`).toBe(true);
      } else {
        expect(ours.errors.map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([]);
        expect(hex(ours.bytes)).toBe(hex(ref.bytes));
      }
    });
  }
});
