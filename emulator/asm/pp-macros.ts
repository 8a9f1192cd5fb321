/**
 * Macro definitions and their expansion (NASM manual §4.1 single-line macros, §4.3
 * multi-line macros): `%define` bodies with parameters, expanded recursively with each
 * macro disabled inside its own expansion; `%macro` parameter ranges, defaults, greedy
 * last parameter, and the body substitutions `%0`, `%1…`, `%{n}`, `%{a:b}`, `%%local`, `%+`.
 */
import type { SourcePosition } from './diagnostics';
import { ppTokenize, splitArgs } from './pp-tokens';

export interface SingleLineMacro {
  params: string[] | null;
  body: string;
  caseless: boolean;
}

export interface MultiLineMacro {
  name: string;
  min: number;
  max: number; // Infinity for `*`
  greedy: boolean;
  defaults: string[];
  caseless: boolean;
  body: { text: string; file: string; line: number }[];
}

/** The state of one multi-line macro expansion. */
export interface MacroCall {
  macro: MultiLineMacro;
  params: string[];
  /** Rotation applied by %rotate. */
  rotate: number;
  /** Unique number for %%labels (`..@N.name`). */
  id: number;
  site: SourcePosition;
  label: string;
}

const MAX_DEPTH = 64;
const MAX_LENGTH = 1 << 20;

/** Single-line macro table with NASM's case rules (`%define` exact, `%idefine` caseless). */
export class MacroTable {
  private readonly exact = new Map<string, SingleLineMacro[]>();
  private readonly caseless = new Map<string, SingleLineMacro[]>();
  size = 0;

  define(name: string, m: SingleLineMacro): void {
    const map = m.caseless ? this.caseless : this.exact;
    const key = m.caseless ? name.toLowerCase() : name;
    const list = (map.get(key) ?? []).filter((x) => (x.params?.length ?? -1) !== (m.params?.length ?? -1));
    list.push(m);
    map.set(key, list);
    this.size++;
  }

  undef(name: string): void {
    this.exact.delete(name);
    this.caseless.delete(name.toLowerCase());
  }

  get(name: string): SingleLineMacro[] | undefined {
    return this.exact.get(name) ?? this.caseless.get(name.toLowerCase());
  }
}

/**
 * Expands single-line macros in `text`.
 * @param dynamic values of built-ins such as `__LINE__`
 * @returns the expanded text, or an error message when expansion recursed too deeply.
 */
export function expandSingleLine(text: string, table: MacroTable, dynamic: (name: string) => string | undefined): { text: string; error?: string } {
  let error: string | undefined;
  const run = (src: string, depth: number, disabled: Set<string>): string => {
    if (depth > MAX_DEPTH) {
      error ??= 'macro expansion nested too deeply';
      return src;
    }
    const toks = ppTokenize(src);
    let out = '';
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (out.length > MAX_LENGTH) {
        error ??= 'macro expansion too long';
        return out;
      }
      if (t.kind === 'comment') {
        out += t.text;
        break;
      }
      if (t.kind !== 'id' || disabled.has(t.text)) {
        out += t.text;
        continue;
      }
      const dyn = dynamic(t.text);
      if (dyn !== undefined) {
        out += dyn;
        continue;
      }
      const cands = table.get(t.text);
      if (!cands) {
        out += t.text;
        continue;
      }
      let j = i + 1;
      while (toks[j]?.kind === 'ws') j++;
      const withParams = cands.filter((c) => c.params !== null);
      if (withParams.length > 0 && toks[j]?.text === '(') {
        // Collect the parenthesised argument text.
        let depthP = 0;
        let k = j;
        let argText = '';
        for (; k < toks.length; k++) {
          const u = toks[k]!;
          if (u.text === '(') depthP++;
          if (u.text === ')') depthP--;
          if (depthP === 0) break;
          if (!(k === j)) argText += u.text;
        }
        if (k < toks.length) {
          const args = argText.trim() === '' ? [] : splitArgs(argText);
          const m = withParams.find((c) => c.params!.length === args.length);
          if (m) {
            const sub = substituteSmacroParams(m.body, m.params!, args);
            const inner = new Set(disabled);
            inner.add(t.text);
            out += run(sub, depth + 1, inner);
            i = k;
            continue;
          }
        }
      }
      const plain = cands.find((c) => c.params === null);
      if (plain) {
        const inner = new Set(disabled);
        inner.add(t.text);
        out += run(plain.body, depth + 1, inner);
        continue;
      }
      out += t.text;
    }
    return out;
  };
  const result = run(text, 0, new Set());
  return error ? { text: result, error } : { text: result };
}

