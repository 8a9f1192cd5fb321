/**
 * The command "Vanderpool: Compare VMM modes": runs the active guest-assembly file (or the file
 * given as the argument) headless under every VMM mode with `vanderpool compare FILE --json`
 * (dist/cli.js, cli/compare-command.ts) in a child process, then shows the table and bar chart
 * (compare-report.ts) in a webview. The run can be cancelled from its progress notification
 * (the child is killed). Memory and include paths come from the settings.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { CompareReport } from '../cli/compare-command';
import { compareReportHtml } from './compare-report';
import { LANGUAGE_ID, SETTINGS_SECTION } from './protocol';

/** Longest a comparison may take before it is killed (ms). */
const COMPARE_TIMEOUT_MS = 10 * 60_000;

/** Owns the `vanderpool.compareModes` command and its webview panel; `cliPath` is dist/cli.js. */
export class CompareModes implements vscode.Disposable {
  private panel: vscode.WebviewPanel | null = null;
  /** The last report shown (tests read it). */
  lastReport: CompareReport | null = null;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly cliPath: string) {
    this.disposables.push(vscode.commands.registerCommand('vanderpool.compareModes', (uri?: vscode.Uri) => this.run(uri)));
  }

  /**
   * Compare the modes for `uri` (default: the active guest-assembly file) and show the result.
   * @returns the report, or undefined when nothing ran (no file, cancelled, failed — with a message)
   */
  async run(uri?: vscode.Uri): Promise<CompareReport | undefined> {
    const doc = vscode.window.activeTextEditor?.document;
    const file = uri ?? (doc && (doc.languageId === LANGUAGE_ID || /\.(asm|nasm)$/i.test(doc.fileName)) ? doc.uri : undefined);
    if (!file || file.scheme !== 'file') {
      void vscode.window.showErrorMessage('Vanderpool: Compare VMM modes needs a guest-assembly file saved on disk; open one first.');
      return undefined;
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
    if (open?.isDirty) await open.save();
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const args = [this.cliPath, 'compare', file.fsPath, '--json', '--memory', String(config.get<number>('memory', 32))];
    for (const dir of config.get<string[]>('includePaths', [])) args.push('-I', dir);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Vanderpool: running ${vscode.workspace.asRelativePath(file)} under every VMM mode`, cancellable: true },
      (_progress, token) =>
        new Promise<{ stdout: string; stderr: string; error: Error | null }>((resolve) => {
          const child = execFile(process.execPath, args, { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 16 << 20, timeout: COMPARE_TIMEOUT_MS }, (error, stdout, stderr) =>
            resolve({ stdout, stderr, error }),
          );
          token.onCancellationRequested(() => child.kill());
        }),
    );
    if (result.error) {
      const why = result.stderr.trim().split('\n').pop() || result.error.message;
      void vscode.window.showErrorMessage(`Vanderpool: Compare VMM modes failed: ${why}`);
      return undefined;
    }
    let report: CompareReport;
    try {
      report = JSON.parse(result.stdout) as CompareReport;
      if (typeof report?.program !== 'string' || !Array.isArray(report.modes)) throw new Error('not a comparison report (no program and modes)');
    } catch (err) {
      void vscode.window.showErrorMessage(`Vanderpool: Compare VMM modes: ${this.cliPath} compare --json printed no report: ${(err as Error).message}`);
      return undefined;
    }
    this.show(report);
    return report;
  }

  private show(report: CompareReport): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('vanderpool.compareModes', 'Compare VMM modes', vscode.ViewColumn.Beside, { enableScripts: false, localResourceRoots: [] });
      this.panel.onDidDispose(() => (this.panel = null));
    }
    this.panel.title = `Compare VMM modes: ${report.program.split(/[\\/]/).pop()}`;
    this.panel.webview.html = compareReportHtml(report, randomBytes(16).toString('base64'), this.panel.webview.cspSource);
    this.panel.reveal(undefined, true);
    this.lastReport = report;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
