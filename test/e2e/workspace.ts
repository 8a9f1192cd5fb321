/**
 * The workspace folder the real-editor suite opens (test/e2e/suite/index.ts reads these files
 * by name): examples/hello.asm, and the fixtures broken.asm (diagnostics) and privileged.asm
 * (hover, trap annotations), copied into a fresh folder so the tests never touch the repository.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Files of the workspace: name in the workspace → path in the repository. */
export const WORKSPACE_FILES: Record<string, string> = {
  'hello.asm': 'examples/hello.asm',
  'broken.asm': 'test/e2e/fixtures/broken.asm',
  'privileged.asm': 'test/e2e/fixtures/privileged.asm',
};

/**
 * Create `folder` with the suite's files.
 * @param repo the repository's root
 */
export function prepareWorkspace(repo: string, folder: string): void {
  mkdirSync(folder, { recursive: true });
  for (const [name, from] of Object.entries(WORKSPACE_FILES)) cpSync(join(repo, from), join(folder, name));
}
