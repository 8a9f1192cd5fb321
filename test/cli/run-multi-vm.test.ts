/**
 * `vanderpool run A B … --vmm trap-and-emulate` and `--vms N`, run as the bundled CLI: several
 * guests on the multi-VM host with their COM1 lines prefixed, the exit status rule (0 when every
 * guest exits with status 1, else the first failing VM's status), a failing or stopped VM that
 * leaves the others running, --stats per VM with the world-switch count, and the usage errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, REPO, runCli, useCliSuite } from './cli-harness';

const suite = useCliSuite();

const HELLO = join(REPO, 'examples/hello.asm');
const HELLO_LINE = readFileSync(join(REPO, 'examples/hello.expected'), 'latin1').trimEnd();

/** A Multiboot header (a.out kludge) for a flat 32-bit kernel at 1 MiB. */
const MULTIBOOT = `bits 32
org 0x100000
align 4
mb: dd 0x1BADB002, 1 << 16, -(0x1BADB002 + (1 << 16)), mb, $$, end, end, start
start:
`;

/** Sets COM1 to 8 data bits (LCR = 3), prints TEXT on it and writes VALUE to isa-debug-exit. */
function printer(text: string, value: number): string {
  const bytes = [...text].map((c) => `  mov al, ${c.charCodeAt(0)}\n  out dx, al\n`).join('');
  return `${MULTIBOOT}  mov dx, 0x3fb\n  mov al, 3\n  out dx, al\n  mov dx, 0x3f8\n${bytes}  mov al, ${value}\n  out 0xf4, al\n  hlt\nend:\n`;
}

const GUESTS = {
  'two.asm': printer('two lines\nsecond\n', 0),
  'partial.asm': printer('no line feed', 0),
  'fails.asm': printer('failing\n', 1),
  'halts.asm': `${MULTIBOOT}  mov dx, 0x3fb\n  mov al, 3\n  out dx, al\n  mov dx, 0x3f8\n  mov al, 'w'\n  out dx, al\n  cli\n  hlt\nend:\n`,
  'spin.asm': `${MULTIBOOT}spin: jmp spin\nend:\n`,
};

