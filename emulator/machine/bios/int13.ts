/**
 * INT 13h disk services of the built-in BIOS over the machine's disk image: drive 00h
 * when it is a floppy, 80h when it is a hard disk.
 *
 * Every function returns CF = 0 and AH = 00h on success, CF = 1 and AH = status on error,
 * and records the status in the BDA (40:41h for diskettes, 40:74h for fixed disks) for
 * AH=01h. Status codes (RBIL INT 13, "Table 00234"): 01h invalid function or parameter,
 * 04h sector not found, 09h DMA across a 64-KiB boundary, B2h volume not removable.
 *
 *   AH=00h reset; 01h last status; 02h read, 03h write, 04h verify sectors by CHS
 *   (AL count 1–128, CH cylinder bits 0–7, CL bits 6–7 cylinder bits 8–9 and bits 0–5
 *   sector, DH head, ES:BX buffer; AL returns the sectors transferred, or is left as it
 *   was when the parameters are invalid); 08h drive
 *   parameters; 15h drive type; and for the hard disk only, the IBM/Microsoft extensions
 *   41h installation check, 42h/43h/44h extended read/write/verify, 47h extended seek and
 *   48h drive parameters, 45h lock (always succeeds), 46h eject (B2h: not removable), 49h
 *   media change (none), 4Eh hardware configuration (Phoenix "BIOS Enhanced Disk Drive
 *   Specification" 1.1 / T13 EDD 3.0).
 *
 * Behaviour chosen to match SeaBIOS, the BIOS of the QEMU machines Vanderpool is compared
 * with (disk.c, floppy.c): an absent drive or an unsupported function gives status 01h;
 * diskettes support only the classic functions 00h–05h, 08h, 15h, 16h (no extensions);
 * a diskette transfer whose buffer crosses a 64-KiB physical boundary fails with 09h (the
 * 8237 DMA limit); AH=08h on a hard disk reports one cylinder fewer than the geometry
 * (the last cylinder is reserved for diagnostics); AH=15h on a diskette returns AH = 01h.
 * Transfers are all or nothing: a request running past the end of the image transfers
 * nothing and fails with 04h. AH=05h (format) and 16h (media change) answer without doing
 * anything (success / "not changed").
 */
import { SECTOR_SIZE, type DiskImage } from '../disk';
import type { BiosCall } from './call';
import { BDA } from './bda';
import { BiosEntry, BIOS_SEGMENT } from './rom';
import type { BiosEnv } from './env';

export const DiskStatus = {
  ok: 0x00,
  badCommand: 0x01,
  sectorNotFound: 0x04,
  dmaBoundary: 0x09,
  notRemovable: 0xb2,
} as const;

/** INT 13h. */
export function int13(call: BiosCall, env: BiosEnv): void {
  const drive = call.dl;
  const disk = env.disk !== null && env.disk.drive === drive ? env.disk : null;
  const floppy = drive < 0x80;
  const done = (status: number): void => {
    env.mem.write8(floppy ? BDA.floppyLastStatus : BDA.diskLastStatus, status);
    if (status === DiskStatus.ok) call.success();
    else call.fail(status);
  };
  const ah = call.ah;
  if (ah === 0x01) {
    const status = env.mem.read8(floppy ? BDA.floppyLastStatus : BDA.diskLastStatus);
    call.ah = status;
    call.setCF(status !== 0);
    return;
  }
  if (disk === null) return done(DiskStatus.badCommand);
  if (floppy && ![0x00, 0x02, 0x03, 0x04, 0x05, 0x08, 0x15, 0x16].includes(ah)) return done(DiskStatus.badCommand);
  switch (ah) {
    case 0x00:
      return done(DiskStatus.ok);
    case 0x02:
    case 0x03:
    case 0x04:
      return done(chsTransfer(call, env, disk, ah));
    case 0x05:
      return done(DiskStatus.ok);
    case 0x08:
      return driveParameters(call, env, disk, done);
    case 0x15:
      if (floppy) {
        done(DiskStatus.ok);
        call.ah = 0x01; // diskette, no change-line support
      } else {
        const g = disk.geometry;
        const sectors = Math.max(0, g.cylinders - 1) * g.heads * g.sectorsPerTrack;
        done(DiskStatus.ok);
        call.cx = sectors >>> 16;
        call.dx = sectors & 0xffff;
        call.ah = 0x03; // fixed disk present
      }
      return;
    case 0x16:
      return done(DiskStatus.ok); // media not changed
    case 0x41:
      done(DiskStatus.ok);
      call.bx = 0xaa55;
      // Subsets 1 (42h–44h, 47h, 48h), 2 (45h, 46h, 48h, 49h) and 3 (48h with the DPTE, 4Eh).
      call.cx = 0x0007;
      call.ah = 0x30; // EDD 3.0
      return;
    case 0x42:
    case 0x43:
    case 0x44:
    case 0x47:
      return done(extendedTransfer(call, env, disk, ah));
    case 0x45: // lock/unlock: a fixed disk always succeeds
    case 0x49: // media change: a fixed disk never changes
      return done(DiskStatus.ok);
    case 0x46:
      return done(DiskStatus.notRemovable);
    case 0x48:
      return done(extendedParameters(call, env, disk));
    case 0x4e: // set hardware configuration: the defined sub-functions succeed
      return done([0x01, 0x03, 0x04, 0x06].includes(call.al) ? DiskStatus.ok : DiskStatus.badCommand);
    default:
      return done(DiskStatus.badCommand);
  }
}

