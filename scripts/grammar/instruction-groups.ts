/**
 * Sorts every mnemonic the assembler accepts into an instruction group for the TextMate
 * grammar — general, privileged (CPL0 / IOPL), sensitive-unprivileged — by asking the CPU's
 * opcode table, the single source of truth for instruction attributes: each assembler form
 * (emulator/asm/insn-table.ts) is turned into its opcode bytes, decoded by the CPU decoder
 * (emulator/cpu/decoder/decoder.ts), and the decoded row's `Attr` bits decide the group.
 *
 * Where the forms of one mnemonic fall into different groups (MOV to a segment register is
 * sensitive, MOV to CR0 privileged, MOV between general registers neither), the forms whose
 * operands name a specific register class or syntax (`sreg`, `creg`, `dreg`, `cs`, `far` …)
 * become operand-specific rules; the remaining forms give the mnemonic's default group.
 *
 * VMX instructions are neither in the opcode table nor in the assembler (this is a
 * Pentium Pro/II-class CPU without VMX); they are a named list, cross-checked against the
 * VM-exit reasons they cause (emulator/arch/vmx-exit-reasons.ts).
 *
 * @see Intel SDM Vol. 2D Appendix A (opcode maps); Vol. 3C Chapter 31 "VMX Instruction Reference".
 */
import { allMnemonics, formsOf, type Form } from '../../emulator/asm/insn-table';
import { allRegisters, type RegClass } from '../../emulator/asm/registers';
import { decode } from '../../emulator/cpu/decoder/decoder';
import { Attr, type OpcodeEntry } from '../../emulator/cpu/decoder/types';

/** Instruction groups, each with its own TextMate scope. */
export type InsnGroup = 'general' | 'cpl0' | 'iopl' | 'sensitive' | 'undefined-opcode';

/** The condition-code families (SDM Vol. 2 pages "Jcc", "SETcc", "CMOVcc"), by the SDM page the opcode table cites. */
export type CcFamily = 'jcc' | 'setcc' | 'cmovcc';

/** What the classification found for one assembler mnemonic. */
export interface MnemonicClass {
  /** Lower case, as the assembler spells it. */
  mnemonic: string;
  /** Group of the forms whose operands are generic (registers, memory, immediates). */
  group: InsnGroup;
  /** Set when the decoded row is a Jcc/SETcc/CMOVcc page. */
  family?: CcFamily;
  /** Forms whose group differs from `group`, with the operand that singles them out. */
  special: SpecialForm[];
  /** Forms that decode to nothing or to another instruction on this CPU, with why. */
  ignored: string[];
}

/** A form picked out by one operand: operand `index` (0 = first) matches `syntax`. */
export interface SpecialForm {
  group: InsnGroup;
  index: number;
  /** An operand syntax key of OPERAND_SYNTAX. */
  syntax: string;
}

/**
 * VMX instructions (SDM Vol. 3C §31.3 "VMX Instructions", one page each: INVEPT, INVVPID,
 * VMCALL, VMCLEAR, VMFUNC, VMLAUNCH, VMPTRLD, VMPTRST, VMREAD, VMRESUME, VMWRITE, VMXOFF,
 * VMXON). Each is also the name of the basic exit reason it causes in VMX non-root
 * operation (Vol. 3C Appendix C) — the grammar test checks that.
 */
export const VMX_MNEMONICS = ['invept', 'invvpid', 'vmcall', 'vmclear', 'vmfunc', 'vmlaunch', 'vmptrld', 'vmptrst', 'vmread', 'vmresume', 'vmwrite', 'vmxoff', 'vmxon'] as const;

const CC_PAGES: Record<string, CcFamily> = { Jcc: 'jcc', SETcc: 'setcc', CMOVcc: 'cmovcc' };

/** Register classes of the assembler that single out a form (insn-table.ts DSL names). */
const CLASS_PATTERNS: Record<string, RegClass> = { sreg: 'sreg', creg: 'creg', dreg: 'dreg', treg: 'treg' };

/**
 * Source syntax of the operand patterns that single out a form, as regular-expression
 * fragments matching one whole operand (insn-table.ts header: `far` is a `seg:offset`
 * pointer, `mfar` a memory operand with `far`). Register classes and fixed register names
 * are filled in from the assembler's register list.
 */
export function operandSyntax(): Record<string, string> {
  const byClass = new Map<RegClass, string[]>();
  for (const r of allRegisters()) byClass.set(r.cls, [...(byClass.get(r.cls) ?? []), r.name]);
  const out: Record<string, string> = {
    // A `seg:offset` immediate: a colon before any bracket, comma or comment.
    far: '(?:(?:word|dword)\\s+)?[^\\[\\];,:]+:[^\\[\\];,]+',
    mfar: 'far\\s+(?:(?:word|dword)\\s+)?\\[[^\\];]*\\]',
  };
  for (const [pattern, cls] of Object.entries(CLASS_PATTERNS)) out[pattern] = `(?:${byClass.get(cls)!.join('|')})`;
  for (const r of byClass.get('sreg') ?? []) out[r.toLowerCase()] = r;
  return out;
}

