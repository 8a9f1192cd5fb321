/**
 * Drives the bundled language server over JSON-RPC for the language-server suites.
 *
 * `bundleServer()` bundles extension/server/server.ts exactly as esbuild.mjs does (same
 * entry, platform, format, target, banner and define) but into a private folder: a full
 * `node esbuild.mjs` also builds the other processes, which other people may be editing,
 * and rewrites dist/ that other suites read. `startServer()` spawns `node server.js --stdio`
 * and connects with `createMessageConnection` (vscode-languageserver/node), answering the
 * server's `workspace/configuration` requests from a settings object the test controls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection, type PublishDiagnosticsParams } from 'vscode-languageserver/node';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(REPO, 'test', 'fixtures', 'lsp');
export const uri = (path: string): string => pathToFileURL(path).href;

/** Bundle the server (see the file header); returns the bundle's path and the folder to remove. */
export async function bundleServer(): Promise<{ server: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vp-lsp-'));
  const server = join(dir, 'server.js');
  await esbuild.build({
    entryPoints: [join(REPO, 'extension/server/server.ts')],
    outfile: server,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: "var __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
    logLevel: 'silent',
  });
  return { server, dir };
}

export interface ServerSession {
  connection: MessageConnection;
  process: ChildProcess;
  /** Settings returned for `workspace/configuration` (section `vanderpool`); change and send didChangeConfiguration. */
  settings: Record<string, unknown>;
  /** Latest diagnostics per URI. */
  diagnostics: Map<string, PublishDiagnosticsParams>;
  /** Resolves with the next diagnostics for `uri` that satisfy `pred`. */
  waitForDiagnostics(uri: string, pred: (p: PublishDiagnosticsParams) => boolean, timeoutMs?: number): Promise<PublishDiagnosticsParams>;
  inlayHintRefreshes: number;
  open(path: string, text: string, version?: number): void;
  change(path: string, text: string, version: number): void;
  close(): Promise<void>;
}

/** Start the bundled server on stdio and initialize it with `FIXTURES` as the workspace folder. */
export async function startServer(bundle: string, settings: Record<string, unknown> = {}): Promise<ServerSession> {
  const child = spawn(process.execPath, [bundle, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  // EPIPE after the server exited is not the test's failure; the requests that needed it fail on their own.
  child.stdin!.on('error', () => undefined);
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiters: { uri: string; pred: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  const session: ServerSession = {
    connection,
    process: child,
    settings: { vmm: 'trap-and-emulate', ringModel: '0/1/3', trapAnnotations: 'inlayHints', includePaths: ['lib'], ...settings },
    diagnostics: new Map(),
    inlayHintRefreshes: 0,
    waitForDiagnostics(u, pred, timeoutMs = 10_000) {
      const now = session.diagnostics.get(u);
      if (now && pred(now)) return Promise.resolve(now);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no matching diagnostics for ${u} within ${timeoutMs} ms; last: ${JSON.stringify(session.diagnostics.get(u))}; server stderr: ${stderr}`)), timeoutMs);
        waiters.push({ uri: u, pred, resolve: (p) => (clearTimeout(t), res(p)) });
      });
    },
    open(path, text, version = 1) {
      void connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(path), languageId: 'vanderpool-asm', version, text } });
    },
    change(path, text, version) {
      void connection.sendNotification('textDocument/didChange', { textDocument: { uri: uri(path), version }, contentChanges: [{ text }] });
    },
    async close() {
      // Wait for the server to leave after 'exit' before disposing: a write still queued to a
      // stdin the exiting server closed would reject later, unhandled (ERR_STREAM_DESTROYED).
      const exited = child.exitCode !== null ? Promise.resolve() : new Promise<void>((res) => child.once('exit', () => res()));
      try {
        await connection.sendRequest('shutdown');
        await connection.sendNotification('exit');
      } catch {
        // The server is gone already.
      }
      await Promise.race([exited, new Promise<void>((res) => setTimeout(res, 5_000))]);
      connection.dispose();
      child.kill();
    },
  };
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    session.diagnostics.set(p.uri, p);
    for (let k = waiters.length - 1; k >= 0; k--) {
      const w = waiters[k]!;
      if (w.uri === p.uri && w.pred(p)) {
        waiters.splice(k, 1);
        w.resolve(p);
      }
    }
  });
  connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map((i) => (i.section === 'vanderpool' ? session.settings : null)));
  connection.onRequest('workspace/inlayHint/refresh', () => {
    session.inlayHintRefreshes++;
    return null;
  });
  connection.onRequest('workspace/codeLens/refresh', () => null);
  connection.onRequest('client/registerCapability', () => null);
  connection.onNotification('window/logMessage', () => undefined);
  connection.listen();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: uri(FIXTURES),
    workspaceFolders: [{ uri: uri(FIXTURES), name: 'lsp' }],
    capabilities: {
      workspace: { configuration: true, inlayHint: { refreshSupport: true }, codeLens: { refreshSupport: true } },
      textDocument: { hover: { contentFormat: ['markdown'] }, rename: { prepareSupport: true } },
    },
  });
  await connection.sendNotification('initialized', {});
  return session;
}

/** Remove a private bundle folder. */
export function removeBundle(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