describe('vanderpool run with several VMs', () => {
  it('--vms 3 runs three copies of hello, each line prefixed with its VM, and exits 0 when all exit with status 1', () => {
    const r = runCli(suite.cli(), ['run', HELLO, '--vms', '3', '--vmm', 'trap-and-emulate', '--slice', '50']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter((l) => l !== '').sort()).toEqual([0, 1, 2].map((i) => `[vm${i} hello] ${HELLO_LINE}`));
    expect(r.status).toBe(0);
  });

  it('several files run at once, named by file; each VM keeps its own lines whole and in order; an unfinished last line is printed with a line feed', () => {
    const dir = suite.work(GUESTS);
    const r = runCli(suite.cli(), ['run', HELLO, 'two.asm', 'partial.asm', '--vmm', 'trap-and-emulate', '--slice', '7'], dir);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain(`[vm0 hello] ${HELLO_LINE}`);
    expect(lines.filter((l) => l.startsWith('[vm1 two] '))).toEqual(['[vm1 two] two lines', '[vm1 two] second']);
    expect(lines).toContain('[vm2 partial] no line feed');
    expect(lines.length).toBe(4);
  });

  it('a guest exiting with another status fails the run with that status and a message naming its VM; the others still print everything', () => {
    const dir = suite.work(GUESTS);
    const r = runCli(suite.cli(), ['run', HELLO, 'fails.asm', HELLO, '--vmm', 'trap-and-emulate', '--slice', '20'], dir);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('vanderpool: vm1 fails: the guest exited through isa-debug-exit with status 3\n');
    expect(r.stdout).toContain(`[vm0 hello] ${HELLO_LINE}\n`);
    expect(r.stdout).toContain(`[vm2 hello] ${HELLO_LINE}\n`);
    expect(r.stdout).toContain('[vm1 fails] failing\n');
  });

  it('a VM the VMM stops leaves the schedule (status 8, the VMM message with its VM name) and the other VM finishes', () => {
    const dir = suite.work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'halts.asm', HELLO, '--vmm', 'trap-and-emulate', '--slice', '10'], dir);
    expect(r.status).toBe(8);
    expect(r.stderr).toMatch(/^vanderpool: vm0 halts: the VMM stopped the VM: HLT with the virtual IF = 0.*\(after [\d,]+ instructions, guest CS:EIP = [0-9A-F]{4}:[0-9A-F]{8}\)\n$/);
    expect(r.stdout).toContain('[vm0 halts] w\n');
    expect(r.stdout).toContain(`[vm1 hello] ${HELLO_LINE}\n`);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('--max-instructions is per VM: a spinning guest ends with status 6 while hello exits normally', () => {
    const dir = suite.work(GUESTS);
    const r = runCli(suite.cli(), ['run', HELLO, 'spin.asm', '--vmm', 'trap-and-emulate', '--max-instructions', '20000', '--slice', '1000'], dir);
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/^vanderpool: vm1 spin: stopped: --max-instructions 20,000 reached before the guest exited/);
    expect(r.stdout).toBe(`[vm0 hello] ${HELLO_LINE}\n`);
  });

  it('--stats prints the host block with the world-switch count, then each VM statistics and exit table', () => {
    const r = runCli(suite.cli(), ['run', HELLO, '--vms', '2', '--vmm', 'trap-and-emulate', '--slice', '100', '--stats']);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('vanderpool statistics: host');
    expect(lines).toContain('  VMs              2, round-robin');
    expect(lines).toContain('  slice            100 instructions');
    const switches = Number(/^ {2}world switches +([\d,]+)$/m.exec(r.stderr)![1].replace(/,/g, ''));
    expect(switches).toBeGreaterThan(4);
    for (const name of ['vm0 hello', 'vm1 hello']) {
      const at = lines.indexOf(`vanderpool statistics: ${name}`);
      expect(at).toBeGreaterThan(0);
      expect(lines[at + 2]).toBe('  stopped        isa-debug-exit, status 1');
    }
    expect(lines.filter((l) => l === 'VM exits by reason').length).toBe(2);
  });

  it('--help documents --vms, --slice and the exit status with several VMs', () => {
    const r = runCli(suite.cli(), ['run', '--help']);
    expect(r.stdout).toContain('--vms <N>');
    expect(r.stdout).toContain('--slice <N>');
    expect(r.stdout).toContain('With several VMs (--vms N or several FILEs): 0 when every guest wrote 0 to isa-debug-exit');
  });

  describe('usage errors (exit 2, one message, nothing run)', () => {
    const cases: [string, string[], RegExp][] = [
      ['--vms on the bare machine', ['run', HELLO, '--vms', '2'], /several VMs \(--vms 2\) need a VMM \(add --vmm trap-and-emulate\)/],
      ['several files on the bare machine', ['run', HELLO, HELLO], /several VMs \(2 FILEs\) need a VMM/],
      ['--vms with several files', ['run', HELLO, HELLO, '--vms', '2', '--vmm', 'trap-and-emulate'], /--vms 2 runs copies of ONE file/],
      ['--slice with one VM', ['run', HELLO, '--slice', '10', '--vmm', 'trap-and-emulate'], /--slice applies to several VMs/],
      ['--vms 0', ['run', HELLO, '--vms', '0', '--vmm', 'trap-and-emulate'], /--vms must be from 1 to 64, not 0/],
    ];
    for (const [what, args, message] of cases) {
      it(`${what}: a message naming the problem`, () => {
        const r = runCli(suite.cli(), args);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stdout).toBe('');
        expect(hasStackTrace(r.stderr)).toBe(false);
      });
    }
  });
});
