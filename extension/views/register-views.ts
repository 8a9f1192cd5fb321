/**
 * Creates the tree views of the "Vanderpool" view container (package.json
 * `contributes.viewsContainers.activitybar` id `vanderpool`): `vanderpool.exits` (VM exits by
 * reason → source location), `vanderpool.paging` (guest vs shadow page tables) and
 * `vanderpool.vmcs` (the VMCS), plus the refresh command.
 */
import * as vscode from 'vscode';
import type { ExitDecorations } from '../exit-decorations';
import { ExitsTreeProvider } from './exits-view';
import { InspectTreeProvider } from './inspect-view';
import { StopTracker } from './stop-tracker';

/** The view providers `registerViews` created (the extension API and tests read them). */
export interface Views {
  stops: StopTracker;
  exits: ExitsTreeProvider;
  paging: InspectTreeProvider;
  vmcs: InspectTreeProvider;
}

/** Create the three views and the refresh command; everything is disposed with `context`. */
export function registerViews(context: vscode.ExtensionContext, decorations: ExitDecorations, log: vscode.OutputChannel): Views {
  const stops = new StopTracker();
  const exits = new ExitsTreeProvider(decorations.table, decorations.onDidChange);
  const paging = new InspectTreeProvider('Paging', stops, log);
  const vmcs = new InspectTreeProvider('VMCS', stops, log);
  const pagingView = vscode.window.createTreeView('vanderpool.paging', { treeDataProvider: paging });
  const vmcsView = vscode.window.createTreeView('vanderpool.vmcs', { treeDataProvider: vmcs });
  paging.attach(pagingView);
  vmcs.attach(vmcsView);
  context.subscriptions.push(
    stops,
    exits,
    paging,
    vmcs,
    pagingView,
    vmcsView,
    vscode.window.createTreeView('vanderpool.exits', { treeDataProvider: exits }),
    vscode.commands.registerCommand('vanderpool.refreshViews', () => {
      paging.refresh();
      vmcs.refresh();
    }),
  );
  return { stops, exits, paging, vmcs };
}
