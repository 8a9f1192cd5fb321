/**
 * Source map and symbol table built from the final assembly pass.
 *
 * The source map relates each emitted byte range to the line that produced it: file,
 * line and column; for macro-expanded lines also the chain of invocation sites
 * (`expansion`, innermost first), so a debugger can show either the macro body or the
 * line that invoked it.
 */
import type { AssembledProgram } from './assembler';
import type { SourcePosition } from './diagnostics';

export interface SourceMapEntry {
  /** Address of the first byte (section vstart + offset, i.e. what `$` was). */
  address: number;
  /** Offset of the first byte in the output file, or -1 for NOBITS sections. */
  fileOffset: number;
  length: number;
  section: string;
  file: string;
  line: number;
  column: number;
  /** For macro-expanded lines: invocation sites, innermost first. */
  expansion?: SourcePosition[];
}

export interface SourceMap {
  entries: SourceMapEntry[];
}

export interface SymbolInfo {
  name: string;
  address: number;
  /** Bytes up to the next label in the same section (or the section end); 0 for constants. */
  size: number;
  /** Section name, or null for absolute symbols (`equ`, struc fields). */
  section: string | null;
  kind: 'label' | 'equ';
  file: string;
  line: number;
}

const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));

/** Byte ranges to source positions, in emission order (zero-length lines omitted). */
export function buildSourceMap(p: AssembledProgram): SourceMap {
  const entries: SourceMapEntry[] = [];
  for (const e of p.emissions) {
    if (e.length === 0) continue;
    const s = p.sections[e.section];
    if (!s) continue;
    const entry: SourceMapEntry = {
      address: u32(s.vstart + BigInt(e.offset)),
      fileOffset: s.attrs.progbits ? Number(s.start - p.org) + e.offset : -1,
      length: e.length,
      section: s.name,
      file: e.origin.file,
      line: e.origin.line,
      column: e.column,
    };
    if (e.origin.expansion) entry.expansion = e.origin.expansion;
    entries.push(entry);
  }
  return { entries };
}

/** Labels and constants with address, size and section, sorted by address then name. */
export function buildSymbolTable(p: AssembledProgram): SymbolInfo[] {
  const out: SymbolInfo[] = [];
  const labelsBySection = new Map<number, { name: string; offset: number }[]>();
  for (const d of p.symbols.values()) {
    if (d.kind === 'label' && d.section !== null) {
      const list = labelsBySection.get(d.section) ?? [];
      list.push({ name: d.name, offset: d.offset });
      labelsBySection.set(d.section, list);
    }
  }
  const sizes = new Map<string, number>();
  for (const [secIndex, list] of labelsBySection) {
    list.sort((a, b) => a.offset - b.offset);
    const end = p.sections[secIndex]?.size ?? 0;
    for (let i = 0; i < list.length; i++) {
      let next = end;
      for (let j = i + 1; j < list.length; j++) {
        if (list[j]!.offset > list[i]!.offset) {
          next = list[j]!.offset;
          break;
        }
      }
      sizes.set(list[i]!.name, Math.max(0, next - list[i]!.offset));
    }
  }
  for (const d of p.symbols.values()) {
    const s = d.section !== null ? p.sections[d.section] : undefined;
    const address = s && d.kind === 'label' ? u32(s.vstart + BigInt(d.offset)) : u32(d.value);
    out.push({
      name: d.name,
      address,
      size: sizes.get(d.name) ?? 0,
      section: s ? s.name : null,
      kind: d.kind,
      file: d.origin.file,
      line: d.origin.line,
    });
  }
  out.sort((a, b) => a.address - b.address || a.name.localeCompare(b.name));
  return out;
}
