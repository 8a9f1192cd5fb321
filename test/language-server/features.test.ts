import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic, DocumentSymbol, Hover, InlayHint, Location, SemanticTokens, WorkspaceEdit } from 'vscode-languageserver/node';
import { bundleServer, FIXTURES, removeBundle, startServer, uri, type ServerSession } from './lsp-harness';

/** A diagnostic's message as text (LSP 3.18 allows MarkupContent there). */
const messageText = (d: Diagnostic): string => (typeof d.message === 'string' ? d.message : d.message.value);

const KERNEL = join(FIXTURES, 'kernel.asm');
const DEFS = join(FIXTURES, 'lib', 'defs.inc');
const kernelText = readFileSync(KERNEL, 'utf8');
const lineOf = (needle: string) => kernelText.split('\n').findIndex((l) => l.includes(needle));

let dir = '';
let server = '';
let s: ServerSession;
const doc = (path: string) => ({ textDocument: { uri: uri(path) } });

beforeAll(async () => {
  ({ server, dir } = await bundleServer());
  s = await startServer(server);
  s.open(KERNEL, kernelText);
  await s.waitForDiagnostics(uri(KERNEL), () => true);
});
afterAll(async () => {
  await s?.close();
  removeBundle(dir);
});

async function hints(): Promise<InlayHint[]> {
  return s.connection.sendRequest('textDocument/inlayHint', { ...doc(KERNEL), range: { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } } });
}
const hintOn = (all: InlayHint[], needle: string) => all.find((h) => h.position.line === lineOf(needle))?.label as string | undefined;

describe('diagnostics', () => {
  it('a clean program has none; an error appears on its line as the document changes and disappears when fixed', async () => {
    expect(s.diagnostics.get(uri(KERNEL))?.diagnostics).toEqual([]);
    s.change(KERNEL, kernelText.replace('mov esp, STACK_TOP', 'mov esp, NOT_DEFINED'), 2);
    const bad = await s.waitForDiagnostics(uri(KERNEL), (p) => p.diagnostics.length > 0);
    expect(bad.diagnostics[0]!.message).toContain('NOT_DEFINED');
    expect(bad.diagnostics[0]!.range.start.line).toBe(lineOf('mov esp, STACK_TOP'));
    s.change(KERNEL, kernelText, 3);
    await s.waitForDiagnostics(uri(KERNEL), (p) => p.diagnostics.length === 0);
  });

  it('an error inside an included file is shown there and on the %include line, with related information', async () => {
    s.open(DEFS, readFileSync(DEFS, 'utf8').replace('mov al, %2', 'mov al, %2, 3, 4'));
    const inc = await s.waitForDiagnostics(uri(DEFS), (p) => p.diagnostics.length > 0);
    expect(inc.diagnostics[0]!.severity).toBe(1);
    const root = await s.waitForDiagnostics(uri(KERNEL), (p) => p.diagnostics.some((d) => messageText(d).includes('included file')));
    const site = root.diagnostics.find((d) => messageText(d).includes('included file'))!;
    expect(site.range.start.line).toBe(lineOf('%include'));
    expect(site.relatedInformation?.[0]?.location.uri).toBe(uri(DEFS));
    s.change(DEFS, readFileSync(DEFS, 'utf8'), 2);
    await s.waitForDiagnostics(uri(KERNEL), (p) => p.diagnostics.length === 0);
  });
});

