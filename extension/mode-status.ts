/**
 * The VMM mode the editor describes (the trap annotations' mode): a status-bar item showing
 * it ("$(server-process) trap-and-emulate 0/1/3") and a quick pick ("Vanderpool: Select VMM
 * mode") that writes the `vanderpool.vmm` and `vanderpool.ringModel` settings. While a
 * `vanderpool` debug session runs, the item follows the session's mode as its
 * `vanderpool/vmInfo` events report it (the first VM's, and "(debugging)" after it), and goes
 * back to the settings when the session ends. Listeners (the language client) hear every change.
 */
import * as vscode from 'vscode';
import { DEBUG_TYPE, RING_MODELS, SETTINGS_SECTION, VM_INFO_EVENT, VMM_KINDS, type VmInfoBody, type VmmModeParams } from './protocol';

/** The settings' mode, with the contract's defaults. */
export function configuredMode(): VmmModeParams {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return { vmm: config.get<string>('vmm', 'trap-and-emulate'), ringModel: config.get<string>('ringModel', '0/1/3') };
}

/** The status-bar item and quick pick of the VMM mode (see the file header); `onDidChange` feeds the language client. */
export class ModeStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<VmmModeParams>();
  /** Fires with the effective mode whenever it changes. */
  readonly onDidChange = this.changed.event;
  /** The running session's mode, per session id (its first VM's vmInfo). */
  private readonly sessionModes = new Map<string, VmmModeParams>();
  private last: VmmModeParams;

  constructor() {
    this.item = vscode.window.createStatusBarItem('vanderpool.mode', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Vanderpool VMM mode';
    this.item.command = 'vanderpool.selectVmmMode';
    this.last = this.mode();
    this.disposables.push(
      this.item,
      this.changed,
      vscode.commands.registerCommand('vanderpool.selectVmmMode', () => this.pick()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SETTINGS_SECTION}.vmm`) || e.affectsConfiguration(`${SETTINGS_SECTION}.ringModel`)) this.update();
      }),
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type !== DEBUG_TYPE || e.event !== VM_INFO_EVENT || this.sessionModes.has(e.session.id)) return;
        const body = e.body as VmInfoBody;
        if (typeof body?.vmm !== 'string') return;
        this.sessionModes.set(e.session.id, { vmm: body.vmm, ringModel: body.ringModel ?? '' });
        this.update();
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (this.sessionModes.delete(s.id)) this.update();
      }),
    );
    this.render();
    this.item.show();
  }

  /** The effective mode: the newest running session's, else the settings'. */
  mode(): VmmModeParams {
    const sessions = [...this.sessionModes.values()];
    return sessions.length > 0 ? sessions[sessions.length - 1] : configuredMode();
  }

  /** Whether the mode shown comes from a running debug session. */
  followsSession(): boolean {
    return this.sessionModes.size > 0;
  }

  /** The status-bar text as shown now. */
  text(): string {
    return this.item.text;
  }

  private update(): void {
    this.render();
    const now = this.mode();
    if (now.vmm !== this.last.vmm || now.ringModel !== this.last.ringModel) {
      this.last = now;
      this.changed.fire(now);
    }
  }

  private render(): void {
    const m = this.mode();
    const rings = m.vmm === 'native' || !m.ringModel ? '' : ` ${m.ringModel}`;
    this.item.text = `$(server-process) ${m.vmm}${rings}${this.followsSession() ? ' (debugging)' : ''}`;
    this.item.tooltip = this.followsSession()
      ? `Vanderpool: trap annotations describe the running guest's mode, ${m.vmm}${rings}. Click to change the default for the next run.`
      : `Vanderpool: trap annotations describe ${m.vmm}${rings} (settings vanderpool.vmm, vanderpool.ringModel). Click to change.`;
  }

  /** The quick pick: every VMM technique × ring model; writes the settings. */
  private async pick(): Promise<void> {
    const current = configuredMode();
    const items = VMM_KINDS.flatMap((vmm): Array<vscode.QuickPickItem & { vmm: string; ringModel: string }> =>
      vmm === 'native'
        ? [{ label: 'native', description: 'the bare machine: the guest owns the processor, no VM exits', vmm, ringModel: current.ringModel }]
        : RING_MODELS.map((ringModel) => ({ label: `${vmm} ${ringModel}`, description: ringModel === '0/1/3' ? 'guest kernel deprivileged to ring 1' : 'guest kernel deprivileged to ring 3, alongside its user code', vmm, ringModel })),
    );
    for (const i of items) if (i.vmm === current.vmm && (i.vmm === 'native' || i.ringModel === current.ringModel)) i.description = `$(check) ${i.description}`;
    const chosen = await vscode.window.showQuickPick(items, { title: 'Vanderpool: VMM mode for trap annotations and new debug sessions', placeHolder: `now ${current.vmm} ${current.ringModel}` });
    if (!chosen) return;
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await config.update('vmm', chosen.vmm, target);
    if (chosen.vmm !== 'native') await config.update('ringModel', chosen.ringModel, target);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
