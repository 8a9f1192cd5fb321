/**
 * A fast, line-by-line lexical scan of one NASM source file for the editor features that
 * need positions rather than bytes: symbol definitions (labels, local labels, `equ`,
 * `%define`/`%assign`, `%macro`, `struc`), identifier references, instruction lines,
 * `%include`s, sections and foldable blocks. It does not preprocess or assemble (the
 * assembler does that for diagnostics and values, diagnostics.ts); it follows NASM's
 * source syntax (NASM manual §3.1 "Layout of a NASM Source Line", §3.9 "Local Labels",
 * §4.3 "Multi-Line Macros"). Positions are 0-based lines and UTF-16 columns, as LSP uses.
 */
import { allMnemonics } from '../../emulator/asm/insn-table';
import { lookupRegister } from '../../emulator/asm/registers';
import { DATA_SIZES, DIRECTIVES, RES_SIZES } from '../../emulator/asm/statements';

/** What defines a symbol: a label, `equ`, `%define`/`%assign`, `%macro`, `struc`. */
export type DefKind = 'label' | 'equ' | 'define' | 'macro' | 'struc';

/** A symbol definition. `name` is the full name (a local label `.x` after `main` is `main.x`). */
export interface Def {
  name: string;
  kind: DefKind;
  line: number;
  start: number;
  end: number;
  /** For local labels: the non-local label they belong to. */
  parent?: string;
  /** A label followed by data (db, resd …) rather than code. */
  data?: boolean;
  /** A word alone on a line that may be a label (no colon) or a call of a macro defined elsewhere. */
  ambiguous?: boolean;
  /** The rest of the defining line: macro parameters, the `equ` expression, the `%define` body. */
  detail: string;
}

/** An identifier used somewhere; `name` is resolved for local labels, `text` as written. */
export interface Ref {
  name: string;
  text: string;
  line: number;
  start: number;
  end: number;
}

/** A line holding an instruction: the mnemonic's range and the instruction text from the mnemonic on. */
export interface InstrLine {
  line: number;
  mnemonic: string;
  start: number;
  end: number;
  /** Mnemonic and operands, comment removed ('mov cr3, eax'). */
  text: string;
  /** Column just past the last non-blank character of the line (comment included). */
  lineEnd: number;
}

/** A `%include "name"` line; `start`/`end` are the columns of the quoted name (0-based, like every line here). */
export interface IncludeDirective {
  line: number;
  name: string;
  start: number;
  end: number;
}

/** A foldable block from its opening line to its closing line (0-based). */
export interface Fold {
  start: number;
  end: number;
  kind: 'macro' | 'if' | 'rep' | 'section' | 'struc';
}

/** A `section`/`segment` directive and its line. */
export interface SectionLine {
  name: string;
  line: number;
}

/** Everything the language features need from one file's text, without assembling it; lines are 0-based (LSP). */
export interface ScanResult {
  defs: Def[];
  refs: Ref[];
  instrs: InstrLine[];
  includes: IncludeDirective[];
  folds: Fold[];
  sections: SectionLine[];
  lineCount: number;
}

const MNEMONICS = new Set(allMnemonics());
const PREFIXES = new Set(['rep', 'repe', 'repz', 'repne', 'repnz', 'lock', 'o16', 'o32', 'a16', 'a32']);
const KEYWORDS = new Set(['byte', 'word', 'dword', 'qword', 'tword', 'oword', 'ptr', 'far', 'near', 'short', 'strict', 'nosplit', 'rel', 'abs', 'seg', 'wrt', 'to', 'times', 'equ', 'dup', 'at']);
/** Words the assembler reads as something other than a symbol. */
export function isReservedWord(w: string): boolean {
  const l = w.toLowerCase();
  return MNEMONICS.has(l) || PREFIXES.has(l) || KEYWORDS.has(l) || DIRECTIVES.has(l) || l in DATA_SIZES || l in RES_SIZES || lookupRegister(l) !== undefined;
}
/** Whether `w` is an instruction mnemonic of our assembler (any case). */
export const isMnemonic = (w: string): boolean => MNEMONICS.has(w.toLowerCase());

