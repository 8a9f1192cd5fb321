/**
 * One assembly pass (see assembler.ts for the passes): defines labels, evaluates and encodes
 * every statement in order with the symbols of this pass so far and of the previous pass,
 * tracks the location (sections, `absolute` space, `struc`), and in the final pass emits
 * the bytes and reports errors.
 */
import type { DiagnosticSink, LineOrigin } from './diagnostics';
import { encodeInstruction, type Reloc } from './encoder';
import { evaluate, type EvalContext, type EvalResult, type Value } from './eval';
import { exprMentionsSymbols, ExprParser, type Expr } from './expr';
import { encodeData } from './data';
import { applySectionAttrs, type Section } from './sections';
import { parseStatement, type Body, type DataItem, type Statement } from './statements';
import type { Token } from './lexer';
import type { AssemblerSymbols } from './pp-expr';
import type { Emission, HostFiles, SymbolDef } from './assembler';

/** Upper bound on output size; larger outputs are an error rather than an exhausted heap. */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** The state of one pass: location, mode and the symbols defined so far. */
export interface PassState {
  final: boolean;
  bits: 16 | 32;
  cur: number;
  /**
   * Location counter of `absolute`/`struc` space, or null in a section: an offset in section
   * `absoluteSeg` when the block started at a section-relative address, else the address itself.
   */
  absolute: bigint | null;
  absoluteSeg: number | null;
  localBase: string;
  org: bigint;
  orgSet: boolean;
  labels: Map<string, SymbolDef>;
  struc: { name: string; saved: number; savedBase: string } | null;
  istruc: { name: string; base: number } | null;
  total: number;
  fatal: boolean;
}

/** The state at the start of a pass. */
export function newPassState(final: boolean, bits: 16 | 32): PassState {
  return {
    final, bits, cur: 0, absolute: null, absoluteSeg: null, localBase: '', org: 0n, orgSet: false,
    labels: new Map(), struc: null, istruc: null, total: 0, fatal: false,
  };
}

/** Assembles the statements of one pass, in order (driven by `assembleLines`). */
export class PassRunner {
  private origin: LineOrigin = { file: '', line: 0 };
  private lineStart: number | null = null;
  constructor(
    private readonly ps: PassState,
    private readonly prev: Map<string, SymbolDef>,
    private readonly sections: Section[],
    private readonly getSection: (name: string) => Section,
    private readonly sink: DiagnosticSink,
    private readonly files: HostFiles,
    private readonly incbinCache: Map<string, Uint8Array | undefined>,
    private readonly emissions: Emission[],
    private readonly lineWarnings: { line: number; message: string }[],
  ) {}
  private lineIndex = 0;
  /** Relocatable fields of the bytes produced last (consumed by `emit`). */
  private relocs: Reloc[] = [];

  private error(col: number, message: string): void {
    if (this.ps.final) this.sink.error(this.origin, col, message);
  }
  private warning(col: number, message: string): void {
    if (!this.ps.final) return;
    this.sink.warning(this.origin, col, message);
    this.lineWarnings.push({ line: this.lineIndex, message });
  }

  private get section(): Section {
    return this.sections[this.ps.cur]!;
  }

  /** Current offset in the section (or the absolute counter). */
  private offset(): number {
    return this.ps.absolute !== null ? Number(this.ps.absolute) : this.section.size;
  }

  /** `$`: the address where the current line began (NASM keeps it fixed across TIMES repetitions). */
  private here(): Value {
    if (this.ps.absolute !== null) return this.inAbsolute(this.lineStart !== null ? BigInt(this.lineStart) : this.ps.absolute);
    return { n: this.section.vstart + BigInt(this.lineStart ?? this.section.size), seg: this.ps.cur, unknown: false };
  }

