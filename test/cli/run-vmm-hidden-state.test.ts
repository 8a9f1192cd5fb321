/**
 * `vanderpool run --vmm trap-and-emulate --no-preserve-hidden-state`, run as the bundled CLI:
 * with the VMM restoring segment registers by reloading them after each exit, the FS case of
 * examples/sensitive.asm fails as the SDM predicts (issue 5, acceptance), and the flag is a
 * usage error without a VMM.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, REPO, runCli, useCliSuite } from './cli-harness';

const suite = useCliSuite();
const SENSITIVE = join(REPO, 'examples/sensitive.asm');
const HELLO = join(REPO, 'examples/hello.asm');
const FS_LINE = /^ {2}FS:\[0\] after the GDT entry moved to probe_b +(0x[0-9A-F]{8}) +hardware 0x11111111 +(match|DIFFERS)$/m;

describe('vanderpool run --vmm trap-and-emulate --no-preserve-hidden-state', () => {
  it('by default (hidden state preserved) FS keeps the base it was loaded with: the FS line matches hardware', () => {
    const r = runCli(suite.cli(), ['run', SENSITIVE, '--vmm', 'trap-and-emulate']);
    expect(r.stdout).toMatch(FS_LINE);
    expect(FS_LINE.exec(r.stdout)?.slice(1)).toEqual(['0x11111111', 'match']);
  }, 60_000);

  it('with the flag FS:[0] reads probe_b (0x22222222) before the reload, and --stats counts the segment registers that came back different', () => {
    const r = runCli(suite.cli(), ['run', SENSITIVE, '--vmm', 'trap-and-emulate', '--no-preserve-hidden-state', '--stats']);
    expect(FS_LINE.exec(r.stdout)?.slice(1)).toEqual(['0x22222222', 'DIFFERS']);
    expect(r.stderr).toMatch(/^ {2}hidden state +not preserved: [1-9][0-9,]* segment registers? reloaded different from their cache$/m);
    expect(hasStackTrace(r.stderr)).toBe(false);
  }, 60_000);

  it('on the bare machine the flag is a usage error: exit 2, a message naming it, nothing on stdout', () => {
    const r = runCli(suite.cli(), ['run', HELLO, '--no-preserve-hidden-state']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^vanderpool: error: --no-preserve-hidden-state applies to a VMM; the bare machine \(--vmm native\)/);
    expect(r.stdout).toBe('');
  });
});
