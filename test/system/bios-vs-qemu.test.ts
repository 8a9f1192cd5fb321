/**
 * The built-in BIOS against SeaBIOS (QEMU's BIOS): bios-probe.asm calls INT 10h, 12h, 13h,
 * 15h, 16h and 1Ah and prints the returned registers on COM1. Its output from QEMU 7.2 +
 * SeaBIOS is recorded in bios-probe.{floppy,hdd}.expected; Vanderpool must print exactly
 * that, and — when qemu-system-i386 is installed (required under CI=true, as for the
 * examples) — QEMU must still print it too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../emulator/asm/index';
import type { DiskKind } from '../../emulator/machine/disk';
import { Machine } from '../../emulator/machine/machine';

const here = join(__dirname);
const qemuAvailable = spawnSync('qemu-system-i386', ['--version'], { stdio: 'ignore' }).status === 0;
const requireQemu = qemuAvailable || process.env.CI === 'true';

/** The probe on a disk image: program in the first 6 sectors, then each sector filled with its LBA & FFh. */
function probeImage(kind: DiskKind): Uint8Array {
  const file = join(here, 'bios-probe.asm');
  const r = assemble(readFileSync(file, 'utf8'), { fileName: file });
  if (r.errors.length > 0) throw new Error(r.errors.map((d) => d.message).join('\n'));
  const image = new Uint8Array(kind === 'floppy' ? 1474560 : 8 << 20);
  image.set(r.bytes);
  for (let lba = 6; lba < image.length / 512; lba++) image.fill(lba & 0xff, lba * 512, lba * 512 + 512);
  return image;
}

const expected = (kind: DiskKind): string => readFileSync(join(here, `bios-probe.${kind}.expected`), 'latin1');

function runQemu(kind: DiskKind, image: Uint8Array): { output: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'vp-bios-'));
  try {
    const file = join(dir, 'disk.img');
    writeFileSync(file, image);
    const drive = kind === 'floppy' ? ['-drive', `file=${file},format=raw,if=floppy`, '-boot', 'a'] : ['-drive', `file=${file},format=raw,if=ide`, '-boot', 'c'];
    const r = spawnSync(
      'qemu-system-i386',
      [...drive, '-m', '32', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-rtc', 'base=2000-01-01T00:00:00',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
      { encoding: 'latin1', timeout: 30_000, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { output: r.stdout ?? '', status: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const kind of ['floppy', 'hdd'] as const) {
  describe(`BIOS probe from a ${kind}`, () => {
    it('printsInVanderpoolWhatSeaBiosReturnsInQemu', () => {
      let output = '';
      const m = new Machine({ memoryMiB: 32, disk: { image: probeImage(kind), kind }, serial: (b) => (output += String.fromCharCode(b)) });
      expect(m.run(50_000_000)).toEqual({ kind: 'exit', status: 0x21 });
      expect(output).toBe(expected(kind));
    });

    it.runIf(requireQemu)('stillPrintsTheRecordedOutputInQemu', () => {
      const run = runQemu(kind, probeImage(kind));
      expect(run.output).toBe(expected(kind));
      expect(run.status).toBe(0x21);
    }, 60_000);
  });
}
