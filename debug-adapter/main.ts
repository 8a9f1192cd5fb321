/**
 * Entry point of the Vanderpool debug adapter (dist/debug-adapter.js): speaks DAP over
 * stdin/stdout, or — with `--server=PORT` — accepts one session per TCP connection on that
 * port (for debugging the adapter itself and for tests), through @vscode/debugadapter's
 * `DebugSession.run`.
 */
import { DebugSession } from '@vscode/debugadapter';
import { VanderpoolSession } from './session';

DebugSession.run(VanderpoolSession);