  /** Address of the next byte to be emitted (where an instruction actually sits). */
  private position(): Value {
    if (this.ps.absolute !== null) return this.inAbsolute(this.ps.absolute);
    return { n: this.section.vstart + BigInt(this.section.size), seg: this.ps.cur, unknown: false };
  }

  /**
   * A location in absolute space: section-relative when the `absolute` address was (NASM keeps
   * `absolute.segment`, and labels there take it), else a plain number.
   */
  private inAbsolute(offset: bigint): Value {
    const seg = this.ps.absoluteSeg;
    if (seg === null) return { n: offset, seg: null, unknown: false };
    return { n: this.sections[seg]!.vstart + offset, seg, unknown: false };
  }

  private qualify(name: string): string {
    if (name.startsWith('.') && !name.startsWith('..')) return this.ps.localBase + name;
    return name;
  }

  private lookup(name: string): Value | null {
    const q = this.qualify(name);
    const d = this.ps.labels.get(q) ?? this.prev.get(q);
    if (!d) return null;
    if (d.kind === 'label' && d.section !== null) {
      const s = this.sections[d.section]!;
      return { n: s.vstart + BigInt(d.offset), seg: d.section, unknown: false };
    }
    return { n: d.value, seg: d.section, unknown: false };
  }

  /** The symbols the preprocessor's directives see while this pass reads its lines. */
  symbols(firstPass: boolean): AssemblerSymbols {
    return { lookup: (n) => this.lookup(n), qualify: (n) => this.qualify(n), here: () => this.here(), base: () => this.base(), firstPass };
  }

  private ctx(): EvalContext {
    return { lookup: (n) => this.lookup(n), here: () => this.here(), base: () => this.base(), final: this.ps.final };
  }

  private base(): Value {
    const seg = this.ps.absolute !== null ? this.ps.absoluteSeg : this.ps.cur;
    if (seg === null) return { n: 0n, seg: null, unknown: false };
    return { n: this.sections[seg]!.vstart, seg, unknown: false };
  }

  private eval(e: Expr, allowRegs = false): EvalResult {
    return evaluate(e, this.ctx(), allowRegs);
  }

  /** Evaluates an expression that must be known now (times, resb, align, org, bits). */
  private critical(e: Expr, what: string): bigint | null {
    const r = this.eval(e);
    if (!r.ok) {
      // Forward references are tolerated until the final pass.
      this.error(r.col, r.message);
      return null;
    }
    if (r.value.unknown) {
      if (this.ps.final) this.error(e.col, `non-constant argument supplied to ${what}`);
      return null;
    }
    return r.value.n;
  }

  private define(name: string, col: number, kind: 'label' | 'equ', value: Value): void {
    const full = this.qualify(name);
    if (kind === 'label' && !name.startsWith('.') && !name.startsWith('..@')) this.ps.localBase = name;
    const old = this.ps.labels.get(full);
    if (old) {
      // NASM (labels.c define_label) accepts a second definition with the same section and
      // value, whatever its kind, and keeps the first; only a different value is an error.
      if (old.section !== value.seg || old.value !== value.n) this.error(col, `label \`${full}' inconsistently redefined`);
      return;
    }
    const section = value.seg;
    const offset = kind === 'label' && section !== null ? Number(value.n - this.sections[section]!.vstart) : 0;
    this.ps.labels.set(full, { name: full, value: value.n, section, kind, origin: this.origin, offset });
  }

