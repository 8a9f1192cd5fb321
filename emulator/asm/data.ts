/**
 * Data definitions `db dw dd dq dt do` (NASM manual §3.2.1): integers little-endian in the
 * item size (with NASM's "data exceeds bounds" warning), strings padded with zeros to a
 * multiple of the size, and decimal floating-point constants in `dd`/`dq`.
 */
import type { Reloc } from './encoder';
import type { EvalResult } from './eval';
import type { Expr } from './expr';
import { encodeFloat } from './numbers';
import type { DataItem } from './statements';

export interface DataResult {
  bytes: number[];
  relocs: Reloc[];
  warnings: { col: number; message: string }[];
  error?: { col: number; message: string };
}

/** Encodes the items of one data line; never throws. */
export function encodeData(size: number, items: DataItem[], evaluate: (e: Expr) => EvalResult): DataResult {
  const out: DataResult = { bytes: [], relocs: [], warnings: [] };
  const bytes = out.bytes;
  for (const it of items) {
    if (it.k === 'str') {
      bytes.push(...it.bytes);
      const pad = (size - (it.bytes.length % size)) % size;
      for (let i = 0; i < pad; i++) bytes.push(0);
    } else if (it.k === 'float') {
      if (size !== 4 && size !== 8) {
        out.error = { col: it.col, message: size === 1 || size === 2 ? 'floating-point constant too small for this data size' : 'floating-point constants of this size are not supported' };
        return out;
      }
      bytes.push(...encodeFloat((it.negative ? '-' : '') + it.text, size));
    } else {
      if (size > 8) {
        out.error = { col: it.col, message: 'integer supplied to a DT or DO instruction' };
        return out;
      }
      const r = evaluate(it.expr);
      if (!r.ok) {
        out.error = { col: r.col, message: r.message };
        return out;
      }
      const v = r.value;
      if (v.seg === null && !v.unknown && size < 8) {
        const max = (1n << BigInt(size * 8)) - 1n;
        const min = -(1n << BigInt(size * 8 - 1));
        if (v.n > max || v.n < min) out.warnings.push({ col: it.col, message: `${['byte', 'word', '', 'dword'][size - 1]} data exceeds bounds` });
      }
      if (v.seg !== null && !v.unknown) out.relocs.push({ at: bytes.length, size, seg: v.seg });
      for (let i = 0; i < size; i++) bytes.push(Number((v.n >> BigInt(8 * i)) & 0xffn));
    }
  }
  return out;
}
