/**
 * `vanderpool run`, run as the bundled CLI: the example guests' COM1 output and exit
 * statuses, each way of booting, the end of a run (isa-debug-exit, halt, triple fault,
 * --max-instructions, Ctrl-C), --trace, --stats, the output destinations, and bad input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, REPO, runCli, runCliAndInterrupt, useCliSuite } from './cli-harness';

const suite = useCliSuite();
const work = suite.work;

const expected = (name: string): string => readFileSync(join(REPO, 'examples', `${name}.expected`), 'latin1');

/** COM1 line control: 8 data bits, no parity, 1 stop bit (the 16550A resets to 5 data bits). */
const COM1_8N1 = '  mov dx, 0x3fb\n  mov al, 3\n  out dx, al\n';

/** Boot-sector-style guests: flat binaries at 0x7C00, entered in real mode after the BIOS's POST. */
const GUESTS = {
  /** Prints "hi\n" on COM1, then writes 3 to isa-debug-exit: status (3 << 1) | 1 = 7. */
  'exit7.asm': `bits 16
org 0x7c00
${COM1_8N1}  mov si, msg
  mov dx, 0x3f8
.next:
  lodsb
  test al, al
  jz .done
  out dx, al
  jmp .next
.done:
  mov al, 3
  out 0xf4, al
  hlt
msg: db "hi", 10, 0
`,
  /** Loops forever. */
  'spin.asm': 'bits 16\norg 0x7c00\nspin: jmp spin\n',
  /** Prints "x" on COM1, then loops forever (for the Ctrl-C test). */
  'print-spin.asm': `bits 16\norg 0x7c00\n${COM1_8N1}` + "  mov dx, 0x3f8\n  mov al, 'x'\n  out dx, al\nspin: jmp spin\n",
  /** An empty IVT: #UD cannot be delivered, nor the #GP, nor the #DF that follow: triple fault. */
  'triple.asm': 'bits 16\norg 0x7c00\n  lidt [idtr]\n  ud2\nidtr: dw 0\n  dd 0\n',
  /** CLI; HLT: nothing can wake the processor. */
  'halt.asm': 'bits 16\norg 0x7c00\n  cli\n  hlt\n',
  /** Idles in HLT with the BIOS timer running: retires a few instructions per tick. */
  'idle.asm': 'bits 16\norg 0x7c00\n  sti\nidle: hlt\n  jmp idle\n',
  /** Two reads and a write of COM2's port (nobody answers there), then exit 0 (status 1). */
  'unassigned.asm': 'bits 16\norg 0x7c00\n  mov dx, 0x2f8\n  in al, dx\n  in al, dx\n  out dx, al\n  int 0x11\n  mov al, 0\n  out 0xf4, al\n',
  /** Port E9h debug console, then exit 1 (status 3). */
  'debugcon.asm': "bits 16\norg 0x7c00\n  mov al, 'E'\n  out 0xe9, al\n  mov al, 1\n  out 0xf4, al\n",
  /** 32-bit code for --mode protected: prints "pm" on COM1 from 1 MiB, exit 0. */
  'flat32.asm': `bits 32\norg 0x100000\n${COM1_8N1}` + "  mov dx, 0x3f8\n  mov al, 'p'\n  out dx, al\n  mov al, 'm'\n  out dx, al\n  mov al, 0\n  out 0xf4, al\n  hlt\n",
  /** A source with an error. */
  'broken.asm': 'bits 16\n  mov ax, 1\n  frob nicate\n',
};

describe('vanderpool run: the example guests', () => {
  it('examples/hello.asm (Multiboot) prints examples/hello.expected on stdout and exits with status 1', () => {
    const r = runCli(suite.cli(), ['run', 'examples/hello.asm']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected('hello'));
    expect(r.status).toBe(1);
  });

  it('examples/tasks.asm prints examples/tasks.expected (timer preemption, page faults, system calls)', () => {
    const r = runCli(suite.cli(), ['run', 'examples/tasks.asm']);
    expect(r.stdout).toBe(expected('tasks'));
    expect(r.status).toBe(1);
  });

  it('the floppy example boots with --boot floppy and prints examples/bootsector.expected', () => {
    const r = runCli(suite.cli(), ['run', '--boot', 'floppy', 'examples/bootsector/boot.asm']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected('bootsector'));
    expect(r.status).toBe(1);
  });

  it('hello assembled by `vanderpool asm` is found to be a Multiboot kernel by its content and runs alike', () => {
    const dir = work({});
    expect(runCli(suite.cli(), ['asm', join(REPO, 'examples/hello.asm'), '-o', join(dir, 'hello.bin')]).status).toBe(0);
    const r = runCli(suite.cli(), ['run', join(dir, 'hello.bin')]);
    expect(r.stdout).toBe(expected('hello'));
    expect(r.status).toBe(1);
  });
});

