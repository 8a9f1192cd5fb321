/**
 * Expressions for hovers, watches and the debug console: registers as the guest sees them
 * (`eax`, `ax`, `al`, `esp`, `eip`, `eflags`, `cr0`–`cr4`, `dr0`–`dr7`, `cpl`, segment
 * selectors `cs`…`gs`, and `cs.base`, `cs.limit`, `gdtr.base`, `idtr.limit`, `ldtr.base`,
 * `tr.base` …), numbers (`0x1f`, `1fh`, `31`, `0b11111`), program symbols, `+ - *`,
 * parentheses, unary minus, and `[expr]`: the dword at that guest-linear address (read
 * through the guest's page tables, guest-memory.ts). Arithmetic is modulo 2^32; the result is
 * a uint32. Names are case-insensitive for registers; symbols are matched exactly first,
 * then case-insensitively.
 */
import { REG8_INDEX } from '../cpu/cpu';
import { hex } from './format';
import { readLinearDword } from './guest-memory';
import { guestView, type GuestView } from './guest-view';
import type { GuestVm } from '../vmm/guest-vm';
import { InspectError } from './tree';

/** Program symbols by name (labels and constants): what the assembler's symbol table gives. */
export type SymbolTable = ReadonlyMap<string, number>;

type Token = { kind: 'num'; value: number; at: number } | { kind: 'id'; text: string; at: number } | { kind: 'op'; text: string; at: number };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re = /(0x[0-9a-f]+|0b[01]+|[0-9][0-9a-f]*h(?![\w.])|[0-9]+(?![\w.]))|([A-Za-z_.$?@][\w.$?@]*)|([-+*()[\]])/iy;
  let pos = 0;
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
    if (pos >= text.length) return out;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new InspectError(`expression '${text}': unexpected '${text[pos]}' at column ${pos + 1}`);
    if (m[1] !== undefined) out.push({ kind: 'num', value: parseNum(m[1], text), at: pos });
    else if (m[2] !== undefined) out.push({ kind: 'id', text: m[2], at: pos });
    else out.push({ kind: 'op', text: m[3], at: pos });
    pos = re.lastIndex;
  }
}

function parseNum(t: string, text: string): number {
  const l = t.toLowerCase();
  const v = l.startsWith('0x') ? parseInt(l.slice(2), 16) : l.startsWith('0b') ? parseInt(l.slice(2), 2) : l.endsWith('h') ? parseInt(l.slice(0, -1), 16) : parseInt(l, 10);
  if (!Number.isSafeInteger(v) || v > 0xffffffff) throw new InspectError(`expression '${text}': ${t} does not fit in 32 bits`);
  return v;
}

const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const GPR8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'];

/**
 * The value of register `name` (lower case) in `view`, or undefined when it is not a register.
 * @throws InspectError for a segment register with an unknown part ('cs.foo')
 */
export function registerValue(view: GuestView, name: string): number | undefined {
  const cpu = view.vm.cpu;
  let n = GPR32.indexOf(name);
  if (n >= 0) return cpu.regs[n] >>> 0;
  n = GPR16.indexOf(name);
  if (n >= 0) return cpu.regs[n] & 0xffff;
  n = GPR8.indexOf(name);
  if (n >= 0) return cpu.regs8[REG8_INDEX[n]];
  switch (name) {
    case 'eip':
      return view.eip;
    case 'ip':
      return view.eip & 0xffff;
    case 'eflags':
    case 'flags':
      return view.eflags;
    case 'cr0':
      return view.cr0;
    case 'cr2':
      return view.cr2;
    case 'cr3':
      return view.cr3;
    case 'cr4':
      return view.cr4;
    case 'cpl':
      return view.cpl;
  }
  const dr = /^dr([0-7])$/.exec(name);
  if (dr) return view.dr[Number(dr[1])];
  const [reg, part, extra] = name.split('.');
  const table = reg === 'gdtr' ? view.gdtr : reg === 'idtr' ? view.idtr : null;
  if (table && part !== undefined && extra === undefined) {
    if (part === 'base') return table.base;
    if (part === 'limit') return table.limit;
    throw new InspectError(`${reg}.${part}: ${reg.toUpperCase()} has a base and a limit`);
  }
  const s = SEGS.indexOf(reg);
  if (s < 0 || extra !== undefined) return undefined;
  const seg = view.segments[s];
  switch (part) {
    case undefined:
    case 'selector':
    case 'sel':
      return seg.selector;
    case 'base':
      return seg.base;
    case 'limit':
      return seg.limit;
    case 'ar':
      return seg.ar >>> 0;
    default:
      throw new InspectError(`${reg}.${part}: a segment register has selector, base, limit and ar`);
  }
}

