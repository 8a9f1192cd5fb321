/**
 * VM-exit counts at the end of source lines ("1,204 exits · CR_ACCESS"), with a hover giving
 * the breakdown by reason, from the `vanderpool` debug adapter's `vanderpool/exitCounts`
 * events (protocol.ts). They update while the guest runs (the adapter batches them at most
 * every 250 ms), stay after the session ends, and are replaced when the next `vanderpool`
 * session starts. "Vanderpool: Clear VM-exit annotations" removes them.
 */
import * as vscode from 'vscode';
import { annotationText, ExitTable, hoverMarkdown } from './exit-table';
import { DEBUG_TYPE, EXIT_COUNTS_EVENT, type ExitCountsBody } from './protocol';

/** One decoration as it was last applied, for tests and for the exits view. */
export interface AppliedDecoration {
  path: string;
  /** 1-based. */
  line: number;
  text: string;
  hover: string;
}

/** Listens for `vanderpool/exitCounts`, keeps the ExitTable and draws it after the lines of the visible editors (see the file header). */
export class ExitDecorations implements vscode.Disposable {
  /** The table the decorations show (the exits view reads it too). */
  readonly table = new ExitTable();
  private readonly type: vscode.TextEditorDecorationType;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after the table changed (an event arrived, a session started, the user cleared it). */
  readonly onDidChange = this.changed.event;
  private applied: AppliedDecoration[] = [];

  /** @param log where malformed events are reported (they never throw into VS Code) */
  constructor(private readonly log: vscode.OutputChannel) {
    this.type = vscode.window.createTextEditorDecorationType({
      // The right margin keeps the language server's trap inlay hint, drawn after it, apart.
      after: { margin: '0 1.5em 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.disposables.push(
      this.type,
      this.changed,
      vscode.debug.onDidStartDebugSession((s) => {
        if (s.type !== DEBUG_TYPE) return;
        this.table.clear();
        this.refresh();
      }),
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type !== DEBUG_TYPE || e.event !== EXIT_COUNTS_EVENT) return;
        try {
          this.table.update(e.body as ExitCountsBody);
        } catch (err) {
          this.log.appendLine(`ignored a malformed event from the debug adapter: ${(err as Error).message}`);
          return;
        }
        this.refresh();
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.render()),
      vscode.commands.registerCommand('vanderpool.clearExitAnnotations', () => {
        this.table.clear();
        this.refresh();
      }),
    );
  }

  /** The decorations applied to the visible editors at the last render. */
  state(): AppliedDecoration[] {
    return this.applied.map((d) => ({ ...d }));
  }

  private refresh(): void {
    this.render();
    this.changed.fire();
  }

  /** Apply the table to every visible editor (an editor showing a file with no exits gets none). */
  private render(): void {
    const vmms = this.table.vmms();
    const applied: AppliedDecoration[] = [];
    for (const editor of vscode.window.visibleTextEditors) {
      const doc = editor.document;
      if (doc.uri.scheme !== 'file') continue;
      const options: vscode.DecorationOptions[] = [];
      for (const l of this.table.linesOf(doc.uri.fsPath)) {
        if (l.line > doc.lineCount) continue;
        // The whole line, so that hovering anywhere on it shows the breakdown; `after` draws at its end.
        const range = doc.lineAt(l.line - 1).range;
        const text = annotationText(l);
        const hover = hoverMarkdown(l, vmms);
        options.push({ range, hoverMessage: new vscode.MarkdownString(hover), renderOptions: { after: { contentText: text } } });
        applied.push({ path: doc.uri.fsPath, line: l.line, text, hover });
      }
      editor.setDecorations(this.type, options);
    }
    this.applied = applied;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
