/**
 * Instruction encoding: picks the first matching form in NASM's order (insn-table.ts) and
 * emits prefixes, opcode, ModRM/SIB/displacement and immediates (SDM Vol.2 §2.1, Figure 2-1).
 *
 * Prefixes are emitted in NASM's order: REP/REPNE, LOCK, segment override, 66h, 67h.
 * Matching follows NASM's rules: an unsized memory operand takes its size from the other
 * operands; if none gives it but only one size fits any form, that size is used (as in
 * `setz [eax]`); otherwise "operation size not specified".
 */
import type { EvalResult, Value } from './eval';
import type { Expr } from './expr';
import { formsOf, type Form } from './insn-table';
import { encodeEffectiveAddress, type EffectiveAddress } from './modrm';
import type { Operand } from './operands';
import { SEGMENT_PREFIX, type Register } from './registers';

export interface Prefix {
  name: string;
  col: number;
}

export interface EncodeContext {
  bits: 16 | 32;
  /** Absolute address of the instruction's first byte in this pass. */
  address: bigint;
  /** Section index of the instruction (for short-jump range decisions). */
  section: number;
  evaluate(e: Expr, allowRegs: boolean): EvalResult;
}

export interface Problem {
  message: string;
  col: number;
}

/** A field holding a relocatable (section-based) value; the listing shows it in brackets. */
export interface Reloc {
  at: number;
  size: number;
  seg: number;
}

export interface EncodeResult {
  bytes: number[];
  relocs?: Reloc[];
  errors: Problem[];
  warnings: Problem[];
}

