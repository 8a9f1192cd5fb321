/**
 * The multi-pass assembler core (NASM manual §2.1.23 `-O`, whose default `-Ox` this
 * follows): every pass re-encodes every statement with the symbol values of the previous
 * pass; forward references start out optimistic (short jumps, sign-extended imm8) and
 * passes repeat until no label moves. A final pass then emits bytes and reports errors.
 * Each pass reads its lines one at a time from a `PassLines` source (the preprocessor),
 * which may evaluate directives with the symbols assembled so far, as NASM's does.
 */
import type { DiagnosticSink, LineOrigin } from './diagnostics';
import type { Reloc } from './encoder';
import { newPassState, PassRunner } from './pass-runner';
import type { AssemblerSymbols } from './pp-expr';
import { defaultAttrs, layoutSections, ByteBuffer, type Section } from './sections';
import { parseStatement, type Statement } from './statements';

const MAX_PASSES = 40;

export interface SymbolDef {
  name: string;
  value: bigint;
  /** Section index, or null for absolute values (equ constants, struc fields). */
  section: number | null;
  kind: 'label' | 'equ';
  origin: LineOrigin;
  /** Section offset (labels only). */
  offset: number;
}

/** One emitted byte range and the statement that produced it (final pass). */
export interface Emission {
  section: number;
  offset: number;
  length: number;
  origin: LineOrigin;
  column: number;
  text: string;
  /** Address of the first byte (section vstart + offset). */
  address: bigint;
  /** Reserved (uninitialised) space rather than data. */
  reserved?: boolean;
  /** Index of the statement (preprocessed line) that produced it. */
  line: number;
  /** For TIMES/ALIGN: bytes per repetition and the repetition count. */
  unit?: number;
  reps?: number;
  /** Fields holding relocatable values (offsets within this emission). */
  relocs?: Reloc[];
  /** Further repetitions of a TIMES line that the listing folds into the first. */
  folded?: boolean;
}

export interface HostFiles {
  /** Returns a file's bytes for `incbin`, or undefined if it cannot be read. */
  readBinary(path: string, fromFile: string): Uint8Array | undefined;
}


export interface AssembledProgram {
  /** Final-pass warnings by statement index (the listing prints them after their line). */
  lineWarnings: { line: number; message: string }[];
  sections: Section[];
  symbols: Map<string, SymbolDef>;
  emissions: Emission[];
  org: bigint;
  passes: number;
}

/** A preprocessed line. */
export interface SourceLine {
  text: string;
  origin: LineOrigin;
}

/** Where the assembler's lines come from, pass by pass (the preprocessor: pp-passes.ts). */
export interface PassLines {
  /**
   * Starts a pass. `symbols` gives the assembler's state at the moment a line is read, for
   * the preprocessor's expressions (labels of the lines already read in this pass, else the
   * previous pass's values).
   * @returns a reader of the pass's lines (undefined at the end; each line is assembled before
   *   the next is read), or null to replay the previous pass's lines, which cannot change
   */
  open(symbols: AssemblerSymbols): (() => SourceLine | undefined) | null;
}

/** Assembles the lines `input` gives in each pass. Never throws: problems go to `sink`. */
export function assembleLines(
  input: PassLines,
  sink: DiagnosticSink,
  files: HostFiles,
  initialBits: 16 | 32 = 16,
): AssembledProgram {
  let statements: Statement[] = [];
  const sections: Section[] = [];
  const sectionByName = new Map<string, Section>();
  const getSection = (name: string): Section => {
    let s = sectionByName.get(name);
    if (!s) {
      s = { name, index: sections.length, attrs: defaultAttrs(name), size: 0, start: 0n, vstart: 0n, data: new ByteBuffer() };
      sections.push(s);
      sectionByName.set(name, s);
    }
    return s;
  };
  getSection('.text');
  const incbinCache = new Map<string, Uint8Array | undefined>();

  let prev = new Map<string, SymbolDef>();
  let emissions: Emission[] = [];
  const lineWarnings: { line: number; message: string }[] = [];
  let passes = 0;
  let org = 0n;
  let stable = false;
  for (let pass = 1; pass <= MAX_PASSES + 1; pass++) {
    const final = stable || pass === MAX_PASSES + 1;
    if (pass === MAX_PASSES + 1 && !stable) {
      sink.error(statements[0]?.origin ?? { file: '', line: 1 }, 1, `Can't find valid values for all labels after ${MAX_PASSES} passes; giving up`);
    }
    passes = pass;
    for (const s of sections) {
      s.size = 0;
      if (final) s.data = new ByteBuffer();
    }
    const ps = newPassState(final, initialBits);
    emissions = [];
    const run = new PassRunner(ps, prev, sections, getSection, sink, files, incbinCache, emissions, lineWarnings);
    const read = input.open(run.symbols(pass === 1));
    if (read) {
      statements = [];
      for (let line = read(); line; line = read()) {
        const st = parseStatement(line.text, line.origin);
        statements.push(st);
        run.statement(st, statements.length - 1);
      }
    } else statements.forEach((st, i) => run.statement(st, i));
    org = ps.org;
    const layoutError = layoutSections(sections, org);
    if (final) {
      if (layoutError) sink.error(statements[0]?.origin ?? { file: '', line: 1 }, 1, layoutError);
      // Addresses in emissions use the final layout.
      for (const e of emissions) e.address = sections[e.section] ? sections[e.section]!.vstart + BigInt(e.offset) : BigInt(e.offset);
      prev = ps.labels;
      break;
    }
    stable = pass > 1 && sameValues(prev, ps.labels);
    prev = ps.labels;
  }
  return { sections, symbols: prev, emissions, org, passes, lineWarnings };
}

function sameValues(a: Map<string, SymbolDef>, b: Map<string, SymbolDef>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) {
    const o = a.get(k);
    if (!o || o.value !== v.value || o.section !== v.section) return false;
  }
  return true;
}