/** Copy `count` sectors from `lba` to memory at `linear` (read), or back (write); verify/seek only check. */
function transfer(env: BiosEnv, disk: DiskImage, ah: number, lba: number, count: number, linear: number): number {
  if (lba + count > disk.sectors) return DiskStatus.sectorNotFound;
  if (ah === 0x02 || ah === 0x42) env.mem.writeBytes(linear, disk.read(lba, count));
  else if (ah === 0x03 || ah === 0x43) disk.write(lba, env.mem.readBytes(linear, count * SECTOR_SIZE));
  return DiskStatus.ok;
}

/** AH=02h/03h/04h: sectors addressed by cylinder, head and sector. */
function chsTransfer(call: BiosCall, env: BiosEnv, disk: DiskImage, ah: number): number {
  const count = call.al;
  const cylinder = call.ch | ((call.cl & 0xc0) << 2);
  const sector = call.cl & 0x3f;
  const head = call.dh;
  const lba = disk.chsToLba(cylinder, head, sector);
  // Invalid parameters leave AL as it was; a failed transfer reports AL = 0 (SeaBIOS basic_access).
  if (count === 0 || count > 128 || lba < 0) return DiskStatus.badCommand;
  const linear = call.esAddr(call.bx);
  let status: number = DiskStatus.ok;
  if (disk.kind === 'floppy' && ah !== 0x04) {
    // The 8237 DMA channel cannot cross a 64-KiB physical page.
    const phys = env.mem.phys(linear);
    if (phys >>> 16 !== (phys + count * SECTOR_SIZE - 1) >>> 16) status = DiskStatus.dmaBoundary;
  }
  if (status === DiskStatus.ok) status = transfer(env, disk, ah, lba, count, linear);
  call.al = status === DiskStatus.ok ? count : 0;
  return status;
}

/** AH=08h: logical geometry (maximum cylinder, head and sector numbers) and the drive count. */
function driveParameters(call: BiosCall, env: BiosEnv, disk: DiskImage, done: (status: number) => void): void {
  const g = disk.geometry;
  let maxCylinder = g.cylinders - 1;
  const floppy = disk.kind === 'floppy';
  if (!floppy) maxCylinder = Math.max(0, maxCylinder - 1); // last cylinder reserved
  maxCylinder = Math.min(maxCylinder, 1023);
  done(DiskStatus.ok);
  call.al = 0;
  call.ch = maxCylinder & 0xff;
  call.cl = ((maxCylinder >> 2) & 0xc0) | (g.sectorsPerTrack & 0x3f);
  call.dh = g.heads - 1;
  call.dl = 1; // drives of this kind
  if (floppy) {
    call.bx = disk.floppyType;
    call.setEs(BIOS_SEGMENT);
    call.di = BiosEntry.disketteTable;
  }
}

/** AH=42h/43h/44h/47h: the disk address packet at DS:SI. */
function extendedTransfer(call: BiosCall, env: BiosEnv, disk: DiskImage, ah: number): number {
  const m = env.mem;
  const packet = call.dsAddr(call.si);
  const size = m.read8(packet);
  const count = m.read16(packet + 2);
  const offset = m.read16(packet + 4);
  const segment = m.read16(packet + 6);
  const lbaLo = m.read32(packet + 8);
  const lbaHi = m.read32(packet + 12);
  let linear = ((segment << 4) + offset) >>> 0;
  // EDD 3.0: with a packet of 18h bytes and FFFF:FFFF as the buffer, the 64-bit flat address at +10h is used.
  if (size >= 0x18 && segment === 0xffff && offset === 0xffff) linear = m.read32(packet + 0x10);
  if (size < 0x10 || lbaHi !== 0 || lbaLo >= disk.sectors) return DiskStatus.badCommand;
  if (ah === 0x47 || count === 0) return DiskStatus.ok;
  const status = transfer(env, disk, ah, lbaLo, count, linear);
  if (status !== DiskStatus.ok) m.write16(packet + 2, 0);
  return status;
}

/**
 * AH=48h: the drive parameter table at DS:SI — 26 bytes (EDD 1.1), or 30 when the caller's
 * buffer has room, the last 4 being the device parameter table extension pointer, FFFF:FFFF
 * ("not available": this disk has no ATA controller behind it).
 */
function extendedParameters(call: BiosCall, env: BiosEnv, disk: DiskImage): number {
  const m = env.mem;
  const buf = call.dsAddr(call.si);
  const room = m.read16(buf);
  if (room < 0x1a) return DiskStatus.badCommand;
  const g = disk.geometry;
  m.write16(buf, room >= 0x1e ? 0x1e : 0x1a);
  if (room >= 0x1e) m.write32(buf + 26, 0xffffffff);
  m.write16(buf + 2, 0x0002); // information flags: bit 1, the CHS information is valid
  m.write32(buf + 4, g.cylinders);
  m.write32(buf + 8, g.heads);
  m.write32(buf + 12, g.sectorsPerTrack);
  m.write32(buf + 16, disk.sectors);
  m.write32(buf + 20, 0);
  m.write16(buf + 24, SECTOR_SIZE);
  return DiskStatus.ok;
}
