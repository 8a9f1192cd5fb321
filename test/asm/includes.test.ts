/**
 * %include (relative to the including file, then the search paths), incbin, and the
 * source map through includes and macro expansion — compared with NASM where bytes matter.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../emulator/asm/index';
import { hex, requireNasm, runNasm } from './nasm-oracle';

const FILES: Record<string, string | Uint8Array> = {
  'lib/defs.inc': '%define MAGIC 0x1BADB002\n%macro emit 1\n  dd %1\n  db 0xAA\n%endmacro\n%include "more.inc"\n',
  'lib/more.inc': 'FLAGS equ 3\n',
  'blob.bin': new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
};
const MAIN = `%include "defs.inc"
bits 32
  dd MAGIC, FLAGS
  emit 0x1234
start: nop
  incbin "blob.bin"
  incbin "blob.bin", 2
  incbin "blob.bin", 2, 3
`;

function host(files: Record<string, string | Uint8Array>) {
  return {
    readFile(path: string): Uint8Array | undefined {
      const key = path.replace(/^\.\//, '');
      const f = files[key];
      if (f === undefined) return undefined;
      return typeof f === 'string' ? new TextEncoder().encode(f) : f;
    },
  };
}

describe('includes and source map', () => {
  it.runIf(requireNasm)('%include through search paths and incbin produce the same bytes as nasm -I lib/', () => {
    const ref = runNasm(MAIN, FILES, ['-I', 'lib/']);
    expect(ref.ok, ref.stderr).toBe(true);
    const ours = assemble(MAIN, { fileName: 'main.asm', includePaths: ['lib'], host: host(FILES) });
    expect(ours.errors).toEqual([]);
    expect(hex(ours.bytes)).toBe(hex(ref.bytes));
  });

  it('maps bytes to the macro definition line and to the invocation line', () => {
    const r = assemble(MAIN, { fileName: 'main.asm', includePaths: ['lib'], host: host(FILES) });
    const dd = r.sourceMap.entries.find((e) => e.file === 'lib/defs.inc' && e.line === 3)!;
    expect(dd).toBeDefined();
    expect(dd.length).toBe(4);
    expect(dd.expansion?.[0]).toMatchObject({ file: 'main.asm', line: 4 });
    const nop = r.sourceMap.entries.find((e) => e.file === 'main.asm' && e.line === 5)!;
    expect(nop).toMatchObject({ address: 13, length: 1, column: 8 });
    const start = r.symbols.find((s) => s.name === 'start')!;
    expect(start).toMatchObject({ address: 13, section: '.text', size: 1 + 8 + 6 + 3 });
  });

  it('reports a missing include with file:line:column, without throwing', () => {
    const r = assemble('nop\n%include "nothere.inc"\n', { fileName: 'a.asm', host: host({}) });
    expect(r.errors[0]).toMatchObject({ file: 'a.asm', line: 2, message: "unable to open include file `nothere.inc'" });
  });

  it('stops a recursive include with an error', () => {
    const r = assemble('%include "a.asm"\n', { fileName: 'a.asm', host: host({ 'a.asm': '%include "a.asm"\n' }) });
    expect(r.errors.some((e) => e.message.includes('nested too deeply'))).toBe(true);
  });
});