  private emit(bytes: ArrayLike<number>, col: number, text: string, unit?: number, reps?: number): void {
    if (this.ps.fatal) return;
    if (this.ps.absolute !== null) {
      if (bytes.length) this.error(col, 'attempt to assemble code in [ABSOLUTE] space');
      this.ps.absolute += BigInt(bytes.length);
      return;
    }
    const s = this.section;
    if (!s.attrs.progbits && bytes.length) {
      this.warning(col, `attempt to initialize memory in a nobits section: ignored`);
    }
    this.ps.total += bytes.length;
    if (this.ps.total > MAX_OUTPUT_BYTES) {
      this.error(col, `output exceeds ${MAX_OUTPUT_BYTES} bytes`);
      this.ps.fatal = true;
      return;
    }
    if (this.ps.final) {
      const e: Emission = { section: s.index, offset: s.size, length: bytes.length, origin: this.origin, column: col, text, address: 0n, line: this.lineIndex };
      if (unit !== undefined && reps !== undefined) (e.unit = unit), (e.reps = reps);
      if (this.relocs.length) e.relocs = this.relocs;
      this.relocs = [];
      this.emissions.push(e);
      if (s.attrs.progbits) s.data.push(bytes);
    }
    s.size += bytes.length;
  }

  /** Advances over `n` bytes of output in a non-final pass (only sizes matter there). */
  private skip(n: number, col: number): void {
    if (this.ps.absolute !== null) {
      if (n) this.error(col, 'attempt to assemble code in [ABSOLUTE] space');
      this.ps.absolute += BigInt(n);
      return;
    }
    this.ps.total += n;
    if (this.ps.total > MAX_OUTPUT_BYTES) {
      this.ps.fatal = true;
      return;
    }
    this.section.size += n;
  }

  private reserve(n: number, col: number, text: string): void {
    if (this.ps.fatal) return;
    if (n < 0) return this.error(col, 'negative reservation');
    if (this.ps.absolute !== null) {
      this.ps.absolute += BigInt(n);
      return;
    }
    const s = this.section;
    if (s.attrs.progbits) this.ps.total += n;
    if (this.ps.total > MAX_OUTPUT_BYTES) {
      this.error(col, `output exceeds ${MAX_OUTPUT_BYTES} bytes`);
      this.ps.fatal = true;
      return;
    }
    if (this.ps.final) {
      this.emissions.push({ section: s.index, offset: s.size, length: n, origin: this.origin, column: col, text, address: 0n, reserved: true, line: this.lineIndex });
      if (s.attrs.progbits) s.data.zeros(n);
    }
    s.size += n;
  }

  statement(st: Statement, index: number): void {
    this.relocs = [];
    this.origin = st.origin;
    this.lineIndex = index;
    if (this.ps.fatal) return;
    if (st.label && st.body.k !== 'equ') this.define(st.label.name, st.label.col, 'label', this.here());
    if (st.error) {
      this.error(st.error.col, st.error.message);
      return;
    }
    let count = 1;
    this.lineStart = null;
    if (st.times) {
      this.lineStart = this.ps.absolute !== null ? Number(this.ps.absolute) : this.section.size;
      const n = this.critical(st.times, 'TIMES');
      if (n === null) return;
      if (n < 0n) return this.error(st.times.col, `TIMES value ${n} is negative`);
      if (n > 0x7fffffffn) return this.error(st.times.col, `TIMES value ${n} is too large`);
      count = Number(n);
    }
    this.body(st, st.body, count);
    this.lineStart = null;
  }

  private body(st: Statement, b: Body, count: number): void {
    switch (b.k) {
      case 'none':
        return;
      case 'equ': {
        const r = this.eval(b.expr);
        if (!r.ok) return this.error(r.col, r.message);
        this.define(st.label!.name, st.label!.col, 'equ', r.value);
        return;
      }
      case 'res': {
        const n = this.critical(b.count, 'RESx');
        if (n === null) return;
        if (this.ps.absolute === null && this.section.attrs.progbits && count > 0) {
          this.warning(b.col, `uninitialized space declared in ${this.section.name} section: zeroing`);
        }
        const total = n * BigInt(b.size) * BigInt(count);
        if (total > 0xffffffffn) return this.error(b.col, 'reservation too large');
        return this.reserve(Number(total), b.col, st.text);
      }
      case 'data':
        return this.repeat(count, () => this.data(b.size, b.items), exprsOf(b).some(exprMentionsSymbols), b.col, st.text);
      case 'insn':
        return this.repeat(count, () => this.insn(b), true, b.col, st.text);
      case 'dir':
        return this.directive(st, b, count);
    }
  }

