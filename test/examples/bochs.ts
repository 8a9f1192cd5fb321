/**
 * Runs the example guests in Bochs (the stricter reference for protection checks) and
 * compares their COM1 output with examples/<name>.expected. A manual check, not a vitest
 * suite: CI does not install Bochs.
 *
 *   apt-get install bochs bochsbios vgabios bochs-term
 *   npx tsx test/examples/bochs.ts [NAME…]
 *
 * Bochs has no `-kernel`: a Multiboot example is put on a floppy behind
 * multiboot-floppy.asm, a small loader that does the Multiboot part. Bochs has no
 * isa-debug-exit either; the examples then write "Shutdown" to port 0x8900, which stops
 * it. Setup as /work/shared/notes/reference-emulators.md describes (term display, COM1 to
 * a file, `-rc` to continue past the debugger prompt).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, formatDiagnostic } from '../../emulator/asm/index';
import { assembleExample, EXAMPLES, expectedOutput, FLOPPY_BYTES, MEMORY_MIB, REPO, type Example } from './examples';

const LOADER = join(REPO, 'test/examples/multiboot-floppy.asm');
const LOADER_SECTORS = 2;
const KERNEL_SECTORS = 64;

/** A floppy image that boots `kernel` (a Multiboot a.out-kludge file) through the loader. */
function multibootFloppy(kernel: Uint8Array): Uint8Array {
  const loader = assemble(readFileSync(LOADER, 'utf8'), { fileName: LOADER });
  if (loader.errors.length > 0) throw new Error(loader.errors.map(formatDiagnostic).join('\n'));
  if (kernel.length > KERNEL_SECTORS * 512) throw new Error(`kernel of ${kernel.length} bytes exceeds the loader's ${KERNEL_SECTORS} sectors`);
  const image = new Uint8Array(FLOPPY_BYTES);
  image.set(loader.bytes, 0);
  image.set(kernel, LOADER_SECTORS * 512);
  return image;
}

/** Boots a floppy image in Bochs; returns what COM1 received. */
function runBochs(image: Uint8Array, timeoutMs = 120_000): { output: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vp-bochs-'));
  try {
    const img = join(dir, 'floppy.img');
    const com1 = join(dir, 'com1.out');
    const log = join(dir, 'bochs.log');
    writeFileSync(img, image);
    writeFileSync(join(dir, 'continue.rc'), 'c\nquit\n');
    writeFileSync(
      join(dir, 'bochsrc'),
      [
        `megs: ${MEMORY_MIB}`,
        'romimage: file=/usr/share/bochs/BIOS-bochs-latest',
        'vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest',
        `floppya: 1_44=${img}, status=inserted`,
        'boot: floppy',
        'display_library: term',
        `com1: enabled=1, mode=file, dev=${com1}`,
        `log: ${log}`,
        'clock: sync=none',
        'cpu: ips=50000000',
        '',
      ].join('\n'),
    );
    const r = spawnSync('bochs', ['-q', '-f', join(dir, 'bochsrc'), '-rc', join(dir, 'continue.rc')], {
      env: { ...process.env, TERM: 'xterm' },
      stdio: ['ignore', 'ignore', 'ignore'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('bochs is not installed');
    return {
      output: existsSync(com1) ? readFileSync(com1, 'latin1') : '',
      log: existsSync(log) ? readFileSync(log, 'latin1') : '',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function imageFor(example: Example): Uint8Array {
  const bytes = assembleExample(example);
  return example.boot === 'floppy' ? bytes : multibootFloppy(bytes);
}

const names = process.argv.slice(2);
let failures = 0;
for (const example of EXAMPLES.filter((e) => names.length === 0 || names.includes(e.name))) {
  const { output, log } = runBochs(imageFor(example));
  const same = output === expectedOutput(example);
  if (!same) failures++;
  console.log(`${example.name}: ${same ? 'same as' : 'DIFFERS from'} examples/${example.name}.expected`);
  if (!same) {
    console.log(output);
    console.log(log.split('\n').filter((l) => /\[CPU0|PANIC|ERROR/.test(l)).slice(-15).join('\n'));
  }
}
process.exit(failures === 0 ? 0 : 1);
