/**
 * The real-editor suite: the extension's own tests, run by VS Code's extension host (code-server
 * through test/e2e/run-code-server.ts, or VS Code desktop through test/e2e/run-electron.ts) with
 * the real `vscode` API, against the workspace the runner prepared (hello.asm from examples/,
 * broken.asm and privileged.asm from test/e2e/fixtures/). Bundled to dist/e2e/index.js
 * (esbuild.mjs, `vscode` external); `run()` is what the workbench calls.
 *
 * Covered: activation and the status item; diagnostics on a broken source; hover and trap
 * inlay hints on privileged instructions; F5 (debug.startDebugging with a configuration that
 * leaves vmm/ringModel/memory to the settings) into hello.asm to a breakpoint; a step; the
 * Variables view's data (Segments → CS → hidden cache, via the same DAP requests the view
 * sends); the Vanderpool views' VMCS at a stop; the end-of-line VM-exit annotations after the
 * run; Compare VMM modes. Screenshots of the debug view, the Vanderpool views, the editor with
 * its annotations and the comparison go to test/e2e/screenshots/.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VanderpoolApi } from '../../../extension/extension';
import { runTests, screenshot, sleep, waitFor, type TestCase } from './harness';

const EXTENSION_ID = 'vanderpool.vanderpool';

interface DapMessage {
  type: string;
  seq?: number;
  command?: string;
  event?: string;
  arguments?: Record<string, unknown>;
  body?: Record<string, unknown>;
}

/** Every DAP message between VS Code and the `vanderpool` adapter, per session. */
class DapLog {
  readonly sent: DapMessage[] = [];
  readonly received: DapMessage[] = [];
  constructor(context: vscode.Disposable[]) {
    context.push(
      vscode.debug.registerDebugAdapterTrackerFactory('vanderpool', {
        createDebugAdapterTracker: () => ({
          onWillReceiveMessage: (m: DapMessage) => void this.received.push(m),
          onDidSendMessage: (m: DapMessage) => void this.sent.push(m),
        }),
      }),
    );
  }
  /** Adapter → VS Code events named `event` so far. */
  events(event: string): DapMessage[] {
    return this.sent.filter((m) => m.type === 'event' && m.event === event);
  }
}

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the runner opens a workspace folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

