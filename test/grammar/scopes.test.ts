/**
 * Token-by-token scopes of the guest-assembly grammar on the corpus
 * test/fixtures/grammar/categories.asm: every category (instruction groups, prefixes,
 * condition-code families, directives, preprocessor, registers by class, numbers in every
 * NASM radix form, strings, labels, comments) and the negatives (a label named like a
 * mnemonic, `mov` in a string or comment, `$` alone versus `$1F`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { summary, tokenizeLines, type Tok } from './tokenize';

const CORPUS = join(__dirname, '..', 'fixtures', 'grammar', 'categories.asm');
let lines: Tok[][];
let text: string[];
beforeAll(async () => {
  const src = readFileSync(CORPUS, 'utf8');
  text = src.split('\n');
  lines = await tokenizeLines(src);
});

/** Summary (`text → innermost scope`) of the corpus line that starts with `start` (after indentation). */
function line(start: string): string[] {
  const i = text.findIndex((l) => l.trimStart().startsWith(start));
  if (i < 0) throw new Error(`corpus has no line starting with ${start}`);
  return summary(lines[i]!);
}

const GEN = 'keyword.mnemonic.general.asm';
const R32 = 'variable.language.register.general.r32.asm';
const COMMA = ', → punctuation.separator.asm';

describe('instruction groups', () => {
  it('MOV between general registers and memory is general; to or from CRn/DRn it is privileged (CPL0); to or from a segment register sensitive', () => {
    expect(line('label:')).toEqual([
      'label → entity.name.label.asm', ': → punctuation.separator.label.asm', `mov → ${GEN}`, `eax → ${R32}`, COMMA,
      '[ → punctuation.definition.memory.begin.asm', `ebx → ${R32}`, '+ → keyword.operator.asm', '4 → constant.numeric.decimal.asm',
      '] → punctuation.definition.memory.end.asm', '; → punctuation.definition.comment.asm', 'mov in a comment → comment.line.semicolon.asm',
    ]);
    expect(line('mov     cr0')).toEqual(['mov → keyword.mnemonic.privileged.cpl0.asm', 'cr0 → variable.language.register.control.asm', COMMA, `eax → ${R32}`]);
    expect(line('mov     eax, cr3')).toEqual(['mov → keyword.mnemonic.privileged.cpl0.asm', `eax → ${R32}`, COMMA, 'cr3 → variable.language.register.control.asm']);
    expect(line('mov     dr7')).toEqual(['mov → keyword.mnemonic.privileged.cpl0.asm', 'dr7 → variable.language.register.debug.asm', COMMA, `eax → ${R32}`]);
    expect(line('mov     ds')).toEqual(['mov → keyword.mnemonic.sensitive.asm', 'ds → variable.language.register.segment.asm', COMMA, 'ax → variable.language.register.general.r16.asm']);
    expect(line('mov     ax, cs')).toEqual(['mov → keyword.mnemonic.sensitive.asm', 'ax → variable.language.register.general.r16.asm', COMMA, 'cs → variable.language.register.segment.asm']);
    expect(line('MOV EAX')).toEqual(['MOV → keyword.mnemonic.privileged.cpl0.asm', `EAX → ${R32}`, COMMA, 'CR0 → variable.language.register.control.asm']);
  });

  it('PUSH CS and POP SS are sensitive, PUSH EAX general; PUSHFD and SMSW sensitive', () => {
    expect(line('push    cs')).toEqual(['push → keyword.mnemonic.sensitive.asm', 'cs → variable.language.register.segment.asm']);
    expect(line('pop     ss')).toEqual(['pop → keyword.mnemonic.sensitive.asm', 'ss → variable.language.register.segment.asm']);
    expect(line('push    eax')).toEqual([`push → ${GEN}`, `eax → ${R32}`]);
    expect(line('pushfd')).toEqual(['pushfd → keyword.mnemonic.sensitive.asm']);
    expect(line('smsw')).toEqual(['smsw → keyword.mnemonic.sensitive.asm', 'ax → variable.language.register.general.r16.asm']);
    expect(line('sgdt')[0]).toBe('sgdt → keyword.mnemonic.sensitive.asm');
  });

  it('far JMP (seg:offset or far [mem]) is sensitive, a short JMP general', () => {
    expect(line('jmp     0x08')).toEqual(['jmp → keyword.mnemonic.sensitive.asm', '0x08 → constant.numeric.hex.asm', ': → punctuation.separator.segment.asm', 'start → variable.other.label.asm']);
    expect(line('jmp     far')).toEqual([
      'jmp → keyword.mnemonic.sensitive.asm', 'far → storage.modifier.operand.asm', '[ → punctuation.definition.memory.begin.asm',
      'ptr → variable.other.label.asm', '] → punctuation.definition.memory.end.asm',
    ]);
    expect(line('jmp     short')).toEqual([`jmp → ${GEN}`, 'short → storage.modifier.operand.asm', '.x → variable.other.label.local.asm']);
  });

  it('LGDT, HLT, WBINVD are privileged (CPL0); CLI and IN privileged by IOPL; VMX instructions have their own scope; RDPMC is #UD on this CPU', () => {
    expect(line('lgdt')[0]).toBe('lgdt → keyword.mnemonic.privileged.cpl0.asm');
    expect(line('hlt')).toEqual(['hlt → keyword.mnemonic.privileged.cpl0.asm']);
    expect(line('wbinvd')).toEqual(['wbinvd → keyword.mnemonic.privileged.cpl0.asm']);
    expect(line('cli')).toEqual(['cli → keyword.mnemonic.privileged.iopl.asm']);
    expect(line('in ')).toEqual(['in → keyword.mnemonic.privileged.iopl.asm', 'al → variable.language.register.general.r8.asm', COMMA, 'dx → variable.language.register.general.r16.asm']);
    expect(line('vmxon')[0]).toBe('vmxon → keyword.mnemonic.vmx.asm');
    expect(line('vmcall')).toEqual(['vmcall → keyword.mnemonic.vmx.asm']);
    expect(line('rdpmc')).toEqual(['rdpmc → keyword.mnemonic.general.ud.asm']);
  });

  it('condition-code families: Jcc, SETcc, CMOVcc in NASM alias spellings', () => {
    expect(line('jnz')).toEqual(['jnz → keyword.mnemonic.general.jcc.asm', '.a → variable.other.label.local.asm']);
    expect(line('setc')).toEqual(['setc → keyword.mnemonic.general.setcc.asm', 'al → variable.language.register.general.r8.asm']);
    expect(line('cmovge')).toEqual(['cmovge → keyword.mnemonic.general.cmovcc.asm', `eax → ${R32}`, COMMA, `ebx → ${R32}`]);
  });

  it('prefixes REP and LOCK are scoped as prefixes before the mnemonic', () => {
    expect(line('rep')).toEqual(['rep → storage.modifier.prefix.asm', `movsb → ${GEN}`]);
    expect(line('lock')).toEqual([
      'lock → storage.modifier.prefix.asm', `add → ${GEN}`, '[ → punctuation.definition.memory.begin.asm', `eax → ${R32}`,
      '] → punctuation.definition.memory.end.asm', COMMA, `ebx → ${R32}`,
    ]);
  });
});

