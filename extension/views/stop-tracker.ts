/**
 * Watches the `vanderpool` debug adapter's DAP traffic (a DebugAdapterTracker) for `stopped`
 * events, and remembers the session and thread (VM) that stopped last, so that the tree views
 * refresh on each stop and know which VM to ask. Also fires when that session ends (the views
 * keep their last content then, since the inspect request needs a live session).
 */
import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../protocol';

/** The last stop of a `vanderpool` session. */
export interface StopPoint {
  session: vscode.DebugSession;
  /** The DAP thread (one VM) that stopped. */
  threadId: number;
  /** DAP `stopped` reason: breakpoint, step, pause, entry, exception… */
  reason: string;
}

/** Tracks `stopped` events of `vanderpool` sessions (see the file header). */
export class StopTracker implements vscode.Disposable {
  private current: StopPoint | null = null;
  private readonly stopped = new vscode.EventEmitter<StopPoint>();
  private readonly ended = new vscode.EventEmitter<vscode.DebugSession>();
  /** A `vanderpool` session stopped (after VS Code has been told). */
  readonly onDidStop = this.stopped.event;
  /** The session of the last stop ended. */
  readonly onDidEnd = this.ended.event;
  private readonly disposables: vscode.Disposable[];

  constructor() {
    this.disposables = [
      this.stopped,
      this.ended,
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (message: { type?: string; event?: string; body?: { threadId?: number; reason?: string; allThreadsStopped?: boolean } }) => {
            if (message.type !== 'event' || message.event !== 'stopped') return;
            const threadId = message.body?.threadId ?? this.current?.threadId ?? 1;
            this.current = { session, threadId, reason: message.body?.reason ?? 'unknown' };
            this.stopped.fire(this.current);
          },
        }),
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (this.current?.session.id !== s.id) return;
        this.current = null;
        this.ended.fire(s);
      }),
    ];
  }

  /** The last stop of a session still running, or null. */
  last(): StopPoint | null {
    return this.current;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