describe('hover', () => {
  it('on MOV CR3 gives its form, privilege, the fate under each mode and the SDM page', async () => {
    const line = lineOf('mov cr3, eax');
    const h: Hover = await s.connection.sendRequest('textDocument/hover', { ...doc(KERNEL), position: { line, character: 5 } });
    const v = (h.contents as { value: string }).value;
    expect(v).toContain('`MOV Cd, Rd` (0F 22 /r)');
    expect(v).toContain('privileged: CPL 0 only');
    expect(v).toContain('traps → emulated (CR_ACCESS)');
    expect(v).toContain('| native | runs directly (bare machine)');
    expect(v).toContain('Intel SDM Vol. 2B MOV (control registers)');
  });

  it('the fate table has one row per mode (native, trap-and-emulate 0/1/3 and 0/3/3), each with the guest kernel and guest user code', async () => {
    const h: Hover = await s.connection.sendRequest('textDocument/hover', { ...doc(KERNEL), position: { line: lineOf('mov cr3, eax'), character: 5 } });
    const rows = (h.contents as { value: string }).value.split('\n').filter((l) => /^\| (native|trap-and-emulate)/.test(l));
    const user = 'faults in the guest (#GP(0) to its kernel\'s handler), as on bare hardware (reflected: EXCEPTION_NMI)';
    expect(rows).toEqual([
      '| native | runs directly (bare machine) | #GP(0) at CPL 3 — the guest kernel’s handler runs |',
      `| trap-and-emulate 0/1/3 (selected) | traps → emulated (CR_ACCESS) | ${user} |`,
      `| trap-and-emulate 0/3/3 | traps → emulated (CR_ACCESS) | ${user} |`,
    ]);
    const popf: Hover = await s.connection.sendRequest('textDocument/hover', { ...doc(KERNEL), position: { line: lineOf('popf'), character: 5 } });
    const popfRows = (popf.contents as { value: string }).value.split('\n').filter((l) => /^\| trap-and-emulate/.test(l));
    expect(popfRows[0]).toContain('| silently keeps IF at CPL 1 — virtualization hole |');
    expect(popfRows[1]).toContain('| silently keeps IF at CPL 3 — virtualization hole |');
  });

  it('on a label gives its address from the assembly; on a register its class; on a macro its definition', async () => {
    const call = lineOf('call start');
    const label: Hover = await s.connection.sendRequest('textDocument/hover', { ...doc(KERNEL), position: { line: call, character: kernelText.split('\n')[call]!.indexOf('start') + 1 } });
    expect((label.contents as { value: string }).value).toMatch(/label \*\*start\*\* at 0x00100000 in section \.text/);
    const reg: Hover = await s.connection.sendRequest('textDocument/hover', { ...doc(KERNEL), position: { line: lineOf('mov cr3, eax'), character: 9 } });
    expect((reg.contents as { value: string }).value).toContain('control register');
    const mac: Hover = await s.connection.sendRequest('textDocument/hover', { ...doc(KERNEL), position: { line: lineOf('outb COM1'), character: 6 } });
    expect((mac.contents as { value: string }).value).toContain('macro **outb** (parameters: 2)');
  });
});

describe('completion', () => {
  it('offers mnemonics with their fate, registers, directives, labels, macros and equs; local labels after a dot', async () => {
    const items: { label: string; detail?: string }[] = await s.connection.sendRequest('textDocument/completion', { ...doc(KERNEL), position: { line: lineOf('hlt'), character: 4 } });
    const labels = new Set(items.map((i) => i.label));
    for (const l of ['mov', 'lgdt', 'eax', 'cr3', 'section', '%macro', 'start', 'helper', 'outb', 'COM1', 'STACK_TOP', 'gdt_copy']) expect(labels, l).toContain(l);
    expect(items.find((i) => i.label === 'lgdt')?.detail).toBe('trap-and-emulate: traps → emulated (GDTR_IDTR_ACCESS)');
    const spin = lineOf('jmp .spin');
    const local: { label: string }[] = await s.connection.sendRequest('textDocument/completion', { ...doc(KERNEL), position: { line: spin, character: kernelText.split('\n')[spin]!.indexOf('.spin') + 1 } });
    expect(local.map((i) => i.label)).toContain('.spin');
  });
});

