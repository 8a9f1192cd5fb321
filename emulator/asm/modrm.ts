/**
 * Effective-address encoding: ModRM, SIB and displacement for 16- and 32-bit addressing
 * (SDM Vol.2 §2.1.5, Tables 2-1, 2-2 and 2-3), with NASM's choices (NASM manual §3.3):
 * the first register is the base; `[r*2]` is split into `[r+r]` unless `nosplit`;
 * `[r*3]`, `[r*5]`, `[r*9]` become `[r+r*2]`, `[r+r*4]`, `[r+r*8]`; ESP is never an index;
 * a zero or byte displacement is shortened only when it is a simple (non-relocatable,
 * known) value.
 */
import type { Value } from './eval';

export interface EffectiveAddress {
  /** Address size in bits. */
  asize: 16 | 32;
  mod: number;
  rm: number;
  sib: number | null;
  dispSize: 0 | 1 | 2 | 4;
  disp: bigint;
}

const RM16: Record<string, number> = { 'bx+si': 0, 'bx+di': 1, 'bp+si': 2, 'bp+di': 3, si: 4, di: 5, bp: 6, bx: 7 };

const fitsI8 = (v: bigint) => v >= -128n && v <= 127n;

/**
 * Computes the effective address of a memory operand.
 * @param value the evaluated address expression (constant + register terms)
 * @param bits the code size (16 or 32)
 * @param dispSize `[byte …]`, `[word …]`, `[dword …]` keyword inside the brackets, in bytes
 * @param forcedAsize address size from an `a16`/`a32` prefix or a fixed-size form
 * @returns the encoding, or an error message in NASM's words.
 */
export function encodeEffectiveAddress(
  value: Value,
  bits: number,
  dispSize: number | undefined,
  nosplit: boolean,
  forcedAsize: number,
): EffectiveAddress | string {
  const regs = value.regs ?? [];
  const simple = value.seg === null && !value.unknown;
  let asize: 16 | 32;
  const widths = new Set(regs.map((t) => t.reg.cls));
  for (const w of widths) if (w !== 'r16' && w !== 'r32') return 'invalid effective address';
  if (widths.size > 1) return 'impossible combination of address sizes';
  if (widths.has('r16')) asize = 16;
  else if (widths.has('r32')) asize = 32;
  else if (forcedAsize === 16 || forcedAsize === 32) asize = forcedAsize;
  else if (dispSize === 2) asize = 16;
  else if (dispSize === 4) asize = 32;
  else asize = bits === 16 ? 16 : 32;
  if (forcedAsize && forcedAsize !== asize) return 'impossible combination of address sizes';

  if (asize === 16) {
    const disp = BigInt.asIntN(16, value.n);
    if (regs.some((t) => t.coef !== 1n)) return 'invalid effective address';
    const names = regs.map((t) => t.reg.name);
    if (names.length === 0) return { asize, mod: 0, rm: 6, sib: null, dispSize: 2, disp };
    const first = names.find((n) => n === 'bx' || n === 'bp');
    const second = names.find((n) => n === 'si' || n === 'di');
    if (names.length > 2 || (names.length === 2 && (!first || !second)) || (names.length === 1 && !first && !second)) {
      return 'invalid effective address';
    }
    const key = first && second ? `${first}+${second}` : (first ?? second)!;
    const rm = RM16[key]!;
    let mod: number;
    if (dispSize === 1) mod = 1;
    else if (dispSize === 2 || dispSize === 4) mod = 2;
    else if (disp === 0n && simple && rm !== 6) mod = 0;
    else if (simple && fitsI8(disp)) mod = 1;
    else mod = 2;
    return { asize, mod, rm, sib: null, dispSize: mod === 0 ? 0 : mod === 1 ? 1 : 2, disp };
  }

  const disp = BigInt.asIntN(32, value.n);
  let base: number | null = null;
  let index: number | null = null;
  let scale = 1n;
  if (regs.length > 2) return 'invalid effective address';
  if (regs.length === 1) {
    const { reg, coef } = regs[0]!;
    if (coef === 1n) base = reg.num;
    else if (coef === 2n && !nosplit) (base = reg.num), (index = reg.num);
    else if (coef === 2n || coef === 4n || coef === 8n) (index = reg.num), (scale = coef);
    else if (coef === 3n || coef === 5n || coef === 9n) (base = reg.num), (index = reg.num), (scale = coef - 1n);
    else return 'invalid effective address';
  } else if (regs.length === 2) {
    const a = regs[0]!;
    const b = regs[1]!;
    if (a.coef === 1n && [1n, 2n, 4n, 8n].includes(b.coef)) (base = a.reg.num), (index = b.reg.num), (scale = b.coef);
    else if (b.coef === 1n && [2n, 4n, 8n].includes(a.coef)) (base = b.reg.num), (index = a.reg.num), (scale = a.coef);
    else return 'invalid effective address';
  }
  if (index === 4) {
    if (scale === 1n && base !== 4 && base !== null) [base, index] = [index, base];
    else return 'invalid effective address';
  }
  const ss = scale === 1n ? 0 : scale === 2n ? 1 : scale === 4n ? 2 : 3;
  if (base === null) {
    if (index === null) return { asize, mod: 0, rm: 5, sib: null, dispSize: 4, disp };
    return { asize, mod: 0, rm: 4, sib: (ss << 6) | (index << 3) | 5, dispSize: 4, disp };
  }
  let mod: number;
  if (dispSize === 1) mod = 1;
  else if (dispSize === 2 || dispSize === 4) mod = 2;
  else if (disp === 0n && simple && base !== 5) mod = 0;
  else if (simple && fitsI8(disp)) mod = 1;
  else mod = 2;
  const needSib = index !== null || base === 4;
  const sib = needSib ? (ss << 6) | ((index ?? 4) << 3) | base : null;
  return { asize, mod, rm: needSib ? 4 : base, sib, dispSize: mod === 0 ? 0 : mod === 1 ? 1 : 4, disp };
}