function groupOf(e: OpcodeEntry): InsnGroup {
  const a = e.attrs ?? 0;
  if (a & Attr.CPL0) return 'cpl0';
  if (a & Attr.IOPL) return 'iopl';
  if (a & Attr.SENSITIVE) return 'sensitive';
  return 'general';
}

/** Bytes taken by the immediate-like encodings of a form (insn-table.ts DSL), for `code32` decoding. */
function immBytes(f: Form, code32: boolean): number {
  const v = code32 ? 4 : 2;
  let n = 0;
  for (const imm of f.imms) {
    if (imm === 'ib' || imm === 'ibs' || imm === 'rel8') n += 1;
    else if (imm === 'iw') n += 2;
    else if (imm === 'id') n += 4;
    else if (imm === 'iv' || imm === 'relv') n += v;
    else if (imm === 'ptrv') n += v + 2;
    else if (imm === 'ov') n += v;
    else throw new Error(`generate-grammar: unknown immediate encoding '${imm}' in a form of '${f.mnemonic}' (emulator/asm/insn-table.ts)`);
  }
  return n;
}

/**
 * Decodes one assembler form with the CPU decoder.
 * @returns the opcode-table row, or a reason why the form is not that instruction on this CPU
 */
function decodeForm(f: Form): OpcodeEntry | string {
  const code32 = f.osize !== 16;
  const bytes = [...f.opcode];
  if (f.modrm !== null) {
    // ModRM.mod = 0, r/m = 0 ([eax] or [bx+si], no displacement) when the form takes memory.
    const mem = f.ops.some((o) => /^(m|rm)/.test(o));
    bytes.push(((mem ? 0 : 3) << 6) | ((f.modrm === 'r' ? 0 : f.modrm) << 3));
  }
  const expected = bytes.length + immBytes(f, code32);
  const insn = decode({ byte: (k) => (k < bytes.length ? bytes[k]! : 0) }, code32);
  if (!insn.entry) return `not an instruction of this CPU (${insn.invalid})`;
  if (insn.len !== expected) return `decodes as ${insn.entry.mn}, a different instruction, on this CPU`;
  return insn.entry;
}

/** Classifies one assembler mnemonic (lower case). Throws if a form cannot be told apart by its operands. */
export function classifyMnemonic(mnemonic: string): MnemonicClass {
  const forms = formsOf(mnemonic);
  if (!forms) throw new Error(`generate-grammar: '${mnemonic}' is not an assembler mnemonic`);
  const syntax = operandSyntax();
  const generic = new Set<InsnGroup>();
  const special: SpecialForm[] = [];
  const ignored: string[] = [];
  let family: CcFamily | undefined;
  for (const f of forms) {
    const e = decodeForm(f);
    if (typeof e === 'string') {
      ignored.push(`${mnemonic}${f.ops.length ? ` ${f.ops.join(',')}` : ''}: ${e}`);
      continue;
    }
    family ??= e.sdm ? CC_PAGES[e.sdm] : undefined;
    const group = groupOf(e);
    const index = f.ops.findIndex((o) => syntax[o] !== undefined);
    if (index < 0) generic.add(group);
    else special.push({ group, index, syntax: f.ops[index]! });
  }
  if (generic.size > 1) {
    throw new Error(`generate-grammar: forms of '${mnemonic}' with generic operands fall into groups ${[...generic].join(', ')}; add an operand syntax that tells them apart`);
  }
  const specialGroups = new Set(special.map((s) => s.group));
  // Without generic forms (e.g. PUSH CS alone), the special forms' single group is the default.
  const group: InsnGroup = generic.size === 1 ? [...generic][0]! : specialGroups.size === 1 ? [...specialGroups][0]! : special.length === 0 ? 'undefined-opcode' : 'general';
  if (generic.size === 0 && specialGroups.size > 1) {
    throw new Error(`generate-grammar: '${mnemonic}' has only operand-specific forms, in groups ${[...specialGroups].join(', ')}`);
  }
  const kept = special.filter((s) => s.group !== group);
  const dedup = new Map(kept.map((s) => [`${s.group}/${s.index}/${s.syntax}`, s]));
  return { mnemonic, group, family, special: [...dedup.values()], ignored };
}

/** Every assembler mnemonic, classified (sorted by name). */
export function classifyAll(): MnemonicClass[] {
  return allMnemonics().map(classifyMnemonic);
}
