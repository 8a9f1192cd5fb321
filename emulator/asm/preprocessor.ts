/**
 * The NASM preprocessor (NASM manual chapter 4): single-line macros (`%define`,
 * `%xdefine`, `%idefine`, `%undef`, `%assign`), multi-line macros (`%macro`/`%imacro` …
 * `%endmacro`, `%rotate`, `%exitmacro`), `%rep`/`%endrep`/`%exitrep`, conditionals
 * (`%if`, `%ifn`, `%elif`, `%else`, `%endif`, `%ifdef`, `%ifndef`, `%ifmacro`, `%ifidn`,
 * `%ifidni`, `%ifnum`, `%ifstr`, `%ifid` and their `%elif…`/negated forms), `%include`,
 * `%error`/`%warning`/`%fatal`, string functions (`%strlen`, `%substr`, `%strcat`,
 * `%defstr`, `%deftok`), `__BITS__`/`__SECT__`, and context-local labels (`%push`/`%pop`,
 * `%$name`).
 *
 * Output is a list of logical lines, each with its origin: for lines from a macro body
 * the definition's file and line, plus the chain of invocation sites (`expansion`).
 * Lines are produced one at a time (`next()`), so that the assembler can assemble each
 * before the next is read: directive expressions see the labels of the lines above them,
 * as in NASM, which interleaves the two (see pp-expr.ts and pp-passes.ts).
 * Never throws; runaway recursion (`%include` loops, self-invoking macros, huge `%rep`)
 * is cut off with an error.
 */
import type { DiagnosticSink, LineOrigin, SourcePosition } from './diagnostics';
import { testCondition } from './pp-conditions';
import { evaluatePp, type AssemblerSymbols } from './pp-expr';
import { bindArgs, expandSingleLine, MacroTable, parseMacroHeader, substituteBody, type MacroCall, type MultiLineMacro } from './pp-macros';
import { collapse, ppTokenize, splitArgs, splitSource, stripComment } from './pp-tokens';
import { stringFunction } from './pp-strings';

export interface PreprocessOptions {
  defines: Record<string, string>;
  /** Resolves and reads an included file (`%include`), relative to the including file. */
  readInclude(name: string, fromFile: string): { path: string; text: string } | undefined;
  /** The assembler's symbols, for directive expressions (`%if`, `%assign`, `%rep` …). */
  symbols: AssemblerSymbols;
}

export interface PreprocessedLine {
  text: string;
  origin: LineOrigin;
  /** Index of the source line in `PreprocessResult.listing` that produced this line. */
  listIndex: number;
}

/** A source line as NASM's listing shows it: every line read, including directives and skipped ones. */
export interface ListedLine {
  line: number;
  /** Include/macro/%rep nesting depth (`<1>` markers). */
  depth: number;
  text: string;
}

export interface PreprocessResult {
  lines: PreprocessedLine[];
  listing: ListedLine[];
}

interface RawLine {
  text: string;
  origin: LineOrigin;
}

interface Frame {
  kind: 'file' | 'macro' | 'rep';
  lines: RawLine[];
  index: number;
  /** Remaining repetitions after this one (`rep`). */
  repeats: number;
  /** The macro call whose parameters body lines use (inherited by `%rep` inside macros). */
  call: MacroCall | null;
  condDepth: number;
}

interface Cond {
  active: boolean;
  taken: boolean;
  parentActive: boolean;
  sawElse: boolean;
}

const MAX_INCLUDE_DEPTH = 32;
const MAX_MACRO_DEPTH = 256;
/** Bound on lines processed (including %rep and macro expansion), so runaway sources end with an error. */
const MAX_PROCESSED_LINES = 100_000;

/**
 * One run of the preprocessor over a source file (NASM runs it once per assembly pass).
 * Pull lines with `next()` until it returns undefined; problems go to `sink`.
 */
