/**
 * The Vanderpool extension's entry point (package.json `main`, bundled to dist/extension.js):
 * `activate` wires the pieces — the VMM-mode status item (mode-status.ts), the language client
 * (language-client.ts), the debugger's configurations and adapter (debug-configuration.ts), the
 * inline VM-exit annotations (exit-decorations.ts), the tree views (views/) and the "Compare VMM
 * modes" command (compare-modes.ts) — and returns `VanderpoolApi`, which the real-editor tests
 * read through `vscode.extensions.getExtension('vanderpool.vanderpool').exports`.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { CompareReport } from '../cli/compare-command';
import { CompareModes } from './compare-modes';
import { registerDebugConfiguration } from './debug-configuration';
import { ExitDecorations, type AppliedDecoration } from './exit-decorations';
import { startLanguageClient } from './language-client';
import { ModeStatus } from './mode-status';
import type { VmmModeParams } from './protocol';
import type { ExitsTreeProvider } from './views/exits-view';
import { registerViews, type Views } from './views/register-views';

/** What `activate` returns: read-only windows onto the extension's state, for tests and other extensions. */
export interface VanderpoolApi {
  /** The inline VM-exit annotations as applied to the visible editors now. */
  exitDecorations(): AppliedDecoration[];
  /** The mode the status bar shows (and the language server was told). */
  mode(): VmmModeParams;
  /** The status bar item's text. */
  statusText(): string;
  /** Whether the language client started (false when dist/server.js is missing). */
  languageClientRunning(): boolean;
  /** Root node counts of the inspect views at their last refresh. */
  inspectViewRoots(): { paging: number; vmcs: number };
  /** The last "Compare VMM modes" report shown, or null. */
  lastComparison(): CompareReport | null;
  /** The "VM exits" view's data provider (tests walk it and run its items' commands). */
  readonly exitsView: ExitsTreeProvider;
}

let client: LanguageClient | null = null;

/** VS Code's activation entry: wires the pieces (file header); a language server that fails to start is logged, not fatal. */
export async function activate(context: vscode.ExtensionContext): Promise<VanderpoolApi> {
  const log = vscode.window.createOutputChannel('Vanderpool');
  const mode = new ModeStatus();
  const decorations = new ExitDecorations(log);
  const compare = new CompareModes(context.asAbsolutePath('dist/cli.js'));
  context.subscriptions.push(log, mode, decorations, compare);
  registerDebugConfiguration(context);
  const views: Views = registerViews(context, decorations, log);
  try {
    client = await startLanguageClient(context, mode, log);
  } catch (err) {
    log.appendLine(`the language server did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    exitDecorations: () => decorations.state(),
    mode: () => mode.mode(),
    statusText: () => mode.text(),
    languageClientRunning: () => client?.isRunning() ?? false,
    inspectViewRoots: () => ({ paging: views.paging.rootCount, vmcs: views.vmcs.rootCount }),
    lastComparison: () => compare.lastReport ?? null,
    exitsView: views.exits,
  };
}

/** Stops the language client (VS Code disposes the rest through `context.subscriptions`). */
export async function deactivate(): Promise<void> {
  await client?.stop();
  client = null;
}
