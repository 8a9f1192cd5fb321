/**
 * Raw disk images for the built-in BIOS's INT 13h: a floppy (drive 00h) or a hard disk
 * (drive 80h), 512-byte sectors, with the CHS geometry the BIOS reports and translates.
 *
 * Floppies: the geometry follows from the image size, as for the standard PC formats
 * (160 KiB … 2.88 MiB; IBM PC AT Technical Reference, diskette BIOS; SeaBIOS hw/floppy.c
 * keeps the same table). A 1.44-MB image is 80 cylinders × 2 heads × 18 sectors.
 * Hard disks: 16 heads × 63 sectors per track up to 1024 cylinders (504 MiB); larger
 * images get the "LBA-assisted" logical geometry the BIOS presents for big disks (heads
 * doubled to 32/64/128/255, cylinders clipped at 1024), as SeaBIOS's block.c does for a
 * disk without a usable physical geometry. Sectors beyond the CHS range are reachable
 * through the LBA extensions (INT 13h AH=42h).
 *
 * The image's bytes are the disk: INT 13h writes change them in place.
 */

export type DiskKind = 'floppy' | 'hdd';

export const SECTOR_SIZE = 512;

/** Logical geometry as INT 13h AH=08h reports it and AH=02h translates it. */
export interface ChsGeometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

/** The standard diskette formats: size in bytes → geometry and the CMOS drive type INT 13h AH=08h returns in BL. */
const FLOPPY_FORMATS: { bytes: number; geometry: ChsGeometry; driveType: number }[] = [
  { bytes: 163840, geometry: { cylinders: 40, heads: 1, sectorsPerTrack: 8 }, driveType: 1 },
  { bytes: 184320, geometry: { cylinders: 40, heads: 1, sectorsPerTrack: 9 }, driveType: 1 },
  { bytes: 327680, geometry: { cylinders: 40, heads: 2, sectorsPerTrack: 8 }, driveType: 1 },
  { bytes: 368640, geometry: { cylinders: 40, heads: 2, sectorsPerTrack: 9 }, driveType: 1 },
  { bytes: 737280, geometry: { cylinders: 80, heads: 2, sectorsPerTrack: 9 }, driveType: 3 },
  { bytes: 1228800, geometry: { cylinders: 80, heads: 2, sectorsPerTrack: 15 }, driveType: 2 },
  { bytes: 1474560, geometry: { cylinders: 80, heads: 2, sectorsPerTrack: 18 }, driveType: 4 },
  { bytes: 2949120, geometry: { cylinders: 80, heads: 2, sectorsPerTrack: 36 }, driveType: 5 },
];

export class DiskImage {
  readonly geometry: ChsGeometry;
  /** Total sectors of the image (LBA range). */
  readonly sectors: number;
  /** BIOS drive number: 00h for the floppy, 80h for the hard disk. */
  readonly drive: number;
  /** CMOS/BIOS diskette drive type (4 = 1.44 MB 3½"), 0 for a hard disk. */
  readonly floppyType: number;

  /**
   * @param bytes the raw image (kept, not copied: INT 13h writes go into it)
   * @param kind floppy (drive 00h) or hard disk (drive 80h)
   * @throws RangeError when a floppy image has no standard diskette size, or a hard-disk
   *   image is empty or not a whole number of 512-byte sectors
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly kind: DiskKind,
  ) {
    if (kind === 'floppy') {
      const f = FLOPPY_FORMATS.find((x) => x.bytes === bytes.length);
      if (!f) {
        throw new RangeError(
          `a floppy image must have a standard diskette size (${FLOPPY_FORMATS.map((x) => x.bytes).join(', ')} bytes); this one has ${bytes.length} bytes`,
        );
      }
      this.geometry = f.geometry;
      this.floppyType = f.driveType;
      this.drive = 0x00;
    } else {
      if (bytes.length === 0 || bytes.length % SECTOR_SIZE !== 0) {
        throw new RangeError(`a hard-disk image must be a non-empty whole number of 512-byte sectors; this one has ${bytes.length} bytes`);
      }
      this.geometry = hardDiskGeometry(bytes.length / SECTOR_SIZE);
      this.floppyType = 0;
      this.drive = 0x80;
    }
    this.sectors = bytes.length / SECTOR_SIZE;
  }

  /** Sectors addressable through CHS (cylinders × heads × sectors per track, at most `sectors`). */
  get chsSectors(): number {
    const g = this.geometry;
    return Math.min(this.sectors, g.cylinders * g.heads * g.sectorsPerTrack);
  }

  /**
   * The LBA of a CHS address, or -1 when the address lies outside the logical geometry
   * (sector numbers start at 1).
   */
  chsToLba(cylinder: number, head: number, sector: number): number {
    const g = this.geometry;
    if (cylinder >= g.cylinders || head >= g.heads || sector < 1 || sector > g.sectorsPerTrack) return -1;
    return (cylinder * g.heads + head) * g.sectorsPerTrack + sector - 1;
  }

  /** The bytes of sectors [lba, lba + count), which must lie inside the image. */
  read(lba: number, count: number): Uint8Array {
    return this.bytes.subarray(lba * SECTOR_SIZE, (lba + count) * SECTOR_SIZE);
  }

  /** Overwrite sectors from `lba` with `data` (a whole number of sectors inside the image). */
  write(lba: number, data: Uint8Array): void {
    this.bytes.set(data, lba * SECTOR_SIZE);
  }
}

/**
 * The logical CHS geometry of a hard disk of `sectors` sectors: 16 heads × 63 sectors up to
 * 1024 cylinders, beyond that the LBA-assisted translation (SeaBIOS block.c
 * `setup_translation`, TRANSLATION_LBA), cylinders clipped to 1024.
 */
export function hardDiskGeometry(sectors: number): ChsGeometry {
  const spt = 63;
  if (sectors > 63 * 255 * 1024) return { cylinders: 1024, heads: 255, sectorsPerTrack: spt };
  const perHeadSet = Math.floor(sectors / spt);
  const h = Math.floor(perHeadSet / 1024);
  const heads = h > 128 ? 255 : h > 64 ? 128 : h > 32 ? 64 : h > 16 ? 32 : 16;
  // Whole cylinders only (a partial last cylinder is reachable through LBA), but at least
  // one, so that a disk smaller than one cylinder still has a geometry.
  const cylinders = Math.min(1024, Math.max(1, Math.floor(sectors / (heads * spt))));
  return { cylinders, heads, sectorsPerTrack: spt };
}