/** 0-based line of the first line matching `re` in a document. */
function lineOf(doc: vscode.TextDocument, re: RegExp): number {
  for (let i = 0; i < doc.lineCount; i++) if (re.test(doc.lineAt(i).text)) return i;
  throw new Error(`no line of ${doc.fileName} matches ${re}`);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

function hintText(hint: vscode.InlayHint): string {
  return typeof hint.label === 'string' ? hint.label : hint.label.map((p) => p.value).join('');
}

export async function run(): Promise<void> {
  const disposables: vscode.Disposable[] = [];
  const dap = new DapLog(disposables);
  let api: VanderpoolApi | undefined;
  let session: vscode.DebugSession | undefined;
  let threadId = 1;
  let stoppedLine = -1;
  const hello = workspaceFile('hello.asm');

  /** Wait for the n-th `stopped` event (1-based) and return its body. */
  const nthStop = (n: number, timeoutMs = 20_000) => waitFor(`stopped event #${n}`, () => dap.events('stopped')[n - 1]?.body, timeoutMs);
  /** Top frame's 1-based line and source path. */
  const topFrame = async (): Promise<{ id: number; line: number; path: string }> => {
    const st = (await session!.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as { stackFrames: Array<{ id: number; line: number; source?: { path?: string } }> };
    const f = st.stackFrames[0];
    assert.ok(f, 'the stopped thread has a frame');
    return { id: f.id, line: f.line, path: f.source?.path ?? '' };
  };

  const tests: TestCase[] = [
    {
      name: 'the extension activates on a guest-assembly file and shows the VMM mode in the status bar',
      fn: async () => {
        const ext = vscode.extensions.getExtension<VanderpoolApi>(EXTENSION_ID);
        assert.ok(ext, `${EXTENSION_ID} is installed in the extension host`);
        const doc = await vscode.workspace.openTextDocument(hello);
        await vscode.window.showTextDocument(doc);
        assert.equal(doc.languageId, 'vanderpool-asm');
        api = await waitFor('activation', () => ext.isActive && ext.exports, 20_000);
        assert.match(api.statusText(), /trap-and-emulate 0\/1\/3/);
        await waitFor('the language client to run', () => api!.languageClientRunning());
      },
    },
    {
      name: 'diagnostics: the language server reports the unknown mnemonic and the undefined label of broken.asm at their lines',
      fn: async () => {
        const uri = workspaceFile('broken.asm');
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
        const diags = await waitFor('diagnostics on broken.asm', () => {
          const d = vscode.languages.getDiagnostics(uri);
          return d.length >= 2 && d;
        });
        const lines = diags.filter((d) => d.severity === vscode.DiagnosticSeverity.Error).map((d) => d.range.start.line + 1);
        assert.ok(lines.includes(5), `an error at line 5 (frobnicate), got ${JSON.stringify(diags.map((d) => [d.range.start.line + 1, d.message]))}`);
        assert.ok(lines.includes(6), `an error at line 6 (nowhere), got ${JSON.stringify(diags.map((d) => [d.range.start.line + 1, d.message]))}`);
        await screenshot('diagnostics');
      },
    },
    {
      name: 'hover on MOV CR0 says it is privileged and what trap-and-emulate does with it',
      fn: async () => {
        const uri = workspaceFile('privileged.asm');
        const doc = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(doc);
        const line = lineOf(doc, /^\s+mov eax, cr0/);
        const col = doc.lineAt(line).text.indexOf('mov') + 1;
        const text = await waitFor('a hover', async () => {
          const h = hoverText((await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, col))) ?? []);
          return h.length > 0 && h;
        });
        assert.match(text, /MOV/i);
        assert.match(text, /CR_ACCESS|privileged|CPL/i, text);
      },
    },
    {
      name: 'trap inlay hints: CLI and MOV from CR0 trap to the VMM, SGDT is a virtualization hole, under trap-and-emulate 0/1/3',
      fn: async () => {
        const uri = workspaceFile('privileged.asm');
        const doc = await vscode.workspace.openTextDocument(uri);
        const range = new vscode.Range(0, 0, doc.lineCount, 0);
        const hints = await waitFor('inlay hints', async () => {
          const h = (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, range)) ?? [];
          return h.length >= 3 && h;
        });
        const at = (re: RegExp): string => {
          const line = lineOf(doc, re);
          return hints.filter((h) => h.position.line === line).map(hintText).join(' | ');
        };
        assert.match(at(/^\s+cli/), /trap|emulat/i);
        assert.match(at(/^\s+mov eax, cr0/), /CR_ACCESS|trap|emulat/i);
        assert.match(at(/^\s+sgdt/), /hole|leak|host/i);
        await screenshot('trap-inlay-hints');
      },
    },
    {
      name: 'F5: debugging hello.asm with the settings\' mode (trap-and-emulate, 32 MiB) stops at a breakpoint on its line',
      timeoutMs: 45_000,
      fn: async () => {
        const doc = await vscode.workspace.openTextDocument(hello);
        await vscode.window.showTextDocument(doc);
        const line = lineOf(doc, /^\s+out\s+dx,\s*al\b/);
        vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(hello, new vscode.Position(line, 0)))]);
        const started = new Promise<vscode.DebugSession>((res) => disposables.push(vscode.debug.onDidStartDebugSession(res)));
        const ok = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], { type: 'vanderpool', request: 'launch', name: 'e2e: hello', program: hello.fsPath }, { suppressSaveBeforeStart: true });
        assert.ok(ok, 'startDebugging succeeded');
        session = await started;
        const launch = dap.received.find((m) => m.command === 'launch');
        assert.equal(launch?.arguments?.vmm, 'trap-and-emulate', 'resolveDebugConfiguration filled vmm from the settings');
        assert.equal(launch?.arguments?.ringModel, '0/1/3');
        assert.equal(launch?.arguments?.memory, 32);
        const stop = await nthStop(1);
        threadId = (stop.threadId as number | undefined) ?? threadId;
        assert.equal(stop.reason, 'breakpoint', JSON.stringify(stop));
        const frame = await topFrame();
        assert.equal(frame.line, line + 1);
        assert.equal(path.basename(frame.path), 'hello.asm');
        stoppedLine = frame.line;
        await waitFor('the status item to follow the session', () => /\(debugging\)/.test(api!.statusText()));
        await vscode.commands.executeCommand('workbench.view.debug');
        await screenshot('debug-breakpoint');
      },
    },
    {
      name: 'a step (next) stops on the following instruction\'s line',
      fn: async () => {
        assert.ok(session, 'a session is stopped');
        await session.customRequest('next', { threadId });
        const stop = await nthStop(2);
        assert.equal(stop.reason, 'step');
        const frame = await topFrame();
        assert.notEqual(frame.line, stoppedLine, 'the step moved');
        stoppedLine = frame.line;
      },
    },
    {
      name: 'Variables: the Segments scope shows CS with its hidden cache (base, limit)',
      fn: async () => {
        assert.ok(session, 'a session is stopped');
        const frame = await topFrame();
        const { scopes } = (await session.customRequest('scopes', { frameId: frame.id })) as { scopes: Array<{ name: string; variablesReference: number }> };
        const segments = scopes.find((s) => s.name === 'Segments');
        assert.ok(segments, `a Segments scope among ${scopes.map((s) => s.name).join(', ')}`);
        type V = { name: string; value: string; variablesReference: number };
        const vars = async (ref: number): Promise<V[]> => ((await session!.customRequest('variables', { variablesReference: ref })) as { variables: V[] }).variables;
        const cs = (await vars(segments.variablesReference)).find((v) => v.name === 'CS');
        assert.ok(cs && cs.variablesReference > 0, 'CS is expandable');
        const cache = (await vars(cs.variablesReference)).find((v) => v.name === 'hidden cache');
        assert.ok(cache && cache.variablesReference > 0, 'CS has a hidden cache node');
        const fields = (await vars(cache.variablesReference)).map((v) => v.name.toLowerCase());
        assert.ok(fields.some((f) => f.includes('base')) && fields.some((f) => f.includes('limit')), `hidden cache fields: ${fields.join(', ')}`);
        await screenshot('debug-variables');
      },
    },
    {
      name: 'the Vanderpool views show the VMCS and the page tables of the stopped VM (vanderpool/inspect)',
      fn: async () => {
        assert.ok(session, 'a session is stopped');
        const direct = (await session.customRequest('vanderpool/inspect', { threadId, scope: 'VMCS', path: [] })) as { nodes: Array<{ name: string }> };
        assert.ok(direct.nodes.length > 0, 'the adapter answers vanderpool/inspect VMCS with nodes');
        await vscode.commands.executeCommand('workbench.view.extension.vanderpool');
        await vscode.commands.executeCommand('vanderpool.refreshViews');
        await waitFor('VMCS nodes in the view', () => api!.inspectViewRoots().vmcs > 0);
        await waitFor('page-table nodes in the view', () => api!.inspectViewRoots().paging > 0);
        await screenshot('vanderpool-views');
      },
    },
    {
      name: 'after the run, hello.asm shows end-of-line VM-exit annotations (IO_INSTRUCTION) that stay after the session ends',
      timeoutMs: 45_000,
      fn: async () => {
        assert.ok(session, 'a session is stopped');
        vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
        const ended = new Promise<void>((res) => disposables.push(vscode.debug.onDidTerminateDebugSession(() => res())));
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(hello));
        await session.customRequest('continue', { threadId });
        await ended;
        await sleep(300);
        const mine = api!.exitDecorations().filter((d) => path.basename(d.path) === 'hello.asm');
        assert.ok(mine.length > 0, 'hello.asm has annotations');
        for (const d of mine) assert.match(d.text, /^[\d,]+ exits? · [A-Z_]+/);
        assert.ok(mine.some((d) => /IO_INSTRUCTION/.test(d.text) && /\| `IO_INSTRUCTION` \|/.test(d.hover)), JSON.stringify(mine.slice(0, 3)));
        const counts = dap.events('vanderpool/exitCounts');
        assert.ok(counts.length > 0, 'the adapter sent vanderpool/exitCounts');
        await screenshot('exit-annotations');
      },
    },
    {
      name: 'the VM exits view groups the run\'s exits by reason, then by line, and clicking a line opens it there',
      fn: async () => {
        const view = api!.exitsView;
        const reasons = view.getChildren();
        assert.ok(reasons.length > 0 && reasons[0].kind === 'reason', 'reasons at the top level');
        assert.equal(reasons[0].kind === 'reason' && reasons[0].reason, 'IO_INSTRUCTION');
        const locations = view.getChildren(reasons[0]);
        const first = locations[0];
        assert.ok(first?.kind === 'location', 'locations under a reason');
        const counts = locations.map((l) => (l.kind === 'location' ? l.count : 0));
        assert.deepEqual(counts, [...counts].sort((a, b) => b - a), 'most exits first');
        const item = view.getTreeItem(first);
        assert.ok(item.command, 'a location item has a command');
        await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
        const editor = await waitFor('the clicked line in an editor', () => {
          const e = vscode.window.activeTextEditor;
          return e && path.basename(e.document.fileName) === 'hello.asm' && e.selection.active.line === first.line - 1 && e;
        });
        assert.equal(editor.selection.active.line, first.line - 1);
      },
    },
    {
      name: 'Compare VMM modes runs hello.asm under every mode and shows the comparison',
      timeoutMs: 60_000,
      fn: async () => {
        const report = (await vscode.commands.executeCommand('vanderpool.compareModes', hello)) as { modes: Array<{ vmm: string; exits?: { total: number } }> } | undefined;
        assert.ok(report, 'a report');
        assert.equal(report.modes[0].vmm, 'native');
        const vmms = report.modes.filter((m) => m.vmm === 'trap-and-emulate');
        assert.ok(vmms.length >= 1, 'a trap-and-emulate row');
        for (const m of vmms) assert.ok((m.exits?.total ?? 0) > 0, `${JSON.stringify(m)} has exits`);
        await screenshot('compare-modes');
      },
    },
    {
      name: 'F5 with no launch.json (workbench.action.debug.start) runs the active hello.asm with the settings\' mode',
      timeoutMs: 45_000,
      fn: async () => {
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(hello));
        const launchesBefore = dap.received.filter((m) => m.command === 'launch').length;
        const ended = new Promise<void>((res) => disposables.push(vscode.debug.onDidTerminateDebugSession(() => res())));
        await vscode.commands.executeCommand('workbench.action.debug.start');
        const launch = await waitFor('a launch request', () => dap.received.filter((m) => m.command === 'launch')[launchesBefore]);
        assert.equal(launch.arguments?.program, hello.fsPath);
        assert.equal(launch.arguments?.vmm, 'trap-and-emulate');
        assert.equal(launch.arguments?.ringModel, '0/1/3');
        assert.equal(launch.arguments?.memory, 32);
        await ended;
        const exits = api!.exitDecorations().filter((d) => path.basename(d.path) === 'hello.asm');
        assert.ok(exits.length > 0, 'the run left its exit annotations');
      },
    },
    {
      name: 'the status item and the trap hints follow a running native session (vanderpool/vmInfo → vanderpool/setVmmMode), and go back when it ends',
      timeoutMs: 45_000,
      fn: async () => {
        const privileged = workspaceFile('privileged.asm');
        const doc = await vscode.workspace.openTextDocument(privileged);
        const cliLine = lineOf(doc, /^\s+cli/);
        const cliHint = async (): Promise<string> => {
          const hints = (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', privileged, new vscode.Range(0, 0, doc.lineCount, 0))) ?? [];
          return hints.filter((h) => h.position.line === cliLine).map(hintText).join(' | ');
        };
        assert.match(await cliHint(), /traps/);
        const started = new Promise<vscode.DebugSession>((res) => disposables.push(vscode.debug.onDidStartDebugSession(res)));
        const stopsBefore = dap.events('stopped').length;
        assert.ok(await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], { type: 'vanderpool', request: 'launch', name: 'e2e: native', program: hello.fsPath, vmm: 'native', stopOnEntry: true }, { suppressSaveBeforeStart: true }));
        const native = await started;
        await nthStop(stopsBefore + 1);
        await waitFor('the status item to show the native session', () => /^\S+ native \(debugging\)$/.test(api!.statusText()) || undefined);
        assert.equal(api!.mode().vmm, 'native');
        await waitFor('the CLI hint to describe the bare machine', async () => /runs directly/.test(await cliHint()));
        // Another setting changes mid-session: the server pulls the section again and must keep the session's mode.
        const config = vscode.workspace.getConfiguration('vanderpool');
        await config.update('memory', 64, vscode.ConfigurationTarget.Workspace);
        await sleep(1000);
        assert.match(await cliHint(), /runs directly/, 'a settings pull during the session keeps its mode');
        await config.update('memory', undefined, vscode.ConfigurationTarget.Workspace);
        const ended = new Promise<void>((res) => disposables.push(vscode.debug.onDidTerminateDebugSession((s) => s.id === native.id && res())));
        await vscode.debug.stopDebugging(native);
        await ended;
        await waitFor('the status item to show the settings again', () => /trap-and-emulate 0\/1\/3$/.test(api!.statusText()));
        await waitFor('the CLI hint to describe trap-and-emulate again', async () => /traps/.test(await cliHint()));
      },
    },
    {
      name: 'picking native in the status item\'s quick pick writes vanderpool.vmm and changes the status item and the trap hints',
      fn: async () => {
        const privileged = workspaceFile('privileged.asm');
        const doc = await vscode.workspace.openTextDocument(privileged);
        const hlt = lineOf(doc, /^\s+hlt/);
        const hltHint = async (): Promise<string> => {
          const hints = (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', privileged, new vscode.Range(0, 0, doc.lineCount, 0))) ?? [];
          return hints.filter((h) => h.position.line === hlt).map(hintText).join(' | ');
        };
        const config = vscode.workspace.getConfiguration('vanderpool');
        // The status item's quick pick: its first item is the bare machine.
        const picking = vscode.commands.executeCommand('vanderpool.selectVmmMode');
        await sleep(700);
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        await picking;
        try {
          assert.equal(vscode.workspace.getConfiguration('vanderpool').get('vmm'), 'native', 'the pick wrote the setting');
          await waitFor('the status item to show native', () => /native$/.test(api!.statusText()));
          await waitFor('the HLT hint to describe the bare machine', async () => /runs directly/.test(await hltHint()));
        } finally {
          await config.update('vmm', undefined, vscode.ConfigurationTarget.Workspace);
        }
        await waitFor('the status item to show trap-and-emulate again', () => /trap-and-emulate 0\/1\/3$/.test(api!.statusText()));
      },
    },
  ];

  try {
    const { passed, failed } = await runTests(tests);
    console.log(`e2e: suite finished, ${passed} passed, ${failed} failed`);
    if (failed > 0) throw new Error(`${failed} real-editor test(s) failed`);
  } finally {
    for (const d of disposables) d.dispose();
  }
}
