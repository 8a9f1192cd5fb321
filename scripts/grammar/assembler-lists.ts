/**
 * The assembler's own word lists, for the TextMate grammar: directives, data and reserve
 * directives, prefixes, registers by class, operand keywords, and the preprocessor
 * directives it recognises.
 *
 * Most lists are exported by emulator/asm. The preprocessor dispatches on directive names
 * in code, so its list is found by asking it: every directive of the NASM 2.16 manual
 * (chapter 4; the `%if` family of §4.4 built from its stems and condition suffixes) is run
 * through `assemble`, and the reply sorts it into supported, recognised-but-unsupported
 * ("not supported" diagnostics) or unknown (dropped).
 */
import { assemble } from '../../emulator/asm/index';
import { PREFIX_NAMES } from '../../emulator/asm/encoder';
import { SIZE_KEYWORDS } from '../../emulator/asm/operands';
import { allRegisters, type RegClass } from '../../emulator/asm/registers';
import { DATA_SIZES, DIRECTIVES, RES_SIZES } from '../../emulator/asm/statements';

/** NASM 2.16 manual chapter 4, every preprocessor directive other than the `%if` family. */
const NASM_PP_DIRECTIVES = [
  'define', 'idefine', 'xdefine', 'ixdefine', 'undef', 'defalias', 'idefalias', 'clear', 'defstr', 'idefstr', 'deftok', 'ideftok',
  'strcat', 'strlen', 'substr', 'assign', 'iassign', 'macro', 'imacro', 'endmacro', 'endm', 'unmacro', 'unimacro', 'rotate',
  'exitmacro', 'rep', 'endrep', 'exitrep', 'include', 'depend', 'use', 'push', 'pop', 'repl', 'arg', 'stacksize', 'local',
  'error', 'warning', 'fatal', 'line', 'pragma', 'else', 'endif', 'null', 'aliases',
];
/** NASM manual §4.4: `%if`, `%elif` and their `n` forms, each with the condition suffixes. */
const NASM_IF_SUFFIXES = ['', 'def', 'macro', 'idn', 'idni', 'num', 'str', 'id', 'ctx', 'empty', 'env', 'tok', 'usable'];

/** The preprocessor directives, sorted by what the assembler says about them. */
export interface PreprocessorDirectives {
  supported: string[];
  /** Recognised by the preprocessor but reported as not supported yet (see emulator/asm/README.md). */
  unsupported: string[];
}

/**
 * Probes the assembler with each NASM directive on a line of its own (plus the closing
 * directive a block needs) and reads its diagnostics.
 */
export function preprocessorDirectives(): PreprocessorDirectives {
  const candidates = new Set(NASM_PP_DIRECTIVES);
  for (const stem of ['if', 'ifn', 'elif', 'elifn']) for (const s of NASM_IF_SUFFIXES) candidates.add(stem + s);
  const supported: string[] = [];
  const unsupported: string[] = [];
  for (const name of [...candidates].sort()) {
    // `%elif…` and `%else` are evaluated only inside an `%if` construct that has not been taken.
    const line = `%${name} x`;
    const source = name.startsWith('elif') ? `%if 0\n${line}\n%endif\n` : `${line}\n`;
    const r = assemble(source, { fileName: 'probe.asm' });
    const messages = [...r.errors, ...r.warnings].map((d) => d.message);
    if (messages.some((m) => m.includes('unknown preprocessor directive'))) continue;
    if (messages.some((m) => m.includes('not supported'))) unsupported.push(name);
    else supported.push(name);
  }
  return { supported: supported.map((n) => `%${n}`), unsupported: unsupported.map((n) => `%${n}`) };
}

/** Register names by class (emulator/asm/registers.ts). */
export function registersByClass(): Map<RegClass, string[]> {
  const out = new Map<RegClass, string[]>();
  for (const r of allRegisters()) out.set(r.cls, [...(out.get(r.cls) ?? []), r.name]);
  return out;
}

/** Directive and keyword lists of the assembler's parser. */
export function assemblerWords() {
  const prefixes = [...PREFIX_NAMES];
  const segments = registersByClass().get('sreg') ?? [];
  return {
    directives: [...DIRECTIVES].sort(),
    data: Object.keys(DATA_SIZES),
    reserve: Object.keys(RES_SIZES),
    /** Instruction prefixes other than segment overrides (encoder.ts PREFIX_NAMES). */
    prefixes: prefixes.filter((p) => !segments.includes(p)),
    /** Segment registers written as prefixes (`es movsb`). */
    segmentPrefixes: prefixes.filter((p) => segments.includes(p)),
    sizes: Object.keys(SIZE_KEYWORDS),
    /** Operand keywords of operands.ts (jump distance, `strict`, `nosplit`) and expr.ts (`seg`, `wrt`). */
    operandKeywords: ['short', 'near', 'far', 'strict', 'nosplit'],
    expressionOperators: ['seg', 'wrt'],
  };
}