export const PREFIX_NAMES = new Set(['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'o16', 'o32', 'a16', 'a32', 'es', 'cs', 'ss', 'ds', 'fs', 'gs']);

interface OpVal {
  op: Operand;
  value?: Value;
  seg?: Value;
}

const UNKNOWN: Value = { n: 0n, seg: null, unknown: true };

function patSize(p: string): number {
  if (p === 'r8' || p === 'rm8' || p === 'al' || p === 'cl' || p === 'o8') return 8;
  if (p === 'r16' || p === 'rm16' || p === 'm16' || p === 'ax' || p === 'sreg') return 16;
  if (p === 'r32' || p === 'rm32' || p === 'eax') return 32;
  if (p === 'm64') return 64;
  return 0;
}

const isSimple = (v: Value | undefined) => !!v && v.seg === null && !v.unknown;

function fitsSbyte(v: Value, osize: number): boolean {
  if (v.unknown) return true; // NASM is optimistic about forward references
  if (v.seg !== null) return false;
  const mask = osize === 16 ? 0xffffn : 0xffffffffn;
  return ((v.n + 128n) & mask) <= 255n;
}

/** 0 = no match, 1 = matches if the unsized memory operand takes this size, 2 = matches. */
function matchOperand(p: string, o: OpVal, form: Form): 0 | 1 | 2 {
  const op = o.op;
  switch (p) {
    case 'r8':
    case 'r16':
    case 'r32':
      return op.k === 'reg' && op.reg.cls === p ? 2 : 0;
    case 'rm8':
    case 'rm16':
    case 'rm32':
    case 'm16':
    case 'm64': {
      if (op.k === 'reg') return p.startsWith('rm') && op.reg.cls === `r${p.slice(2)}` ? 2 : 0;
      if (op.k !== 'mem' || op.far) return 0;
      if (op.size === undefined) return 1;
      return op.size * 8 === patSize(p) ? 2 : 0;
    }
    case 'm':
      return op.k === 'mem' && !op.far && op.size === undefined ? 2 : 0;
    case 'ma':
      return op.k === 'mem' || (op.k === 'imm' && !op.jump) ? 2 : 0;
    case 'mfar':
      return op.k === 'mem' && op.far ? 2 : 0;
    case 'o8':
    case 'ov': {
      if (op.k !== 'mem' || op.far || (o.value?.regs?.length ?? 0) > 0 || op.dispSize === 1) return 0;
      const want = p === 'o8' ? 1 : form.osize / 8;
      return op.size === undefined || op.size === want ? 2 : 0;
    }
    case 'al': case 'ax': case 'eax': case 'cl': case 'dx':
    case 'es': case 'cs': case 'ss': case 'ds': case 'fs': case 'gs':
      return op.k === 'reg' && op.reg.name === p ? 2 : 0;
    case 'sreg': case 'creg': case 'dreg': case 'treg':
      return op.k === 'reg' && op.reg.cls === p ? 2 : 0;
    case 'imm':
      if (op.k !== 'imm' || op.jump) return 0;
      return op.size === undefined || op.size * 8 === form.osize ? 2 : 0;
    case 'i8':
      return op.k === 'imm' && !op.jump && (op.size === undefined || op.size === 1) ? 2 : 0;
    case 'u8':
      return op.k === 'imm' && !op.jump && op.size === undefined ? 2 : 0;
    case 'i16':
      return op.k === 'imm' && !op.jump && (op.size === undefined || op.size === 2) ? 2 : 0;
    case 'sb':
      if (op.k !== 'imm' || op.jump) return 0;
      if (op.size === 1) return 2;
      if (op.strict) return 0;
      if (op.size !== undefined && op.size * 8 !== form.osize) return 0;
      return fitsSbyte(o.value ?? UNKNOWN, form.osize) ? 2 : 0;
    case 'one':
      if (op.k !== 'imm' || op.jump || op.size !== undefined || op.strict) return 0;
      return o.value && (o.value.unknown || (isSimple(o.value) && o.value.n === 1n)) ? 2 : 0;
    case 'rel8n':
      return op.k === 'imm' && op.jump === undefined && op.size === undefined ? 2 : 0;
    case 'reln':
      return op.k === 'imm' && (op.jump === undefined || op.jump === 'near') && op.size === undefined ? 2 : 0;
    case 'rel8':
      return op.k === 'imm' && (op.jump === undefined || op.jump === 'short') && op.size === undefined ? 2 : 0;
    case 'relv':
      if (op.k !== 'imm' || (op.jump !== undefined && op.jump !== 'near')) return 0;
      return op.size === undefined || op.size * 8 === form.osize ? 2 : 0;
    case 'far':
      return op.k === 'far' && (op.size === undefined || op.size * 8 === form.osize) ? 2 : 0;
    default:
      return 0;
  }
}

function statesSize(o: OpVal, bits: number): boolean {
  const op = o.op;
  if (op.k === 'reg') return op.reg.size * 8 === bits && (op.reg.cls === 'r16' || op.reg.cls === 'r32');
  if (op.k === 'mem' || op.k === 'imm' || op.k === 'far') return op.size !== undefined && op.size * 8 === bits;
  return false;
}

type MatchKind = 'fail' | 'weak' | 'ok';

function matchForm(form: Form, ops: OpVal[], defOs: number): { kind: MatchKind; weakSize: number } {
  let weakSize = 0;
  let weakIndex = -1;
  for (let i = 0; i < ops.length; i++) {
    const r = matchOperand(form.ops[i]!, ops[i]!, form);
    if (r === 0) return { kind: 'fail', weakSize: 0 };
    if (r === 1) (weakSize = patSize(form.ops[i]!)), (weakIndex = i);
  }
  if (form.defaultSize) {
    if (form.osize !== defOs && !ops.some((o) => statesSize(o, form.osize))) return { kind: 'fail', weakSize: 0 };
    return { kind: 'ok', weakSize: 0 };
  }
  if (weakIndex < 0) return { kind: 'ok', weakSize: 0 };
  const confirmed = ops.some((o, j) => {
    if (j === weakIndex) return false;
    const p = form.ops[j]!;
    if (o.op.k === 'reg') return p !== 'cl' && p !== 'dx' && patSize(p) === weakSize && o.op.reg.size * 8 === weakSize;
    // Only immediates of the operation's own size (NASM's SM templates) say the size.
    if (o.op.k === 'imm') return (p === 'imm' || p === 'sb') && o.op.size !== undefined && o.op.size * 8 === weakSize;
    return false;
  });
  return { kind: confirmed ? 'ok' : 'weak', weakSize };
}

function pushLE(out: number[], v: bigint, n: number): void {
  for (let i = 0; i < n; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
}

function boundsWarning(v: Value, n: number, warnings: Problem[], col: number): void {
  if (!isSimple(v)) return;
  const bitsN = BigInt(8 * n);
  const max = (1n << bitsN) - 1n;
  const min = -(1n << (bitsN - 1n));
  if (v.n > max || v.n < min) {
    const name = n === 1 ? 'byte' : n === 2 ? 'word' : 'dword';
    warnings.push({ message: `${name} data exceeds bounds`, col });
  }
}

/**
 * Encodes one instruction. Never throws; problems are returned in `errors`/`warnings`
 * (the caller decides whether this pass reports them).
 */
export function encodeInstruction(mnemonic: string, prefixes: Prefix[], operands: Operand[], ctx: EncodeContext, col: number): EncodeResult {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const fail = (message: string, c = col): EncodeResult => ({ bytes: [], errors: [{ message, col: c }], warnings });
  const forms = formsOf(mnemonic);
  if (!forms) return fail(`unrecognised instruction \`${mnemonic}'`);

  const vals: OpVal[] = [];
  for (const op of operands) {
    const ov: OpVal = { op };
    const ev = (e: Expr, regs: boolean): Value => {
      const r = ctx.evaluate(e, regs);
      if (r.ok) return r.value;
      errors.push({ message: r.message, col: r.col });
      return { ...UNKNOWN };
    };
    if (op.k === 'imm') ov.value = ev(op.expr, false);
    else if (op.k === 'mem') ov.value = ev(op.expr, true);
    else if (op.k === 'far') (ov.seg = ev(op.seg, false)), (ov.value = ev(op.off, false));
    vals.push(ov);
  }
  if (errors.length) return { bytes: [], errors, warnings };

  let rep: number | null = null;
  let lock = false;
  let segPrefix: Register | undefined;
  let forcedOs = 0;
  let forcedAs = 0;
  for (const p of prefixes) {
    switch (p.name) {
      case 'lock': lock = true; break;
      case 'rep': case 'repe': case 'repz': rep = 0xf3; break;
      case 'repne': case 'repnz': rep = 0xf2; break;
      case 'o16': forcedOs = 16; break;
      case 'o32': forcedOs = 32; break;
      case 'a16': forcedAs = 16; break;
      case 'a32': forcedAs = 32; break;
      default:
        segPrefix = { name: p.name, cls: 'sreg', num: ['es', 'cs', 'ss', 'ds', 'fs', 'gs'].indexOf(p.name), size: 2 };
    }
  }
  const defOs = forcedOs || ctx.bits;

  const weak: { form: Form; size: number }[] = [];
  let lastJumpError: string | null = null;
  for (const form of forms) {
    if (form.ops.length !== vals.length) continue;
    const m = matchForm(form, vals, defOs);
    if (m.kind === 'fail') continue;
    if (m.kind === 'weak') {
      weak.push({ form, size: m.weakSize });
      continue;
    }
    const relocs: Reloc[] = [];
    const r = emit(form, vals, ctx, { rep, lock, segPrefix, forcedOs, forcedAs }, warnings, relocs);
    if (r === 'not-short') continue;
    if (typeof r === 'string') {
      if (form.shortJump) {
        lastJumpError = r;
        continue;
      }
      return fail(r);
    }
    return { bytes: r, errors, warnings, relocs };
  }
  if (lastJumpError) return fail(lastJumpError);
  if (weak.length > 0) {
    const sizes = new Set(weak.map((w) => w.size));
    if (sizes.size === 1) {
      const relocs: Reloc[] = [];
      const r = emit(weak[0]!.form, vals, ctx, { rep, lock, segPrefix, forcedOs, forcedAs }, warnings, relocs);
      if (typeof r === 'string') return fail(r === 'not-short' ? 'short jump is out of range' : r);
      return { bytes: r, errors, warnings, relocs };
    }
    return fail('operation size not specified');
  }
  return fail('invalid combination of opcode and operands');
}

interface PrefixState {
  rep: number | null;
  lock: boolean;
  segPrefix: Register | undefined;
  forcedOs: number;
  forcedAs: number;
}

function emit(form: Form, vals: OpVal[], ctx: EncodeContext, ps: PrefixState, warnings: Problem[], relocs: Reloc[]): number[] | string {
  const bits = ctx.bits;
  let ea: EffectiveAddress | null = null;
  let eaValue: Value | undefined;
  let seg = ps.segPrefix;
  let moffsAsize = 0;
  let regField = typeof form.modrm === 'number' ? form.modrm : 0;
  let rmReg: number | null = null;
  const opcode = form.opcode.slice();
  for (let i = 0; i < vals.length; i++) {
    const role = form.roles[i];
    const o = vals[i]!;
    if (role === 'r' && o.op.k === 'reg') regField = o.op.reg.num;
    else if (role === 'x' && o.op.k === 'reg') (regField = o.op.reg.num), (rmReg = o.op.reg.num);
    else if (role === '+' && o.op.k === 'reg') opcode[opcode.length - 1] = opcode[opcode.length - 1]! + o.op.reg.num;
    else if (role === 'm') {
      if (o.op.k === 'reg') rmReg = o.op.reg.num;
      else if (o.op.k === 'imm') {
        const r = encodeEffectiveAddress(o.value!, bits, undefined, false, ps.forcedAs || form.asize);
        if (typeof r === 'string') return r;
        ea = r;
        eaValue = o.value;
      } else if (o.op.k === 'mem') {
        const r = encodeEffectiveAddress(o.value!, bits, o.op.dispSize, o.op.nosplit, ps.forcedAs || form.asize);
        if (typeof r === 'string') return r;
        ea = r;
        eaValue = o.value;
        if (o.op.seg) seg = o.op.seg;
      }
    } else if (role === 'o' && o.op.k === 'mem') {
      moffsAsize = ps.forcedAs || (o.op.dispSize === 2 ? 16 : o.op.dispSize === 4 ? 32 : bits);
      if (o.op.seg) seg = o.op.seg;
    }
  }
  const out: number[] = [];
  if (ps.rep !== null) out.push(ps.rep);
  if (ps.lock) out.push(0xf0);
  if (seg) out.push(SEGMENT_PREFIX[seg.num]!);
  // An explicit o16/o32 prefix wins over the form's size (NASM assembles `o16 movsd` as 66 A5).
  const osize = ps.forcedOs || (form.fixedOsize ? form.osize : 0);
  if (osize && osize !== 8 && osize !== bits) out.push(0x66);
  const asize = ea ? ea.asize : moffsAsize || form.asize || ps.forcedAs;
  if (asize && asize !== bits) out.push(0x67);
  out.push(...opcode);
  if (form.modrm !== null) {
    if (rmReg !== null) out.push(0xc0 | (regField << 3) | rmReg);
    else if (ea) {
      out.push((ea.mod << 6) | (regField << 3) | ea.rm);
      if (ea.sib !== null) out.push(ea.sib);
      if (ea.dispSize && eaValue && eaValue.seg !== null && !eaValue.unknown) relocs.push({ at: out.length, size: ea.dispSize, seg: eaValue.seg });
      pushLE(out, ea.disp, ea.dispSize);
    } else return 'invalid combination of opcode and operands';
  }
  // Immediate-like operands, in operand order.
  let k = 0;
  for (let i = 0; i < vals.length; i++) {
    const role = form.roles[i];
    if (role !== 'i' && role !== 'j' && role !== 'p' && role !== 'o') continue;
    const enc = form.imms[k++];
    const o = vals[i]!;
    const v = o.value ?? UNKNOWN;
    const col = o.op.col;
    if (v.seg !== null && !v.unknown && enc !== 'rel8' && enc !== 'relv') {
      const size = enc === 'ib' || enc === 'ibs' ? 1 : enc === 'iw' ? 2 : enc === 'id' ? 4 : enc === 'ov' ? moffsAsize / 8 : form.osize / 8;
      relocs.push({ at: out.length, size, seg: v.seg });
    }
    switch (enc) {
      case 'ib':
        boundsWarning(v, 1, warnings, col);
        pushLE(out, v.n, 1);
        break;
      case 'ibs':
        pushLE(out, v.n, 1);
        break;
      case 'iw':
        boundsWarning(v, 2, warnings, col);
        pushLE(out, v.n, 2);
        break;
      case 'id':
        boundsWarning(v, 4, warnings, col);
        pushLE(out, v.n, 4);
        break;
      case 'iv':
        boundsWarning(v, form.osize / 8, warnings, col);
        pushLE(out, v.n, form.osize / 8);
        break;
      case 'ov':
        pushLE(out, v.n, moffsAsize / 8);
        break;
      case 'ptrv':
        pushLE(out, v.n, form.osize / 8);
        pushLE(out, o.seg?.n ?? 0n, 2);
        break;
      case 'rel8': {
        const end = ctx.address + BigInt(out.length + 1);
        const rel = v.n - end;
        const explicitShort = o.op.k === 'imm' && o.op.jump === 'short';
        if (form.shortJump && !explicitShort) {
          // NASM's jmp_match: optimistic while the target is unknown, else short only in range.
          if (!v.unknown && (v.seg !== ctx.section || rel < -128n || rel > 127n)) return 'not-short';
        } else if (!v.unknown && v.seg === ctx.section && (rel < -128n || rel > 127n)) {
          return 'short jump is out of range';
        }
        pushLE(out, rel, 1);
        break;
      }
      case 'relv': {
        const n = form.osize / 8;
        const rel = v.n - (ctx.address + BigInt(out.length + n));
        pushLE(out, rel, n);
        break;
      }
      default:
        return `internal error: unknown encoding ${enc}`;
    }
  }
  return out;
}
