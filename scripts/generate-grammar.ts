/**
 * Writes syntaxes/vanderpool-asm.tmLanguage.json, the TextMate grammar of guest assembly,
 * from the opcode table and the assembler (see scripts/grammar/build-grammar.ts).
 *
 * Usage: `npm run grammar` (write), `npm run grammar -- --check` (exit 1 if the committed
 * file differs from what would be written; test/grammar/generated.test.ts checks the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { buildGrammar } from './grammar/build-grammar';

/** Path of the generated grammar in the repository. */
export const GRAMMAR_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'syntaxes', 'vanderpool-asm.tmLanguage.json');

/** The grammar file's exact text (2-space JSON, final newline). */
export function grammarText(): string {
  return `${JSON.stringify(buildGrammar(), null, 2)}\n`;
}

function main(argv: string[]): number {
  const text = grammarText();
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(GRAMMAR_PATH, 'utf8');
    } catch {
      // Missing file: reported below as out of date.
    }
    if (current !== text) {
      console.error(`${GRAMMAR_PATH} is out of date: run npm run grammar`);
      return 1;
    }
    return 0;
  }
  writeFileSync(GRAMMAR_PATH, text);
  console.log(`wrote ${GRAMMAR_PATH}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(main(process.argv.slice(2)));
