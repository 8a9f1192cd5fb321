/**
 * The "VM exits" tree view: exits grouped by reason (SDM or VMM reason name, most frequent
 * first), then by source location (file:line, most exits first); clicking a location opens the
 * file at that line. Built from the same table as the inline annotations (exit-table.ts, fed
 * by `vanderpool/exitCounts`), so it updates while the guest runs, at each stop, and stays
 * after the session ends.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExitTable } from '../exit-table';

/** A row of the VM-exits view: a reason with its lines, or one source line under a reason. */
export type ExitItem =
  | { kind: 'reason'; reason: string; total: number; lines: Array<{ path: string; line: number; count: number }> }
  | { kind: 'location'; reason: string; path: string; line: number; count: number };

const num = (n: number): string => n.toLocaleString('en-US');

/** Tree data of the `vanderpool.exits` view, read from the ExitTable (see the file header). */
export class ExitsTreeProvider implements vscode.TreeDataProvider<ExitItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExitItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  /** @param onTableChange fires when the table changed (ExitDecorations.onDidChange) */
  constructor(
    private readonly table: ExitTable,
    onTableChange: vscode.Event<void>,
  ) {
    onTableChange(() => this.changed.fire(undefined));
  }

  getTreeItem(item: ExitItem): vscode.TreeItem {
    if (item.kind === 'reason') {
      const t = new vscode.TreeItem(item.reason, vscode.TreeItemCollapsibleState.Expanded);
      t.description = `${num(item.total)} exit${item.total === 1 ? '' : 's'}`;
      t.iconPath = new vscode.ThemeIcon('debug-stackframe');
      t.id = `reason/${item.reason}`;
      return t;
    }
    const t = new vscode.TreeItem(`${path.basename(item.path)}:${item.line}`, vscode.TreeItemCollapsibleState.None);
    t.description = num(item.count);
    t.tooltip = `${item.path}:${item.line} — ${num(item.count)} ${item.reason} exit${item.count === 1 ? '' : 's'}`;
    t.resourceUri = vscode.Uri.file(item.path);
    t.id = `location/${item.reason}/${item.path}:${item.line}`;
    const line = item.line - 1;
    t.command = {
      command: 'vscode.open',
      title: 'Go to the source line',
      arguments: [vscode.Uri.file(item.path), { selection: new vscode.Range(line, 0, line, 0), preserveFocus: false } satisfies vscode.TextDocumentShowOptions],
    };
    return t;
  }

  getChildren(parent?: ExitItem): ExitItem[] {
    if (!parent) return this.table.byReason().map((r) => ({ kind: 'reason', ...r }));
    if (parent.kind === 'reason') return parent.lines.map((l) => ({ kind: 'location', reason: parent.reason, ...l }));
    return [];
  }

  dispose(): void {
    this.changed.dispose();
  }
}