export class Preprocessor {
  /**
   * True once a directive's expression consulted the assembler's symbols (or `$`, `$$`):
   * only then can the output differ from one pass to the next.
   */
  readSymbols = false;
  /**
   * Errors other than `%error`, which NASM issues in the final pass only (ERR_PASS2): NASM
   * stops after a pass in which the preprocessor reported one of these.
   */
  passErrors = 0;
  private readonly smacros = new MacroTable();
  private readonly mmacros = new Map<string, MultiLineMacro[]>();
  private readonly frames: Frame[] = [];
  private readonly conds: Cond[] = [];
  private readonly out: PreprocessedLine[] = [];
  private readonly listing: ListedLine[] = [];
  private readonly contexts: number[] = [];
  private uniq = 0;
  private bits = '16';
  private sect = '[section .text]';
  private processed = 0;
  /** Lines of `out` already handed to the caller. */
  private delivered = 0;
  private finished = false;
  /** Set while evaluating `%elif`: NASM drops errors raised in a branch that is not emitting. */
  private quiet = false;
  private readonly fileName: string;
  private readonly lineCount: number;
  private origin: LineOrigin = { file: '', line: 0 };
  private collecting: { kind: 'macro' | 'rep'; depth: number; lines: RawLine[]; macro?: MultiLineMacro; count?: number; call: MacroCall | null; start: LineOrigin } | null = null;

  constructor(
    source: string,
    fileName: string,
    private readonly opts: PreprocessOptions,
    private readonly sink: DiagnosticSink,
  ) {
    this.fileName = fileName;
    this.lineCount = source.split(/\r?\n/).length;
    this.frames.push({ kind: 'file', lines: splitSource(source, fileName), index: 0, repeats: 0, call: null, condDepth: 0 });
    this.smacros.define('__NASM_MAJOR__', { params: null, body: '2', caseless: false });
    this.smacros.define('__NASM_MINOR__', { params: null, body: '16', caseless: false });
    this.smacros.define('__?NASM_MAJOR?__', { params: null, body: '2', caseless: false });
    this.smacros.define('__?NASM_MINOR?__', { params: null, body: '16', caseless: false });
    this.smacros.define('__OUTPUT_FORMAT__', { params: null, body: 'bin', caseless: false });
    for (const [k, v] of Object.entries(opts.defines)) this.smacros.define(k, { params: null, body: v, caseless: false });
  }

  private error(message: string, column = 1): void {
    if (this.quiet) return;
    this.passErrors++;
    this.sink.error(this.origin, column, message);
  }

  private get active(): boolean {
    const c = this.conds[this.conds.length - 1];
    return !c || c.active;
  }

  /** Source lines read so far (macro and %rep bodies count once per expansion). */
  get linesRead(): number {
    return this.processed;
  }

  /** The next output line, or undefined at the end of the source (then `result()` is complete). */
  next(): PreprocessedLine | undefined {
    while (this.delivered >= this.out.length) {
      if (this.finished) return undefined;
      if (!this.step()) this.finish();
    }
    return this.out[this.delivered++];
  }

  /** Every line produced so far and the listing of the lines read. */
  result(): PreprocessResult {
    return { lines: this.out, listing: this.listing };
  }

  /** Reads one source line; false at the end of input (or when a limit stopped the run). */
  private step(): boolean {
    while (this.frames.length > 0) {
      const f = this.frames[this.frames.length - 1]!;
      if (f.index >= f.lines.length) {
        if (f.kind === 'rep' && f.repeats > 0) {
          f.repeats--;
          f.index = 0;
          continue;
        }
        this.frames.pop();
        if (f.kind === 'file' && this.collecting && this.frames.every((x) => x.kind !== 'file')) return false;
        continue;
      }
      const raw = f.lines[f.index++]!;
      this.origin = raw.origin;
      if (++this.processed > MAX_PROCESSED_LINES) {
        this.error(`preprocessor processed more than ${MAX_PROCESSED_LINES} lines; runaway %rep or macro recursion?`);
        return false;
      }
      // Macro and %rep bodies are stored tokenized by NASM, so its listing shows them with
      // whitespace runs collapsed and comments dropped; file lines appear verbatim.
      this.listing.push({ line: raw.origin.line, depth: this.frames.length - 1, text: f.kind === 'file' ? raw.text : collapse(raw.text) });
      this.line(raw, f);
      return true;
    }
    return false;
  }

  /** End-of-input checks: unterminated %macro/%rep/%if. */
  private finish(): void {
    this.finished = true;
    this.frames.length = 0;
    if (this.collecting) {
      this.origin = this.collecting.start;
      this.error(this.collecting.kind === 'macro' ? "end of file while still defining a macro; expected `%endmacro'" : "end of file while still in `%rep'; expected `%endrep'");
    }
    if (this.conds.length > 0) {
      // NASM reports this on the line after the last one of the main file.
      this.origin = { file: this.fileName, line: this.lineCount };
      this.error("expected `%endif' before end of file");
    }
  }

