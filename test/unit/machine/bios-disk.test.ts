/**
 * INT 13h of the built-in BIOS, called by boot-sector guests that store the returned
 * registers at 0600h (AX, then FLAGS, then others) for the test to read.
 */
import { describe, expect, it } from 'vitest';
import { EFLAGS_CF } from '../../../emulator/arch/eflags';
import { BDA } from '../../../emulator/machine/bios/bda';
import { BiosEntry } from '../../../emulator/machine/bios/rom';
import { asm, diskImage, testMachine, type TestMachine } from './guest';

/** Boot-sector prologue/epilogue: the guest code between them calls INT 13h. */
function withImage(code: string, image: (boot: Uint8Array) => Uint8Array, kind: 'floppy' | 'hdd'): TestMachine {
  const boot = asm(`bits 16\norg 0x7c00\n${code}\nmov al, 0\nout 0xf4, al\njmp $\ntimes 510-($-$$) db 0\ndw 0xaa55\n`);
  const t = testMachine({ disk: { image: image(boot), kind } });
  expect(t.machine.run(1_000_000)).toEqual({ kind: 'exit', status: 1 });
  return t;
}

/** A 1.44-MB floppy whose sector at LBA n (n ≥ 1) is filled with the byte n. */
function numberedFloppy(boot: Uint8Array): Uint8Array {
  const img = diskImage(boot);
  for (let lba = 1; lba < 2880; lba++) img.fill(lba & 0xff, lba * 512, lba * 512 + 512);
  return img;
}

/** A 1-MiB hard disk (2048 sectors) numbered the same way. */
function numberedDisk(boot: Uint8Array): Uint8Array {
  const img = diskImage(boot, 2048 * 512);
  for (let lba = 1; lba < 2048; lba++) img.fill(lba & 0xff, lba * 512, lba * 512 + 512);
  return img;
}

/** Store AX and FLAGS after the call. */
const SAVE = 'pushf\nmov [0x600], ax\npop word [0x602]';

const word = (t: TestMachine, at: number): number => t.machine.memory.read16(at);
const cf = (t: TestMachine): boolean => (word(t, 0x602) & EFLAGS_CF) !== 0;

