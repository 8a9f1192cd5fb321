/**
 * The example guests (examples/) and the three ways the tests run them: assembled by our
 * assembler (and by NASM, which must give the same bytes), booted in QEMU, and booted in a
 * Vanderpool `Machine`. Shared by the suites in this folder; must not import vitest.
 *
 * Run directly, it writes every example's binary (and the floppy image) to a folder:
 *   npx tsx test/examples/examples.ts OUTDIR
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble, formatDiagnostic } from '../../emulator/asm/index';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** How an example boots: QEMU's `-kernel` (Multiboot) or a floppy image's boot sector. */
export type BootKind = 'multiboot' | 'floppy';

export interface Example {
  name: string;
  /** Source path relative to the repository root. */
  source: string;
  boot: BootKind;
}

export const EXAMPLES: readonly Example[] = [
  { name: 'hello', source: 'examples/hello.asm', boot: 'multiboot' },
  { name: 'tasks', source: 'examples/tasks.asm', boot: 'multiboot' },
  { name: 'sensitive', source: 'examples/sensitive.asm', boot: 'multiboot' },
  { name: 'mmu-heavy', source: 'examples/mmu-heavy.asm', boot: 'multiboot' },
  { name: 'bootsector', source: 'examples/bootsector/boot.asm', boot: 'floppy' },
];

/** Size of a 1.44 MB floppy image: 80 cylinders x 2 heads x 18 sectors x 512 bytes. */
export const FLOPPY_BYTES = 1_474_560;

/** Memory every run gets (MiB), in QEMU and in Vanderpool alike. */
export const MEMORY_MIB = 32;

/** Every example stops through isa-debug-exit with value 0: status (0 << 1) | 1. */
export const EXPECTED_STATUS = 1;

/** The console output the example must print (examples/<name>.expected). */
export function expectedOutput(example: Example): string {
  return readFileSync(join(REPO, 'examples', `${example.name}.expected`), 'utf8');
}

/**
 * Assembles an example with our assembler (once per process; later calls return the same
 * bytes); `%include` files are read relative to the including file. For the floppy example
 * the result is the whole disk image.
 * @throws Error listing the diagnostics when the source does not assemble
 */
export function assembleExample(example: Example): Uint8Array {
  const cached = assembled.get(example.source);
  if (cached) return cached;
  const path = join(REPO, example.source);
  const result = assemble(readFileSync(path, 'utf8'), {
    fileName: path,
    host: { readFile: (p) => (existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined) },
  });
  if (result.errors.length > 0) {
    throw new Error(`${example.source} does not assemble:\n${result.errors.map(formatDiagnostic).join('\n')}`);
  }
  if (example.boot === 'floppy' && result.bytes.length !== FLOPPY_BYTES) {
    throw new Error(`${example.source} must assemble to a ${FLOPPY_BYTES}-byte floppy image, not ${result.bytes.length} bytes`);
  }
  assembled.set(example.source, result.bytes);
  return result.bytes;
}

/** Assembled examples by source path: each file is assembled once per test process. */
const assembled = new Map<string, Uint8Array>();

export const nasmAvailable = spawnSync('nasm', ['-v']).status === 0;

/**
 * Assembles an example with NASM (`nasm -f bin -I <its folder>/`), which unlike our
 * assembler does not look for `%include` files beside the including file by itself.
 * @throws Error with NASM's messages when it fails or is not installed
 */
export function assembleWithNasm(example: Example): Uint8Array {
  const path = join(REPO, example.source);
  const dir = mkdtempSync(join(tmpdir(), 'vp-example-'));
  try {
    const out = join(dir, 'out.bin');
    const r = spawnSync('nasm', ['-f', 'bin', '-I', `${dirname(path)}/`, '-o', out, path], { encoding: 'utf8' });
    if (r.error) throw new Error(`nasm could not be started (apt-get install nasm): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`nasm rejects ${example.source}:\n${r.stderr}`);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a run printed on COM1 and how it ended. */
export interface RunResult {
  output: string;
  /** The exit status (isa-debug-exit: (value << 1) | 1), or null when the run did not exit. */
  status: number | null;
  /** Why the run ended when it did not exit through isa-debug-exit (timeout, triple fault …). */
  problem: string | null;
}

export const qemuAvailable = spawnSync('qemu-system-i386', ['--version']).status === 0;

/**
 * Boots an example's bytes in QEMU (`qemu-system-i386`, TCG) with COM1 on stdout and the
 * isa-debug-exit device, as /work/shared/notes/reference-emulators.md describes — without
 * `-nographic`, which would mix the firmware's screen output into COM1.
 * @param timeoutMs wall-clock limit; QEMU is killed after it
 * @throws Error when QEMU cannot be started (not installed)
 */
export function runQemu(example: Example, bytes: Uint8Array, timeoutMs = 30_000): RunResult {
  const dir = mkdtempSync(join(tmpdir(), 'vp-qemu-'));
  try {
    const image = join(dir, example.boot === 'floppy' ? 'floppy.img' : 'kernel.bin');
    writeFileSync(image, bytes);
    const boot = example.boot === 'floppy' ? ['-drive', `file=${image},format=raw,if=floppy`, '-boot', 'a'] : ['-kernel', image];
    const r = spawnSync(
      'qemu-system-i386',
      [...boot, '-m', String(MEMORY_MIB), '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
      { encoding: 'latin1', timeout: timeoutMs, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('qemu-system-i386 is not installed (apt-get install qemu-system-x86); required when CI=true');
    }
    if (r.signal) return { output: r.stdout, status: null, problem: `QEMU killed by ${r.signal} after ${timeoutMs} ms (no exit through port 0xF4)` };
    // Without isa-debug-exit QEMU exits 0 (guest powered off or reset with -no-reboot); the
    // device's statuses are odd.
    if (r.status === null || r.status % 2 === 0) return { output: r.stdout, status: null, problem: `QEMU exited with ${r.status}: ${r.stderr.trim()}` };
    return { output: r.stdout, status: r.status, problem: null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly: write the binaries, e.g. to try them in QEMU or Bochs by hand.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: npx tsx test/examples/examples.ts OUTDIR');
    process.exit(2);
  }
  mkdirSync(outDir, { recursive: true });
  for (const example of EXAMPLES) {
    const file = join(outDir, example.boot === 'floppy' ? `${example.name}.img` : `${example.name}.bin`);
    writeFileSync(file, assembleExample(example));
    console.log(`${file} (${example.boot})`);
  }
}
