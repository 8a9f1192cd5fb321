/**
 * Runs every example guest, assembled by our assembler, in QEMU (the reference PC) and
 * compares its COM1 output with examples/<name>.expected and its isa-debug-exit status.
 * When qemu-system-i386 is missing the suite skips locally but fails under CI=true (.ci/run
 * installs qemu-system-x86). vanderpool.test.ts holds the same comparison for our Machine,
 * so both machines are held to one expected output.
 */
import { describe, expect, it } from 'vitest';
import { assembleExample, EXAMPLES, EXPECTED_STATUS, expectedOutput, qemuAvailable, runQemu } from './examples';

const requireQemu = qemuAvailable || process.env.CI === 'true';

describe.runIf(requireQemu)('example guests in QEMU', () => {
  for (const example of EXAMPLES) {
    it(`${example.name}: prints examples/${example.name}.expected on COM1 and exits with status ${EXPECTED_STATUS}`, () => {
      const run = runQemu(example, assembleExample(example), 30_000);
      expect(run.problem).toBeNull();
      expect(run.output).toBe(expectedOutput(example));
      expect(run.status).toBe(EXPECTED_STATUS);
    }, 60_000);
  }
});
