/**
 * Semantic tokens for what a TextMate grammar cannot know: which words are labels (code:
 * `function`; data: `variable`), macros (`macro`) and constants (`equ`, `%define`:
 * `variable` + `readonly`), at their definitions (`declaration`) and uses, resolved over
 * the include group. LSP's standard token types and modifiers (LSP 3.17 §semanticTokens).
 */
import { SemanticTokensBuilder, type SemanticTokens, type SemanticTokensLegend } from 'vscode-languageserver/node';
import type { Def } from './source-scan';
import type { WorkspaceIndex } from './workspace-index';

/** The semantic-token legend the server announces (indices used by the encoder below). */
export const LEGEND: SemanticTokensLegend = { tokenTypes: ['function', 'variable', 'macro'], tokenModifiers: ['declaration', 'readonly'] };
const TYPE = { function: 0, variable: 1, macro: 2 };
const MOD = { declaration: 1, readonly: 2 };

function typeOf(d: Def): { type: number; mods: number } {
  if (d.kind === 'macro') return { type: TYPE.macro, mods: 0 };
  if (d.kind === 'equ' || d.kind === 'define') return { type: TYPE.variable, mods: MOD.readonly };
  if (d.kind === 'struc') return { type: TYPE.variable, mods: MOD.readonly };
  return { type: d.data ? TYPE.variable : TYPE.function, mods: 0 };
}

/** The tokens of one file. */
export function semanticTokens(path: string, index: WorkspaceIndex): SemanticTokens {
  const scans = index.groupScans(path);
  const own = scans.find((s) => s.path === path)?.scan;
  const builder = new SemanticTokensBuilder();
  if (!own) return builder.build();
  const byName = new Map<string, Def>();
  for (const { scan } of scans) for (const d of scan.defs) if (!d.ambiguous || !byName.has(d.name)) byName.set(d.name, d);
  const macros = new Set([...byName.values()].filter((d) => d.kind === 'macro').map((d) => d.name));
  const tokens: { line: number; start: number; len: number; type: number; mods: number }[] = [];
  for (const d of own.defs) {
    if (d.ambiguous && macros.has(d.name)) continue;
    const t = typeOf(d);
    tokens.push({ line: d.line, start: d.start, len: d.end - d.start, type: t.type, mods: t.mods | MOD.declaration });
  }
  for (const r of own.refs) {
    const d = byName.get(r.name);
    if (!d) continue;
    const t = typeOf(d);
    tokens.push({ line: r.line, start: r.start, len: r.end - r.start, type: t.type, mods: t.mods });
  }
  tokens.sort((a, b) => a.line - b.line || a.start - b.start);
  for (const t of tokens) builder.push(t.line, t.start, t.len, t.type, t.mods);
  return builder.build();
}
