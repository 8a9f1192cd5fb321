import { describe, expect, it } from 'vitest';
import { DiskImage, hardDiskGeometry } from '../../../emulator/machine/disk';

describe('DiskImage', () => {
  it('aFloppyOf1440KiBIs80CylindersBy2HeadsBy18Sectors_driveType4_drive00h', () => {
    const d = new DiskImage(new Uint8Array(1474560), 'floppy');
    expect(d.geometry).toEqual({ cylinders: 80, heads: 2, sectorsPerTrack: 18 });
    expect(d.floppyType).toBe(4);
    expect(d.drive).toBe(0x00);
    expect(d.sectors).toBe(2880);
  });

  it('recognisesTheOtherStandardDisketteSizes', () => {
    expect(new DiskImage(new Uint8Array(737280), 'floppy').geometry).toEqual({ cylinders: 80, heads: 2, sectorsPerTrack: 9 });
    expect(new DiskImage(new Uint8Array(1228800), 'floppy').geometry).toEqual({ cylinders: 80, heads: 2, sectorsPerTrack: 15 });
    expect(new DiskImage(new Uint8Array(368640), 'floppy').geometry).toEqual({ cylinders: 40, heads: 2, sectorsPerTrack: 9 });
    expect(new DiskImage(new Uint8Array(2949120), 'floppy').geometry).toEqual({ cylinders: 80, heads: 2, sectorsPerTrack: 36 });
  });

  it('rejectsAFloppyImageOfNonStandardSize_andAHardDiskImageOfPartialSectors', () => {
    expect(() => new DiskImage(new Uint8Array(512), 'floppy')).toThrow(RangeError);
    expect(() => new DiskImage(new Uint8Array(1000), 'hdd')).toThrow(RangeError);
    expect(() => new DiskImage(new Uint8Array(0), 'hdd')).toThrow(RangeError);
  });

  it('mapsChsToLba_withSectorsNumberedFrom1_andRejectsAddressesOutsideTheGeometry', () => {
    const d = new DiskImage(new Uint8Array(1474560), 'floppy');
    expect(d.chsToLba(0, 0, 1)).toBe(0);
    expect(d.chsToLba(0, 1, 1)).toBe(18);
    expect(d.chsToLba(1, 0, 1)).toBe(36);
    expect(d.chsToLba(79, 1, 18)).toBe(2879);
    expect(d.chsToLba(0, 0, 0)).toBe(-1);
    expect(d.chsToLba(0, 0, 19)).toBe(-1);
    expect(d.chsToLba(0, 2, 1)).toBe(-1);
    expect(d.chsToLba(80, 0, 1)).toBe(-1);
  });

  it('aHardDiskIsDrive80h_readsAndWritesWholeSectors', () => {
    const bytes = new Uint8Array(512 * 100);
    bytes[512 * 3] = 0x42;
    const d = new DiskImage(bytes, 'hdd');
    expect(d.drive).toBe(0x80);
    expect(d.read(3, 1)[0]).toBe(0x42);
    d.write(5, new Uint8Array(512).fill(7));
    expect(bytes[512 * 5 + 511]).toBe(7);
  });
});

describe('hardDiskGeometry', () => {
  it('uses16HeadsAnd63SectorsUpTo1024Cylinders', () => {
    expect(hardDiskGeometry(16 * 63 * 20)).toEqual({ cylinders: 20, heads: 16, sectorsPerTrack: 63 });
    expect(hardDiskGeometry(1024 * 16 * 63)).toEqual({ cylinders: 1024, heads: 16, sectorsPerTrack: 63 });
  });

  it('givesADiskSmallerThanOneCylinderOneCylinder', () => {
    expect(hardDiskGeometry(100)).toEqual({ cylinders: 1, heads: 16, sectorsPerTrack: 63 });
  });

  it('doublesTheHeadsForBiggerDisks_theLbaAssistedTranslation', () => {
    // 1 GiB: 2097152 sectors / 63 = 33288; 33288 / 1024 = 32 → 32 heads; 1040 cylinders clipped to 1024.
    expect(hardDiskGeometry(2097152)).toEqual({ cylinders: 1024, heads: 32, sectorsPerTrack: 63 });
    // 2 GiB: 66576 per head set; 66576 / 1024 = 65 → 128 heads, 520 cylinders.
    expect(hardDiskGeometry(4194304)).toEqual({ cylinders: 520, heads: 128, sectorsPerTrack: 63 });
    expect(hardDiskGeometry(63 * 255 * 1024 + 1)).toEqual({ cylinders: 1024, heads: 255, sectorsPerTrack: 63 });
  });
});
