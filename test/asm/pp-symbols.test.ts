/**
 * Preprocessor directives that read the assembler's symbols (`%if b - a > 5`,
 * `%assign x N + 1`, `%rep N`): the messages NASM gives for them, word for word, and the
 * per-pass re-running of the preprocessor (only when its output can change).
 */
import { describe, expect, it } from 'vitest';
import { assembleLines } from '../../emulator/asm/assembler';
import { DiagnosticSink } from '../../emulator/asm/diagnostics';
import { assemble } from '../../emulator/asm/index';
import { PassPreprocessor } from '../../emulator/asm/pp-passes';
import { requireNasm, runNasm } from './nasm-oracle';

/** `line: message` of every error NASM prints for main.asm. */
function nasmErrors(src: string): string[] {
  return [...runNasm(src).stderr.matchAll(/^main\.asm:(\d+): error: (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`);
}

function ourErrors(src: string): string[] {
  return assemble(src, { fileName: 'main.asm' }).errors.map((e) => `${e.line}: ${e.message}`);
}

const MESSAGES: Record<string, string> = {
  forwardInIf: '%if fwd > 5\ndb 1\n%endif\nfwd equ 10\n',
  forwardLocalInIf: 'x: db 0\n%if .m - x == 1\ndb 3\n%endif\n.m:\n',
  undefinedInAssign: '%assign v nowhere + 1\n',
  relocatableInIf: 'a: db 0\n%if a\ndb 1\n%endif\n',
  hereInAssign: 'db 0\n%assign v $\n',
  forwardInSubstr: '%substr s "abcdef" fwd\nfwd equ 2\n',
  forwardInRep: '%rep fwd\ndb 1\n%endrep\nfwd equ 1\n',
  relocatableInRep: 'a: db 0\n%rep a\ndb 1\n%endrep\n',
  emptyRep: '%rep\ndb 1\n%endrep\n',
  errorInFinalPassOnly: 'a: jmp t\nb:\n%if b - a == 3\n%error near jump\n%endif\ntimes 200 nop\nt:\n',
};

describe.runIf(requireNasm)('preprocessor expressions over labels: NASM messages', () => {
  for (const [name, src] of Object.entries(MESSAGES)) {
    it(`${name}: same errors, same lines`, () => {
      const ref = nasmErrors(src);
      expect(ref.length).toBeGreaterThan(0);
      expect(ourErrors(src)).toEqual(ref);
    });
  }
});

describe('preprocessor runs per pass', () => {
  const run = (src: string) => {
    const lines = new PassPreprocessor(src, 'main.asm', { defines: {}, readInclude: () => undefined });
    const sink = new DiagnosticSink();
    const program = assembleLines(lines, sink, { readBinary: () => undefined });
    return { lines, program, sink };
  };

  it('runs once when no directive reads a symbol, however many passes the assembler makes', () => {
    const { lines, program } = run('%assign n 3\n%if n > 2\njmp t\n%endif\ntimes 200 nop\nt:\n');
    expect(program.passes).toBeGreaterThan(2);
    expect(lines.runs).toBe(1);
  });

  it('runs in every pass when a directive reads a label, and keeps the last run', () => {
    const { lines, program } = run('a: jmp t\nb:\n%assign x b - a\ndb x\ntimes 200 nop\nt:\n');
    expect(lines.runs).toBe(program.passes);
    // The jump is short (x = 2) in the first pass and near (x = 3) from the second on.
    expect(program.passes).toBeGreaterThan(2);
    expect(lines.result().lines.map((l) => l.text)).toContain('db 3');
    expect(program.symbols.get('t')?.offset).toBe(3 + 1 + 200);
  });

  it('gives up, with an error, when preprocessing keeps changing with label values', () => {
    // The %if flips the jump between short and near in every pass: 90,000 lines per run.
    const r = assemble('a: jmp t\nb:\n%rep 30000\n%if b - a == 2\nnop\n%endif\n%endrep\nt:\n', { fileName: 'main.asm' });
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^preprocessing depends on label values and read more than 500000 lines/)]);
    expect(r.bytes.length).toBe(0);
  });

  it('stops re-running after a run with an error, as NASM stops after that pass', () => {
    const { lines, program } = run('%if fwd\ndb 1\n%endif\nfwd equ 1\ntimes 200 nop\njmp fwd\n');
    expect(program.passes).toBeGreaterThan(1);
    expect(lines.runs).toBe(1);
    expect(lines.diagnostics().errors.map((e) => e.message)).toEqual(["symbol `fwd' not defined before use"]);
  });
});