  /** Runs `produce` count times; constant bodies are produced once and copied. */
  private repeat(count: number, produce: () => number[] | null, varies: boolean, col: number, text: string): void {
    if (count === 0) return;
    if (!varies || count > 4096) {
      const bytes = produce();
      if (!bytes) return;
      if (count === 1) return this.emit(bytes, col, text, bytes.length, 1);
      if (bytes.length * count > MAX_OUTPUT_BYTES) return this.error(col, `output exceeds ${MAX_OUTPUT_BYTES} bytes`);
      if (!this.ps.final) return this.skip(bytes.length * count, col);
      const all = new Uint8Array(bytes.length * count);
      for (let i = 0; i < count; i++) all.set(bytes, i * bytes.length);
      return this.emit(all, col, text, bytes.length, count);
    }
    for (let i = 0; i < count && !this.ps.fatal; i++) {
      const bytes = produce();
      if (!bytes) return;
      const n = this.emissions.length;
      this.emit(bytes, col, text, bytes.length, i === 0 ? count : 1);
      if (i > 0 && this.emissions.length > n) this.emissions[n]!.folded = true;
    }
  }

  private insn(b: Extract<Body, { k: 'insn' }>): number[] | null {
    if (b.mnemonic === '') {
      // Bare prefixes on a line of their own.
      const map: Record<string, number> = { lock: 0xf0, rep: 0xf3, repe: 0xf3, repz: 0xf3, repne: 0xf2, repnz: 0xf2, es: 0x26, cs: 0x2e, ss: 0x36, ds: 0x3e, fs: 0x64, gs: 0x65 };
      const out: number[] = [];
      for (const p of b.prefixes) {
        if (map[p.name] !== undefined) out.push(map[p.name]!);
        else if ((p.name === 'o16' || p.name === 'o32') && Number(p.name.slice(1)) !== this.ps.bits) out.push(0x66);
        else if ((p.name === 'a16' || p.name === 'a32') && Number(p.name.slice(1)) !== this.ps.bits) out.push(0x67);
      }
      return out;
    }
    this.relocs = [];
    const here = this.position();
    const r = encodeInstruction(b.mnemonic, b.prefixes, b.operands, {
      bits: this.ps.bits,
      address: here.n,
      section: this.ps.absolute !== null ? -1 : this.ps.cur,
      evaluate: (e, regs) => this.eval(e, regs),
    }, b.col);
    for (const e of r.errors) this.error(e.col, e.message);
    for (const w of r.warnings) this.warning(w.col, w.message);
    if (r.relocs) this.relocs = r.relocs;
    return r.errors.length ? null : r.bytes;
  }

  private data(size: number, items: DataItem[]): number[] | null {
    const r = encodeData(size, items, (e) => this.eval(e));
    for (const w of r.warnings) this.warning(w.col, w.message);
    if (r.error) {
      this.error(r.error.col, r.error.message);
      return null;
    }
    this.relocs = r.relocs;
    return r.bytes;
  }