/** Look a symbol up: exact name first, then case-insensitive. */
export function lookupSymbol(symbols: SymbolTable | undefined, name: string): number | undefined {
  if (!symbols) return undefined;
  const exact = symbols.get(name);
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [k, v] of symbols) if (k.toLowerCase() === lower) return v;
  return undefined;
}

class Parser {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly view: GuestView,
    private readonly symbols: SymbolTable | undefined,
  ) {}

  parse(): number {
    if (this.tokens.length === 0) throw new InspectError('empty expression');
    const v = this.sum();
    const t = this.tokens[this.i];
    if (t) throw this.error(t, `unexpected '${t.kind === 'num' ? hex(t.value) : t.kind === 'id' ? t.text : t.text}'`);
    return v >>> 0;
  }

  private error(t: Token | undefined, msg: string): InspectError {
    return new InspectError(`expression '${this.text}': ${msg}${t ? ` at column ${t.at + 1}` : ' at the end'}`);
  }

  private peekOp(...ops: string[]): string | null {
    const t = this.tokens[this.i];
    return t && t.kind === 'op' && ops.includes(t.text) ? t.text : null;
  }

  private sum(): number {
    let v = this.product();
    for (let op = this.peekOp('+', '-'); op; op = this.peekOp('+', '-')) {
      this.i++;
      const r = this.product();
      v = op === '+' ? (v + r) >>> 0 : (v - r) >>> 0;
    }
    return v;
  }

  private product(): number {
    let v = this.unary();
    while (this.peekOp('*')) {
      this.i++;
      v = Math.imul(v, this.unary()) >>> 0;
    }
    return v;
  }

  private unary(): number {
    if (this.peekOp('-')) {
      this.i++;
      return -this.unary() >>> 0;
    }
    if (this.peekOp('+')) {
      this.i++;
      return this.unary();
    }
    return this.primary();
  }

  private primary(): number {
    const t = this.tokens[this.i++];
    if (!t) throw this.error(undefined, 'expected a number, register or symbol');
    if (t.kind === 'num') return t.value;
    if (t.kind === 'id') {
      const reg = registerValue(this.view, t.text.toLowerCase());
      if (reg !== undefined) return reg >>> 0;
      const sym = lookupSymbol(this.symbols, t.text);
      if (sym !== undefined) return sym >>> 0;
      throw this.error(t, `unknown register or symbol '${t.text}'`);
    }
    if (t.text === '(' || t.text === '[') {
      const close = t.text === '(' ? ')' : ']';
      const v = this.sum();
      const c = this.tokens[this.i];
      if (!c || c.kind !== 'op' || c.text !== close) throw this.error(c, `expected '${close}'`);
      this.i++;
      if (close === ')') return v;
      const d = readLinearDword(this.view, v);
      if (!d.ok) throw new InspectError(`[${hex(v)}]: ${d.reason}`);
      return d.value;
    }
    throw this.error(t, `unexpected '${t.text}'`);
  }
}

/** Evaluate on a view already taken (see `evaluateExpression`). */
export function evaluateOn(view: GuestView, text: string, symbols?: SymbolTable): number {
  return new Parser(text, tokenize(text), view, symbols).parse();
}

/**
 * Evaluate `text` (see the file header) against the guest's current state.
 * @returns a uint32
 * @throws InspectError naming the problem and its column (unknown name, bad syntax, an unreadable `[address]`)
 */
export function evaluateExpression(vm: GuestVm, text: string, symbols?: SymbolTable): number {
  return evaluateOn(guestView(vm), text, symbols);
}
