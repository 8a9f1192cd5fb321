/**
 * Hovers: on an instruction, its forms (opcode-table operands in SDM Appendix A notation and
 * encodings), the flags it reads and writes, its privilege, and what it does under each VMM
 * mode and ring model (emulator/vmm/instruction-fate.ts), citing the SDM page; on a register,
 * its class; on a label or `equ`, its value or address from the last assembly; on a macro or
 * `%define`, its definition.
 */
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver/node';
import { EFLAGS_AF, EFLAGS_CF, EFLAGS_DF, EFLAGS_OF, EFLAGS_PF, EFLAGS_SF, EFLAGS_ZF } from '../../emulator/arch/eflags';
import { lookupRegister } from '../../emulator/asm/registers';
import { Attr, type OpcodeEntry } from '../../emulator/cpu/decoder/types';
import { RING_MODELS } from '../../emulator/vmm/guest-vm';
import { encodingText, entriesOf, instructionFate, resolveInstruction, sdmCitation, type GuestLevel } from '../../emulator/vmm/instruction-fate';
import type { SymbolInfo } from '../../emulator/asm/index';
import type { DiagnosticsEngine } from './diagnostics';
import type { ServerSettings } from './settings';
import type { Def } from './source-scan';
import { wordAt } from './words';
import type { WorkspaceIndex } from './workspace-index';

const FLAG_NAMES: [number, string][] = [
  [EFLAGS_OF, 'OF'], [EFLAGS_SF, 'SF'], [EFLAGS_ZF, 'ZF'], [EFLAGS_AF, 'AF'], [EFLAGS_PF, 'PF'], [EFLAGS_CF, 'CF'], [EFLAGS_DF, 'DF'],
];
const flagList = (mask: number) => FLAG_NAMES.filter(([b]) => mask & b).map(([, n]) => n).join(' ');

/** Privilege of a row in our words (SDM Vol. 3A §5.9 privileged instructions, §18.5 I/O sensitivity; Robin & Irvine 2000). */
export function privilegeText(e: OpcodeEntry): string {
  const a = e.attrs ?? 0;
  if (a & Attr.CPL0) return 'privileged: CPL 0 only (#GP(0) at CPL > 0)';
  if (a & Attr.IOPL) return 'I/O-privileged: needs CPL ≤ IOPL (#GP(0) otherwise' + (e.exit === 'IO_INSTRUCTION' ? ', unless the TSS I/O bitmap allows the port)' : ')');
  if (a & Attr.SENSITIVE) return 'sensitive but unprivileged: reads or depends on privileged state without faulting (Robin & Irvine 2000)';
  return 'unprivileged';
}

function flagsText(e: OpcodeEntry): string {
  const f = e.flags;
  if (!f || (f.r === 0 && f.w === 0)) return 'none';
  const parts: string[] = [];
  if (f.r) parts.push(`reads ${flagList(f.r)}`);
  if (f.w) parts.push(`writes ${flagList(f.w)}`);
  if (f.u) parts.push(`leaves ${flagList(f.u)} undefined`);
  return parts.join('; ');
}

const formText = (e: OpcodeEntry) => `\`${e.mn}${e.ops.length ? ' ' + e.ops.join(', ') : ''}\` (${encodingText(e)})`;

/** The hover for an instruction (its line's text from the mnemonic on, e.g. 'mov cr3, eax'). */
export function instructionHover(text: string, settings: ServerSettings): string | undefined {
  const r = resolveInstruction(text);
  if (!r) return undefined;
  const e = r.entry;
  const mnemonic = text.trim().split(/\s+/)[0]!;
  const forms = entriesOf(mnemonic);
  const shown = forms.slice(0, 10).map(formText).join(' · ') + (forms.length > 10 ? ` · … (${forms.length} forms)` : '');
  const lines = [
    `**${e.mn}** — \`${text.trim()}\``,
    '',
    `This form: ${formText(e)}`,
    '',
    `All forms: ${shown}`,
    '',
    `Flags: ${flagsText(e)}`,
    '',
    `Privilege: ${privilegeText(e)}`,
    '',
    '| VMM mode | guest kernel | guest user code |',
    '| --- | --- | --- |',
  ];
  const row = (label: string, vmm: string, ringModel: (typeof RING_MODELS)[number]) => {
    const f = (cpl: GuestLevel) => instructionFate(r, { vmm, ringModel, cpl })?.text ?? '';
    const mark = settings.vmm === vmm && (vmm === 'native' || settings.ringModel === ringModel) ? ' (selected)' : '';
    lines.push(`| ${label}${mark} | ${f('kernel')} | ${f('user')} |`);
  };
  row('native', 'native', '0/1/3');
  for (const rm of RING_MODELS) row(`trap-and-emulate ${rm}`, 'trap-and-emulate', rm);
  lines.push('', `Intel SDM ${sdmCitation(e)}`);
  return lines.join('\n');
}