describe('vanderpool run: how a run ends', () => {
  it('isa-debug-exit value 3 becomes exit status 7, with the guest\'s COM1 output on stdout', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'exit7.asm'], dir);
    expect(r.stdout).toBe('hi\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(7);
  });

  it('a run past --max-instructions stops there and exits 6, saying so on stderr', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'spin.asm', '--max-instructions', '250000'], dir);
    expect(r.status).toBe(6);
    expect(r.stderr).toBe('vanderpool: stopped: --max-instructions 250,000 reached before the guest exited (after 250,000 instructions, CS:EIP = 0000:7C00)\n');
  });

  it('--max-instructions also ends a guest idling in HLT: it bounds the virtual time too, and exits 6', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'idle.asm', '--max-instructions', '2000000'], dir);
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/^vanderpool: stopped: --max-instructions 2,000,000 reached before the guest exited/);
  });

  it('a triple fault exits 4 and names it with the fault chain and where the processor stopped', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'triple.asm', '--max-instructions', '1000'], dir);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^vanderpool: triple fault: the processor shut down: .*while delivering #DF.*\(after 1 instruction, CS:EIP = 0000:7C05\)\n$/);
  });

  it('HLT with interrupts disabled ends the run with status 0 and the reason on stderr', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'halt.asm'], dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^vanderpool: the guest halted for good: HLT with interrupts disabled .*\(after 2 instructions, CS:EIP = 0000:7C02\)\n$/);
  });

  it('Ctrl-C (SIGINT) stops the run with status 130 and still prints the statistics', async () => {
    const dir = work(GUESTS);
    const r = await runCliAndInterrupt(suite.cli(), ['run', 'print-spin.asm', '--stats'], dir);
    expect(r.stdout).toBe('x');
    expect(r.signal).toBe(null);
    expect(r.status).toBe(130);
    expect(r.stderr).toMatch(/^vanderpool: interrupted \(after [\d,]+ instructions, CS:EIP = 0000:7C0[0-9A-F]\)\n/);
    expect(r.stderr).toContain('  stopped               interrupted\n');
  });
});

describe('vanderpool run: ways to boot', () => {
  it('--mode protected --load-address enters a flat binary in 32-bit protected mode', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'flat32.asm', '--mode', 'protected'], dir);
    expect(r.stdout).toBe('pm');
    expect(r.status).toBe(1);
    // The same bytes as a binary: the .asm's org is gone, so the address must be given.
    expect(runCli(suite.cli(), ['asm', 'flat32.asm', '-o', 'flat32.bin'], dir).status).toBe(0);
    const bin = runCli(suite.cli(), ['run', 'flat32.bin', '--mode', 'protected', '--load-address', '0x100000'], dir);
    expect(bin.stdout).toBe('pm');
    expect(bin.status).toBe(1);
  });

  it('--bios runs a 64-KiB ROM from the reset vector; its port-E9 output goes to stderr, its POST codes where --post-codes says', () => {
    const rom = `bits 16
org 0
start:
  mov al, 0x11
  out 0x80, al
  mov al, 'R'
  out 0xe9, al
  mov al, 2
  out 0xf4, al
  hlt
times 0xfff0-($-$$) db 0xff
  jmp 0xf000:start
times 0x10000-($-$$) db 0xff
`;
    const dir = work({ 'rom.asm': rom });
    const r = runCli(suite.cli(), ['run', '--bios', 'rom.asm'], dir);
    expect(r.stderr).toBe('R');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(5);
    const post = runCli(suite.cli(), ['run', '--bios', 'rom.asm', '--post-codes', 'stdio', '--stats'], dir);
    expect(post.stdout).toBe('POST 11h\n');
    expect(post.stderr).toMatch(/^ {2}POST codes {2,}1, the last 11h$/m);
    expect(post.status).toBe(5);
  });

  it('--serial FILE sends COM1 to the file and --debugcon stdio puts port E9h on stdout', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'exit7.asm', '--serial', 'com1.txt'], dir);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(7);
    expect(readFileSync(join(dir, 'com1.txt'), 'latin1')).toBe('hi\n');
    const e9 = runCli(suite.cli(), ['run', 'debugcon.asm', '--debugcon', 'stdio'], dir);
    expect(e9.stdout).toBe('E');
    expect(e9.status).toBe(3);
  });
});

