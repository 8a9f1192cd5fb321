/**
 * Diagnostics: every error of a file is reported (not just the first), each with
 * file:line:column, through %include and macro expansion; the assembler never throws.
 */
import { describe, expect, it } from 'vitest';
import { assemble, formatDiagnostic } from '../../emulator/asm/index';

const enc = (s: string) => new TextEncoder().encode(s);

describe('diagnostics', () => {
  it('reports every error with its line and column', () => {
    const src = ['bits 32', 'mov eax, bl', '  add eax, [ebx+nowhere]', 'inc [eax]', 'db 1/0', 'jmp short far_label', 'times 200 nop', 'far_label:'].join('\n');
    const r = assemble(src, { fileName: 'k.asm' });
    expect(r.errors.map((e) => [e.line, e.column, e.message])).toEqual([
      [2, 1, 'invalid combination of opcode and operands'],
      [3, 17, "symbol `nowhere' not defined"],
      [4, 1, 'operation size not specified'],
      [5, 5, 'division by zero'],
      [6, 1, 'short jump is out of range'],
    ]);
    expect(r.bytes.length).toBe(0);
    expect(formatDiagnostic(r.errors[1]!)).toBe("k.asm:3:17: error: symbol `nowhere' not defined");
  });

  it('names the included file and the macro definition line with its invocation site', () => {
    const files: Record<string, string> = { 'lib.inc': 'nop\nmov al, [cx]\n' };
    const src = '%macro bad 0\n  push 1\n  pop [eax]\n%endmacro\n%include "lib.inc"\n  bad\n';
    const r = assemble(src, { fileName: 'main.asm', host: { readFile: (p) => (files[p] ? enc(files[p]!) : undefined) } });
    expect(r.errors).toEqual([
      expect.objectContaining({ file: 'lib.inc', line: 2, message: 'invalid effective address' }),
      expect.objectContaining({ file: 'main.asm', line: 3, message: 'operation size not specified', expansion: [{ file: 'main.asm', line: 6, column: 3 }] }),
    ]);
  });

  it('reports syntax errors at the offending column', () => {
    const r = assemble('mov ax, )\nadd ax, [bx\n  db 5 5\nfoo bar\n', { fileName: 'e.asm' });
    expect(r.errors.map((e) => [e.line, e.column])).toEqual([
      [1, 9],
      [2, 12],
      [3, 8],
      [4, 5],
    ]);
  });

  it('warns, without failing, on overflowing data and zero-filled reservations', () => {
    const r = assemble('db 300\nresb 2\n', { fileName: 'w.asm' });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.line, w.message])).toEqual([
      [1, 'byte data exceeds bounds'],
      [2, 'uninitialized space declared in .text section: zeroing'],
    ]);
    expect(Array.from(r.bytes)).toEqual([0x2c, 0, 0]);
  });

  it('never throws when the host itself throws', () => {
    const r = assemble('%include "x"\nincbin "y"\n', { fileName: 'h.asm', host: { readFile: () => { throw new Error('disk on fire'); } } });
    expect(r.errors.map((e) => [e.line, e.message])).toEqual([
      [1, "unable to open include file `x'"],
      [2, "unable to open file `y'"],
    ]);
  });
});
