/**
 * Completion: mnemonics (the assembler's, with the opcode table's privilege and the selected
 * mode's fate as detail), registers, directives (assembler and preprocessor), and the symbols
 * of the file's include group — labels (local ones of the enclosing label when the word
 * starts with '.'), macros, `equ`s and `%define`s.
 */
import { CompletionItemKind, type CompletionItem, type Position } from 'vscode-languageserver/node';
import { allMnemonics } from '../../emulator/asm/insn-table';
import { allRegisters } from '../../emulator/asm/registers';
import { DATA_SIZES, DIRECTIVES, RES_SIZES } from '../../emulator/asm/statements';
import { instructionFate, resolveInstruction } from '../../emulator/vmm/instruction-fate';
import type { ServerSettings } from './settings';
import { parentAt } from './words';
import type { WorkspaceIndex } from './workspace-index';

/** Preprocessor directives the assembler implements (emulator/asm/preprocessor.ts). */
const PP_DIRECTIVES = [
  '%define', '%xdefine', '%idefine', '%ixdefine', '%undef', '%assign', '%iassign', '%macro', '%imacro', '%endmacro', '%unmacro',
  '%rep', '%endrep', '%exitrep', '%exitmacro', '%rotate', '%include', '%if', '%ifdef', '%ifndef', '%ifmacro', '%ifidn', '%ifidni',
  '%elif', '%else', '%endif', '%error', '%warning', '%fatal', '%push', '%pop', '%repl', '%strlen', '%substr',
];

function staticItems(settings: ServerSettings): CompletionItem[] {
  const items: CompletionItem[] = [];
  for (const mn of allMnemonics()) {
    const fate = resolveInstruction(mn) ? instructionFate(mn, { vmm: settings.vmm, ringModel: settings.ringModel, cpl: 'kernel' }) : undefined;
    items.push({ label: mn, kind: CompletionItemKind.Keyword, detail: fate ? `${settings.vmm}: ${fate.text}` : 'instruction' });
  }
  for (const r of allRegisters()) items.push({ label: r.name, kind: CompletionItemKind.Variable, detail: `register (${r.cls})` });
  for (const d of [...DIRECTIVES, ...Object.keys(DATA_SIZES), ...Object.keys(RES_SIZES), 'equ', 'times']) items.push({ label: d, kind: CompletionItemKind.Keyword, detail: 'directive' });
  for (const d of PP_DIRECTIVES) items.push({ label: d, kind: CompletionItemKind.Keyword, detail: 'preprocessor directive', filterText: d, insertText: d });
  return items;
}

let cache: { key: string; items: CompletionItem[] } | null = null;

/** Completion items at `pos` in `path`. */
export function completionAt(path: string, pos: Position, index: WorkspaceIndex, settings: ServerSettings): CompletionItem[] {
  const key = `${settings.vmm} ${settings.ringModel}`;
  if (!cache || cache.key !== key) cache = { key, items: staticItems(settings) };
  const line = (index.text(path)?.split(/\r?\n/)[pos.line] ?? '').slice(0, pos.character);
  const prefix = /[A-Za-z_.?@$%][A-Za-z0-9_$#@~.?]*$/.exec(line)?.[0] ?? '';
  const scans = index.groupScans(path);
  const own = scans.find((s) => s.path === path)?.scan;
  const parent = own ? parentAt(pos.line, own) : '';
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  for (const { scan } of scans) {
    for (const d of scan.defs) {
      if (d.ambiguous) continue;
      let label = d.name;
      if (d.parent !== undefined) {
        // Local labels: offered as `.x` inside their own label, else by their full name.
        if (d.parent === parent && prefix.startsWith('.')) label = d.name.slice(d.parent.length);
      }
      if (seen.has(label)) continue;
      seen.add(label);
      const kind = d.kind === 'macro' ? CompletionItemKind.Function : d.kind === 'label' ? (d.data ? CompletionItemKind.Variable : CompletionItemKind.Reference) : CompletionItemKind.Constant;
      items.push({ label, kind, detail: `${d.kind}${d.detail ? ' ' + d.detail : ''}` });
    }
  }
  if (prefix.startsWith('.')) return items.filter((i) => i.label.startsWith('.'));
  if (prefix.startsWith('%')) return cache.items.filter((i) => i.label.startsWith('%'));
  return [...items, ...cache.items];
}
