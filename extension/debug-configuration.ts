/**
 * The `vanderpool` debugger's configurations and adapter:
 *  - initial configurations for a new launch.json: the active file under trap-and-emulate
 *    0/1/3 and on the bare machine (VS Code adds package.json's `initialConfigurations`);
 *  - `resolveDebugConfiguration`, so that F5 on an .asm file with no launch.json runs that file
 *    with the settings' `vanderpool.vmm`, `vanderpool.ringModel`, `vanderpool.memory` and
 *    `vanderpool.includePaths`, and a launch.json entry that leaves them out gets them too;
 *  - the adapter descriptor: `dist/debug-adapter.js` (debug-adapter/main.ts) run by the
 *    extension host's own Node (in VS Code desktop that is Electron, run as Node with
 *    ELECTRON_RUN_AS_NODE), speaking DAP over stdio.
 * Launch attributes: contracts (package.json `contributes.debuggers[0]`, written by the adapter's author).
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { configuredMode } from './mode-status';
import { DEBUG_TYPE, LANGUAGE_ID, SETTINGS_SECTION } from './protocol';

/** Source file extensions the adapter assembles in-process. */
const SOURCE_FILE = /\.(asm|nasm)$/i;

/** The settings' launch defaults, as launch attributes (ringModel only for a VMM). */
function settingsDefaults(): { vmm: string; ringModel?: string; memory: number; includePaths: string[] } {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const { vmm, ringModel } = configuredMode();
  return {
    vmm,
    ...(vmm === 'native' ? {} : { ringModel }),
    memory: config.get<number>('memory', 32),
    includePaths: config.get<string[]>('includePaths', []),
  };
}

/** The active editor's guest-assembly file, if any. */
function activeSourceFile(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) return undefined;
  if (doc.languageId === LANGUAGE_ID || SOURCE_FILE.test(doc.fileName)) return doc.uri;
  return undefined;
}

/** The `vanderpool` DebugConfigurationProvider (see the file header). */
export class VanderpoolConfigurationProvider implements vscode.DebugConfigurationProvider {
  /** launch.json's first entries: run the active file (`${file}`) under trap-and-emulate 0/1/3, and on the bare machine. */
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [
      { type: DEBUG_TYPE, request: 'launch', name: 'Vanderpool: run the current guest (trap-and-emulate 0/1/3)', program: '${file}', vmm: 'trap-and-emulate', ringModel: '0/1/3', memory: 32, stopOnEntry: false },
      { type: DEBUG_TYPE, request: 'launch', name: 'Vanderpool: run the current guest on the bare machine', program: '${file}', vmm: 'native', memory: 32, stopOnEntry: false },
    ];
  }

  /**
   * Fill in a configuration before it launches. An empty one (F5 with no launch.json) becomes
   * "run the active guest-assembly file"; missing vmm/ringModel/memory/includePaths come from
   * the settings.
   * @returns the configuration, or undefined (launch cancelled, with a message) when there is nothing to run
   */
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (!config.type && !config.request && !config.name) {
      const file = activeSourceFile();
      if (!file) {
        void vscode.window.showErrorMessage('Vanderpool: open a guest-assembly file (.asm, .nasm) to run it, or add a "vanderpool" configuration to launch.json.');
        return undefined;
      }
      config = { type: DEBUG_TYPE, request: 'launch', name: `Vanderpool: ${vscode.workspace.asRelativePath(file)}`, program: file.fsPath, stopOnEntry: false };
    }
    if (config.program === undefined && config.programs === undefined) {
      const file = activeSourceFile();
      if (!file) {
        void vscode.window.showErrorMessage(`Vanderpool: the configuration '${config.name ?? '(unnamed)'}' has neither "program" nor "programs", and no guest-assembly file is active.`);
        return undefined;
      }
      config.program = file.fsPath;
    }
    const defaults = settingsDefaults();
    config.vmm ??= defaults.vmm;
    if (config.vmm !== 'native') config.ringModel ??= defaults.ringModel ?? '0/1/3';
    config.memory ??= defaults.memory;
    config.includePaths ??= defaults.includePaths;
    return config;
  }
}

/** Runs dist/debug-adapter.js as a child process speaking DAP over stdio. */
export class VanderpoolAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly adapterPath: string) {}

  /** @throws Error (shown by VS Code as the launch's error) when the adapter bundle is missing */
  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    if (!existsSync(this.adapterPath)) throw new Error(`Vanderpool: the debug adapter ${this.adapterPath} does not exist (build with \`node esbuild.mjs\`)`);
    return new vscode.DebugAdapterExecutable(process.execPath, [this.adapterPath], { env: { ELECTRON_RUN_AS_NODE: '1' } });
  }
}

/** Register the provider (initial and dynamic-less resolve) and the adapter factory. */
export function registerDebugConfiguration(context: vscode.ExtensionContext): void {
  const provider = new VanderpoolConfigurationProvider();
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider, vscode.DebugConfigurationProviderTriggerKind.Initial),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new VanderpoolAdapterFactory(context.asAbsolutePath('dist/debug-adapter.js'))),
  );
}