  private directive(st: Statement, b: Extract<Body, { k: 'dir' }>, count: number): void {
    const args = b.args;
    const expr = (from = 0): Expr | null => {
      const p = new ExprParser(args, from, st.text.length + 1);
      const e = p.parse();
      if (p.error) {
        this.error(p.error.col, p.error.message);
        return null;
      }
      return e;
    };
    const restText = (tok: Token | undefined) => (tok ? st.text.slice(tok.col - 1) : '');
    switch (b.name) {
      case 'bits': {
        const e = expr();
        const n = e && this.critical(e, 'BITS');
        if (n === 16n || n === 32n) this.ps.bits = Number(n) as 16 | 32;
        else if (n !== null) this.error(b.col, n === 64n ? '64-bit code is not supported by this assembler' : `\`${n}' is not a valid segment size; must be 16, 32 or 64`);
        return;
      }
      case 'use16':
      case 'use32':
        this.ps.bits = b.name === 'use16' ? 16 : 32;
        return;
      case 'org': {
        const e = expr();
        const n = e && this.critical(e, 'ORG');
        if (n === null) return;
        if (this.ps.orgSet && n !== this.ps.org) this.error(b.col, 'program origin redefined');
        this.ps.org = n;
        this.ps.orgSet = true;
        return;
      }
      case 'section':
      case 'segment':
        return this.sectionDirective(args, b.col);
      case 'absolute': {
        const e = expr();
        const r = e && this.eval(e);
        if (r && !r.ok) return this.error(r.col, r.message);
        // NASM (directiv.c D_ABSOLUTE) keeps the segment of a relocatable address: labels in
        // `absolute some_label` space are offsets in that label's section, so `y - $$` is simple.
        const v = r && r.ok ? r.value : null;
        const seg = v && v.seg !== null && this.sections[v.seg] ? v.seg : null;
        this.ps.absoluteSeg = seg;
        this.ps.absolute = v === null ? 0n : seg === null ? v.n : v.n - this.sections[seg]!.vstart;
        return;
      }
      case 'align':
      case 'alignb': {
        const comma = args.findIndex((t) => t.text === ',');
        const e = expr();
        if (!e) return;
        const n = this.critical(e, 'ALIGN');
        if (n === null) return;
        if (n <= 0n || (n & (n - 1n)) !== 0n) return this.error(b.col, 'alignment must be a power of two');
        const pos = BigInt(this.offset());
        const pad = Number((n - (pos % n)) % n);
        if (this.ps.absolute === null && this.section.attrs.align < Number(n)) this.section.attrs.align = Number(n);
        if (b.name === 'alignb' || this.ps.absolute !== null) return this.reserve(pad, b.col, st.text);
        if (comma < 0) return this.emit(new Uint8Array(pad).fill(0x90), b.col, st.text, 1, pad);
        // `align n, fill`: repeat the fill statement until aligned (NASM's align macro uses TIMES).
        const fill = parseStatement(restText(args[comma + 1]), st.origin);
        if (fill.error) return this.error(fill.error.col + (args[comma + 1]?.col ?? 1) - 1, fill.error.message);
        const once: number[] = [];
        const sizeProbe = fill.body.k === 'data' ? this.data(fill.body.size, fill.body.items) : fill.body.k === 'insn' ? this.insn(fill.body) : null;
        if (!sizeProbe || sizeProbe.length === 0) return this.error(b.col, 'invalid ALIGN fill');
        once.push(...sizeProbe);
        const reps = Math.floor(pad / once.length);
        const all: number[] = [];
        for (let i = 0; i < reps; i++) all.push(...once);
        return this.emit(all, b.col, st.text, once.length, reps);
      }
      case 'incbin':
        return this.incbin(args, b.col, count, st.text);
      case 'struc': {
        const name = args[0]?.text;
        if (!name) return this.error(b.col, 'struc: name expected');
        this.ps.struc = { name, saved: this.ps.cur, savedBase: this.ps.localBase };
        this.ps.absolute = 0n;
        this.ps.absoluteSeg = null;
        this.define(name, args[0]!.col, 'label', { n: 0n, seg: null, unknown: false });
        return;
      }
      case 'endstruc': {
        const s = this.ps.struc;
        if (!s) return this.error(b.col, 'endstruc without struc');
        this.define(`${s.name}_size`, b.col, 'equ', { n: this.ps.absolute ?? 0n, seg: null, unknown: false });
        this.ps.absolute = null;
        this.ps.cur = s.saved;
        this.ps.struc = null;
        return;
      }
      case 'istruc': {
        const name = args[0]?.text;
        if (!name) return this.error(b.col, 'istruc: name expected');
        this.ps.istruc = { name, base: this.offset() };
        return;
      }
      case 'at': {
        const is = this.ps.istruc;
        if (!is) return this.error(b.col, 'at outside istruc');
        const comma = args.findIndex((t) => t.text === ',');
        const p = new ExprParser(args, 0, st.text.length + 1);
        const fe = p.parse();
        if (p.error) return this.error(p.error.col, p.error.message);
        const field = this.critical(fe, 'AT');
        if (field === null) return;
        const pad = Number(field) - (this.offset() - is.base);
        if (pad < 0) return this.error(b.col, 'non-positive padding in AT: fields out of order?');
        this.emit(new Uint8Array(pad), b.col, st.text);
        if (comma >= 0) {
          const inner = parseStatement(restText(args[comma + 1]), st.origin);
          if (inner.error) return this.error(inner.error.col, inner.error.message);
          this.body(inner, inner.body, 1);
        }
        return;
      }
      case 'iend': {
        const is = this.ps.istruc;
        if (!is) return this.error(b.col, 'iend without istruc');
        const size = this.lookup(`${is.name}_size`);
        if (size) {
          const pad = Number(size.n) - (this.offset() - is.base);
          if (pad > 0) this.emit(new Uint8Array(pad), b.col, st.text);
        }
        this.ps.istruc = null;
        return;
      }
      case 'global': case 'extern': case 'common': case 'static': case 'cpu': case 'default':
      case 'sectalign': case 'float': case 'warning': case 'required':
        return;
      default:
        return this.error(b.col, `unrecognised directive [${b.name}]`);
    }
  }