function substituteSmacroParams(body: string, params: string[], args: string[]): string {
  return ppTokenize(body)
    .map((t) => {
      if (t.kind !== 'id') return t.text;
      const idx = params.indexOf(t.text);
      return idx >= 0 ? args[idx]! : t.text;
    })
    .join('');
}

/** Parses `%macro name n[-m|-*][+] [.nolist] defaults…`. */
export function parseMacroHeader(rest: string, caseless: boolean): MultiLineMacro | string {
  const m = /^\s*([^\s]+)\s+(\d+)(?:-(\d+|\*))?(\+)?(?:\s+\.nolist)?\s*(.*)$/i.exec(rest);
  if (!m) {
    const nameOnly = /^\s*([^\s]+)\s*$/.exec(rest);
    if (nameOnly) return `\`%macro' expects a parameter count after the macro name`;
    return '`%macro\' expects a macro name';
  }
  const min = Number(m[2]);
  const max = m[3] === '*' ? Infinity : m[3] !== undefined ? Number(m[3]) : min;
  if (max < min) return 'minimum parameter count exceeds maximum';
  const defaults = m[5] ? splitArgs(m[5]) : [];
  return { name: m[1]!, min, max, greedy: !!m[4], defaults, caseless, body: [] };
}

/** Binds call arguments to a macro's parameters, applying defaults; null if the count does not fit. */
export function bindArgs(macro: MultiLineMacro, argText: string): string[] | null {
  const trimmed = argText.trim();
  // With `+`, the last parameter takes the rest of the line, commas included.
  const greedyFrom = macro.greedy ? (macro.max === Infinity ? macro.min : macro.max) - 1 : undefined;
  const args = trimmed === '' ? [] : splitArgs(trimmed, greedyFrom);
  if (args.length < macro.min) return null;
  if (args.length > macro.max) return null;
  const out = args.slice();
  if (macro.max !== Infinity) {
    for (let i = out.length; i < macro.max; i++) {
      const d = macro.defaults[i - macro.min];
      if (d === undefined) break;
      out.push(d);
    }
  }
  return out;
}

/** Substitutes `%0`, `%N`, `%{N}`, `%{A:B}`, `%%name`, `%00` and `%+` in one body line. */
export function substituteBody(line: string, call: MacroCall): string {
  const n = call.params.length;
  const param = (k: number): string => {
    if (k === 0) return String(n);
    if (n === 0) return '';
    const idx = (((k - 1 + call.rotate) % n) + n) % n;
    return k <= n ? call.params[idx]! : '';
  };
  const toks = ppTokenize(line);
  let out = '';
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind !== 'pct') {
      out += t.text;
      continue;
    }
    const s = t.text;
    if (s === '%+') {
      out = out.trimEnd();
      while (toks[i + 1]?.kind === 'ws') i++;
      continue;
    }
    if (s === '%00') out += call.label;
    else if (/^%[0-9]+$/.test(s)) out += param(Number(s.slice(1)));
    else if (s.startsWith('%%')) out += `..@${call.id}.${s.slice(2)}`;
    else if (s.startsWith('%{')) {
      const inner = s.slice(2, -1);
      const range = /^(-?\d+):(-?\d+)$/.exec(inner);
      if (/^-?\d+$/.test(inner)) out += param(Number(inner) < 0 ? n + 1 + Number(inner) : Number(inner));
      else if (range) {
        const a = Number(range[1]) < 0 ? n + 1 + Number(range[1]) : Number(range[1]);
        const b = Number(range[2]) < 0 ? n + 1 + Number(range[2]) : Number(range[2]);
        const parts: string[] = [];
        if (a <= b) for (let k = a; k <= b; k++) parts.push(param(k));
        else for (let k = a; k >= b; k--) parts.push(param(k));
        out += parts.join(',');
      } else out += s;
    } else out += s;
  }
  return out;
}
