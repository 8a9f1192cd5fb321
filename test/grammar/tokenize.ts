/**
 * Test helper: loads syntaxes/vanderpool-asm.tmLanguage.json with vscode-textmate 9 and the
 * Oniguruma regex engine (vscode-oniguruma, its onig.wasm) — the engine VS Code itself uses —
 * and tokenizes lines into (text, scopes) pairs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

const ROOT = join(__dirname, '..', '..');
export const GRAMMAR_FILE = join(ROOT, 'syntaxes', 'vanderpool-asm.tmLanguage.json');

/** One token: its text and the scopes from the root (`source.asm.vanderpool`) inward. */
export interface Tok {
  text: string;
  scopes: string[];
}

let grammarPromise: Promise<vsctm.IGrammar> | undefined;

/** Loads the committed grammar once per test file. */
export function loadGrammar(): Promise<vsctm.IGrammar> {
  grammarPromise ??= (async () => {
    const wasm = readFileSync(join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scopeName: string) =>
        scopeName === 'source.asm.vanderpool' ? vsctm.parseRawGrammar(readFileSync(GRAMMAR_FILE, 'utf8'), GRAMMAR_FILE) : null,
    });
    const g = await registry.loadGrammar('source.asm.vanderpool');
    if (!g) throw new Error(`could not load ${GRAMMAR_FILE}`);
    return g;
  })();
  return grammarPromise;
}

/** Tokenizes the lines of `text` (state carried from line to line); one array of tokens per line. */
export async function tokenizeLines(text: string): Promise<Tok[][]> {
  const g = await loadGrammar();
  let state = vsctm.INITIAL;
  const out: Tok[][] = [];
  for (const line of text.split('\n')) {
    const r = g.tokenizeLine(line, state);
    state = r.ruleStack;
    out.push(r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes })));
  }
  return out;
}

/** Tokens of one line. */
export async function tokenizeLine(line: string): Promise<Tok[]> {
  return (await tokenizeLines(line))[0]!;
}

/** The innermost scope of the token whose text is exactly `text` (the n-th such token), or undefined. */
export function scopeOf(tokens: Tok[], text: string, n = 0): string | undefined {
  const hits = tokens.filter((t) => t.text === text);
  return hits[n]?.scopes[hits[n]!.scopes.length - 1];
}

/** Tokens that are not only whitespace, as `text → innermost scope` strings, for readable assertions. */
export function summary(tokens: Tok[]): string[] {
  return tokens.filter((t) => t.text.trim() !== '').map((t) => `${t.text.trim()} → ${t.scopes[t.scopes.length - 1]}`);
}