describe('vanderpool run --trace', () => {
  it('prints one line per instruction with CS:EIP, bytes and the iced-x86 text, and the events delivered', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'unassigned.asm', '--trace'], dir);
    expect(r.status).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('vanderpool trace: unassigned.asm: flat binary, 12 bytes at 0x7C00, real mode');
    expect(lines[1]).toMatch(/^\s+icount\s+CS:EIP\s+bytes\s+instruction$/);
    expect(lines[2]).toBe('         0  0000:7C00      BAF802                mov dx, 0x2F8');
    expect(lines[3]).toBe('         1  0000:7C03      EC                    in al, dx');
    const int = lines.findIndex((l) => l.endsWith('int 0x11'));
    expect(int).toBeGreaterThan(0);
    expect(lines[int + 1]).toBe('            -> INT 11h software interrupt');
    // The next line is the BIOS's handler, then the return to the guest.
    expect(lines[int + 2]).toMatch(/^\s+5  F000:[0-9A-F]{4}\s+/);
    expect(lines.some((l) => /^\s+\d+  0000:7C08      B000\s+mov al, 0$/.test(l))).toBe(true);
    expect(lines.at(-2)).toMatch(/^\s+\d+  0000:7C0A      E6F4\s+out 0xF4, al$/);
  });

  it('shows an exception and its handler\'s first instruction as separate steps', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'triple.asm', '--trace'], dir);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('         1  0000:7C05      0F0B                  ud2\n            -> #UD exception: UD2\n');
    expect(r.stderr).toMatch(/-> #DF\(0x0000\) exception: double fault/);
  });

  it('--trace-file with --trace-regs writes the trace and the registers to a file, stderr stays empty', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'exit7.asm', '--trace-file', 'trace.txt', '--trace-regs'], dir);
    expect(r.status).toBe(7);
    expect(r.stderr).toBe('');
    const trace = readFileSync(join(dir, 'trace.txt'), 'utf8').split('\n');
    expect(trace[2]).toMatch(/^\s+0  0000:7C00      BAFB03\s+mov dx, 0x3FB\s+EAX=\w{8} EBX=\w{8} ECX=\w{8} EDX=\w{8} ESI=\w{8} EDI=\w{8} EBP=\w{8} ESP=\w{8} EFL=\w{8}$/);
    // Each line shows the registers before its instruction: mov dx, 0x3fb has run when the next one is printed.
    expect(trace[2]).not.toMatch(/ EDX=000003FB /);
    expect(trace[3]).toMatch(/^\s+1  0000:7C03      B003\s+mov al, 3\s+.* EDX=000003FB /);
  });
});

