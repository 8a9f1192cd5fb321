/**
 * `vanderpool run --vmm trap-and-emulate`, run as the bundled CLI: the example guest's COM1
 * output and exit status under the VMM, the --stats exit table, the ring-model checks, and
 * the stop (exit 8) when the guest does something the VMM does not support yet.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, REPO, runCli, useCliSuite } from './cli-harness';

const suite = useCliSuite();
const work = suite.work;

const HELLO = join(REPO, 'examples/hello.asm');

/** A Multiboot header (a.out kludge) for a flat 32-bit kernel at 1 MiB. */
const MULTIBOOT = `bits 32
org 0x100000
align 4
mb: dd 0x1BADB002, 1 << 16, -(0x1BADB002 + (1 << 16)), mb, $$, end, end, start
start:
`;

const GUESTS = {
  /**
   * Prints "pg" on COM1 with interrupts disabled (CLI: an INTERRUPT_FLAG exit under the VMM),
   * then enables paging, which trap-and-emulate does not support yet.
   */
  /** Prints "ok" under the VMM, then halts with interrupts disabled: nothing can end that HLT. */
  'unsupported.asm': `${MULTIBOOT}  cli
  mov dx, 0x3fb
  mov al, 3
  out dx, al
  mov dx, 0x3f8
  mov al, 'o'
  out dx, al
  mov al, 'k'
  out dx, al
  hlt
  mov al, 0
  out 0xf4, al
end:
`,
  /** Loops forever at (virtual) ring 0. */
  'spin.asm': `${MULTIBOOT}spin: jmp spin\nend:\n`,
  /** A flat real-mode binary: not a Multiboot kernel. */
  'flat.asm': 'bits 16\norg 0x7c00\n  hlt\n',
};

