/**
 * Builds the TextMate grammar of guest assembly (language `vanderpool-asm`, scope
 * `source.asm.vanderpool`) from the opcode table and the assembler's own lists.
 *
 * Line model (NASM manual §3.1): `label: instruction operands ; comment`, where the
 * instruction may be preceded by `times expr` and prefixes, and may be a directive, a data
 * or reserve directive, `equ`, or a macro call; preprocessor lines start with `%name`.
 * Instruction words are recognised only in instruction position (the `\G` anchor just after
 * the label or the line start), so a label named `str` or `loop` is a label, not a mnemonic.
 *
 * Scopes: `keyword.mnemonic.<group>.asm` with group general (and `general.jcc/setcc/cmovcc`
 * for the condition-code families), `privileged.cpl0`, `privileged.iopl`, `sensitive`,
 * `vmx`, and `general.ud` for mnemonics the assembler accepts but this CPU decodes as
 * invalid (#UD); `variable.language.register.<class>.asm`; `constant.numeric.<radix>.asm`;
 * `entity.name.label[.local|.macro-local].asm` for definitions and
 * `variable.other.label[...]` for references; the rest are standard TextMate names.
 */
import { assemblerWords, preprocessorDirectives, registersByClass } from './assembler-lists';
import { classifyAll, operandSyntax, VMX_MNEMONICS, type InsnGroup, type MnemonicClass } from './instruction-groups';

type Rule = Record<string, unknown>;

/** Characters of a NASM identifier after its first (NASM manual §3.1). */
const ID_CHAR = "[\\w$#@~.?]";
/** Not preceded / followed by an identifier character. */
const B = `(?<!${ID_CHAR})`;
const E = `(?!${ID_CHAR})`;
const IDENT = "[A-Za-z_?@][\\w$#@~.?]*";
/** A label: macro-local `%%x`, special `..@x`, local `.x`, or global (an optional `$` escapes a keyword). */
const LABEL = `(%%${ID_CHAR}+)|(\\.\\.@${ID_CHAR}+)|(\\.${ID_CHAR}+)|(\\$?${IDENT})`;
const LABEL_SCOPES = ['entity.name.label.macro-local.asm', 'entity.name.label.macro-local.asm', 'entity.name.label.local.asm', 'entity.name.label.asm'];
const END = '(?=;)|$';

/** Alternation of words, longest first so that `repne` is tried before `rep`. */
function alt(words: Iterable<string>): string {
  return [...new Set(words)].sort((a, b) => b.length - a.length || a.localeCompare(b)).map((w) => w.replace(/[.$?]/g, '\\$&')).join('|');
}

const GROUP_SCOPES: Record<InsnGroup, string> = {
  general: 'keyword.mnemonic.general.asm',
  cpl0: 'keyword.mnemonic.privileged.cpl0.asm',
  iopl: 'keyword.mnemonic.privileged.iopl.asm',
  sensitive: 'keyword.mnemonic.sensitive.asm',
  'undefined-opcode': 'keyword.mnemonic.general.ud.asm',
};

/** The scope of a classified mnemonic's default group. */
export function mnemonicScope(c: Pick<MnemonicClass, 'group' | 'family'>): string {
  if (c.group === 'general' && c.family) return `keyword.mnemonic.general.${c.family}.asm`;
  return GROUP_SCOPES[c.group];
}

/** Lookahead singling out a form by operand `index` (0 or 1) matching `syntax` (one whole operand). */
function operandLookahead(index: number, syntax: string): string {
  const end = '\\s*(?:,|;|$)';
  if (index === 0) return `\\s+(?:${syntax})${end}`;
  if (index === 1) return `\\s+[^;,]*,\\s*(?:${syntax})${end}`;
  throw new Error(`generate-grammar: operand-specific form on operand ${index + 1} is not supported`);
}

/**
 * Instruction rules: operand-specific forms first, then one rule per scope. `head` is the
 * anchor text put before the prefixes (`\G\s*` in instruction position, or a word boundary
 * inside a `times` line).
 */