describe('navigation across %include', () => {
  const comLine = () => lineOf('outb COM1');
  const comPos = () => ({ line: comLine(), character: kernelText.split('\n')[comLine()]!.indexOf('COM1') + 1 });

  it('go to definition of an equ lands in the included file', async () => {
    const locs: Location[] = await s.connection.sendRequest('textDocument/definition', { ...doc(KERNEL), position: comPos() });
    expect(locs).toEqual([{ uri: uri(DEFS), range: { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } } }]);
  });

  it('references of a macro span both files; local labels resolve to their own scope', async () => {
    const refs: Location[] = await s.connection.sendRequest('textDocument/references', { ...doc(KERNEL), position: { line: comLine(), character: 5 }, context: { includeDeclaration: true } });
    expect(refs.map((r) => r.uri).sort()).toEqual([uri(KERNEL), uri(DEFS)].sort());
    const spin = lineOf('jmp .spin');
    const local: Location[] = await s.connection.sendRequest('textDocument/references', { ...doc(KERNEL), position: { line: spin, character: kernelText.split('\n')[spin]!.indexOf('.spin') + 1 }, context: { includeDeclaration: true } });
    expect(local.map((l) => l.range.start.line).sort((a, b) => a - b)).toEqual([lineOf('.spin:'), spin]);
  });

  it('rename of an equ edits the definition in the include and the use in the program', async () => {
    const edit: WorkspaceEdit = await s.connection.sendRequest('textDocument/rename', { ...doc(KERNEL), position: comPos(), newName: 'UART0' });
    expect(edit.changes?.[uri(DEFS)]?.map((e) => e.newText)).toEqual(['UART0']);
    expect(edit.changes?.[uri(KERNEL)]?.map((e) => [e.range.start.line, e.newText])).toEqual([[comLine(), 'UART0']]);
  });
});

describe('symbols, folding, semantic tokens', () => {
  it('the outline has sections holding labels, local labels under their label', async () => {
    const syms: DocumentSymbol[] = await s.connection.sendRequest('textDocument/documentSymbol', doc(KERNEL));
    const text = syms.find((x) => x.name === '.text')!;
    expect(text.children?.map((c) => c.name)).toEqual(['start', 'helper']);
    expect(text.children?.[0]?.children?.map((c) => c.name)).toEqual(['.spin']);
    expect(syms.find((x) => x.name === '.data')?.children?.map((c) => c.name)).toEqual(['gdt_copy']);
  });

  it('workspace symbols find definitions in files that are not open', async () => {
    const found: { name: string; location: Location }[] = await s.connection.sendRequest('workspace/symbol', { query: 'out' });
    expect(found.map((f) => f.name)).toContain('outb');
  });

  it('folds %macro, %if and sections', async () => {
    const folds: { startLine: number; endLine: number }[] = await s.connection.sendRequest('textDocument/foldingRange', doc(KERNEL));
    expect(folds).toContainEqual(expect.objectContaining({ startLine: lineOf('%if 1'), endLine: lineOf('%endif') }));
    expect(folds).toContainEqual(expect.objectContaining({ startLine: lineOf('section .text'), endLine: lineOf('section .data') - 1 }));
    const incFolds: { startLine: number; endLine: number }[] = await s.connection.sendRequest('textDocument/foldingRange', doc(DEFS));
    expect(incFolds).toContainEqual(expect.objectContaining({ startLine: 4, endLine: 8 }));
  });

  it('semantic tokens mark label, macro and constant uses', async () => {
    const t: SemanticTokens = await s.connection.sendRequest('textDocument/semanticTokens/full', doc(KERNEL));
    const decoded: { line: number; char: number; len: number; type: number; mods: number }[] = [];
    let line = 0;
    let char = 0;
    for (let k = 0; k < t.data.length; k += 5) {
      line += t.data[k]!;
      char = t.data[k]! === 0 ? char + t.data[k + 1]! : t.data[k + 1]!;
      decoded.push({ line, char, len: t.data[k + 2]!, type: t.data[k + 3]!, mods: t.data[k + 4]! });
    }
    const at = (needle: string, word: string) => decoded.find((d) => d.line === lineOf(needle) && d.char === kernelText.split('\n')[lineOf(needle)]!.indexOf(word));
    expect(at('outb COM1', 'outb')?.type).toBe(2); // macro
    expect(at('outb COM1', 'COM1')).toMatchObject({ type: 1, mods: 2 }); // readonly variable
    expect(at('call start', 'start')?.type).toBe(0); // function (code label)
    expect(at('start:', 'start')).toMatchObject({ type: 0, mods: 1 }); // declaration
  });
});