describe('labels', () => {
  it('global, .local, ..@ and %% macro-local label definitions and references', () => {
    expect(line('.loop:')).toEqual(['.loop → entity.name.label.local.asm', ': → punctuation.separator.label.asm', `jmp → ${GEN}`, '.loop → variable.other.label.local.asm']);
    expect(line('%%x:')).toEqual(['%%x → entity.name.label.macro-local.asm', ': → punctuation.separator.label.asm', `dec → ${GEN}`, `ecx → ${R32}`]);
    expect(line('..@7.y:')).toEqual(['..@7.y → entity.name.label.macro-local.asm', ': → punctuation.separator.label.asm', `nop → ${GEN}`]);
    expect(line('jmp     %%after')).toEqual([`jmp → ${GEN}`, '%%after → variable.other.label.macro-local.asm']);
  });

  it('a label named like a mnemonic (str:, loop:) is a label, and as an operand a label reference', () => {
    expect(line('str:').slice(0, 3)).toEqual(['str → entity.name.label.asm', ': → punctuation.separator.label.asm', 'db → storage.type.data.asm']);
    expect(line('loop:')).toEqual(['loop → entity.name.label.asm', ': → punctuation.separator.label.asm', `ret → ${GEN}`]);
    expect(line('loop    str')).toEqual([`loop → ${GEN}`, 'str → variable.other.label.asm']);
  });

  it('a label without a colon before db or equ; $name escapes a register name', () => {
    expect(line('msg')).toEqual(['msg → entity.name.label.asm', 'db → storage.type.data.asm', '" → punctuation.definition.string.begin.asm', 'hi → string.quoted.double.asm', '" → punctuation.definition.string.end.asm']);
    expect(line('len')).toEqual(['len → entity.name.label.asm', 'equ → keyword.directive.equ.asm', '$ → variable.language.location.asm', '- → keyword.operator.asm', 'msg → variable.other.label.asm']);
    expect(line('mov     ebp, $ebx')).toEqual([`mov → ${GEN}`, `ebp → ${R32}`, COMMA, '$ebx → variable.other.label.asm']);
  });
});

