/**
 * The Vanderpool language server for guest assembly (language id `vanderpool-asm`), on
 * vscode-languageserver 10 over stdio or Node IPC (`node dist/server.js --stdio` or
 * `--node-ipc`, as vscode-languageclient starts it). This file only wires the features:
 * workspace-index.ts (documents, files, %include), diagnostics.ts, hover.ts, completion.ts,
 * navigation.ts, symbols.ts, folding.ts, semantic-tokens.ts, trap-annotations.ts, and the
 * settings / `vanderpool/setVmmMode` mode (settings.ts).
 */
import {
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { completionAt } from './completion';
import { DiagnosticsEngine } from './diagnostics';
import { foldingRanges } from './folding';
import { hoverAt } from './hover';
import { definitionAt, prepareRenameAt, referencesAt, renameAt } from './navigation';
import { LEGEND, semanticTokens } from './semantic-tokens';
import { DEFAULT_SETTINGS, parseSettings, SET_VMM_MODE, type ServerSettings, type SetVmmModeParams } from './settings';
import { documentSymbols, workspaceSymbols } from './symbols';
import { codeLenses, inlayHints } from './trap-annotations';
import { uriToPath, WorkspaceIndex } from './workspace-index';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const index = new WorkspaceIndex(documents);
const diagnostics = new DiagnosticsEngine(connection, index);
let settings: ServerSettings = { ...DEFAULT_SETTINGS };
let canPullConfiguration = false;
let canRefreshHints = false;
let canRefreshLenses = false;

connection.onInitialize((params: InitializeParams): InitializeResult => {
  const caps = params.capabilities;
  canPullConfiguration = caps.workspace?.configuration === true;
  canRefreshHints = caps.workspace?.inlayHint?.refreshSupport === true;
  canRefreshLenses = caps.workspace?.codeLens?.refreshSupport === true;
  const init = (params.initializationOptions ?? {}) as { settings?: unknown };
  settings = parseSettings(init.settings, settings);
  index.includePaths = settings.includePaths;
  const folders = params.workspaceFolders?.map((f) => uriToPath(f.uri)) ?? (params.rootUri ? [uriToPath(params.rootUri)] : []);
  index.setWorkspaceFolders(folders);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['.', '%'] },
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      documentSymbolProvider: true,
      workspaceSymbolProvider: true,
      foldingRangeProvider: true,
      semanticTokensProvider: { legend: LEGEND, full: true },
      inlayHintProvider: true,
      codeLensProvider: { resolveProvider: false },
    },
    serverInfo: { name: 'vanderpool-asm' },
  };
});

/** Apply new settings: include paths change what assembles; the mode changes the annotations. */
function applySettings(next: ServerSettings): void {
  const includesChanged = JSON.stringify(next.includePaths) !== JSON.stringify(settings.includePaths);
  settings = next;
  index.includePaths = next.includePaths;
  if (includesChanged) for (const d of documents.all()) diagnostics.changed(uriToPath(d.uri), 0);
  refreshAnnotations();
}

function refreshAnnotations(): void {
  if (canRefreshHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
  if (canRefreshLenses) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
}

async function pullSettings(): Promise<void> {
  if (!canPullConfiguration) return;
  try {
    applySettings(parseSettings(await connection.workspace.getConfiguration('vanderpool'), settings));
  } catch (e) {
    connection.console.warn(`vanderpool: could not read the settings: ${e instanceof Error ? e.message : String(e)}`);
  }
}

connection.onInitialized(() => void pullSettings());
connection.onDidChangeConfiguration((change) => {
  if (canPullConfiguration) void pullSettings();
  else applySettings(parseSettings((change.settings as { vanderpool?: unknown } | undefined)?.vanderpool, settings));
});

connection.onNotification(SET_VMM_MODE, (params: SetVmmModeParams) => {
  const next = parseSettings({ vmm: params?.vmm, ringModel: params?.ringModel }, settings);
  if (next.vmm !== params?.vmm || next.ringModel !== params?.ringModel) connection.console.warn(`vanderpool/setVmmMode: unknown mode ${JSON.stringify(params)}; keeping ${next.vmm} ${next.ringModel}`);
  applySettings(next);
});

documents.onDidOpen((e) => diagnostics.changed(uriToPath(e.document.uri), 0));
documents.onDidChangeContent((e) => diagnostics.changed(uriToPath(e.document.uri)));
documents.onDidClose((e) => {
  const path = uriToPath(e.document.uri);
  if (index.text(path) === undefined) diagnostics.forget(path);
  else diagnostics.changed(path, 0);
});

const pathOf = (uri: string) => uriToPath(uri);
connection.onHover((p) => hoverAt(pathOf(p.textDocument.uri), p.position, index, diagnostics, settings));
connection.onCompletion((p) => completionAt(pathOf(p.textDocument.uri), p.position, index, settings));
connection.onDefinition((p) => definitionAt(pathOf(p.textDocument.uri), p.position, index));
connection.onReferences((p) => referencesAt(pathOf(p.textDocument.uri), p.position, index, p.context.includeDeclaration));
connection.onPrepareRename((p) => prepareRenameAt(pathOf(p.textDocument.uri), p.position, index));
connection.onRenameRequest((p) => renameAt(pathOf(p.textDocument.uri), p.position, p.newName, index));
connection.onDocumentSymbol((p) => {
  const path = pathOf(p.textDocument.uri);
  const scan = index.scan(path);
  const lines = index.text(path)?.split(/\r?\n/) ?? [];
  return scan ? documentSymbols(scan, (l) => lines[l]?.length ?? 0) : [];
});
connection.onWorkspaceSymbol((p) => workspaceSymbols(p.query, index));
connection.onFoldingRanges((p) => {
  const scan = index.scan(pathOf(p.textDocument.uri));
  return scan ? foldingRanges(scan) : [];
});
connection.languages.semanticTokens.on((p) => semanticTokens(pathOf(p.textDocument.uri), index));
connection.languages.inlayHint.on((p) => {
  const scan = index.scan(pathOf(p.textDocument.uri));
  return scan ? inlayHints(scan, settings, p.range) : [];
});
connection.onCodeLens((p) => {
  const scan = index.scan(pathOf(p.textDocument.uri));
  return scan ? codeLenses(scan, settings) : [];
});

documents.listen(connection);
connection.listen();
