/**
 * Expression evaluation with NASM's 64-bit integer semantics (NASM manual §3.5) and its
 * notion of *simple* versus *relocatable* values: a label or `$` is relocatable (it has a
 * section), the difference of two labels is simple. Instruction encoding uses this: only
 * simple values may pick the sign-extended imm8 or disp8 forms, as in NASM's `is_simple`.
 *
 * Memory operands are evaluated to a linear form: constant + section + Σ coef·register.
 */
import type { Expr } from './expr';
import type { Register } from './registers';

/** A register term of a memory expression. */
export interface RegTerm {
  reg: Register;
  coef: bigint;
}

/** The value of an expression. */
export interface Value {
  /** Signed 64-bit value (for relocatable values: the absolute address as laid out this pass). */
  n: bigint;
  /** Section index when the value is relocatable (a label, `$`, `$$`), else null. */
  seg: number | null;
  /** True when a symbol was not yet defined (forward reference in an early pass). */
  unknown: boolean;
  /** Register terms (memory operands only). */
  regs?: RegTerm[];
}

/** Symbol lookup supplied by the assembler; returns null for undefined symbols. */
export interface EvalContext {
  lookup(name: string): Value | null;
  here(): Value;
  base(): Value;
  /** When true, an undefined symbol is an error; otherwise it evaluates as unknown. */
  final: boolean;
}

export type EvalResult = { ok: true; value: Value } | { ok: false; message: string; col: number };

class EvalFailure {
  constructor(
    readonly message: string,
    readonly col: number,
  ) {}
}

const i64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** Constant value helper. */
export function scalar(n: bigint): Value {
  return { n: i64(n), seg: null, unknown: false };
}

/** Evaluates an expression; never throws. */
export function evaluate(e: Expr, ctx: EvalContext, allowRegs = false): EvalResult {
  try {
    const value = ev(e, ctx);
    if (value.regs && value.regs.length > 0 && !allowRegs) {
      return { ok: false, message: 'invalid use of a register in an expression', col: e.col };
    }
    return { ok: true, value };
  } catch (err) {
    if (err instanceof EvalFailure) return { ok: false, message: err.message, col: err.col };
    return { ok: false, message: `internal error: ${String(err)}`, col: e.col };
  }
}

function mergeRegs(a: RegTerm[] | undefined, b: RegTerm[] | undefined, sign: bigint): RegTerm[] | undefined {
  if (!a && !b) return undefined;
  const out: RegTerm[] = a ? a.map((t) => ({ ...t })) : [];
  for (const t of b ?? []) {
    const found = out.find((o) => o.reg.name === t.reg.name);
    if (found) found.coef += sign * t.coef;
    else out.push({ reg: t.reg, coef: sign * t.coef });
  }
  return out.filter((t) => t.coef !== 0n);
}

