/**
 * Starts the guest-assembly language server (extension/server/, bundled to dist/server.js) with
 * vscode-languageclient 11 over Node IPC for `vanderpool-asm` documents, and tells it the VMM
 * mode the trap annotations describe (`vanderpool/setVmmMode`, protocol.ts) whenever the mode
 * the status bar shows changes (a pick, a setting, a debug session's vmInfo).
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { ModeStatus } from './mode-status';
import { LANGUAGE_ID, SET_VMM_MODE_NOTIFICATION, SETTINGS_SECTION } from './protocol';

/** The `vanderpool` settings as plain data, with the mode the status item shows. */
function effectiveSettings(mode: ModeStatus): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const keys = ['vmm', 'ringModel', 'memory', 'trapAnnotations', 'includePaths'];
  return { ...Object.fromEntries(keys.map((k) => [k, config.get(k)])), ...mode.mode() };
}

/**
 * Start the client. A missing server bundle (a build without extension/server/) is reported
 * in the output channel and leaves the extension running without language features.
 * @returns the client, or null when the server bundle is missing
 */
export async function startLanguageClient(context: vscode.ExtensionContext, mode: ModeStatus, log: vscode.OutputChannel): Promise<LanguageClient | null> {
  const module = context.asAbsolutePath('dist/server.js');
  if (!existsSync(module)) {
    log.appendLine(`language server not started: ${module} does not exist (build with \`node esbuild.mjs\`)`);
    return null;
  }
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: LANGUAGE_ID },
      { scheme: 'untitled', language: LANGUAGE_ID },
    ],
    synchronize: { configurationSection: SETTINGS_SECTION },
    initializationOptions: { settings: effectiveSettings(mode) },
    middleware: {
      workspace: {
        // The server pulls the `vanderpool` section after every settings change; answer with the
        // mode the status item shows, so a pull during a debug session does not undo the
        // session's mode that `vanderpool/setVmmMode` set.
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) return result;
          return result.map((value: unknown, i) => (params.items[i]?.section === SETTINGS_SECTION && value && typeof value === 'object' ? { ...value, ...mode.mode() } : value));
        },
      },
    },
  };
  const client = new LanguageClient('vanderpool-asm', 'Vanderpool guest assembly', serverOptions, clientOptions);
  await client.start();
  const send = (): void => {
    const m = mode.mode();
    void client.sendNotification(SET_VMM_MODE_NOTIFICATION, m).catch((err: unknown) => log.appendLine(`could not send ${SET_VMM_MODE_NOTIFICATION}: ${String(err)}`));
  };
  context.subscriptions.push(mode.onDidChange(send));
  // A debug session may already have set the mode while the server started.
  if (mode.followsSession()) send();
  return client;
}