function instructionRules(classes: MnemonicClass[], prefixWords: string[], head: string): Rule[] {
  const syntax = operandSyntax();
  const prefixes = `((?:(?:${alt(prefixWords)})\\s+)*)`;
  const operands = { patterns: [{ include: '#operands-instruction' }] };
  const rule = (mnemonics: string, scope: string, lookahead: string): Rule => ({
    begin: `(?i)${head}${prefixes}(${mnemonics})${E}${lookahead}`,
    beginCaptures: { 1: { patterns: [{ include: '#prefix' }] }, 2: { name: scope } },
    end: END,
    ...operands,
  });
  const rules: Rule[] = [];
  const bySpecial = new Map<string, { scope: string; lookaheads: string[] }>();
  for (const c of classes) {
    const byGroup = new Map<InsnGroup, string[]>();
    for (const s of c.special) byGroup.set(s.group, [...(byGroup.get(s.group) ?? []), operandLookahead(s.index, syntax[s.syntax]!)]);
    for (const [group, lookaheads] of byGroup) bySpecial.set(`${c.mnemonic}/${group}`, { scope: GROUP_SCOPES[group], lookaheads });
  }
  for (const [key, { scope, lookaheads }] of [...bySpecial].sort(([a], [b]) => a.localeCompare(b))) {
    rules.push(rule(alt([key.split('/')[0]!]), scope, `(?=${lookaheads.join('|')})`));
  }
  const byScope = new Map<string, string[]>();
  for (const c of classes) byScope.set(mnemonicScope(c), [...(byScope.get(mnemonicScope(c)) ?? []), c.mnemonic]);
  byScope.set('keyword.mnemonic.vmx.asm', [...VMX_MNEMONICS]);
  for (const [scope, mnemonics] of [...byScope].sort(([a], [b]) => a.localeCompare(b))) rules.push(rule(alt(mnemonics), scope, ''));
  return rules;
}

/** Quoted strings; `asCharacter` scopes them as character constants (in instruction operands and expressions). */
function stringRules(asCharacter: boolean): Rule[] {
  const base = asCharacter ? 'constant.character.quoted' : 'string.quoted';
  const escape = { name: 'constant.character.escape.asm', match: '\\\\(?:[ntrabfve\\\\\'"`?]|[0-7]{1,3}|x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})' };
  return [
    { name: `${base}.single.asm`, begin: "'", end: "'|$", beginCaptures: { 0: { name: 'punctuation.definition.string.begin.asm' } }, endCaptures: { 0: { name: 'punctuation.definition.string.end.asm' } } },
    { name: `${base}.double.asm`, begin: '"', end: '"|$', beginCaptures: { 0: { name: 'punctuation.definition.string.begin.asm' } }, endCaptures: { 0: { name: 'punctuation.definition.string.end.asm' } } },
    {
      name: `${base}.backquote.asm`,
      begin: '`',
      end: '`|$',
      beginCaptures: { 0: { name: 'punctuation.definition.string.begin.asm' } },
      endCaptures: { 0: { name: 'punctuation.definition.string.end.asm' } },
      patterns: [escape, { name: 'invalid.illegal.escape.asm', match: '\\\\.' }],
    },
  ];
}

/** Numeric constants in every NASM form (manual §3.4.1, §3.4.6; emulator/asm/numbers.ts). */
function numberRules(): Rule[] {
  const n = (name: string, re: string): Rule => ({ name: `constant.numeric.${name}.asm`, match: `${B}(?:${re})${E}` });
  return [
    n('float', '[0-9][0-9_]*\\.[0-9_]*(?:[eE][+-]?[0-9]+)?|[0-9][0-9_]*[eE][+-]?[0-9]+'),
    n('hex', '0[xXhH][0-9A-Fa-f_]+|[0-9][0-9A-Fa-f_]*[hH]|\\$[0-9][0-9A-Fa-f_]*'),
    n('binary', '0[bByY][01_]+|[01][01_]*[bByY]'),
    n('octal', '0[oOqQ][0-7_]+|[0-7][0-7_]*[oOqQ]'),
    n('decimal', '0[dDtT][0-9_]+|[0-9][0-9_]*[dDtT]?'),
    { name: 'invalid.illegal.constant.numeric.asm', match: `${B}[0-9]${ID_CHAR}*` },
  ];
}