  private line(raw: RawLine, frame: Frame): void {
    const dir = /^\s*(%[a-z]+)\b(.*)$/i.exec(raw.text);
    const name = dir ? dir[1]!.toLowerCase() : '';
    if (this.collecting) return this.collect(raw, name);
    let text = frame.call ? substituteBody(raw.text, frame.call) : raw.text;
    const d = /^\s*(%[a-z]+)\b(.*)$/i.exec(text);
    const dname = d ? d[1]!.toLowerCase() : '';
    const rest = d ? d[2]! : '';
    if (this.conditional(dname, rest)) return;
    if (!this.active) return;
    if (d && this.directive(dname, rest, frame)) return;
    if (this.smacros.size > 0 || text.includes('__')) {
      const r = expandSingleLine(text, this.smacros, (n) => this.dynamic(n));
      if (r.error) this.error(r.error);
      text = r.text;
    }
    text = this.contextLocals(text);
    if (this.invokeMacro(text, raw)) return;
    this.trackStandardMacros(text);
    this.out.push({ text, origin: raw.origin, listIndex: this.listing.length - 1 });
  }

  /** Keeps `__BITS__` and `__SECT__` current, as NASM's standard macros for `bits` and `section` do. */
  private trackStandardMacros(text: string): void {
    const bits = /^\s*(?:\[\s*)?(?:bits\s+(16|32|64)|use(16|32))\b/i.exec(text);
    if (bits) {
      this.bits = bits[1] ?? bits[2]!;
      return;
    }
    const sect = /^\s*(?:\[\s*)?(?:section|segment)\s+([^\s\]]+)/i.exec(text);
    if (sect) this.sect = `[section ${sect[1]}]`;
  }

  private dynamic(name: string): string | undefined {
    if (name === '__BITS__' || name === '__?BITS?__') return this.bits;
    if (name === '__SECT__' || name === '__?SECT?__') return this.sect;
    if (name === '__LINE__' || name === '__?LINE?__') return String(this.origin.line);
    if (name === '__FILE__' || name === '__?FILE?__') return JSON.stringify(this.origin.file).replace(/^"|"$/g, "'");
    return undefined;
  }

  private contextLocals(text: string): string {
    if (!text.includes('%$')) return text;
    return ppTokenize(text)
      .map((t) => {
        if (t.kind !== 'pct' || !t.text.startsWith('%$')) return t.text;
        const ups = /^%(\$+)/.exec(t.text)![1]!.length;
        const ctx = this.contexts[this.contexts.length - ups];
        if (ctx === undefined) {
          this.error('`%$\' used outside of any context');
          return t.text;
        }
        return `..@ctx${ctx}.${t.text.slice(1 + ups)}`;
      })
      .join('');
  }

  /** Collects a %macro or %rep body, tracking nesting. */
  private collect(raw: RawLine, name: string): void {
    const c = this.collecting!;
    const opens = c.kind === 'macro' ? ['%macro', '%imacro'] : ['%rep'];
    const closes = c.kind === 'macro' ? ['%endmacro', '%endm'] : ['%endrep'];
    if (opens.includes(name)) c.depth++;
    if (closes.includes(name)) {
      if (c.depth === 0) {
        this.collecting = null;
        if (c.kind === 'macro') {
          const m = c.macro!;
          m.body = c.lines.map((l) => ({ text: l.text, file: l.origin.file, line: l.origin.line, expansion: l.origin.expansion }));
          const key = m.caseless ? m.name.toLowerCase() : m.name;
          const list = (this.mmacros.get(key) ?? []).filter((x) => !(x.min === m.min && x.max === m.max));
          list.push(m);
          this.mmacros.set(key, list);
        } else if ((c.count ?? 0) > 0) {
          if (this.frames.length > MAX_MACRO_DEPTH) return this.error('%rep nested too deeply');
          this.frames.push({ kind: 'rep', lines: c.lines, index: 0, repeats: c.count! - 1, call: c.call, condDepth: this.conds.length });
        }
        return;
      }
      c.depth--;
    }
    c.lines.push(raw);
  }

  /** Evaluates a directive's expression with the assembler's symbols (pp-expr.ts); null after an error. */
  private evalExpr(text: string, what: string): bigint | null {
    const expanded = expandSingleLine(text, this.smacros, (n) => this.dynamic(n));
    const r = evaluatePp(expanded.text, what, this.opts.symbols, () => {
      this.readSymbols = true;
    });
    if (!r.ok) {
      this.error(r.message, r.col);
      return null;
    }
    return r.value;
  }

  /** Handles %if-family directives (also while inactive). Returns true if `name` was one. */
  private conditional(name: string, rest: string): boolean {
    if (!name) return false;
    const m = /^%(if|elif)(n?)(def|macro|idni|idn|num|str|id|ctx|empty|env|tok)?$/.exec(name);
    if (m) {
      const isElif = m[1] === 'elif';
      const negate = m[2] === 'n';
      if (!isElif) {
        const parentActive = this.active;
        const value = parentActive ? this.test(m[3] ?? '', rest, name) : false;
        // A condition that could not be evaluated turns the whole construct off, `%else`
        // included (NASM's COND_NEVER).
        const v = value === null ? null : negate ? !value : value;
        this.conds.push({ active: parentActive && v === true, taken: parentActive && v !== false, parentActive, sawElse: false });
        return true;
      }
      const c = this.conds[this.conds.length - 1];
      if (!c) {
        this.error(`\`${name}': no matching \`%if'`);
        return true;
      }
      if (c.sawElse) this.error(`\`${name}' after \`%else'`);
      if (c.taken || !c.parentActive) c.active = false;
      else {
        // NASM evaluates `%elif` while the construct is not emitting, where pp_suppress_error
        // drops its errors: a symbol not defined yet just leaves the construct off this pass.
        this.quiet = true;
        const value = this.test(m[3] ?? '', rest, name);
        this.quiet = false;
        const v = value === null ? null : negate ? !value : value;
        c.active = v === true;
        c.taken = v !== false;
      }
      return true;
    }
    if (name === '%else') {
      const c = this.conds[this.conds.length - 1];
      if (!c) this.error("`%else': no matching `%if'");
      else {
        if (c.sawElse) this.error('`%else\' after `%else\'');
        c.sawElse = true;
        c.active = c.parentActive && !c.taken;
        c.taken = true;
      }
      return true;
    }
    if (name === '%endif') {
      if (!this.conds.pop()) this.error("`%endif': no matching `%if'");
      return true;
    }
    return false;
  }

  /** The condition of an `%if`-family directive (pp-conditions.ts); null when its expression could not be evaluated. */
  private test(kind: string, rest: string, name: string): boolean | null {
    const r = testCondition(kind, stripComment(rest).trim(), {
      evaluate: (text) => this.evalExpr(text, name),
      expand: (text) => expandSingleLine(text, this.smacros, (n) => this.dynamic(n)).text,
      smacros: this.smacros,
      mmacros: this.mmacros,
      contextDepth: this.contexts.length,
    });
    if (r !== undefined) return r;
    // A limit of this assembler, not a fault of the source: reported even from `%elif`.
    this.passErrors++;
    this.sink.error(this.origin, 1, `\`${name}' is not supported`);
    return false;
  }

  /** Handles other directives; returns false for lines that are not preprocessor directives. */
  private directive(name: string, rest: string, frame: Frame): boolean {
    const body = stripComment(rest);
    switch (name) {
      case '%define':
      case '%idefine':
      case '%xdefine':
      case '%ixdefine': {
        const m = /^\s*([A-Za-z_.?@$][\w$#@~.?]*)(\(([^)]*)\))?\s?(.*)$/.exec(body);
        if (!m) {
          this.error(`\`${name}' expects a macro identifier`);
          return true;
        }
        let text = m[4] ?? '';
        if (name.includes('x')) text = expandSingleLine(text, this.smacros, (n) => this.dynamic(n)).text;
        const params = m[2] !== undefined ? (m[3]!.trim() === '' ? [] : m[3]!.split(',').map((s) => s.trim())) : null;
        this.smacros.define(m[1]!, { params, body: text.trim(), caseless: name.startsWith('%i') });
        return true;
      }
      case '%undef':
        this.smacros.undef(body.trim());
        return true;
      case '%assign':
      case '%iassign': {
        const m = /^\s*([A-Za-z_.?@$][\w$#@~.?]*)\s+(.*)$/.exec(body);
        if (!m) {
          this.error("`%assign' expects a macro identifier and an expression");
          return true;
        }
        const v = this.evalExpr(m[2]!, '%assign');
        if (v !== null) this.smacros.define(m[1]!, { params: null, body: String(v), caseless: name === '%iassign' });
        return true;
      }
      case '%macro':
      case '%imacro': {
        const h = parseMacroHeader(body, name === '%imacro');
        if (typeof h === 'string') {
          this.error(h);
          // Still swallow the body so that it is not assembled.
          this.collecting = { kind: 'macro', depth: 0, lines: [], macro: { name: '', min: 0, max: 0, greedy: false, defaults: [], caseless: false, body: [] }, call: null, start: this.origin };
          return true;
        }
        this.collecting = { kind: 'macro', depth: 0, lines: [], macro: h, call: null, start: this.origin };
        return true;
      }
      case '%endmacro':
      case '%endm':
        this.error(`\`${name}': not defining a macro`);
        return true;
      case '%unmacro':
      case '%unimacro': {
        const [mn] = body.trim().split(/\s+/);
        this.mmacros.delete(mn ?? '');
        return true;
      }
      case '%rep': {
        let count = 0;
        if (body.trim() === '') this.error("`%rep' expects a repeat count");
        else {
          // As in NASM (preproc.c PP_REP), a count that cannot be evaluated (a symbol not
          // defined yet, a label) starts no block: the body is read as ordinary lines and
          // its `%endrep' is unmatched.
          const v = this.evalExpr(body, '%rep');
          if (v === null) return true;
          if (v < 0n) this.sink.warning(this.origin, 1, `negative \`%rep' count: ${v}`);
          count = Number(v < 0n ? 0n : v);
        }
        if (count > 1_000_000) {
          this.error('`%rep\' count too large');
          count = 0;
        }
        this.collecting = { kind: 'rep', depth: 0, lines: [], count, call: frame.call, start: this.origin };
        return true;
      }
      case '%endrep':
        this.error("`%endrep': no matching `%rep'");
        return true;
      case '%exitrep': {
        const i = this.frames.map((f) => f.kind).lastIndexOf('rep');
        if (i < 0) this.error("`%exitrep' not within `%rep' block");
        else this.unwind(i);
        return true;
      }
      case '%exitmacro': {
        const i = this.frames.map((f) => f.kind).lastIndexOf('macro');
        if (i < 0) this.error("`%exitmacro' not within `%macro' block");
        else this.unwind(i);
        return true;
      }
      case '%rotate': {
        if (!frame.call) {
          this.error("`%rotate' invoked outside a macro call");
          return true;
        }
        const v = this.evalExpr(body, '%rotate');
        if (v !== null && frame.call.params.length > 0) frame.call.rotate = (frame.call.rotate + Number(v % BigInt(frame.call.params.length))) % frame.call.params.length;
        return true;
      }
      case '%include': {
        const m = /^\s*(?:"([^"]*)"|'([^']*)'|<([^>]*)>)\s*$/.exec(expandSingleLine(body, this.smacros, (n) => this.dynamic(n)).text);
        if (!m) {
          this.error('`%include\' expects a file name');
          return true;
        }
        const fname = m[1] ?? m[2] ?? m[3] ?? '';
        if (this.frames.filter((f) => f.kind === 'file').length >= MAX_INCLUDE_DEPTH) {
          this.error('`%include\' nested too deeply');
          return true;
        }
        const r = this.opts.readInclude(fname, this.origin.file);
        if (!r) {
          this.error(`unable to open include file \`${fname}'`);
          return true;
        }
        this.frames.push({ kind: 'file', lines: splitSource(r.text, r.path), index: 0, repeats: 0, call: null, condDepth: this.conds.length });
        return true;
      }
      case '%error':
      case '%fatal':
      case '%warning': {
        const msg = expandSingleLine(body.trim(), this.smacros, (n) => this.dynamic(n)).text.replace(/^(["'`])(.*)\1$/, '$2');
        // %error and %warning are final-pass diagnostics in NASM (ERR_PASS2); %fatal stops at once.
        if (name === '%warning') this.sink.warning(this.origin, 1, msg);
        else if (name === '%error') this.sink.error(this.origin, 1, msg);
        else {
          this.error(msg);
          this.frames.length = 0;
        }
        return true;
      }
      case '%push':
        this.contexts.push(++this.uniq);
        return true;
      case '%pop':
        if (!this.contexts.pop()) this.error('`%pop\': context stack is already empty');
        return true;
      case '%repl':
        if (this.contexts.length) this.contexts[this.contexts.length - 1] = ++this.uniq;
        return true;
      case '%line':
      case '%pragma':
        // Source-position and output-format hints: nothing to do for a flat binary.
        return true;
      case '%strlen':
      case '%substr':
      case '%strcat':
      case '%defstr':
      case '%idefstr':
      case '%deftok':
      case '%ideftok':
        this.stringDirective(name, body);
        return true;
      case '%use':
      case '%clear':
      case '%local':
      case '%stacksize':
      case '%arg':
      case '%defalias':
        this.error(`preprocessor directive \`${name}' is not supported by this assembler yet`);
        return true;
      default:
        if (/^%[a-z]+$/.test(name) && !this.smacros.get(name.slice(1))) {
          this.error(`unknown preprocessor directive \`${name}'`);
          return true;
        }
        return false;
    }
  }

  private stringDirective(name: string, body: string): void {
    const m = /^\s*([A-Za-z_.?@$][\w$#@~.?]*)\s*(.*)$/.exec(body);
    if (!m) return this.error(`\`${name}' expects a macro identifier`);
    const rest = expandSingleLine(m[2]!, this.smacros, (n) => this.dynamic(n)).text.trim();
    const r = stringFunction(name, rest, (e) => this.evalExpr(e, name));
    if (typeof r === 'object') return r ? this.error(r.error) : undefined;
    this.smacros.define(m[1]!, { params: null, body: r, caseless: name.startsWith('%i') });
  }

  /** Drops frames above and including index `i`, keeping conditional nesting consistent. */
  private unwind(i: number): void {
    const f = this.frames[i]!;
    this.conds.length = Math.min(this.conds.length, f.condDepth);
    this.frames.length = i;
  }

  /** Expands a multi-line macro call on this line, if there is one. */
  private invokeMacro(text: string, raw: RawLine): boolean {
    if (this.mmacros.size === 0) return false;
    const toks = ppTokenize(text);
    let i = 0;
    while (toks[i]?.kind === 'ws') i++;
    let label = '';
    let t = toks[i];
    if (!t || t.kind !== 'id') return false;
    let list = this.mmacros.get(t.text) ?? this.mmacros.get(t.text.toLowerCase())?.filter((m) => m.caseless);
    if (!list) {
      // `label: macro args` or `label macro args`
      let j = i + 1;
      if (toks[j]?.text === ':') j++;
      while (toks[j]?.kind === 'ws') j++;
      const u = toks[j];
      if (!u || u.kind !== 'id') return false;
      list = this.mmacros.get(u.text) ?? this.mmacros.get(u.text.toLowerCase())?.filter((m) => m.caseless);
      if (!list) return false;
      label = toks.slice(i, j).map((x) => x.text).join('').trim();
      i = j;
      t = u;
    }
    const argText = toks.slice(i + 1).filter((x) => x.kind !== 'comment').map((x) => x.text).join('');
    let call: MacroCall | null = null;
    for (const m of list) {
      const params = bindArgs(m, argText);
      if (params) {
        call = { macro: m, params, rotate: 0, id: ++this.uniq, site: { file: raw.origin.file, line: raw.origin.line, column: (toks.slice(0, i).reduce((a, x) => a + x.text.length, 0)) + 1 }, label: label.replace(/:$/, '') };
        break;
      }
    }
    if (!call) {
      const n = argText.trim() === '' ? 0 : splitArgs(argText).length;
      this.error(`macro \`${t.text}' exists, but not taking ${n} parameter${n === 1 ? '' : 's'}`);
      return true;
    }
    if (this.frames.filter((f) => f.kind === 'macro').length >= MAX_MACRO_DEPTH) {
      this.error('macro calls nested too deeply (infinite recursion?)');
      return true;
    }
    if (label) this.out.push({ text: label.endsWith(':') ? label : `${label}:`, origin: raw.origin, listIndex: this.listing.length - 1 });
    const expansion: SourcePosition[] = [call.site, ...(raw.origin.expansion ?? [])];
    const lines: RawLine[] = call.macro.body.map((b) => ({ text: b.text, origin: { file: b.file, line: b.line, expansion } }));
    this.frames.push({ kind: 'macro', lines, index: 0, repeats: 0, call, condDepth: this.conds.length });
    return true;
  }
}
