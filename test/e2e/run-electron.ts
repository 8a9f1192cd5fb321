/**
 * `npm run test:vscode`: the real-editor suite (dist/e2e/index.js) in VS Code desktop through
 * @vscode/test-electron 2.5.2, as most extension authors run their tests. It downloads a VS Code
 * build into .vscode-test/ (or uses VSCODE_EXECUTABLE) and starts it with this repository as the
 * extension under development and a fresh workspace (workspace.ts).
 *
 * On the project's CI machines the download cannot work (no route to VS Code's update server),
 * so this command fails there with the download error, and CI runs the same module in
 * code-server instead (run-code-server.ts). It needs a display (or xvfb-run) on Linux.
 * Exit status 0 when every test passed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { prepareWorkspace } from './workspace';

// tsx runs this file as CommonJS (the package has no "type": "module"), so __dirname, not import.meta.url.
const REPO = resolve(__dirname, '../..');

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'vp-e2e-electron-'));
  const workspace = join(dir, 'workspace');
  prepareWorkspace(REPO, workspace);
  try {
    await runTests({
      version: '1.100.3',
      ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : {}),
      extensionDevelopmentPath: REPO,
      extensionTestsPath: join(REPO, 'dist/e2e/index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(dir, 'ud'), '--skip-welcome', '--skip-release-notes'],
    });
    return 0;
  } catch (err) {
    console.error(`test:vscode: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().then((code) => {
  process.exitCode = code;
});