describe('vanderpool run --vmm trap-and-emulate', () => {
  it('examples/hello.asm prints examples/hello.expected on stdout and exits with status 1, as on the bare machine', () => {
    const r = runCli(suite.cli(), ['run', HELLO, '--vmm', 'trap-and-emulate']);
    expect(r.stdout).toBe(readFileSync(join(REPO, 'examples/hello.expected'), 'latin1'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
  });

  it('--ring-model 0/1/3 is the default and may be given', () => {
    const r = runCli(suite.cli(), ['run', HELLO, '--vmm', 'trap-and-emulate', '--ring-model', '0/1/3']);
    expect(r.stdout).toBe(readFileSync(join(REPO, 'examples/hello.expected'), 'latin1'));
    expect(r.status).toBe(1);
  });

  it('--ring-model 0/3/3 runs the guest kernel in ring 3: hello prints examples/hello.expected, and --stats names the model', () => {
    const r = runCli(suite.cli(), ['run', HELLO, '--vmm', 'trap-and-emulate', '--ring-model', '0/3/3', '--stats']);
    expect(r.stdout).toBe(readFileSync(join(REPO, 'examples/hello.expected'), 'latin1'));
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')).toContain('  VMM            trap-and-emulate, ring model 0/3/3');
  });

  it('--stats prints the VM exits by reason (IO_INSTRUCTION for the COM1 and isa-debug-exit writes) and the guest EIPs that exit most', () => {
    const r = runCli(suite.cli(), ['run', HELLO, '--vmm', 'trap-and-emulate', '--stats']);
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('vanderpool statistics');
    expect(lines).toContain('  VMM            trap-and-emulate, ring model 0/1/3');
    expect(lines).toContain('  stopped        isa-debug-exit, status 1');
    const exits = Number(/^ {2}VM exits +([\d,]+)$/m.exec(r.stderr)![1].replace(/,/g, ''));
    expect(exits).toBeGreaterThan(0);
    const table = lines.indexOf('VM exits by reason');
    expect(lines[table + 1]).toMatch(/^ {2}reason +count +share +cost \(wu\) +wu\/exit$/);
    // hello reaches the VMM only through port I/O: every exit is IO_INSTRUCTION (30).
    expect(lines[table + 2]).toMatch(new RegExp(`^ {2}IO_INSTRUCTION \\(30\\) +${exits} +100\\.0%`));
    expect(lines[table + 3]).toMatch(new RegExp(`^ {2}total +${exits} +100\\.0%`));
    const top = lines.indexOf('VM exits by guest EIP (the 8 most frequent)');
    expect(top).toBeGreaterThan(table);
    const eipRows = lines.slice(top + 1);
    expect(eipRows.length).toBe(8);
    for (const row of eipRows) expect(row).toMatch(/^ {2}[0-9A-F]{4}:[0-9A-F]{8} +\d+ +IO_INSTRUCTION \(30\) \d+$/);
    const counts = eipRows.map((row) => Number(/^ {2}\S+ +(\d+)/.exec(row)![1]));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it('a guest the VMM stops (HLT with the virtual IF clear: nothing can wake it) ends with the VMM\'s message and exit status 8; its COM1 output before that is on stdout', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'unsupported.asm', '--vmm', 'trap-and-emulate', '--stats'], dir);
    expect(r.stdout).toBe('ok');
    expect(r.status).toBe(8);
    expect(r.stderr).toMatch(
      /^vanderpool: the VMM stopped the VM: HLT with the virtual IF = 0: nothing can wake the vCPU \(after [\d,]+ instructions, guest CS:EIP = [0-9A-F]{4}:[0-9A-F]{8}\)\n/,
    );
    expect(r.stderr).toMatch(/^ {2}stopped +the VMM stopped the VM: HLT with the virtual IF = 0/m);
    // The CLI was emulated (INTERRUPT_FLAG, a software-VMM reason) and the HLT exited under its SDM reason.
    expect(r.stderr).toMatch(/^ {2}INTERRUPT_FLAG \(VMM\) +1 /m);
    expect(r.stderr).toMatch(/^ {2}HLT \(12\) +1 /m);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('a run past --max-instructions stops there and exits 6, saying so on stderr', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'spin.asm', '--vmm', 'trap-and-emulate', '--max-instructions', '100000'], dir);
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/^vanderpool: stopped: --max-instructions 100,000 reached before the guest exited \(after 100,000 instructions, guest CS:EIP = /);
  });

  it('--help lists --vmm, --ring-model and exit status 8', () => {
    const r = runCli(suite.cli(), ['run', '--help']);
    expect(r.status).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--vmm <KIND> .*\(choices: "native", "trap-and-emulate", default: "native"\)/);
    expect(help).toMatch(/--ring-model <MODEL> .*0\/3\/3: in ring 3, with a kernel and a user shadow page table\) \(choices: "0\/1\/3", "0\/3\/3"\)/);
    expect(r.stdout).toMatch(/^ {2}8 {10}--vmm trap-and-emulate: the VMM stopped the VM/m);
  });
});

describe('vanderpool run --vmm: bad input', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown VMM', ['run', HELLO, '--vmm', 'vt-x'], /option '--vmm <KIND>' argument 'vt-x' is invalid\. Allowed choices are native, trap-and-emulate\./],
    ['a ring model that does not exist', ['run', HELLO, '--vmm', 'trap-and-emulate', '--ring-model', '0/2/3'], /option '--ring-model <MODEL>' argument '0\/2\/3' is invalid\. Allowed choices are 0\/1\/3, 0\/3\/3\./],
    ['--ring-model on the bare machine', ['run', HELLO, '--ring-model', '0/1/3'], /--ring-model 0\/1\/3 applies to a VMM; the bare machine \(--vmm native\)/],
    ['a program that is not a Multiboot kernel', ['run', 'flat.asm', '--vmm', 'trap-and-emulate'], /--vmm trap-and-emulate runs Multiboot kernels only, and 'flat\.asm' is not one/],
    ['--trace under the VMM', ['run', HELLO, '--vmm', 'trap-and-emulate', '--trace'], /--trace is not supported with --vmm trap-and-emulate/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: a message naming the problem, exit 2, no stack trace, nothing on stdout`, () => {
      const dir = work(GUESTS);
      const r = runCli(suite.cli(), args, dir);
      expect(r.stderr).toMatch(message);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(hasStackTrace(r.stderr)).toBe(false);
    });
  }
});
