/**
 * The committed grammar is the generator's output, and what it says agrees with its
 * sources: every mnemonic the assembler accepts gets an instruction scope in instruction
 * position, that scope follows the opcode table's privilege attributes, the VMX names are
 * VM-exit reasons, the preprocessor directives are the assembler's, and the lines of the
 * example kernels tokenize without invalid scopes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grammarText } from '../../scripts/generate-grammar';
import { classifyAll, VMX_MNEMONICS } from '../../scripts/grammar/instruction-groups';
import { preprocessorDirectives } from '../../scripts/grammar/assembler-lists';
import { allMnemonics, formsOf } from '../../emulator/asm/insn-table';
import { assemble } from '../../emulator/asm/index';
import { allEntries } from '../../emulator/cpu/decoder/opcode-table';
import { Attr } from '../../emulator/cpu/decoder/types';
import { ExitReason } from '../../emulator/arch/vmx-exit-reasons';
import { GRAMMAR_FILE, scopeOf, tokenizeLine, tokenizeLines } from './tokenize';

const last = (scopes: string[]) => scopes[scopes.length - 1]!;

describe('generated grammar', () => {
  it('the committed syntaxes/vanderpool-asm.tmLanguage.json equals the output of npm run grammar', () => {
    expect(readFileSync(GRAMMAR_FILE, 'utf8')).toBe(grammarText());
  });

  it('every mnemonic the assembler accepts gets a keyword.mnemonic scope in instruction position', async () => {
    const missing: string[] = [];
    for (const mn of allMnemonics()) {
      const toks = await tokenizeLine(`        ${mn}`);
      const scope = scopeOf(toks, mn);
      if (!scope?.startsWith('keyword.mnemonic.')) missing.push(`${mn}: ${scope}`);
    }
    expect(missing).toEqual([]);
    expect(allMnemonics().length).toBeGreaterThan(200);
  });

  it('a mnemonic whose every opcode-table row is CPL0, IOPL or SENSITIVE gets that group, in upper or lower case', async () => {
    const rows = new Map<string, Set<string>>();
    for (const e of allEntries()) {
      const a = e.attrs ?? 0;
      const g = a & Attr.CPL0 ? 'privileged.cpl0' : a & Attr.IOPL ? 'privileged.iopl' : a & Attr.SENSITIVE ? 'sensitive' : 'general';
      for (const m of [e.mn, e.mn16, e.mn32, e.mnAddr16, e.mnAddr32]) if (m) rows.set(m.toLowerCase(), (rows.get(m.toLowerCase()) ?? new Set()).add(g));
    }
    let checked = 0;
    const wrong: string[] = [];
    for (const [mn, groups] of rows) {
      if (groups.size !== 1 || !formsOf(mn)) continue;
      const g = [...groups][0]!;
      if (g === 'general') continue;
      for (const spelling of [mn, mn.toUpperCase()]) {
        const scope = scopeOf(await tokenizeLine(`  ${spelling}`), spelling);
        if (scope !== `keyword.mnemonic.${g}.asm`) wrong.push(`${spelling}: ${scope}, table says ${g}`);
      }
      checked++;
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('mnemonics with forms in several groups have operand-specific rules for exactly MOV, PUSH, POP, JMP and CALL', () => {
    const mixed = classifyAll().filter((c) => c.special.length > 0).map((c) => c.mnemonic);
    expect(mixed.sort()).toEqual(['call', 'jmp', 'mov', 'pop', 'push']);
  });

  it('each VMX mnemonic is the name of the VM-exit reason it causes (SDM Vol. 3C Appendix C) and is not an assembler mnemonic', async () => {
    for (const mn of VMX_MNEMONICS) {
      expect(ExitReason[mn.toUpperCase() as keyof typeof ExitReason]).toBeTypeOf('number');
      expect(formsOf(mn)).toBeUndefined();
      expect(scopeOf(await tokenizeLine(`\t${mn}`), mn)).toBe('keyword.mnemonic.vmx.asm');
    }
  });

  it('preprocessor directives in the grammar are accepted by the assembler without an unknown-directive error, and %macro/%rep/%if/%include are among them', () => {
    const { supported, unsupported } = preprocessorDirectives();
    expect(supported).toEqual(expect.arrayContaining(['%define', '%macro', '%endmacro', '%if', '%ifdef', '%elif', '%else', '%endif', '%include', '%assign', '%rep', '%endrep']));
    expect(unsupported).toEqual(expect.arrayContaining(['%use', '%local', '%arg']));
    const r = assemble('%frobnicate x\n', { fileName: 'probe.asm' });
    expect(r.errors.map((e) => e.message).join()).toMatch(/unknown preprocessor directive/);
    expect(supported).not.toContain('%frobnicate');
  });
});

describe('example kernels', () => {
  const dir = join(__dirname, '..', '..', 'examples');
  const files = [...readdirSync(dir).filter((f) => f.endsWith('.asm')).map((f) => join(dir, f)), ...readdirSync(join(dir, 'lib')).map((f) => join(dir, 'lib', f))];

  it('examples/*.asm and lib/*.inc: no invalid scope, and the first word of every instruction line is scoped as an instruction', async () => {
    const problems: string[] = [];
    let instructions = 0;
    for (const file of files) {
      const src = readFileSync(file, 'utf8');
      const lines = await tokenizeLines(src);
      src.split('\n').forEach((text, i) => {
        const toks = lines[i]!;
        for (const t of toks) if (t.scopes.some((s) => s.startsWith('invalid.'))) problems.push(`${file}:${i + 1}: ${t.text} ${last(t.scopes)}`);
        // `[label:] [prefix…] mnemonic` where mnemonic is an assembler mnemonic.
        const m = /^\s*(?:[A-Za-z_.?@%$][\w$#@~.?%]*:)?\s*(?:(?:rep|repe|repne|lock|o16|o32)\s+)*([a-z][a-z0-9]*)\b/i.exec(text.replace(/;.*$/, ''));
        if (m && formsOf(m[1]!.toLowerCase())) {
          instructions++;
          const scope = scopeOf(toks, m[1]!);
          if (!scope?.startsWith('keyword.mnemonic.')) problems.push(`${file}:${i + 1}: ${m[1]} → ${scope}`);
        }
      });
    }
    expect(problems).toEqual([]);
    expect(instructions).toBeGreaterThan(500);
  });
});