const REGISTER_CLASS: Record<string, string> = {
  r8: '8-bit general-purpose register',
  r16: '16-bit general-purpose register',
  r32: '32-bit general-purpose register',
  sreg: 'segment register: a visible selector plus a hidden descriptor cache (base, limit, access rights) loaded with it (SDM Vol. 3A §3.4.3)',
  creg: 'control register (SDM Vol. 3A §2.5); MOV to or from it is privileged',
  dreg: 'debug register (SDM Vol. 3B §18.2); MOV to or from it is privileged',
  treg: 'test register (386/486 only; #UD on this Pentium Pro-class model)',
};

const hex8 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

function symbolHover(def: { path: string; def: Def }, sym: SymbolInfo | undefined, index: WorkspaceIndex): string {
  const d = def.def;
  const where = `${def.path}:${d.line + 1}`;
  switch (d.kind) {
    case 'macro': {
      const body = (index.text(def.path) ?? '').split(/\r?\n/).slice(d.line, d.line + 8).join('\n');
      return `macro **${d.name}** (parameters: ${d.detail || '0'}) — defined at ${where}\n\n\`\`\`vanderpool-asm\n${body}\n\`\`\``;
    }
    case 'define':
      return `\`%define\`d **${d.name}** = \`${d.detail}\` — ${where}`;
    case 'equ':
      return `constant **${d.name}** equ \`${d.detail}\`${sym ? ` = ${sym.address} (${hex8(sym.address)})` : ''} — ${where}`;
    case 'struc':
      return `structure **${d.name}** — ${where}`;
    default:
      return `${d.data ? 'data label' : 'label'} **${d.name}**${sym ? ` at ${hex8(sym.address)}${sym.section ? ` in section ${sym.section}` : ''}, ${sym.size} bytes` : ' (not assembled yet)'} — ${where}`;
  }
}

/** Hover at `pos` in the file `path`. */
export function hoverAt(path: string, pos: Position, index: WorkspaceIndex, diagnostics: DiagnosticsEngine, settings: ServerSettings): Hover | null {
  const text = index.text(path);
  if (text === undefined) return null;
  const lineText = text.split(/\r?\n/)[pos.line] ?? '';
  const scans = index.groupScans(path);
  const scan = scans.find((s) => s.path === path)?.scan;
  const instr = scan?.instrs.find((i) => i.line === pos.line && pos.character >= i.start && pos.character <= i.end);
  if (instr) {
    const value = instructionHover(instr.text, settings);
    if (value) return { contents: { kind: MarkupKind.Markdown, value }, range: { start: { line: pos.line, character: instr.start }, end: { line: pos.line, character: instr.end } } };
  }
  const w = wordAt(lineText, pos, scan);
  if (!w) return null;
  const reg = lookupRegister(w.text);
  if (reg) return { contents: { kind: MarkupKind.Markdown, value: `**${reg.name.toUpperCase()}** — ${REGISTER_CLASS[reg.cls]} (number ${reg.num} in ModRM)` }, range: w.range };
  const defs = index.definitions(path, w.name);
  if (defs.length === 0) return null;
  let sym: SymbolInfo | undefined;
  for (const root of index.rootsOf(path)) {
    sym = diagnostics.results.get(root)?.symbols.find((s) => s.name === w.name);
    if (sym) break;
  }
  return { contents: { kind: MarkupKind.Markdown, value: symbolHover(defs[0]!, sym, index) }, range: w.range };
}
