/**
 * Runs every example guest, assembled by our assembler, in a Vanderpool Machine and
 * compares its COM1 output with examples/<name>.expected and its isa-debug-exit status —
 * the same expectations qemu.test.ts holds QEMU to, so the two machines print the same.
 */
import { describe, expect, it } from 'vitest';
import { assembleExample, EXAMPLES, EXPECTED_STATUS, expectedOutput } from './examples';
import { runVanderpool } from './vanderpool-run';

describe('example guests in Vanderpool', () => {
  for (const example of EXAMPLES) {
    it(`${example.name}: prints examples/${example.name}.expected on COM1 and exits with status ${EXPECTED_STATUS}`, () => {
      const run = runVanderpool(example, assembleExample(example));
      expect(run.problem).toBeNull();
      expect(run.output).toBe(expectedOutput(example));
      expect(run.status).toBe(EXPECTED_STATUS);
    }, 60_000);
  }
});