  private sectionDirective(args: Token[], col: number): void {
    const nameTok = args[0];
    if (!nameTok) return this.error(col, 'section name expected');
    const name = nameTok.text;
    const existed = this.sections.some((s) => s.name === name);
    const s = this.getSection(name);
    if (!existed || args.length > 1) {
      for (const p of applySectionAttrs(s.attrs, args.slice(1))) {
        if (p.error) this.error(p.col, p.message);
        else this.warning(p.col, p.message);
      }
    }
    this.ps.cur = s.index;
    this.ps.absolute = null;
  }

  private incbin(args: Token[], col: number, count: number, text: string): void {
    const f = args[0];
    if (!f || f.kind !== 'str') return this.error(col, '`incbin\' expects a file name');
    const name = new TextDecoder().decode(new Uint8Array(f.bytes!));
    const key = `${this.origin.file}\0${name}`;
    if (!this.incbinCache.has(key)) this.incbinCache.set(key, this.files.readBinary(name, this.origin.file));
    const data = this.incbinCache.get(key);
    if (!data) return this.error(f.col, `unable to open file \`${name}'`);
    let start = 0;
    let len = data.length;
    const rest = args.slice(1);
    const nums: bigint[] = [];
    let i = 0;
    while (i < rest.length) {
      if (rest[i]!.text !== ',') return this.error(rest[i]!.col, 'comma expected');
      const p = new ExprParser(rest, i + 1, text.length + 1);
      const e = p.parse();
      if (p.error) return this.error(p.error.col, p.error.message);
      const v = this.critical(e, 'INCBIN');
      if (v === null) return;
      nums.push(v);
      i = p.pos;
    }
    if (nums[0] !== undefined) start = Math.min(data.length, Math.max(0, Number(nums[0])));
    if (nums[1] !== undefined) len = Math.max(0, Number(nums[1]));
    const slice = data.subarray(start, Math.min(data.length, start + len));
    for (let k = 0; k < count && !this.ps.fatal; k++) this.emit(slice, col, text);
  }
}

function exprsOf(b: Extract<Body, { k: 'data' }>): Expr[] {
  return b.items.flatMap((i) => (i.k === 'expr' ? [i.expr] : []));
}