describe('INT 13h on a floppy (drive 00h)', () => {
  it('AH02h_readsSectorsByChs_acrossTheHeadBoundary_returningAlTheCountAndCf0', () => {
    const t = withImage(
      `mov ax, 0x0203\nmov cx, 0x0011\nmov dx, 0x0000\nmov bx, 0x8000\nint 0x13\n${SAVE}`,
      numberedFloppy,
      'floppy',
    );
    expect(word(t, 0x600)).toBe(0x0003); // AH = 0, AL = 3
    expect(cf(t)).toBe(false);
    const m = t.machine.memory;
    // CHS 0/0/17 = LBA 16, then 17, then LBA 18 = CHS 0/1/1.
    expect([m.read8(0x8000), m.read8(0x8200), m.read8(0x8400), m.read8(0x85ff)]).toEqual([16, 17, 18, 18]);
    expect(m.read8(BDA.floppyLastStatus)).toBe(0);
  });

  it('AH02h_withSector0_failsWithStatus01h_leavingAl_andAH01hReportsIt', () => {
    const t = withImage(
      `mov ax, 0x0201\nmov cx, 0x0000\nxor dx, dx\nmov bx, 0x8000\nint 0x13\n${SAVE}\nmov ah, 0x01\nint 0x13\npushf\nmov [0x604], ax\npop word [0x606]`,
      numberedFloppy,
      'floppy',
    );
    expect(word(t, 0x600)).toBe(0x0101); // AL: the count asked for, untouched (as SeaBIOS)
    expect(cf(t)).toBe(true);
    expect(word(t, 0x604) >> 8).toBe(0x01);
    expect(word(t, 0x606) & EFLAGS_CF).not.toBe(0);
  });

  it('AH02h_aBufferCrossingA64KiBBoundary_failsWithStatus09h_andTransfersNothing', () => {
    const t = withImage(`mov ax, 0x0202\nmov cx, 0x0002\nxor dx, dx\nmov bx, 0xff00\nint 0x13\n${SAVE}`, numberedFloppy, 'floppy');
    expect(word(t, 0x600)).toBe(0x0900);
    expect(cf(t)).toBe(true);
    expect(t.machine.memory.read8(0xff00)).not.toBe(1);
  });

  it('AH03h_writesTheSectorIntoTheImage', () => {
    const t = withImage(
      `mov di, 0x8000\nmov cx, 512\nmov al, 0xab\nrep stosb\nmov ax, 0x0301\nmov cx, 0x0005\nmov dx, 0x0100\nmov bx, 0x8000\nint 0x13\n${SAVE}`,
      numberedFloppy,
      'floppy',
    );
    expect(word(t, 0x600)).toBe(0x0001);
    const img = t.machine.disk!.bytes;
    const lba = 18 + 4; // CHS 0/1/5
    expect(img[lba * 512]).toBe(0xab);
    expect(img[lba * 512 + 511]).toBe(0xab);
    expect(img[(lba + 1) * 512]).toBe((lba + 1) & 0xff);
  });

  it('AH08h_reportsTheDisketteGeometry_driveType4_andTheParameterTable', () => {
    const t = withImage(
      `mov ah, 0x08\nxor dl, dl\nint 0x13\n${SAVE}\nmov [0x604], bx\nmov [0x606], cx\nmov [0x608], dx\nmov [0x60a], di\nmov [0x60c], es`,
      numberedFloppy,
      'floppy',
    );
    expect(word(t, 0x600)).toBe(0);
    expect(cf(t)).toBe(false);
    expect(word(t, 0x604)).toBe(4);
    expect(word(t, 0x606)).toBe((79 << 8) | 18);
    expect(word(t, 0x608)).toBe(0x0101); // DH = max head 1, DL = 1 drive
    expect(word(t, 0x60a)).toBe(BiosEntry.disketteTable);
    expect(word(t, 0x60c)).toBe(0xf000);
    expect(t.machine.memory.read8(0xf0000 + BiosEntry.disketteTable + 4)).toBe(18);
  });

  it('AH15h_saysDisketteWithoutChangeLine', () => {
    const t = withImage(`mov ah, 0x15\nxor dl, dl\nint 0x13\n${SAVE}`, numberedFloppy, 'floppy');
    expect(word(t, 0x600) >> 8).toBe(0x01);
    expect(cf(t)).toBe(false);
  });

  it('theLbaExtensionsAreNotOfferedForDiskettes_AH41hFailsWith01h', () => {
    const t = withImage(`mov ah, 0x41\nmov bx, 0x55aa\nxor dl, dl\nint 0x13\n${SAVE}\nmov [0x604], bx`, numberedFloppy, 'floppy');
    expect(word(t, 0x600) >> 8).toBe(0x01);
    expect(cf(t)).toBe(true);
    expect(word(t, 0x604)).toBe(0x55aa);
  });

  it('anAbsentDrive_80h_failsWith01h', () => {
    const t = withImage(`mov ax, 0x0201\nmov cx, 1\nmov dx, 0x0080\nmov bx, 0x8000\nint 0x13\n${SAVE}`, numberedFloppy, 'floppy');
    expect(word(t, 0x600) >> 8).toBe(0x01);
    expect(cf(t)).toBe(true);
  });
});