function ev(e: Expr, ctx: EvalContext): Value {
  switch (e.k) {
    case 'num':
      return scalar(e.v);
    case 'str': {
      if (e.bytes.length > 8) throw new EvalFailure('character constant too long', e.col);
      let v = 0n;
      for (let i = e.bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(e.bytes[i]!);
      return scalar(v);
    }
    case 'float':
      throw new EvalFailure('floating-point constant encountered in integer expression', e.col);
    case 'here':
      return ctx.here();
    case 'base':
      return ctx.base();
    case 'reg':
      return { n: 0n, seg: null, unknown: false, regs: [{ reg: e.reg, coef: 1n }] };
    case 'sym': {
      const v = ctx.lookup(e.name);
      if (v) return v;
      if (ctx.final) throw new EvalFailure(`symbol \`${e.name}' not defined`, e.col);
      return { n: 0n, seg: null, unknown: true };
    }
    case 'un': {
      const a = ev(e.a, ctx);
      if (e.op === '+') return a;
      if (e.op === 'seg') throw new EvalFailure('SEG is not supported in flat binary output', e.col);
      if (a.regs && a.regs.length) {
        if (e.op === '-') return { n: i64(-a.n), seg: null, unknown: a.unknown, regs: a.regs.map((t) => ({ reg: t.reg, coef: -t.coef })) };
        throw new EvalFailure('invalid use of a register in an expression', e.col);
      }
      if (a.seg !== null && !a.unknown) throw new EvalFailure(`\`${e.op}' operator may only be applied to scalar values`, e.col);
      const n = e.op === '-' ? i64(-a.n) : e.op === '~' ? i64(~a.n) : a.n === 0n ? 1n : 0n;
      return { n, seg: null, unknown: a.unknown };
    }
    case 'cond': {
      const c = ev(e.c, ctx);
      const a = ev(e.a, ctx);
      const b = ev(e.b, ctx);
      const r = c.n !== 0n ? a : b;
      return { ...r, unknown: r.unknown || c.unknown };
    }
    case 'bin':
      return binary(e.op, ev(e.a, ctx), ev(e.b, ctx), e.col);
  }
}

function binary(op: string, a: Value, b: Value, col: number): Value {
  const unknown = a.unknown || b.unknown;
  if (op === '+' || op === '-') {
    const sign = op === '+' ? 1n : -1n;
    const regs = mergeRegs(a.regs, b.regs, sign);
    let seg: number | null;
    if (op === '+') {
      if (a.seg !== null && b.seg !== null && !unknown) throw new EvalFailure('cannot add two relocatable values', col);
      seg = a.seg ?? b.seg;
    } else {
      if (b.seg !== null && a.seg === null && !unknown) throw new EvalFailure('cannot subtract a relocatable value from a scalar', col);
      seg = b.seg !== null ? null : a.seg;
    }
    const v: Value = { n: i64(a.n + sign * b.n), seg, unknown };
    if (regs && regs.length) v.regs = regs;
    return v;
  }
  if (op === 'wrt') throw new EvalFailure('WRT is not supported in flat binary output', col);
  if (op === '*' && ((a.regs?.length ?? 0) > 0 || (b.regs?.length ?? 0) > 0)) {
    // Register scaling: reg*const or const*reg.
    const [r, k] = (a.regs?.length ?? 0) > 0 ? [a, b] : [b, a];
    if ((k.regs?.length ?? 0) > 0 || k.seg !== null) throw new EvalFailure('unable to multiply two non-scalar objects', col);
    return { n: i64(r.n * k.n), seg: null, unknown, regs: r.regs!.map((t) => ({ reg: t.reg, coef: t.coef * k.n })) };
  }
  if ((a.regs?.length ?? 0) > 0 || (b.regs?.length ?? 0) > 0) throw new EvalFailure('invalid use of a register in an expression', col);
  if ((a.seg !== null || b.seg !== null) && !unknown) {
    throw new EvalFailure(`\`${op}' operator may only be applied to scalar values`, col);
  }
  const x = a.n;
  const y = b.n;
  let n: bigint;
  switch (op) {
    case '*': n = x * y; break;
    case '/':
    case '//':
    case '%':
    case '%%':
      if (y === 0n) {
        if (unknown) { n = 0n; break; }
        throw new EvalFailure('division by zero', col);
      }
      if (op === '/') n = u64(x) / u64(y);
      else if (op === '%') n = u64(x) % u64(y);
      else if (op === '//') n = x / y;
      else n = x % y;
      break;
    case '<<':
    case '<<<': n = x << (y & 63n); break; // x86 masks the count, and NASM inherits that
    case '>>': n = u64(x) >> (y & 63n); break;
    case '>>>': n = x >> (y & 63n); break;
    case '&': n = x & y; break;
    case '|': n = x | y; break;
    case '^': n = x ^ y; break;
    case '=':
    case '==': n = x === y ? 1n : 0n; break;
    case '!=':
    case '<>': n = x !== y ? 1n : 0n; break;
    case '<': n = x < y ? 1n : 0n; break;
    case '<=': n = x <= y ? 1n : 0n; break;
    case '>': n = x > y ? 1n : 0n; break;
    case '>=': n = x >= y ? 1n : 0n; break;
    // NASM 2.16.01 yields 0 (not -1) when x < y; we match the reference assembler's bytes.
    case '<=>': n = x > y ? 1n : 0n; break;
    case '&&': n = x !== 0n && y !== 0n ? 1n : 0n; break;
    case '||': n = x !== 0n || y !== 0n ? 1n : 0n; break;
    case '^^': n = (x !== 0n) !== (y !== 0n) ? 1n : 0n; break;
    default:
      throw new EvalFailure(`unknown operator \`${op}'`, col);
  }
  return { n: i64(n), seg: null, unknown };
}
