/**
 * The small BIOS services: the timer tick (IRQ 0), INT 11h, INT 12h, INT 16h and INT 1Ah.
 *
 * INT 08h (IRQ 0, IBM TIMER_INT): adds one to the tick count at 40:6Ch; at 1800B0h ticks
 *   (24 hours) it wraps to 0 and sets the midnight flag at 40:70h. The ROM stub then calls
 *   INT 1Ch and sends the EOI.
 * INT 11h: AX = the equipment word (40:10h). INT 12h: AX = base memory in KiB (40:13h).
 * INT 16h, over the BDA keyboard buffer (head 40:1Ah, tail 40:1Ch, start/end 40:80h/82h).
 *   This machine has no keyboard, so keys appear only when a program stores them with
 *   AH=05h; with the buffer empty AH=01h/11h return ZF = 1 ("no key available") and
 *   AH=00h/10h wait as a BIOS does: the call continues in the ROM's `sti; hlt` loop and
 *   looks again after every interrupt, so a guest waiting for a key idles in HLT.
 *   AH=00h/10h read, 01h/11h peek, 02h/12h shift flags, 05h store; others unchanged.
 * INT 1Ah: AH=00h read the tick count (CX:DX) and the midnight flag (AL, then cleared),
 *   01h set it; 02h/03h read/set the RTC time (CH hours, CL minutes, DH seconds, DL
 *   daylight-saving bit), 04h/05h read/set the date (CH century, CL year, DH month, DL
 *   day), BCD as the MC146818A holds them, through ports 70h/71h, with AH = 0 and AL = CH
 *   (02h/04h) or the value written to register B (03h/05h) as SeaBIOS returns them; CF = 1
 *   when no RTC answers (its registers read FFh) and for other functions.
 *
 * @see IBM PC AT Technical Reference, BIOS listing (TIMER_INT, EQUIPMENT, MEMORY_SIZE_DET,
 *      KEYBOARD_IO, TIME_OF_DAY); Ralf Brown's Interrupt List INT 08, 11, 12, 16, 1A.
 */
import type { BiosCall } from './call';
import { BDA, TICKS_PER_DAY } from './bda';
import type { BiosEnv } from './env';
import { BiosEntry } from './rom';

/** IRQ 0: one timer tick. */
export function int08(env: BiosEnv): void {
  const m = env.mem;
  let ticks = m.read32(BDA.ticks) + 1;
  if (ticks >= TICKS_PER_DAY) {
    ticks = 0;
    m.write8(BDA.midnight, 1);
  }
  m.write32(BDA.ticks, ticks);
}

export function int11(call: BiosCall, env: BiosEnv): void {
  call.ax = env.mem.read16(BDA.equipment);
}

export function int12(call: BiosCall, env: BiosEnv): void {
  call.ax = env.mem.read16(BDA.baseMemoryKiB);
}

/** INT 16h keyboard services over the BDA buffer. */
export function int16(call: BiosCall, env: BiosEnv): void {
  const m = env.mem;
  const head = m.read16(BDA.kbdHead);
  const tail = m.read16(BDA.kbdTail);
  const start = m.read16(BDA.kbdBufferStart);
  const end = m.read16(BDA.kbdBufferEnd);
  const next = (p: number): number => (p + 2 >= end ? start : p + 2);
  switch (call.ah) {
    case 0x00:
    case 0x10:
      if (head === tail) {
        call.continueAt(BiosEntry.int16Wait);
        return;
      }
      call.ax = m.read16(0x400 + head);
      m.write16(BDA.kbdHead, next(head));
      return;
    case 0x01:
    case 0x11:
      if (head === tail) {
        call.setZF(true);
        return;
      }
      call.ax = m.read16(0x400 + head);
      call.setZF(false);
      return;
    case 0x02:
      call.al = m.read8(BDA.kbdFlags1);
      return;
    case 0x12:
      call.al = m.read8(BDA.kbdFlags1);
      call.ah = m.read8(BDA.kbdFlags2);
      return;
    case 0x05:
      if (next(tail) === head) {
        call.al = 1; // buffer full
        return;
      }
      m.write16(0x400 + tail, call.cx);
      m.write16(BDA.kbdTail, next(tail));
      call.al = 0;
      return;
    default:
      return;
  }
}

const CMOS_INDEX = 0x70;
const CMOS_DATA = 0x71;
/** MC146818A registers (datasheet "Address Map"). */
const RTC_SECONDS = 0x00;
const RTC_MINUTES = 0x02;
const RTC_HOURS = 0x04;
const RTC_DAY = 0x07;
const RTC_MONTH = 0x08;
const RTC_YEAR = 0x09;
const RTC_REG_A = 0x0a;
const RTC_REG_B = 0x0b;
/** The IBM AT's century byte in CMOS RAM. */
const CMOS_CENTURY = 0x32;
const REG_B_SET = 0x80;
const REG_B_PIE = 0x40;
const REG_B_AIE = 0x20;
const REG_B_24H = 0x02;
const REG_B_DSE = 0x01;