describe('vanderpool run --stats', () => {
  it('prints how the run stopped, instructions, times, events by vector and unassigned accesses on stderr', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'unassigned.asm', '--stats'], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('vanderpool statistics');
    const rows = new Map(lines.slice(1).map((l) => {
      const m = /^ {2}(\S+(?: \S+)*) {2,}(.*)$/.exec(l);
      expect(m, l).not.toBe(null);
      return [m![1], m![2]] as const;
    }));
    expect([...rows.keys()]).toEqual([
      'stopped',
      'instructions',
      'host time',
      'virtual time',
      'device events',
      'exceptions',
      'hardware interrupts',
      'software interrupts',
      'NMIs',
      'unassigned I/O',
      'unassigned memory',
      'POST codes',
    ]);
    expect(rows.get('stopped')).toBe('isa-debug-exit, status 1');
    expect(rows.get('host time')).toMatch(/^\d+\.\d{3} s \(\d+\.\d\d MIPS\)$/);
    expect(rows.get('exceptions')).toBe('none');
    expect(rows.get('software interrupts')).toBe('INT 11h: 1');
    expect(rows.get('unassigned I/O')).toMatch(/^\d+ reads?, \d+ writes? \(.*port 0x02F8 read x2, port 0x02F8 write x1/);
    // The instruction count is the guest's and the BIOS's INT 11h handler's together.
    expect(Number(rows.get('instructions')!.replace(/,/g, ''))).toBeGreaterThanOrEqual(9);
  });

  it('counts exceptions and hardware interrupts by vector (examples/tasks.asm)', () => {
    const r = runCli(suite.cli(), ['run', 'examples/tasks.asm', '--stats', '--serial', 'none']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ {2}exceptions {10,}#PF: \d+$/m);
    expect(r.stderr).toMatch(/^ {2}hardware interrupts {2,}INT 20h: \d+$/m);
    expect(r.stderr).toMatch(/^ {2}software interrupts {2,}INT 80h: 6$/m);
  });
});

describe('vanderpool run: bad input', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing file', ['run', 'nothing-here.bin'], /^vanderpool: error: cannot read file 'nothing-here\.bin': no such file or directory\n$/],
    ['a memory size that is not a number', ['run', 'spin.asm', '--memory', '3x'], /option '--memory <MIB>' argument '3x' is invalid\. --memory needs a whole number/],
    ['a memory size out of range', ['run', 'spin.asm', '--memory', '4096'], /--memory must be from 1 to 2048, not 4096/],
    ['a bad instruction limit', ['run', 'spin.asm', '--max-instructions', '-5'], /--max-instructions needs a whole number/],
    ['an unknown boot kind', ['run', 'spin.asm', '--boot', 'tape'], /argument 'tape' is invalid\. Allowed choices are floppy, hdd/],
    ['an unknown option', ['run', 'spin.asm', '--warp-speed'], /unknown option '--warp-speed'/],
    ['no FILE and no --bios', ['run'], /missing FILE to run/],
    ['--load-address for a Multiboot kernel', ['run', join(REPO, 'examples/hello.asm'), '--load-address', '0x1000'], /--load-address applies to flat binaries; .* is a Multiboot kernel/],
    ['FILE together with --bios', ['run', 'spin.asm', '--bios', 'spin.asm'], /cannot be booted with --bios/],
    ['a firmware image of the wrong size', ['run', '--bios', 'spin.asm'], /cannot boot 'spin\.asm': a firmware image must be a non-zero multiple of 64 KiB/],
    ['a floppy image too large for any diskette', ['run', '--boot', 'floppy', 'big.img'], /cannot boot 'big\.img': a floppy image must have a standard diskette size/],
    ['a --serial file that cannot be created', ['run', 'spin.asm', '--serial', 'no/such/dir/out.txt'], /--serial no\/such\/dir\/out\.txt: cannot open for writing/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: a message naming the problem, exit 2, no stack trace`, () => {
      const dir = work({ ...GUESTS, 'big.img': new Uint8Array(1_500_000) });
      const r = runCli(suite.cli(), args, dir);
      expect(r.stderr).toMatch(message);
      expect(r.status).toBe(2);
      expect(hasStackTrace(r.stderr)).toBe(false);
    });
  }

  it('a source with errors prints its diagnostics and exits 2 (1 would read as a guest status)', () => {
    const dir = work(GUESTS);
    const r = runCli(suite.cli(), ['run', 'broken.asm'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("broken.asm:3:8: error: parser: instruction expected\nvanderpool: error: file 'broken.asm' does not assemble (1 error)\n");
  });

  it('--help documents the exit statuses', () => {
    const r = runCli(suite.cli(), ['run', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Exit status:');
    expect(r.stdout).toMatch(/^ {2}4 {10}triple fault/m);
    expect(r.stdout).toMatch(/^ {2}6 {10}--max-instructions reached/m);
  });
});
