/**
 * A tree view over one scope of the debug adapter's inspect tree ("Paging": guest vs shadow
 * page tables; "VMCS": the VMCS fields), read level by level with the `vanderpool/inspect`
 * custom request (protocol.ts) for the VM that stopped last. Refreshed on each stop; a node
 * whose guest and VMM values differ (`differs`) is marked. Without a stopped session the view
 * says so (VS Code shows the view's `message`).
 */
import * as vscode from 'vscode';
import { INSPECT_REQUEST, type InspectArguments, type InspectNode, type InspectResponseBody, type InspectScope } from '../protocol';
import type { StopPoint, StopTracker } from './stop-tracker';

/** One node, with the names from the scope's root to it (the request's `path`). */
export interface InspectItem {
  node: InspectNode;
  path: string[];
}

/** Tree data of one inspect scope's view (`vanderpool.paging`, `vanderpool.vmcs`); request failures are logged and shown as the view's message. */
export class InspectTreeProvider implements vscode.TreeDataProvider<InspectItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<InspectItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: vscode.TreeView<InspectItem> | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  /** The stop the tree shows; null before the first stop. */
  private stop: StopPoint | null = null;
  /** Number of nodes returned at the root by the last refresh (tests read it). */
  rootCount = 0;

  /**
   * @param scope which inspect scope this view shows
   * @param log where failed requests are reported
   */
  constructor(
    private readonly scope: InspectScope,
    stops: StopTracker,
    private readonly log: vscode.OutputChannel,
  ) {
    this.disposables.push(
      this.changed,
      stops.onDidStop((s) => {
        this.stop = s;
        this.refresh();
      }),
      stops.onDidEnd(() => {
        this.stop = null;
        this.setMessage(`The debug session ended. Start one (F5) to see the ${scope}.`);
        this.refresh();
      }),
    );
  }

  /** Attach the created view (for its message). */
  attach(view: vscode.TreeView<InspectItem>): void {
    this.view = view;
    this.setMessage(`Stop a Vanderpool debug session to see the ${this.scope}.`);
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private setMessage(text: string | undefined): void {
    if (this.view) this.view.message = text;
  }

  getTreeItem(item: InspectItem): vscode.TreeItem {
    const t = new vscode.TreeItem(item.node.name, item.node.hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    t.description = item.node.differs ? `${item.node.value}  ≠ guest` : item.node.value;
    t.tooltip = new vscode.MarkdownString(`**${item.node.name}** = \`${item.node.value}\`${item.node.type ? `\n\n${item.node.type}` : ''}${item.node.differs ? '\n\nThe guest\'s view and what the VMM installed differ here.' : ''}`);
    t.contextValue = item.node.differs ? 'vanderpool.inspect.differs' : 'vanderpool.inspect';
    if (item.node.differs) t.iconPath = new vscode.ThemeIcon('diff-modified', new vscode.ThemeColor('editorWarning.foreground'));
    t.id = `${this.scope}/${item.path.join('/')}`;
    return t;
  }

  async getChildren(parent?: InspectItem): Promise<InspectItem[]> {
    const stop = this.stop;
    if (!stop) return [];
    const path = parent ? parent.path : [];
    const args: InspectArguments = { threadId: stop.threadId, scope: this.scope, path };
    try {
      const body = (await stop.session.customRequest(INSPECT_REQUEST, args)) as InspectResponseBody;
      const nodes = Array.isArray(body?.nodes) ? body.nodes : [];
      if (!parent) {
        this.rootCount = nodes.length;
        this.setMessage(nodes.length === 0 ? `No ${this.scope} for this VM (e.g. the bare machine has no VMCS).` : undefined);
      }
      return nodes.map((node) => ({ node, path: [...path, node.name] }));
    } catch (err) {
      this.log.appendLine(`${INSPECT_REQUEST} ${this.scope} ${JSON.stringify(path)} failed: ${(err as Error).message}`);
      if (!parent) this.setMessage(`The debug adapter could not show the ${this.scope}: ${(err as Error).message}`);
      return [];
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