describe('strings, numbers, comments', () => {
  it('mov inside strings is string text; backquote strings have escapes; quotes in an instruction are character constants', () => {
    expect(line('str:').slice(3)).toEqual([
      "' → punctuation.definition.string.begin.asm", 'mov → string.quoted.single.asm', "' → punctuation.definition.string.end.asm", COMMA,
      '0 → constant.numeric.decimal.asm', COMMA, '" → punctuation.definition.string.begin.asm', 'lgdt → string.quoted.double.asm',
      '" → punctuation.definition.string.end.asm', COMMA, '` → punctuation.definition.string.begin.asm', 'a → string.quoted.backquote.asm',
      '\\n → constant.character.escape.asm', '\\x41 → constant.character.escape.asm', '` → punctuation.definition.string.end.asm',
    ]);
    expect(line("mov     eax, 'ab'")).toEqual([
      `mov → ${GEN}`, `eax → ${R32}`, COMMA, "' → punctuation.definition.string.begin.asm", 'ab → constant.character.quoted.single.asm', "' → punctuation.definition.string.end.asm",
    ]);
  });

  it('numbers in every NASM radix form; an invalid number is marked', () => {
    const scopes = line('dd').filter((t) => !t.startsWith(','));
    expect(scopes).toEqual([
      'dd → storage.type.data.asm',
      '0x1F → constant.numeric.hex.asm', '1Fh → constant.numeric.hex.asm', '0h1F → constant.numeric.hex.asm', '$1F → constant.numeric.hex.asm',
      '0b1010 → constant.numeric.binary.asm', '1010b → constant.numeric.binary.asm',
      '0o17 → constant.numeric.octal.asm', '17o → constant.numeric.octal.asm', '17q → constant.numeric.octal.asm',
      '0d99 → constant.numeric.decimal.asm', '99d → constant.numeric.decimal.asm', '1_000 → constant.numeric.decimal.asm',
      '1.5e3 → constant.numeric.float.asm', '0x1G → invalid.illegal.constant.numeric.asm',
    ]);
  });

  it('$ alone is the location counter, $$ the section start, $1F a number', () => {
    expect(line('mov     eax, $')).toEqual([`mov → ${GEN}`, `eax → ${R32}`, COMMA, '$ → variable.language.location.asm']);
    expect(line('times')).toEqual([
      'times → keyword.directive.times.asm', '510 → constant.numeric.decimal.asm', '- → keyword.operator.asm', '( → punctuation.section.parens.begin.asm',
      '$ → variable.language.location.asm', '- → keyword.operator.asm', '$$ → variable.language.location.section.asm', ') → punctuation.section.parens.end.asm',
      'db → storage.type.data.asm', '0 → constant.numeric.decimal.asm',
    ]);
  });

  it('a region comment at the start of a line is a region marker; after code it is an ordinary comment', () => {
    expect(line('; region')).toEqual(['; → punctuation.definition.comment.asm', 'region setup → comment.line.semicolon.region.asm']);
    expect(line('mov     dx').slice(-1)).toEqual(['region of nothing → comment.line.semicolon.asm']);
  });
});

describe('directives, preprocessor, registers', () => {
  it('[bits 32], section names, size keywords and segment overrides', () => {
    expect(line('[bits')).toEqual(['[ → punctuation.definition.directive.begin.asm', 'bits → keyword.directive.asm', '32 → constant.numeric.decimal.asm', '] → punctuation.definition.directive.end.asm']);
    expect(line('section')).toEqual(['section → keyword.directive.asm', '.text → entity.name.section.asm']);
    expect(line('mov     al, byte')).toEqual([
      `mov → ${GEN}`, 'al → variable.language.register.general.r8.asm', COMMA, 'byte → storage.type.size.asm', '[ → punctuation.definition.memory.begin.asm',
      'es → variable.language.register.segment.asm', ': → punctuation.separator.segment.asm', 'di → variable.language.register.general.r16.asm', '] → punctuation.definition.memory.end.asm',
    ]);
    expect(line('mov     eax, tr6').slice(-1)).toEqual(['tr6 → variable.language.register.test.asm']);
  });

  it('%macro names a macro, %define a constant, %use is recognised but unsupported; a macro call in instruction position', () => {
    expect(line('%macro')).toEqual(['%macro → keyword.control.directive.preprocessor.asm', 'check → entity.name.function.macro.asm', '2 → constant.numeric.decimal.asm']);
    expect(line('%endmacro')).toEqual(['%endmacro → keyword.control.directive.preprocessor.asm']);
    expect(line('%define')[1]).toBe('FOO → entity.name.constant.preprocessor.asm');
    expect(line('%if')).toEqual(['%if → keyword.control.directive.preprocessor.asm', 'FOO → variable.other.label.asm', '> → keyword.operator.asm', '1 → constant.numeric.decimal.asm']);
    expect(line('%use')).toEqual(['%use → invalid.deprecated.unsupported.preprocessor.asm', 'fp → variable.other.label.asm']);
    expect(line('PRINT')).toEqual(['PRINT → entity.name.function.macro.call.asm', 'msg → variable.other.label.asm', COMMA, '3 → constant.numeric.decimal.asm']);
  });
});