/** The grammar object (written as JSON by scripts/generate-grammar.ts). */
export function buildGrammar(): Rule {
  const words = assemblerWords();
  const pp = preprocessorDirectives();
  const classes = classifyAll();
  const regs = registersByClass();
  const prefixWords = [...words.prefixes, ...words.segmentPrefixes];
  const regScopes: [string, string][] = [
    ['r8', 'general.r8'], ['r16', 'general.r16'], ['r32', 'general.r32'],
    ['sreg', 'segment'], ['creg', 'control'], ['dreg', 'debug'], ['treg', 'test'],
  ];
  for (const cls of regs.keys()) if (!regScopes.some(([c]) => c === cls)) throw new Error(`generate-grammar: no scope for register class '${cls}'`);
  const dataHead = alt([...words.data, ...words.reserve, 'equ', 'times']);
  const nameTaking = (d: string) => /^%i?x?(define|assign|defstr|deftok)$|^%(undef|strlen|substr|strcat)$/.test(d);
  const macroTaking = (d: string) => /^%(i?macro|unmacro|unimacro)$/.test(d);
  const ppRest = [{ include: '#comment' }, { include: '#operands-instruction' }];
  const statementBody = [{ include: '#instruction-head' }, { include: '#operands-data' }];
  const ignored = classes.flatMap((c) => c.ignored);
  return {
    information_for_contributors: [
      'Generated by scripts/generate-grammar.ts (npm run grammar) from emulator/cpu/decoder/opcode-table.ts and emulator/asm; do not edit.',
      'Assembler forms that give no instruction group because this CPU decodes them otherwise:',
      ...ignored,
    ],
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'x86 Guest Assembly (NASM)',
    scopeName: 'source.asm.vanderpool',
    fileTypes: ['asm', 'nasm', 'inc'],
    patterns: [{ include: '#comment' }, { include: '#preprocessor' }, { include: '#statement' }],
    repository: {
      comment: {
        patterns: [
          { name: 'comment.line.semicolon.region.asm', match: '^\\s*(;)\\s*(?:#?(?:end)?region)\\b.*$', captures: { 1: { name: 'punctuation.definition.comment.asm' } } },
          { name: 'comment.line.semicolon.asm', match: '(;).*$', captures: { 1: { name: 'punctuation.definition.comment.asm' } } },
        ],
      },
      preprocessor: {
        patterns: [
          {
            begin: `(?i)^\\s*(${alt(pp.supported.filter(macroTaking))})\\s+(${IDENT})`,
            beginCaptures: { 1: { name: 'keyword.control.directive.preprocessor.asm' }, 2: { name: 'entity.name.function.macro.asm' } },
            end: END,
            patterns: ppRest,
          },
          {
            begin: `(?i)^\\s*(${alt(pp.supported.filter(nameTaking))})\\s+(${IDENT})`,
            beginCaptures: { 1: { name: 'keyword.control.directive.preprocessor.asm' }, 2: { name: 'entity.name.constant.preprocessor.asm' } },
            end: END,
            patterns: ppRest,
          },
          {
            begin: `(?i)^\\s*(${alt(pp.supported)})${E}`,
            beginCaptures: { 1: { name: 'keyword.control.directive.preprocessor.asm' } },
            end: END,
            patterns: [{ include: '#operands-data' }],
          },
          {
            begin: `(?i)^\\s*(${alt(pp.unsupported)})${E}`,
            beginCaptures: { 1: { name: 'invalid.deprecated.unsupported.preprocessor.asm' } },
            end: END,
            patterns: ppRest,
          },
        ],
      },
      statement: {
        patterns: [
          {
            // `label:` (any label kind) then the instruction.
            begin: `^\\s*(?:${LABEL})\\s*(:)`,
            beginCaptures: { ...Object.fromEntries(LABEL_SCOPES.map((s, i) => [i + 1, { name: s }])), 5: { name: 'punctuation.separator.label.asm' } },
            end: END,
            patterns: statementBody,
          },
          {
            // `name db …`, `name equ …`: a label without a colon before data or `equ`.
            begin: `^\\s*(?:${LABEL})(?=\\s+(?i:${dataHead})${E})`,
            beginCaptures: Object.fromEntries(LABEL_SCOPES.map((s, i) => [i + 1, { name: s }])),
            end: END,
            patterns: statementBody,
          },
          { begin: '^(?=\\s*[^\\s;])', end: END, patterns: statementBody },
        ],
      },
      'instruction-head': {
        patterns: [
          {
            begin: `(?i)\\G\\s*(\\[)\\s*(${alt(words.directives)})${E}`,
            beginCaptures: { 1: { name: 'punctuation.definition.directive.begin.asm' }, 2: { name: 'keyword.directive.asm' } },
            end: `(\\])|${END}`,
            endCaptures: { 1: { name: 'punctuation.definition.directive.end.asm' } },
            patterns: [{ include: '#operands-data' }],
          },
          {
            match: `(?i)\\G\\s*(section|segment)\\s+([^\\s;]+)`,
            captures: { 1: { name: 'keyword.directive.asm' }, 2: { name: 'entity.name.section.asm' } },
          },
          { match: `(?i)\\G\\s*(${alt(words.directives)})${E}`, captures: { 1: { name: 'keyword.directive.asm' } } },
          { match: `(?i)\\G\\s*(equ)${E}`, captures: { 1: { name: 'keyword.directive.equ.asm' } } },
          { match: `(?i)\\G\\s*(${alt(words.data)})${E}`, captures: { 1: { name: 'storage.type.data.asm' } } },
          { match: `(?i)\\G\\s*(${alt(words.reserve)})${E}`, captures: { 1: { name: 'storage.type.reserve.asm' } } },
          {
            begin: `(?i)\\G\\s*(times)${E}`,
            beginCaptures: { 1: { name: 'keyword.directive.times.asm' } },
            end: END,
            patterns: [
              { match: `(?i)${B}(${alt(words.data)})${E}`, captures: { 1: { name: 'storage.type.data.asm' } } },
              ...instructionRules(classes, prefixWords, B),
              { include: '#operands-data' },
            ],
          },
          ...instructionRules(classes, prefixWords, '\\G\\s*'),
          // A prefix on a line of its own (`rep`, `lock`).
          { match: `(?i)\\G\\s*((?:(?:${alt(prefixWords)})\\s*)+)(?=;|$)`, captures: { 1: { patterns: [{ include: '#prefix' }] } } },
          // Anything else in instruction position is a macro call (or a label without a colon).
          { match: `\\G\\s*(${IDENT})${E}`, captures: { 1: { name: 'entity.name.function.macro.call.asm' } } },
        ],
      },
      prefix: { match: `(?i)${B}(?:${alt(prefixWords)})${E}`, name: 'storage.modifier.prefix.asm' },
      'operands-instruction': { patterns: [...stringRules(true), { include: '#operand-common' }] },
      'operands-data': { patterns: [...stringRules(false), { include: '#operand-common' }] },
      'operand-common': {
        patterns: [
          ...regScopes.filter(([c]) => regs.has(c as never)).map(([cls, scope]) => ({
            name: `variable.language.register.${scope}.asm`,
            match: `(?i)${B}(?:${alt(regs.get(cls as never)!)})${E}`,
          })),
          { name: 'storage.type.size.asm', match: `(?i)${B}(?:${alt(words.sizes)})${E}` },
          { name: 'storage.modifier.operand.asm', match: `(?i)${B}(?:${alt(words.operandKeywords)})${E}` },
          { name: 'keyword.operator.word.asm', match: `(?i)${B}(?:${alt(words.expressionOperators)})${E}` },
          ...numberRules(),
          { name: 'variable.language.location.section.asm', match: `${B}\\$\\$${E}` },
          { name: 'variable.language.location.asm', match: `${B}\\$(?![\\w$#@~.?])` },
          { name: 'variable.parameter.macro.asm', match: '%(?:[+-]?[0-9]+|\\{[+-]?[0-9]+(?::[+-]?[0-9]+)?\\})' },
          { name: 'variable.other.label.macro-local.asm', match: `%%${ID_CHAR}+` },
          { name: 'variable.other.context-local.asm', match: `%\\$+${ID_CHAR}+` },
          { name: 'keyword.operator.concatenation.asm', match: '%\\+' },
          { name: 'variable.other.label.macro-local.asm', match: `${B}\\.\\.@${ID_CHAR}+` },
          { name: 'variable.other.label.local.asm', match: `${B}\\.${ID_CHAR}+` },
          { name: 'variable.other.label.asm', match: `${B}\\$?${IDENT}` },
          { name: 'punctuation.definition.memory.begin.asm', match: '\\[' },
          { name: 'punctuation.definition.memory.end.asm', match: '\\]' },
          { name: 'punctuation.separator.asm', match: ',' },
          { name: 'punctuation.section.parens.begin.asm', match: '\\(' },
          { name: 'punctuation.section.parens.end.asm', match: '\\)' },
          { name: 'punctuation.section.braces.begin.asm', match: '\\{' },
          { name: 'punctuation.section.braces.end.asm', match: '\\}' },
          { name: 'punctuation.separator.segment.asm', match: ':' },
          { name: 'keyword.operator.asm', match: '<<<|>>>|<=>|<<|>>|//|%%|==|!=|<>|<=|>=|&&|\\|\\||\\^\\^|[-+*/%&|^~!=<>?]' },
        ],
      },
    },
  };
}