describe('INT 13h on a hard disk (drive 80h)', () => {
  it('bootsWithDl80h', () => {
    const t = withImage('mov [0x600], dx', numberedDisk, 'hdd');
    expect(word(t, 0x600) & 0xff).toBe(0x80);
  });

  it('AH41h_installationCheck_BxAA55h_version30h_subsets1to3', () => {
    const t = withImage(`mov ah, 0x41\nmov bx, 0x55aa\nmov dl, 0x80\nint 0x13\n${SAVE}\nmov [0x604], bx\nmov [0x606], cx`, numberedDisk, 'hdd');
    expect(word(t, 0x600) >> 8).toBe(0x30);
    expect(cf(t)).toBe(false);
    expect(word(t, 0x604)).toBe(0xaa55);
    expect(word(t, 0x606)).toBe(0x0007);
  });

  it('AH45hAnd49hSucceed_AH46hSaysNotRemovable', () => {
    const t = withImage(
      `mov ax, 0x4500\nmov dl, 0x80\nint 0x13\n${SAVE}\nmov ah, 0x49\nmov dl, 0x80\nint 0x13\nmov [0x604], ax\nmov ah, 0x46\nmov dl, 0x80\nint 0x13\nmov [0x606], ax`,
      numberedDisk,
      'hdd',
    );
    expect(word(t, 0x600) >> 8).toBe(0);
    expect(cf(t)).toBe(false);
    expect(word(t, 0x604) >> 8).toBe(0);
    expect(word(t, 0x606) >> 8).toBe(0xb2);
  });

  it('AH42h_readsByLbaThroughTheDiskAddressPacket', () => {
    const t = withImage(
      `mov si, dap\nmov ah, 0x42\nmov dl, 0x80\nint 0x13\n${SAVE}\njmp done\ndap: db 0x10, 0\ndw 3\ndw 0x0000, 0x0900\ndd 1000, 0\ndone:`,
      numberedDisk,
      'hdd',
    );
    expect(word(t, 0x600) >> 8).toBe(0);
    expect(cf(t)).toBe(false);
    const m = t.machine.memory;
    expect([m.read8(0x9000), m.read8(0x9200), m.read8(0x9400)]).toEqual([1000 & 0xff, 1001 & 0xff, 1002 & 0xff]);
  });

  it('AH42h_pastTheEndOfTheDisk_failsAndReportsZeroSectorsTransferred', () => {
    const t = withImage(
      `mov word [0x700], 0x0010\nmov word [0x702], 4\nmov word [0x704], 0\nmov word [0x706], 0x0900\nmov dword [0x708], 2046\nmov dword [0x70c], 0
mov si, 0x700\nmov ah, 0x42\nmov dl, 0x80\nint 0x13\n${SAVE}`,
      numberedDisk,
      'hdd',
    );
    expect(word(t, 0x600) >> 8).toBe(0x04);
    expect(cf(t)).toBe(true);
    expect(word(t, 0x702)).toBe(0); // the packet's count: nothing transferred
    expect(t.machine.memory.read8(0x9000)).toBe(0);
  });

  it('AH48h_fillsTheDriveParameterTable', () => {
    const t = withImage(`mov word [0x700], 0x1e\nmov si, 0x700\nmov ah, 0x48\nmov dl, 0x80\nint 0x13\n${SAVE}`, numberedDisk, 'hdd');
    expect(cf(t)).toBe(false);
    const m = t.machine.memory;
    expect(m.read16(0x700)).toBe(0x1e);
    expect(m.read32(0x71a) >>> 0).toBe(0xffffffff); // no device parameter table extension
    expect(m.read32(0x704)).toBe(2); // cylinders: 2048 sectors / (16 × 63)
    expect(m.read32(0x708)).toBe(16);
    expect(m.read32(0x70c)).toBe(63);
    expect(m.read32(0x710)).toBe(2048);
    expect(m.read16(0x718)).toBe(512);
  });

  it('AH08h_reportsOneCylinderLessThanTheGeometry_andAH15hTheChsSectorCount', () => {
    const t = withImage(
      `mov ah, 0x08\nmov dl, 0x80\nint 0x13\n${SAVE}\nmov [0x604], cx\nmov [0x606], dx\nmov ah, 0x15\nmov dl, 0x80\nint 0x13\nmov [0x608], ax\nmov [0x60a], cx\nmov [0x60c], dx`,
      numberedDisk,
      'hdd',
    );
    expect(cf(t)).toBe(false);
    expect(word(t, 0x604)).toBe((0 << 8) | 63); // 2 cylinders − 1 − 1 reserved = cylinder 0 is the last
    expect(word(t, 0x606)).toBe((15 << 8) | 1);
    expect(word(t, 0x608) >> 8).toBe(0x03);
    expect((word(t, 0x60a) << 16) | word(t, 0x60c)).toBe(1 * 16 * 63);
  });
});