export function cmosRead(env: BiosEnv, index: number): number {
  env.io.out(CMOS_INDEX, 1, index);
  return env.io.in(CMOS_DATA, 1);
}

export function cmosWrite(env: BiosEnv, index: number, value: number): void {
  env.io.out(CMOS_INDEX, 1, index);
  env.io.out(CMOS_DATA, 1, value);
}

/** Whether an RTC answers at ports 70h/71h (an absent device reads FFh, which no status register A holds). */
export function rtcPresent(env: BiosEnv): boolean {
  return cmosRead(env, RTC_REG_A) !== 0xff;
}

/** INT 1Ah time-of-day services. */
export function int1a(call: BiosCall, env: BiosEnv): void {
  const m = env.mem;
  switch (call.ah) {
    case 0x00: {
      const ticks = m.read32(BDA.ticks);
      call.cx = ticks >>> 16;
      call.dx = ticks & 0xffff;
      call.al = m.read8(BDA.midnight);
      m.write8(BDA.midnight, 0);
      call.setCF(false);
      return;
    }
    case 0x01:
      m.write32(BDA.ticks, ((call.cx << 16) | call.dx) >>> 0);
      m.write8(BDA.midnight, 0);
      call.success();
      return;
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:
      if (!rtcPresent(env)) {
        call.setCF(true);
        return;
      }
      rtcService(call, env);
      call.setCF(false);
      return;
    default:
      call.setCF(true);
      return;
  }
}

function rtcService(call: BiosCall, env: BiosEnv): void {
  switch (call.ah) {
    case 0x02:
      call.ch = cmosRead(env, RTC_HOURS);
      call.cl = cmosRead(env, RTC_MINUTES);
      call.dh = cmosRead(env, RTC_SECONDS);
      call.dl = cmosRead(env, RTC_REG_B) & REG_B_DSE;
      call.ah = 0;
      call.al = call.ch;
      return;
    case 0x03: {
      // Hold the update cycle (SET) while the registers change, as the MC146818A datasheet
      // advises; then register B = PIE, AIE kept, 24-hour BCD, DSE from DL (SeaBIOS).
      const b = cmosRead(env, RTC_REG_B);
      cmosWrite(env, RTC_REG_B, b | REG_B_SET);
      cmosWrite(env, RTC_HOURS, call.ch);
      cmosWrite(env, RTC_MINUTES, call.cl);
      cmosWrite(env, RTC_SECONDS, call.dh);
      const newB = (b & (REG_B_PIE | REG_B_AIE)) | REG_B_24H | (call.dl & REG_B_DSE);
      cmosWrite(env, RTC_REG_B, newB);
      call.ah = 0;
      call.al = newB;
      return;
    }
    case 0x04:
      call.ch = cmosRead(env, CMOS_CENTURY);
      call.cl = cmosRead(env, RTC_YEAR);
      call.dh = cmosRead(env, RTC_MONTH);
      call.dl = cmosRead(env, RTC_DAY);
      call.ah = 0;
      call.al = call.ch;
      return;
    case 0x05: {
      const b = cmosRead(env, RTC_REG_B);
      cmosWrite(env, RTC_REG_B, b | REG_B_SET);
      cmosWrite(env, CMOS_CENTURY, call.ch);
      cmosWrite(env, RTC_YEAR, call.cl);
      cmosWrite(env, RTC_MONTH, call.dh);
      cmosWrite(env, RTC_DAY, call.dl);
      cmosWrite(env, RTC_REG_B, b & ~REG_B_SET);
      call.ah = 0;
      call.al = b & ~REG_B_SET;
      return;
    }
  }
}

/** Seconds since midnight by the RTC (BCD or binary as register B says), or 0 without an RTC. */
export function rtcSecondsOfDay(env: BiosEnv): number {
  if (!rtcPresent(env)) return 0;
  const binary = (cmosRead(env, RTC_REG_B) & 0x04) !== 0;
  const val = (v: number): number => (binary ? v : (v >> 4) * 10 + (v & 0x0f));
  const h24 = (cmosRead(env, RTC_REG_B) & REG_B_24H) !== 0;
  let hours = cmosRead(env, RTC_HOURS);
  const pm = !h24 && (hours & 0x80) !== 0;
  hours = val(hours & 0x7f);
  if (!h24) hours = (hours % 12) + (pm ? 12 : 0);
  return (hours * 60 + val(cmosRead(env, RTC_MINUTES))) * 60 + val(cmosRead(env, RTC_SECONDS));
}
