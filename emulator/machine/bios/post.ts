/**
 * The built-in BIOS's power-on self test, done in TypeScript at reset: the real-mode
 * interrupt vector table, the BIOS data area and EBDA, the text screen, the two 8259A
 * PICs and the 8254 PIT programmed as a PC BIOS leaves them, and the tick count set from
 * the RTC. Then the boot step (bios.ts) loads the boot sector or the kernel.
 *
 * Hardware state after POST (IBM PC AT Technical Reference, POST and BIOS listing):
 *   - 8259A master: ICW1 11h (edge, cascade, ICW4), ICW2 08h (IRQ 0–7 → INT 08h–0Fh),
 *     ICW3 04h (slave on IR2), ICW4 01h (8086 mode); slave: 11h, 70h (IRQ 8–15 → INT
 *     70h–77h), 02h, 01h. Masks: only IRQ 0 (timer) and IRQ 2 (cascade) enabled.
 *   - 8254 channel 0: control word 36h (LSB then MSB, mode 3 square wave, binary), count
 *     0 (65536): IRQ 0 at 1193182 / 65536 ≈ 18.2 Hz.
 *   - A20 is left as the reset left it (enabled), as SeaBIOS does.
 * Vectors (IBM's, with SeaBIOS's defaults for the rest): every vector first points at the
 * dummy IRET F000:FF53; then 08h timer, 09h–0Fh and 70h–77h the default IRQ handlers,
 * 10h–1Ah the services, 1Eh the diskette parameter table, 41h the fixed-disk table (when
 * there is a hard disk), and 1Dh, 1Fh, 60h–66h (user vectors) zero.
 */
import { BASE_MEMORY_KIB, BDA, EBDA_BASE, EBDA_KIB, PIT_HZ } from './bda';
import type { BiosEnv } from './env';
import { rtcSecondsOfDay } from './services';
import { BiosEntry, BIOS_SEGMENT } from './rom';
import { setVideoMode } from './video';

/** Write the interrupt vector table at 0000:0000 (256 far pointers, offset then segment). */
export function writeIvt(env: BiosEnv): void {
  const m = env.mem;
  const set = (vector: number, offset: number, segment = BIOS_SEGMENT): void => {
    m.write16(vector * 4, offset);
    m.write16(vector * 4 + 2, segment);
  };
  for (let v = 0; v < 256; v++) set(v, BiosEntry.iret);
  set(0x05, BiosEntry.int05);
  set(0x08, BiosEntry.int08);
  for (let v = 0x09; v <= 0x0f; v++) set(v, BiosEntry.irqMaster);
  for (let v = 0x70; v <= 0x77; v++) set(v, BiosEntry.irqSlave);
  set(0x10, BiosEntry.int10);
  set(0x11, BiosEntry.int11);
  set(0x12, BiosEntry.int12);
  set(0x13, BiosEntry.int13);
  set(0x14, BiosEntry.int14);
  set(0x15, BiosEntry.int15);
  set(0x16, BiosEntry.int16);
  set(0x17, BiosEntry.int17);
  set(0x18, BiosEntry.int18);
  set(0x19, BiosEntry.int19);
  set(0x1a, BiosEntry.int1a);
  set(0x1d, 0, 0);
  set(0x1e, BiosEntry.disketteTable);
  set(0x1f, 0, 0);
  set(0x40, BiosEntry.int13);
  if (env.disk?.kind === 'hdd') set(0x41, BiosEntry.fixedDiskTable);
  else set(0x41, 0, 0);
  set(0x46, 0, 0);
  for (let v = 0x60; v <= 0x66; v++) set(v, 0, 0);
}

/** Write the BIOS data area (40:00h–40:FFh, cleared first) and the EBDA's size byte. */
export function writeBda(env: BiosEnv, comPort: number | null): void {
  const m = env.mem;
  m.writeBytes(0x400, new Uint8Array(0x100));
  m.write16(BDA.comPorts, comPort ?? 0);
  m.write16(BDA.ebdaSegment, EBDA_BASE >> 4);
  const disk = env.disk;
  // Equipment word (RBIL INT 11): bit 0 diskette drives present, bits 6–7 their number − 1,
  // bits 4–5 initial video mode 10b (80 × 25 colour), bits 9–11 serial ports.
  let equipment = 0x0020 | ((comPort !== null ? 1 : 0) << 9);
  if (disk?.kind === 'floppy') equipment |= 0x0001;
  m.write16(BDA.equipment, equipment);
  m.write16(BDA.baseMemoryKiB, BASE_MEMORY_KIB);
  m.write16(BDA.kbdHead, 0x1e);
  m.write16(BDA.kbdTail, 0x1e);
  m.write16(BDA.kbdBufferStart, 0x1e);
  m.write16(BDA.kbdBufferEnd, 0x3e);
  m.write8(BDA.hardDiskCount, disk?.kind === 'hdd' ? 1 : 0);
  const ebda = new Uint8Array(EBDA_KIB * 1024);
  ebda[0] = EBDA_KIB;
  m.writeBytes(EBDA_BASE, ebda);
  setVideoMode(env, 0x03);
}

/**
 * Program both 8259As and PIT channel 0 as the BIOS leaves them for the operating system:
 * IRQ 0–7 at vectors 08h–0Fh, IRQ 8–15 at 70h–77h, IRQ 0 and the cascade unmasked, counter 0
 * in mode 3 with divisor 65536 (18.2 Hz). A VMM's virtual firmware does the same for its VMs.
 * @param io the port space the PICs (20h/21h, A0h/A1h) and the PIT (40h/43h) are on
 */
export function programInterruptHardware(io: Pick<BiosEnv['io'], 'out'>): void {
  const out = (port: number, v: number): void => io.out(port, 1, v);
  out(0x20, 0x11);
  out(0x21, 0x08);
  out(0x21, 0x04);
  out(0x21, 0x01);
  out(0xa0, 0x11);
  out(0xa1, 0x70);
  out(0xa1, 0x02);
  out(0xa1, 0x01);
  out(0x21, 0xfa); // IRQ 0 and IRQ 2 unmasked
  out(0xa1, 0xff);
  out(0x43, 0x36);
  out(0x40, 0x00);
  out(0x40, 0x00);
}

/**
 * The whole POST: tables, screen, interrupt hardware and the tick count from the RTC's time
 * of day (ticks = seconds × 1193182 / 65536, as SeaBIOS's clock setup computes it).
 * @param comPort the COM1 base port to record in the BDA, or null without a UART
 */
export function powerOnSelfTest(env: BiosEnv, comPort: number | null): void {
  writeIvt(env);
  writeBda(env, comPort);
  programInterruptHardware(env.io);
  env.mem.write32(BDA.ticks, Math.floor((rtcSecondsOfDay(env) * PIT_HZ) / 65536));
}
