/**
 * Trap annotations: on every privileged or sensitive instruction (and those the VMM
 * intercepts anyway: IRET, SYSENTER, INT3/INTO/INT1), what happens to it under the selected
 * VMM mode and ring model — emulator/vmm/instruction-fate.ts — as an inlay hint at the end
 * of the line or as a code lens above it (`vanderpool.trapAnnotations`). Lines are taken as
 * guest-kernel code: the scan cannot tell kernel from user code (the hover shows both).
 */
import { InlayHintKind, type CodeLens, type InlayHint, type Range } from 'vscode-languageserver/node';
import { instructionFate, isAnnotated, resolveInstruction } from '../../emulator/vmm/instruction-fate';
import type { ServerSettings } from './settings';
import type { ScanResult } from './source-scan';

/** One trap annotation: 0-based line, the end column, the short label and the tooltip (with its SDM reference). */
export interface Annotation {
  line: number;
  /** Column where the hint goes (end of the line). */
  column: number;
  label: string;
  tooltip: string;
}

const modeLabel = (s: ServerSettings) => (s.vmm === 'native' ? 'native' : `${s.vmm} ${s.ringModel}`);

/** The annotations of a file's instruction lines within `range` (all lines when omitted). */
export function trapAnnotations(scan: ScanResult, settings: ServerSettings, range?: Range): Annotation[] {
  const out: Annotation[] = [];
  for (const i of scan.instrs) {
    if (range && (i.line < range.start.line || i.line > range.end.line)) continue;
    const r = resolveInstruction(i.text);
    if (!r || !isAnnotated(r)) continue;
    const fate = instructionFate(r, { vmm: settings.vmm, ringModel: settings.ringModel, cpl: 'kernel' });
    if (!fate) continue;
    out.push({ line: i.line, column: i.lineEnd, label: fate.text, tooltip: `${modeLabel(settings)}, guest kernel: ${fate.text}${fate.exitReason ? ` [exit reason ${fate.exitReason}]` : ''} — Intel SDM ${fate.sdm}` });
  }
  return out;
}

/** LSP inlay hints for `range`, when `vanderpool.trapAnnotations` is `inlayHints`. */
export function inlayHints(scan: ScanResult, settings: ServerSettings, range: Range): InlayHint[] {
  if (settings.trapAnnotations !== 'inlayHints') return [];
  return trapAnnotations(scan, settings, range).map((a) => ({ position: { line: a.line, character: a.column }, label: `⟵ ${a.label}`, kind: InlayHintKind.Parameter, paddingLeft: true, tooltip: a.tooltip }));
}

/** LSP code lenses (titles only, no command to run), when `vanderpool.trapAnnotations` is `codeLens`. */
export function codeLenses(scan: ScanResult, settings: ServerSettings): CodeLens[] {
  if (settings.trapAnnotations !== 'codeLens') return [];
  return trapAnnotations(scan, settings).map((a) => ({ range: { start: { line: a.line, character: 0 }, end: { line: a.line, character: a.column } }, command: { title: `${modeLabel(settings)}: ${a.label}`, command: '' } }));
}
