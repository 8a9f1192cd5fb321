/**
 * Firmware ROM mapping: the image sits at the top of the 4-GiB physical space, where the
 * processor's first instruction fetch (CS base FFFF0000h + IP FFF0h = FFFFFFF0h, SDM Vol. 3A
 * §9.1.4 "First Instruction Executed") finds its reset vector, and its last 128 KiB (or all
 * of a smaller image) are aliased just below 1 MiB, at E0000h/F0000h, where real-mode code
 * reaches it as segment F000h — the PC/AT's "BIOS shadow" of the boot ROM, as QEMU's
 * `isa-bios` alias does it. Both copies are read-only: writes are ignored.
 */
import type { MmioHandler, PhysicalMemory } from '../memory/physical-memory';

/** Largest firmware image accepted (16 MiB, what the PC's flash window below 4 GiB holds). */
export const MAX_FIRMWARE_BYTES = 16 << 20;
/** How much of the image appears below 1 MiB. */
export const LOW_ALIAS_MAX = 128 << 10;

/** A read-only window on `bytes` (offset 0 = `bytes[start]`). */
class RomWindow implements MmioHandler {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
  ) {}

  read(offset: number, size: 1 | 2 | 4): number {
    const b = this.bytes;
    const o = this.start + offset;
    if (size === 1) return b[o];
    if (size === 2) return b[o] | (b[o + 1] << 8);
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) | 0;
  }

  write(): void {
    // ROM: the write cycle changes nothing.
  }
}

/**
 * Map `image` read-only at [4 GiB − size, 4 GiB) and its last min(size, 128 KiB) bytes at
 * [1 MiB − that, 1 MiB). The image is copied.
 * @throws RangeError when the size is not a non-zero multiple of 64 KiB up to 16 MiB
 */
export function mapFirmware(memory: PhysicalMemory, image: Uint8Array): void {
  const size = image.length;
  if (size === 0 || size % 0x10000 !== 0 || size > MAX_FIRMWARE_BYTES) {
    throw new RangeError(`a firmware image must be a non-zero multiple of 64 KiB up to 16 MiB; this one has ${size} bytes`);
  }
  const rom = image.slice();
  memory.mapMmio(0x100000000 - size, size, 'firmware ROM (below 4 GiB)', new RomWindow(rom, 0));
  const low = Math.min(size, LOW_ALIAS_MAX);
  memory.mapMmio(0x100000 - low, low, 'firmware ROM (below 1 MiB)', new RomWindow(rom, size - low));
}
