/**
 * `vanderpool asm`, run as the bundled CLI: output files, listings, -D and -I, NASM-style
 * diagnostics and exit statuses — bytes compared with `nasm -f bin` where NASM is the oracle.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireNasm } from '../asm/nasm-oracle';
import { hasStackTrace, runCli, useCliSuite } from './cli-harness';

const suite = useCliSuite();
const work = suite.work;

function nasm(dir: string, args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('nasm', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw new Error(`nasm could not be started (apt-get install nasm): ${r.error.message}`);
  return { status: r.status, stderr: r.stderr };
}

const KERNELISH = `; a small 32-bit program with an include, a define and a forward jump
%include "defs.inc"
bits 32
org 0x100000
start:
  mov esp, stack_top
  mov eax, MAGIC + VALUE
  jmp short .go
  times 3 nop
.go:
  lea ebx, [eax*4 + ecx + 0x10]
  out 0xf4, al
  hlt
  align 16, db 0
stack: times 64 db 0
stack_top:
`;
const DEFS = '%define MAGIC 0x1BADB002\n';

describe('vanderpool asm: output', () => {
  it.runIf(requireNasm)('writes FILE without its extension, byte for byte what nasm -f bin writes, with -I and -D', () => {
    const dir = work({ 'src/main.asm': KERNELISH, 'inc/defs.inc': DEFS });
    const ours = runCli(suite.cli(), ['asm', 'src/main.asm', '-I', 'inc/', '-D', 'VALUE=5'], dir);
    expect(ours.stderr).toBe('');
    expect(ours.status).toBe(0);
    const ref = nasm(dir, ['-f', 'bin', '-I', 'inc/', '-D', 'VALUE=5', '-o', 'ref.bin', 'src/main.asm']);
    expect(ref.status, ref.stderr).toBe(0);
    const bytes = readFileSync(join(dir, 'src/main'));
    expect(bytes.length).toBeGreaterThan(64);
    expect(bytes.equals(readFileSync(join(dir, 'ref.bin')))).toBe(true);
  });

  it('writes the -o file, and nothing else', () => {
    const dir = work({ 'a.asm': 'db 1, 2, 3\n' });
    const r = runCli(suite.cli(), ['asm', 'a.asm', '-o', 'out.bin'], dir);
    expect(r.status).toBe(0);
    expect([...readFileSync(join(dir, 'out.bin'))]).toEqual([1, 2, 3]);
    expect(existsSync(join(dir, 'a'))).toBe(false);
  });

  it('-D NAME without a value defines an empty macro that %ifdef sees, as nasm -DNAME', () => {
    const src = '%ifdef FAST\n db 0xAA\n%else\n db 0xBB\n%endif\n db VALUE\n';
    const dir = work({ 'd.asm': src });
    expect(runCli(suite.cli(), ['asm', 'd.asm', '-DFAST', '-DVALUE=0x42', '-o', 'with.bin'], dir).status).toBe(0);
    expect(runCli(suite.cli(), ['asm', 'd.asm', '-D', 'VALUE=7', '-o', 'without.bin'], dir).status).toBe(0);
    expect([...readFileSync(join(dir, 'with.bin'))]).toEqual([0xaa, 0x42]);
    expect([...readFileSync(join(dir, 'without.bin'))]).toEqual([0xbb, 7]);
  });

  it('finds %include and incbin files through every -I directory in order', () => {
    const dir = work({ 'm.asm': '%include "one.inc"\n%include "two.inc"\nincbin "blob.bin"\n', 'a/one.inc': 'db 1\n', 'b/two.inc': 'db 2\n', 'b/blob.bin': new Uint8Array([9, 8]) });
    const r = runCli(suite.cli(), ['asm', 'm.asm', '-I', 'a', '-I', 'b/', '-o', 'm.bin'], dir);
    expect(r.stderr).toBe('');
    expect([...readFileSync(join(dir, 'm.bin'))]).toEqual([1, 2, 9, 8]);
  });

  it('a source without an extension assembles to nasm.out with nasm\'s warning', () => {
    const dir = work({ plain: 'db 5\n' });
    const r = runCli(suite.cli(), ['asm', 'plain'], dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("warning: default output file same as input, using 'nasm.out'");
    expect([...readFileSync(join(dir, 'nasm.out'))]).toEqual([5]);
  });
});

describe('vanderpool asm: listing', () => {
  it.runIf(requireNasm)('-l writes the same listing as nasm -l', () => {
    const dir = work({ 'src/main.asm': KERNELISH, 'inc/defs.inc': DEFS });
    const ours = runCli(suite.cli(), ['asm', 'src/main.asm', '-I', 'inc/', '-DVALUE=1', '-o', 'ours.bin', '-l', 'ours.lst'], dir);
    expect(ours.status).toBe(0);
    const ref = nasm(dir, ['-f', 'bin', '-I', 'inc/', '-DVALUE=1', '-o', 'ref.bin', '-l', 'ref.lst', 'src/main.asm']);
    expect(ref.status, ref.stderr).toBe(0);
    const listing = readFileSync(join(dir, 'ours.lst'), 'utf8');
    expect(listing).toContain('mov esp, stack_top');
    expect(listing).toBe(readFileSync(join(dir, 'ref.lst'), 'utf8'));
  });
});

describe('vanderpool asm: diagnostics', () => {
  const BAD = 'bits 16\nmov ax, 1\nfoo bar\nmov al, 300\n';

  it.runIf(requireNasm)('an error prints file:line:column: error: message on the line nasm names, exits 1 and writes no output', () => {
    const dir = work({ 'bad.asm': BAD });
    const r = runCli(suite.cli(), ['asm', 'bad.asm', '-l', 'bad.lst'], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^bad\.asm:3:5: error: parser: instruction expected$/m);
    const ref = nasm(dir, ['-f', 'bin', '-o', 'ref.bin', 'bad.asm']);
    expect(ref.status).toBe(1);
    expect(ref.stderr).toMatch(/^bad\.asm:3: error: parser: instruction expected$/m);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    expect(existsSync(join(dir, 'bad.lst'))).toBe(false);
  });

  it('a failed assembly removes an output and a listing left by an earlier run, as nasm does', () => {
    const dir = work({ 'bad.asm': BAD });
    writeFileSync(join(dir, 'old.bin'), 'stale');
    writeFileSync(join(dir, 'old.lst'), 'stale');
    const r = runCli(suite.cli(), ['asm', 'bad.asm', '-o', 'old.bin', '-l', 'old.lst'], dir);
    expect(r.status).toBe(1);
    expect(existsSync(join(dir, 'old.bin'))).toBe(false);
    expect(existsSync(join(dir, 'old.lst'))).toBe(false);
  });

  it('warnings alone print file:line:column: warning: and the output is written (exit 0)', () => {
    const dir = work({ 'w.asm': 'db 1\n%warning look here\n' });
    const r = runCli(suite.cli(), ['asm', 'w.asm'], dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('w.asm:2:1: warning: look here\n');
    expect([...readFileSync(join(dir, 'w'))]).toEqual([1]);
  });

  it('an error inside a macro names the body line, then the invocation in nasm\'s "..." style', () => {
    const dir = work({ 'm.asm': '%macro twice 0\n  nop\n  bogus eax\n%endmacro\nbits 32\n  twice\n' });
    const r = runCli(suite.cli(), ['asm', 'm.asm'], dir);
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^m\.asm:3:\d+: error: /);
    expect(lines[1]).toBe('m.asm:6:3: ... from the macro invoked here');
  });

  it('a missing %include is an error of the including line (exit 1)', () => {
    const dir = work({ 'i.asm': 'db 1\n%include "nowhere.inc"\n' });
    const r = runCli(suite.cli(), ['asm', 'i.asm'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^i\.asm:2:\d+: error: unable to open include file `nowhere\.inc'/m);
  });
});

describe('vanderpool asm: bad command lines', () => {
  it('a missing source file is one message naming it, exit 2, no stack trace', () => {
    const dir = work({});
    const r = runCli(suite.cli(), ['asm', 'nope.asm'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("vanderpool: error: cannot read source file 'nope.asm': no such file or directory\n");
  });

  it('a bad -D name, an unknown option or no FILE exits 2 with the reason', () => {
    const dir = work({ 'a.asm': 'db 1\n' });
    const badDefine = runCli(suite.cli(), ['asm', 'a.asm', '-D', '9lives=1'], dir);
    expect(badDefine.status).toBe(2);
    expect(badDefine.stderr).toContain("'9lives' is not a macro name");
    const unknown = runCli(suite.cli(), ['asm', 'a.asm', '--frobnicate'], dir);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");
    const none = runCli(suite.cli(), ['asm'], dir);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("missing required argument 'FILE.asm'");
    for (const r of [badDefine, unknown, none]) expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('-o naming the source itself is refused (exit 2) and the source is kept', () => {
    const dir = work({ 'a.asm': 'db 1\n' });
    const r = runCli(suite.cli(), ['asm', 'a.asm', '-o', './a.asm'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('would overwrite the source file');
    expect(readFileSync(join(dir, 'a.asm'), 'utf8')).toBe('db 1\n');
  });
});