const IDENT = /[A-Za-z_.?@][A-Za-z0-9_$#@~.?]*/y;

/** The code of a line without its comment (`;` outside quotes), same length up to the comment. */
export function stripComment(line: string): string {
  let quote = '';
  for (let k = 0; k < line.length; k++) {
    const ch = line[k]!;
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if (ch === ';') return line.slice(0, k);
  }
  return line;
}

interface Word {
  text: string;
  start: number;
  end: number;
}

/** Identifiers of `code` from column `from`, skipping strings, numbers and `%` tokens. */
function words(code: string, from: number): Word[] {
  const out: Word[] = [];
  let k = from;
  while (k < code.length) {
    const ch = code[k]!;
    if (ch === '"' || ch === "'" || ch === '`') {
      const close = code.indexOf(ch, k + 1);
      k = close < 0 ? code.length : close + 1;
    } else if (ch === '%') {
      // %1, %%local, %$ctx, %+ … are preprocessor tokens, never symbols here.
      k++;
      while (k < code.length && /[\w%$.?@]/.test(code[k]!)) k++;
    } else if (/[0-9]/.test(ch) || (ch === '$' && /[0-9]/.test(code[k + 1] ?? ''))) {
      k++;
      while (k < code.length && /[\w.]/.test(code[k]!)) k++;
    } else if (/[A-Za-z_.?@]/.test(ch)) {
      IDENT.lastIndex = k;
      const m = IDENT.exec(code)!;
      out.push({ text: m[0], start: k, end: k + m[0].length });
      k += m[0].length;
    } else k++;
  }
  return out;
}

const isLocal = (name: string) => name.startsWith('.') && !name.startsWith('..');

/**
 * Scan one file's text.
 * @param macroNames macros known from elsewhere (the include group), so that a call of one is not taken for a label
 */
export function scanSource(text: string, macroNames: ReadonlySet<string> = new Set()): ScanResult {
  const lines = text.split(/\r?\n/);
  const r: ScanResult = { defs: [], refs: [], instrs: [], includes: [], folds: [], sections: [], lineCount: lines.length };
  const macros = new Set(macroNames);
  for (const line of lines) {
    const m = /^\s*%i?macro\s+([A-Za-z_.?@$][\w$#@~.?]*)/i.exec(line);
    if (m) macros.add(m[1]!);
  }
  let parent = '';
  const open: { kind: Fold['kind']; line: number }[] = [];
  let section: SectionLine | null = null;
  const closeSection = (before: number) => {
    if (section && before - 1 > section.line) r.folds.push({ start: section.line, end: before - 1, kind: 'section' });
  };
  const closeFold = (kinds: Fold['kind'][], line: number, endLine = line) => {
    for (let k = open.length - 1; k >= 0; k--) {
      if (kinds.includes(open[k]!.kind)) {
        const o = open.splice(k, 1)[0]!;
        if (endLine > o.line) r.folds.push({ start: o.line, end: endLine, kind: o.kind });
        return;
      }
    }
  };
  const fullName = (w: string) => (isLocal(w) && parent ? parent + w : w);
  const addRefs = (code: string, from: number, lineNo: number) => {
    for (const w of words(code, from)) {
      if (isReservedWord(w.text)) continue;
      r.refs.push({ name: fullName(w.text), text: w.text, line: lineNo, start: w.start, end: w.end });
    }
  };
  const addDef = (w: Word, kind: DefKind, lineNo: number, detail: string, extra: Partial<Def> = {}) => {
    const local = kind === 'label' && isLocal(w.text);
    const def: Def = { name: local && parent ? parent + w.text : w.text, kind, line: lineNo, start: w.start, end: w.end, detail: detail.trim(), ...extra };
    if (local && parent) def.parent = parent;
    if (kind === 'label' && !local && !w.text.startsWith('..')) parent = w.text;
    r.defs.push(def);
  };

  lines.forEach((raw, lineNo) => {
    const code = stripComment(raw);
    const trimmed = code.trim();
    if (!trimmed) return;
    const indent = code.length - code.trimStart().length;
    if (trimmed.startsWith('%')) {
      const dm = /^%(\w+)/.exec(trimmed);
      const dir = (dm?.[1] ?? '').toLowerCase();
      const afterDir = indent + 1 + dir.length;
      if (dir === 'macro' || dir === 'imacro') {
        const ws = words(code, afterDir);
        if (ws[0]) addDef(ws[0], 'macro', lineNo, code.slice(ws[0].end));
        open.push({ kind: 'macro', line: lineNo });
      } else if (dir === 'endmacro' || dir === 'endm') closeFold(['macro'], lineNo);
      else if (dir.startsWith('if')) {
        open.push({ kind: 'if', line: lineNo });
        addRefs(code, afterDir, lineNo);
      } else if (dir.startsWith('elif') || dir === 'else') {
        closeFold(['if'], lineNo, lineNo - 1);
        open.push({ kind: 'if', line: lineNo });
        addRefs(code, afterDir, lineNo);
      } else if (dir === 'endif') closeFold(['if'], lineNo);
      else if (dir === 'rep') {
        open.push({ kind: 'rep', line: lineNo });
        addRefs(code, afterDir, lineNo);
      } else if (dir === 'endrep') closeFold(['rep'], lineNo);
      else if (/^i?x?define$|^i?assign$/.test(dir)) {
        const ws = words(code, afterDir);
        if (ws[0]) {
          addDef(ws[0], 'define', lineNo, code.slice(ws[0].end));
          addRefs(code, ws[0].end, lineNo);
        }
      } else if (dir === 'include') {
        const q = /(["'<])([^"'>]*)["'>]/.exec(code.slice(afterDir));
        if (q) {
          const start = afterDir + q.index + 1;
          r.includes.push({ line: lineNo, name: q[2]!, start, end: start + q[2]!.length });
        }
      } else addRefs(code, afterDir, lineNo);
      return;
    }
    // [section .text] / section .text / segment .data
    const sec = /^\[?\s*(section|segment)\s+([^\s\]]+)/i.exec(trimmed);
    if (sec) {
      closeSection(lineNo);
      section = { name: sec[2]!, line: lineNo };
      r.sections.push(section);
      return;
    }
    const ws = words(code, 0);
    if (ws.length === 0) return;
    let k = 0;
    let first = ws[0]!;
    const lower = first.text.toLowerCase();
    if (lower === 'struc') {
      if (ws[1]) addDef(ws[1], 'struc', lineNo, '');
      open.push({ kind: 'struc', line: lineNo });
      return;
    }
    if (lower === 'endstruc') {
      closeFold(['struc'], lineNo);
      return;
    }
    // Label: `name:`, `name equ …`, or a word that is no mnemonic, directive or macro.
    const afterFirst = code.slice(first.end).trimStart();
    const colon = afterFirst.startsWith(':') && first.start === indent;
    const second = ws[1];
    if (second && second.text.toLowerCase() === 'equ' && first.start === indent) {
      addDef(first, 'equ', lineNo, code.slice(second.end));
      addRefs(code, second.end, lineNo);
      return;
    }
    if (colon || (first.start === indent && !isReservedWord(first.text) && !macros.has(first.text))) {
      const rest = ws.slice(1);
      const next = rest[0]?.text.toLowerCase();
      const data = next !== undefined && (next in DATA_SIZES || next in RES_SIZES || next === 'times' || next === 'istruc');
      const alone = !colon && rest.length === 0 && code.slice(first.end).trim() === '';
      if (colon || alone || (next !== undefined && (isReservedWord(next) || macros.has(rest[0]!.text)))) {
        addDef(first, 'label', lineNo, '', { data, ambiguous: alone || undefined });
        k = 1;
      }
    }
    // Prefixes and `times count`, then the operation.
    while (k < ws.length) {
      const w = ws[k]!.text.toLowerCase();
      if (PREFIXES.has(w)) k++;
      else if (w === 'times') {
        let j = k + 1;
        while (j < ws.length && !isMnemonic(ws[j]!.text) && !(ws[j]!.text.toLowerCase() in DATA_SIZES) && !macros.has(ws[j]!.text)) j++;
        for (const w2 of ws.slice(k + 1, j)) if (!isReservedWord(w2.text)) r.refs.push({ name: fullName(w2.text), text: w2.text, line: lineNo, start: w2.start, end: w2.end });
        k = j;
      } else break;
    }
    const op = ws[k];
    if (!op) return;
    first = op;
    if (isMnemonic(op.text)) {
      const text = code.slice(op.start).trim();
      r.instrs.push({ line: lineNo, mnemonic: op.text.toLowerCase(), start: op.start, end: op.end, text, lineEnd: raw.trimEnd().length });
      addRefs(code, op.end, lineNo);
    } else if (isReservedWord(op.text)) addRefs(code, op.end, lineNo);
    else addRefs(code, op.start, lineNo); // a macro call (or an unknown word): the name is a reference too
  });
  closeSection(lines.length);
  return r;
}
