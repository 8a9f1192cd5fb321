/**
 * language-configuration.json: the word pattern keeps `.local`, `..@x` and `%%x` labels
 * whole, and the folding markers pair %macro/%endmacro, %if/%endif, %rep/%endrep and
 * `; region` comments (VS Code applies these regular expressions as JavaScript RegExps).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const config = JSON.parse(readFileSync(join(__dirname, '..', '..', 'language-configuration.json'), 'utf8'));

/** The word at column `col` (0-based) of `line`, as VS Code finds it with the word pattern. */
function wordAt(line: string, col: number): string | undefined {
  const re = new RegExp(config.wordPattern, 'g');
  for (const m of line.matchAll(re)) if (m.index! <= col && col < m.index! + m[0].length) return m[0];
  return undefined;
}

describe('language configuration', () => {
  it('comments with ; and brackets [], (), {}', () => {
    expect(config.comments.lineComment).toBe(';');
    expect(config.brackets).toEqual([['[', ']'], ['(', ')'], ['{', '}']]);
  });

  it('the word pattern keeps .local, ..@x, %%x labels, $$ and numbers whole', () => {
    expect(wordAt('        jmp     .loop_end', 18)).toBe('.loop_end');
    expect(wordAt('..@12.again: nop', 3)).toBe('..@12.again');
    expect(wordAt('        jmp     %%after', 20)).toBe('%%after');
    expect(wordAt('        mov     eax, 0x1F', 23)).toBe('0x1F');
    expect(wordAt('        mov     eax, kernel.stack_top', 30)).toBe('kernel.stack_top');
  });

  it('folding markers start at %macro, %if…, %rep and ; region and end at their closers', () => {
    const start = new RegExp(config.folding.markers.start);
    const end = new RegExp(config.folding.markers.end);
    for (const l of ['%macro check 2', '%imacro x 0', '%if FOO', '%ifdef BAR', '  %rep 4', '; region setup', ';#region']) expect(l).toMatch(start);
    for (const l of ['%endmacro', '%endm', '%endif', '%endrep', '; endregion', ';#endregion']) expect(l).toMatch(end);
    for (const l of ['mov eax, 1 ; region', '%define X 1', '%include "x.inc"']) {
      expect(l).not.toMatch(start);
      expect(l).not.toMatch(end);
    }
  });
});
