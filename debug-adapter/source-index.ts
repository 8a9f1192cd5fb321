/**
 * Addresses ↔ source lines and symbols of one assembled program, from the assembler's source
 * map and symbol table (emulator/asm/index.ts `AssemblyResult`). Addresses are guest-linear
 * (the program runs where it was assembled: `org` of a flat or a.out-kludge Multiboot kernel).
 * File names are absolute host paths, as the adapter assembles with an absolute file name.
 */
import type { SourceMapEntry, SymbolInfo } from '../emulator/asm/index';

/** A source line that has code, and the guest-linear address of its first byte. */
export interface SourceLine {
  file: string;
  /** 1-based. */
  line: number;
  /** First byte of the source line's code. */
  address: number;
}

/** How far below a line without code a breakpoint may move to the next line that has code. */
const MAX_LINE_SLIDE = 40;

/** Lookups over one program's source map and symbols (see the file header); built once at launch. */
export class SourceIndex {
  /** Entries with code, sorted by address. */
  private readonly byAddress: SourceMapEntry[];
  /** file → line → first address. */
  private readonly byLine = new Map<string, Map<number, number>>();
  /** Labels sorted by address. */
  private readonly labels: SymbolInfo[];
  private readonly byName = new Map<string, SymbolInfo>();

  constructor(entries: readonly SourceMapEntry[], symbols: readonly SymbolInfo[]) {
    this.byAddress = entries.filter((e) => e.length > 0 && e.fileOffset >= 0).sort((a, b) => a.address - b.address);
    for (const e of this.byAddress) {
      let lines = this.byLine.get(e.file);
      if (!lines) this.byLine.set(e.file, (lines = new Map()));
      const prev = lines.get(e.line);
      if (prev === undefined || e.address < prev) lines.set(e.line, e.address >>> 0);
    }
    this.labels = symbols.filter((s) => s.kind === 'label').sort((a, b) => a.address - b.address);
    for (const s of symbols) this.byName.set(s.name, s);
  }

  /** The source line whose code holds `linear`, or undefined. */
  lineAt(linear: number): SourceLine | undefined {
    const a = linear >>> 0;
    const list = this.byAddress;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = list[mid];
      if (a < e.address) hi = mid - 1;
      else if (a >= e.address + e.length) lo = mid + 1;
      else return { file: e.file, line: e.line, address: e.address >>> 0 };
    }
    return undefined;
  }

  /** Whether the program has lines in `file`. */
  hasFile(file: string): boolean {
    return this.byLine.has(file);
  }

  /** The line at or below `line` (within MAX_LINE_SLIDE lines) that has code, with its first address. */
  resolveLine(file: string, line: number): SourceLine | undefined {
    const lines = this.byLine.get(file);
    if (!lines) return undefined;
    for (let l = line; l <= line + MAX_LINE_SLIDE; l++) {
      const address = lines.get(l);
      if (address !== undefined) return { file, line: l, address };
    }
    return undefined;
  }

  /** The label at or below `linear` in the same section extent, as `name` and byte offset. */
  symbolAt(linear: number): { name: string; offset: number } | undefined {
    const a = linear >>> 0;
    let best: SymbolInfo | undefined;
    for (const s of this.labels) {
      if (s.address > a) break;
      best = s;
    }
    if (!best) return undefined;
    const offset = a - best.address;
    if (best.size > 0 && offset >= best.size) return undefined;
    // Past the program's last label (usually the end of its bss) nothing is known to belong
    // to it: code paged in at 0x00400000 is not 'sysenter_stack_top+0x2d1000'.
    if (best.size === 0 && offset > 0 && best === this.labels[this.labels.length - 1]) return undefined;
    return { name: best.name, offset };
  }

  /** A symbol by exact name (labels and `equ` constants). */
  symbol(name: string): SymbolInfo | undefined {
    return this.byName.get(name);
  }

  /** Every symbol as name → value, for expressions. */
  symbolValues(): Map<string, number> {
    return new Map([...this.byName].map(([k, s]) => [k, s.address >>> 0]));
  }
}