describe('trap annotations', () => {
  it('under trap-and-emulate 0/1/3 privileged and sensitive lines get their fate; ordinary ones none', async () => {
    const all = await hints();
    expect(hintOn(all, 'mov cr3, eax')).toBe('⟵ traps → emulated (CR_ACCESS)');
    expect(hintOn(all, 'cli')).toBe('⟵ traps → emulated (INTERRUPT_FLAG)');
    expect(hintOn(all, 'popf')).toBe('⟵ silently keeps IF at CPL 1 — virtualization hole');
    expect(hintOn(all, 'sgdt')).toMatch(/leaks the host GDTR/);
    expect(hintOn(all, 'push cs')).toMatch(/RPL 1/);
    expect(hintOn(all, 'pop eax')).toBeUndefined();
  });

  it('vanderpool/setVmmMode changes them (0/3/3: PUSH CS shows RPL 3; native: runs directly) and asks the client to refresh', async () => {
    const refreshes = s.inlayHintRefreshes;
    await s.connection.sendNotification('vanderpool/setVmmMode', { vmm: 'trap-and-emulate', ringModel: '0/3/3' });
    await expect.poll(() => s.inlayHintRefreshes).toBeGreaterThan(refreshes);
    const h033 = await hints();
    expect(hintOn(h033, 'push cs')).toMatch(/RPL 3/);
    expect(hintOn(h033, 'popf')).toMatch(/CPL 3/);
    // The guest kernel at host CPL 3 still traps and is emulated, with the same exit reasons as under 0/1/3.
    expect(hintOn(h033, 'mov cr3, eax')).toBe('⟵ traps → emulated (CR_ACCESS)');
    expect(hintOn(h033, 'cli')).toBe('⟵ traps → emulated (INTERRUPT_FLAG)');
    expect(hintOn(h033, 'hlt')).toBe('⟵ traps → emulated (HLT)');
    expect(hintOn(h033, 'sgdt')).toMatch(/leaks the host GDTR/);
    await s.connection.sendNotification('vanderpool/setVmmMode', { vmm: 'native', ringModel: '0/1/3' });
    await expect.poll(async () => hintOn(await hints(), 'mov cr3, eax')).toBe('⟵ runs directly (bare machine)');
    await s.connection.sendNotification('vanderpool/setVmmMode', { vmm: 'trap-and-emulate', ringModel: '0/1/3' });
    await expect.poll(async () => hintOn(await hints(), 'push cs')).toMatch(/RPL 1/);
  });

  it('with vanderpool.trapAnnotations = codeLens they come as code lenses instead of inlay hints', async () => {
    s.settings.trapAnnotations = 'codeLens';
    await s.connection.sendNotification('workspace/didChangeConfiguration', { settings: { vanderpool: s.settings } });
    await expect.poll(async () => (await hints()).length).toBe(0);
    const lenses: { range: { start: { line: number } }; command: { title: string } }[] = await s.connection.sendRequest('textDocument/codeLens', doc(KERNEL));
    expect(lenses.find((l) => l.range.start.line === lineOf('mov cr3, eax'))?.command.title).toBe('trap-and-emulate 0/1/3: traps → emulated (CR_ACCESS)');
    s.settings.trapAnnotations = 'inlayHints';
    await s.connection.sendNotification('workspace/didChangeConfiguration', { settings: { vanderpool: s.settings } });
    await expect.poll(async () => (await hints()).length).toBeGreaterThan(0);
  });
});
