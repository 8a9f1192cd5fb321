/**
 * The assembler never throws to its caller and never hangs: random token soups and
 * mutations of valid sources must come back with a result (errors allowed) in bounded time.
 * Fuzz budget: 1500 random sources + 1500 mutated sources per run, each under 5 s.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../emulator/asm/index';
import { SOURCES } from './sources';

const FUZZ_RUNS = 1500;
const PER_SOURCE_MS = 5000;

const TOKENS = [
  'mov', 'add', 'jmp', 'jz', 'call', 'push', 'times', 'db', 'dw', 'dd', 'dq', 'resb', 'equ', 'org', 'bits', 'section', 'align',
  'struc', 'endstruc', 'istruc', 'at', 'iend', 'incbin', 'eax', 'ax', 'al', 'es', 'cr0', '[', ']', ',', ':', '+', '-', '*', '/',
  '//', '%', '<<', '>>', '(', ')', '?', '$', '$$', 'label', '.local', '..@x', '0x10', '1', '-1', '99999999999999999999', "'ab'",
  '"x', '`\\', 'byte', 'dword', 'short', 'far', 'strict', '16', '32', '\n', ';', 'lock', 'rep', '%define', '%macro', '%endmacro',
  '%if', '%endif', '%rep', '%endrep', '%include', '%1', '%%x', '1.5', 'nosplit', '0b2', 'loop', 'int', 'enter',
];

function check(src: string): void {
  const t0 = Date.now();
  let r;
  expect(() => {
    r = assemble(src, { fileName: 'fuzz.asm', host: { readFile: () => new Uint8Array([1, 2, 3]) } });
  }).not.toThrow();
  expect(r).toBeDefined();
  expect(Date.now() - t0).toBeLessThan(PER_SOURCE_MS);
}

describe('assembler robustness (fast-check)', () => {
  it(`never throws on random token sequences (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 60 }), (toks, spaces) => {
        check(toks.map((t, i) => t + ((spaces[i] ?? 0) % 3 === 0 ? '' : ' ')).join(''));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`never throws on mutated valid sources (${FUZZ_RUNS} runs)`, () => {
    const bases = Object.values(SOURCES);
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 8 }),
        (which, edits) => {
          let s = bases[which]!;
          for (const [pos, kind, text] of edits) {
            const p = s.length ? pos % s.length : 0;
            if (kind === 0) s = s.slice(0, p) + text + s.slice(p);
            else if (kind === 1) s = s.slice(0, p) + s.slice(p + 1 + (pos % 5));
            else if (kind === 2) s = s.slice(0, p) + s.slice(p).replace(/\d/, String(pos % 1000000));
            else s = s.slice(0, p) + '\n' + s.slice(p);
          }
          check(s);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('bounded on pathological inputs', () => {
    check('times 100000000 db 0');
    check('times 0x7fffffff nop');
    check('resb 0xffffffffff');
    check('a: jmp b\nb: times (b-a)*1000 db 0\njmp a');
    check('x equ y\ny equ x\ndb x');
    check('db ' + '('.repeat(5000) + '1' + ')'.repeat(5000));
    check('l: times 300 jz l');
  });
});
