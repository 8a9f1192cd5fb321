/**
 * Loaders: flat binaries, ELF32 with symbols, Multiboot (a.out kludge and ELF) with the
 * entry state and information structure of the Multiboot spec; malformed and truncated
 * files give errors, never exceptions (fuzzed); and the same kernel boots in QEMU.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadElf32, loadFlatBinary, loadMultiboot, parseElf32 } from '../../emulator/loader/index';
import { requireNasm } from '../asm/nasm-oracle';
import { assembleKernel, buildElf, FakeMemory } from './fixtures';

const ELF_KERNEL = `bits 32
section .multiboot
align 4
  dd 0x1BADB002, 3, -(0x1BADB002 + 3)
section .text
global _start
_start:
  mov esp, stack_top
  call kmain
  hlt
kmain:
  mov eax, [counter]
  ret
section .data
counter: dd 42
section .bss
stack: resb 4096
stack_top:
`;

const MB = 1024 * 1024;
const FUZZ_RUNS = 2000;

describe('flat binary loader', () => {
  it('copies the image to the address and enters there in real mode', () => {
    const mem = new FakeMemory(MB);
    const r = loadFlatBinary(mem, new Uint8Array([0xeb, 0xfe]), { address: 0x7c00 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(mem.ram[0x7c00]).toBe(0xeb);
    expect(r.image.entry).toMatchObject({ mode: 'real', eip: 0x7c00 });
  });
  it('rejects an image that does not fit in RAM', () => {
    const r = loadFlatBinary(new FakeMemory(4096), new Uint8Array(100), { address: 4090 });
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.error.message).toMatch(/does not fit/);
  });
});

describe('ELF32 loader', () => {
  const elf = buildElf({
    entry: 0x100010,
    segments: [{ paddr: 0x100000, data: new Uint8Array([1, 2, 3, 4]), memsz: 16 }],
    symbols: [
      { name: 'kmain', value: 0x100010, size: 32, type: 2, shndx: 1 },
      { name: 'buffer', value: 0x100100, size: 64, type: 1, shndx: 1 },
    ],
  });
  it('loads PT_LOAD segments at p_paddr, zeroes the bss part, and returns the symbols', () => {
    const mem = new FakeMemory(2 * MB);
    mem.ram.fill(0xcc, 0x100000, 0x100020);
    const r = loadElf32(mem, elf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Array.from(mem.ram.subarray(0x100000, 0x100006))).toEqual([1, 2, 3, 4, 0, 0]);
    expect(mem.ram[0x10000f]).toBe(0);
    expect(mem.ram[0x100010]).toBe(0xcc);
    expect(r.image.entry.eip).toBe(0x100010);
    expect(r.image.symbols).toEqual([
      { name: 'kmain', value: 0x100010, size: 32, type: 'func', section: '.text' },
      { name: 'buffer', value: 0x100100, size: 64, type: 'object', section: '.text' },
    ]);
  });
  it('names the problem in malformed headers', () => {
    const bad = elf.slice();
    bad[4] = 2;
    expect(parseElf32(bad)).toMatchObject({ ok: false, error: { message: 'ELF class 2 is not ELFCLASS32', offset: 4 } });
    const badMachine = elf.slice();
    badMachine[18] = 62;
    expect(parseElf32(badMachine)).toMatchObject({ ok: false, error: { offset: 18 } });
    expect(parseElf32(new Uint8Array([0x7f, 0x45]))).toMatchObject({ ok: false, error: { message: expect.stringMatching(/truncated/) } });
  });
  it('gives an error, never an exception, for every truncation of the file', () => {
    for (let n = 0; n < elf.length; n++) {
      const mem = new FakeMemory(2 * MB);
      const r = loadElf32(mem, elf.subarray(0, n));
      expect(r.ok).toBe(false);
    }
  });
  it(`never throws on mutated files (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), (edits) => {
        const f = elf.slice();
        for (const [pos, v] of edits) f[pos % f.length] = v;
        const mem = new FakeMemory(2 * MB);
        const r = loadElf32(mem, f);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('Multiboot loader', () => {
  const kernel = assembleKernel();
  it('loads an a.out-kludge kernel built by our assembler and enters per Multiboot §3.2', () => {
    const mem = new FakeMemory(32 * MB);
    const r = loadMultiboot(mem, kernel, { cmdline: 'root=/dev/hda quiet' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const { entry } = r.image;
    expect(r.image.format).toBe('multiboot-aout');
    expect(entry.mode).toBe('protected');
    expect(entry.registers.eax).toBe(0x2badb002);
    expect(entry.eip).toBe(0x100020);
    expect(entry.cr0 & 1).toBe(1);
    expect(entry.cr0 & 0x80000000).toBe(0);
    expect(entry.eflags & ((1 << 9) | (1 << 17))).toBe(0);
    expect(entry.segments?.cs).toMatchObject({ base: 0, limit: 0xffffffff, db: true });
    expect(Array.from(mem.ram.subarray(0x100000, 0x100000 + kernel.length))).toEqual(Array.from(kernel));
    const mbi = entry.registers.ebx!;
    const flags = mem.u32(mbi);
    expect(flags & 1).toBe(1);
    expect(mem.u32(mbi + 4)).toBe(639);
    expect(mem.u32(mbi + 8)).toBe(31 * 1024);
    expect(flags & (1 << 2)).toBeTruthy();
    expect(mem.cstr(mem.u32(mbi + 16))).toBe('root=/dev/hda quiet');
    expect(flags & (1 << 6)).toBeTruthy();
    const mmapLen = mem.u32(mbi + 44);
    const mmapAddr = mem.u32(mbi + 48);
    const entries: [number, number, number][] = [];
    for (let p = mmapAddr; p < mmapAddr + mmapLen; p += mem.u32(p) + 4) {
      entries.push([mem.u32(p + 4), mem.u32(p + 12), mem.u32(p + 20)]);
    }
    expect(entries).toContainEqual([0x100000, 31 * MB, 1]);
    expect(entries[0]).toEqual([0, 0x9fc00, 1]);
  });
  it('loads an ELF Multiboot kernel by its program headers', () => {
    const hdr = new Uint8Array(12);
    const dv = new DataView(hdr.buffer);
    dv.setUint32(0, 0x1badb002, true);
    dv.setUint32(4, 3, true);
    dv.setUint32(8, (-(0x1badb002 + 3)) >>> 0, true);
    const elf = buildElf({ entry: 0x10000c, segments: [{ paddr: 0x100000, data: new Uint8Array([...hdr, 0xf4]) }], symbols: [{ name: '_start', value: 0x10000c, size: 1, type: 2, shndx: 1 }] });
    const mem = new FakeMemory(8 * MB);
    const r = loadMultiboot(mem, elf, { cmdline: 'x' });
    expect(r).toMatchObject({ ok: true, image: { format: 'multiboot-elf', entry: { eip: 0x10000c } } });
    if (r.ok) expect(r.image.symbols[0]!.name).toBe('_start');
  });
  it('reports a bad checksum, unknown required flags and a missing header clearly', () => {
    const bad = kernel.slice();
    bad[8] ^= 1;
    expect(loadMultiboot(new FakeMemory(8 * MB), bad)).toMatchObject({ ok: false, error: { offset: 8, message: expect.stringMatching(/checksum/) } });
    expect(loadMultiboot(new FakeMemory(8 * MB), new Uint8Array(100))).toMatchObject({ ok: false, error: { message: expect.stringMatching(/no Multiboot header/) } });
    const flags = kernel.slice();
    const dv = new DataView(flags.buffer);
    dv.setUint32(4, dv.getUint32(4, true) | 0x100, true);
    dv.setUint32(8, (-(0x1badb002 + dv.getUint32(4, true))) >>> 0, true);
    expect(loadMultiboot(new FakeMemory(8 * MB), flags)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/unsupported/) } });
  });
  it('gives an error, never an exception, for truncated and mutated kernels', () => {
    for (let n = 0; n < kernel.length; n++) {
      const r = loadMultiboot(new FakeMemory(8 * MB), kernel.subarray(0, n));
      expect(typeof r.ok).toBe('boolean');
    }
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const f = kernel.slice();
        for (const [pos, v] of edits) f[pos % 48] = v;
        const r = loadMultiboot(new FakeMemory(8 * MB), f);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  const ld = spawnSync('ld', ['-v']).status === 0;
  it.runIf(requireNasm && ld)('loads a real Multiboot ELF built by nasm -f elf32 and ld, with its symbols', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vp-elf-'));
    try {
      writeFileSync(join(dir, 'k.asm'), ELF_KERNEL);
      writeFileSync(join(dir, 'k.ld'), 'ENTRY(_start)\nSECTIONS {\n . = 1M;\n .text : { *(.multiboot) *(.text) }\n .data : { *(.data) }\n .bss : { *(.bss) }\n}\n');
      const a = spawnSync('nasm', ['-f', 'elf32', 'k.asm', '-o', 'k.o'], { cwd: dir, encoding: 'utf8' });
      expect(a.status, a.stderr).toBe(0);
      const l = spawnSync('ld', ['-m', 'elf_i386', '--no-warn-rwx-segments', '-T', 'k.ld', 'k.o', '-o', 'k.elf'], { cwd: dir, encoding: 'utf8' });
      expect(l.status, l.stderr).toBe(0);
      const elf = new Uint8Array(readFileSync(join(dir, 'k.elf')));
      const mem = new FakeMemory(4 * MB);
      const r = loadMultiboot(mem, elf, { cmdline: 'elf' });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const sym = (n: string) => r.image.symbols.find((s) => s.name === n);
      expect(r.image.entry.eip).toBe(sym('_start')!.value);
      expect(sym('counter')).toMatchObject({ section: '.data' });
      expect(mem.u32(sym('counter')!.value)).toBe(42);
      expect(r.image.segments[0]).toMatchObject({ paddr: 0x100000 });
      expect(r.image.segments[0]!.memSize).toBeGreaterThan(4096);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const qemu = spawnSync('qemu-system-i386', ['--version']).status === 0;
  it.runIf(qemu)('the same kernel boots in qemu-system-i386 -kernel and sees EAX = 0x2BADB002 and its command line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vp-mb-'));
    try {
      writeFileSync(join(dir, 'k.bin'), kernel);
      const r = spawnSync('qemu-system-i386', ['-kernel', 'k.bin', '-append', 'hello', '-display', 'none', '-nodefaults', '-debugcon', 'file:dc.txt', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'], { cwd: dir, timeout: 30_000 });
      expect(r.status).toBe(0x21);
      expect(readFileSync(join(dir, 'dc.txt'), 'utf8')).toBe('k.bin hello\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
