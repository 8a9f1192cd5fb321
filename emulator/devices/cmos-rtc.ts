/**
 * The PC's CMOS RAM and real-time clock, a Motorola MC146818A at I/O ports 70h (index) and
 * 71h (data), interrupting on IRQ 8.
 *
 * Follows the Motorola MC146818A data sheet: "Address Map" (14 clock bytes, 114 bytes of
 * RAM), "Time, Calendar and Alarm Locations" and the data-mode table (binary or BCD per
 * register B DM; 12-hour format with bit 7 = PM), "Register A" (UIP, DV2–DV0, RS3–RS0),
 * "Register B" (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE), "Register C" (IRQF, PF, AF, UF;
 * read-only, cleared by reading), "Register D" (VRT), "Update Cycle", "Interrupts" and the
 * periodic interrupt rate table; the PC's use of ports 70h/71h and of the RAM bytes from the
 * IBM PC AT Technical Reference ("CMOS RAM Configuration Information", port 70h bit 7 = NMI
 * disable); the memory-size bytes as QEMU (hw/i386/pc.c `pc_cmos_init`) and Bochs fill them.
 *
 * The clock: the wall-clock time at construction is injected (`startTime`, Unix seconds,
 * default 2000-01-01 00:00:00 UTC) and advances with the Clock's virtual time, one update
 * cycle per virtual second, so runs repeat exactly.
 *
 * Modelling choices:
 * - The time registers hold one value per field (seconds … year, kept in binary); reads
 *   encode them in the current DM and 12/24-hour modes, writes decode them likewise. A guest
 *   that changes DM or 24/12 without rewriting the time therefore reads the same time in
 *   the new format (the chip would keep the raw bytes; the data sheet requires rewriting).
 *   Out-of-range values written are kept until the next update cycle, which normalises
 *   them through calendar arithmetic (the chip would count on from the raw value).
 * - The update cycle is instantaneous at each second boundary; UIP reads 1 during the
 *   244 µs before it (the data sheet's "UIP = 1 at least 244 µs before the update"), as
 *   QEMU models it, so "wait for UIP = 0, then read" always sees a consistent time.
 * - The divider runs only with DV = 010 (32.768-kHz time base, what the PC's crystal
 *   provides); any other DV value stops it. Leaving the divider reset (DV = 11x) for 010
 *   makes the first update occur 500 ms later, as the data sheet says.
 * - SET = 1 freezes the time (update cycles do not occur, UF and AF are not set) and clears
 *   UIE, per "Register B"; the periodic flag keeps running.
 * - Flags PF, AF and UF in register C are set whether or not their interrupts are enabled;
 *   IRQF = PF·PIE + AF·AIE + UF·UIE drives IRQ 8 high until register C is read. All three
 *   interrupts are implemented (the periodic one at the RS rate).
 * - The square-wave output (SQWE), daylight-saving (DSE) and the divider test modes are
 *   not modelled; register D always reads VRT = 1 (battery good).
 * - Reading port 70h returns FFh, as in QEMU (the index register is write-only on the PC).
 * - The CMOS checksum (bytes 2Eh–2Fh, sum of 10h–2Dh) is computed at construction, as the
 *   AT BIOS (and Bochs) keep it.
 */
import type { Clock, IrqLine } from '../machine/clock';
import type { IoBus, IoDevice } from '../memory/io-bus';
import { readSplit, writeSplit, type ByteRegisters } from './isa-byte-ports';

export const CMOS_INDEX_PORT = 0x70;
export const CMOS_DATA_PORT = 0x71;
export const RTC_IRQ = 8;
/** 2000-01-01 00:00:00 UTC in Unix seconds: the default RTC start time, so runs repeat. */
export const DEFAULT_RTC_START = 946_684_800;

/** CMOS addresses (MC146818A address map; IBM PC AT CMOS layout). */
export const RTC_SECONDS = 0x00;
export const RTC_SECONDS_ALARM = 0x01;
export const RTC_MINUTES = 0x02;
export const RTC_MINUTES_ALARM = 0x03;
export const RTC_HOURS = 0x04;
export const RTC_HOURS_ALARM = 0x05;
export const RTC_DAY_OF_WEEK = 0x06;
export const RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08;
export const RTC_YEAR = 0x09;
export const RTC_REG_A = 0x0a;
export const RTC_REG_B = 0x0b;
export const RTC_REG_C = 0x0c;
export const RTC_REG_D = 0x0d;
export const CMOS_SHUTDOWN_STATUS = 0x0f;
export const CMOS_FLOPPY_TYPES = 0x10;
export const CMOS_EQUIPMENT = 0x14;
export const CMOS_BASE_MEMORY_LO = 0x15;
export const CMOS_BASE_MEMORY_HI = 0x16;
export const CMOS_EXTENDED_MEMORY_LO = 0x17;
export const CMOS_EXTENDED_MEMORY_HI = 0x18;
export const CMOS_CHECKSUM_HI = 0x2e;
export const CMOS_CHECKSUM_LO = 0x2f;
export const CMOS_EXTENDED_MEMORY2_LO = 0x30;
export const CMOS_EXTENDED_MEMORY2_HI = 0x31;
export const CMOS_CENTURY = 0x32;
export const CMOS_MEMORY_ABOVE_16M_LO = 0x34;
export const CMOS_MEMORY_ABOVE_16M_HI = 0x35;

/** Register A bits. */
export const REG_A_UIP = 0x80;
export const REG_A_DV_MASK = 0x70;
export const REG_A_DV_32K = 0x20;
export const REG_A_RS_MASK = 0x0f;
/** Register B bits. */
export const REG_B_SET = 0x80;
export const REG_B_PIE = 0x40;
export const REG_B_AIE = 0x20;
export const REG_B_UIE = 0x10;
export const REG_B_SQWE = 0x08;
export const REG_B_DM_BINARY = 0x04;
export const REG_B_24H = 0x02;
export const REG_B_DSE = 0x01;
/** Register C bits. */
export const REG_C_IRQF = 0x80;
export const REG_C_PF = 0x40;
export const REG_C_AF = 0x20;
export const REG_C_UF = 0x10;
/** Register D bits. */
export const REG_D_VRT = 0x80;

/** CMOS floppy drive type codes (byte 10h: drive A in bits 7:4, drive B in bits 3:0). */
export enum FloppyType {
  None = 0,
  Kb360 = 1,
  Mb1_2 = 2,
  Kb720 = 3,
  Mb1_44 = 4,
  Mb2_88 = 5,
}

export interface CmosRtcOptions {
  /** Guest RAM size in bytes, for the memory-size bytes. */
  memoryBytes: number;
  /**
   * Wall-clock time (Unix seconds, UTC; fractions allowed) at the Clock's time when the RTC
   * is constructed. Default DEFAULT_RTC_START (2000-01-01 00:00:00).
   */
  startTime?: number;
  floppyA?: FloppyType;
  floppyB?: FloppyType;
  /** A math coprocessor is installed (equipment byte bit 1). Default false: the CPU has no x87. */
  fpu?: boolean;
  /** Called when the NMI-disable bit (port 70h bit 7) changes, with its new value. */
  onNmiMask?: (disabled: boolean) => void;
}

const NS_PER_SECOND = 1e9;
/** UIP rises 244 µs (8 cycles of the 32.768-kHz time base) before the update cycle. */
const UIP_LEAD_NS = (8 * NS_PER_SECOND) / 32768;
const SECONDS_PER_DAY = 86400;

/** Periodic interrupt period (ns) for rate select `rs` (1..15) with the 32.768-kHz time base. */
export function periodicIntervalNs(rs: number): number {
  const n = rs <= 2 ? rs + 7 : rs; // RS 1 and 2 repeat RS 8 and 9 at 32.768 kHz
  return (NS_PER_SECOND * 2 ** (n - 1)) / 32768;
}

export class CmosRtc implements IoDevice, ByteRegisters {
  portFirst = CMOS_INDEX_PORT;
  readonly portCount = 2;
  private irqNumber = RTC_IRQ;

  /** The 128 bytes of CMOS; the clock fields and registers C and D are kept apart. */
  private readonly ram = new Uint8Array(128);
  private index = 0;
  private nmiMasked = false;
  private readonly onNmiMask: ((disabled: boolean) => void) | undefined;

  // The clock, in binary.
  private sec = 0;
  private min = 0;
  private hour = 0; // 0..23
  private dow = 1; // 1 = Sunday
  private day = 1;
  private month = 1;
  private year = 2000; // full year: register 9 is year % 100, the century byte year / 100

  /** Update cycles happen at phase + k × 1 s (ns). */
  private phase: number;
  /** Virtual time up to which update cycles and periodic ticks have been applied. */
  private accounted: number;
  /** Register C flags PF, AF, UF. */
  private flags = 0;
  private irqLevel = false;
  private event = -1;

  /**
   * @param irq the interrupt controller input for IRQ 8
   * @param clock virtual time
   * @param options memory size, start time, drives, NMI-mask listener
   */
  constructor(
    private readonly irq: IrqLine,
    private readonly clock: Clock,
    options: CmosRtcOptions,
  ) {
    this.onNmiMask = options.onNmiMask;
    const start = options.startTime ?? DEFAULT_RTC_START;
    const whole = Math.floor(start);
    const now = clock.now();
    this.phase = now - Math.round((start - whole) * NS_PER_SECOND);
    this.accounted = now;
    this.setFromUnix(whole);
    this.ram[RTC_REG_A] = REG_A_DV_32K | 0x06; // 32.768 kHz, 1024 Hz periodic rate (BIOS default)
    this.ram[RTC_REG_B] = REG_B_24H; // BCD, 24-hour
    this.fillConfiguration(options);
  }

  /** Claim the index and data ports (70h, 71h) and use IRQ `irq`. */
  attach(bus: IoBus, base = CMOS_INDEX_PORT, irq = RTC_IRQ): this {
    this.portFirst = base;
    this.irqNumber = irq;
    bus.register(base, 2, 'CMOS/RTC (MC146818A)', this);
    return this;
  }

  /**
   * The RESET pin (data sheet "RESET"): clears PIE, AIE, UIE, SQWE and the register C flags
   * and releases IRQ 8; the time, the calendar and the RAM are kept (battery-backed).
   */
  reset(): void {
    this.catchUp();
    this.ram[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    this.flags = 0;
    this.updateIrq();
    this.scheduleNext();
  }

  /** Whether port 70h bit 7 last written was 1 (NMI disabled at the NMI gate). */
  get nmiDisabled(): boolean {
    return this.nmiMasked;
  }

  /** The current RTC time as Unix seconds (for the host; normalises out-of-range fields). */
  unixTime(): number {
    this.catchUp();
    return this.daysNow() * SECONDS_PER_DAY + this.hour * 3600 + this.min * 60 + this.sec;
  }

  /** A CMOS byte as stored (the clock fields as the guest would read them). For the debugger. */
  peek(address: number): number {
    const saved = this.index;
    this.index = address & 0x7f;
    const v = this.readData(false);
    this.index = saved;
    return v;
  }

  in(port: number, size: 1 | 2 | 4): number {
    return readSplit(this, port, size);
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    writeSplit(this, port, size, value);
  }

  readByte(port: number): number {
    return port === this.portFirst ? 0xff : this.readData(true);
  }

  writeByte(port: number, value: number): void {
    if (port === this.portFirst) {
      this.index = value & 0x7f;
      const masked = (value & 0x80) !== 0;
      if (masked !== this.nmiMasked) {
        this.nmiMasked = masked;
        this.onNmiMask?.(masked);
      }
      return;
    }
    this.writeData(value);
  }

  // ---------------------------------------------------------------------------------------

  private get running(): boolean {
    return (this.ram[RTC_REG_A] & REG_A_DV_MASK) === REG_A_DV_32K;
  }

  private get binary(): boolean {
    return (this.ram[RTC_REG_B] & REG_B_DM_BINARY) !== 0;
  }

  private encode(v: number): number {
    if (this.binary) return v & 0xff;
    v = ((v % 100) + 100) % 100;
    return ((Math.floor(v / 10) << 4) | v % 10) & 0xff;
  }

  private decode(v: number): number {
    return this.binary ? v : (v >> 4) * 10 + (v & 0x0f);
  }

  private encodeHour(h: number): number {
    if (this.ram[RTC_REG_B] & REG_B_24H) return this.encode(h);
    const pm = h >= 12;
    return this.encode(h % 12 || 12) | (pm ? 0x80 : 0);
  }

  private decodeHour(v: number): number {
    if (this.ram[RTC_REG_B] & REG_B_24H) return this.decode(v);
    return (this.decode(v & 0x7f) % 12) + (v & 0x80 ? 12 : 0);
  }

  private readData(sideEffects: boolean): number {
    const i = this.index;
    if (i <= RTC_REG_C || i === CMOS_CENTURY) this.catchUp();
    switch (i) {
      case RTC_SECONDS:
        return this.encode(this.sec);
      case RTC_MINUTES:
        return this.encode(this.min);
      case RTC_HOURS:
        return this.encodeHour(this.hour);
      case RTC_DAY_OF_WEEK:
        return this.encode(this.dow);
      case RTC_DAY_OF_MONTH:
        return this.encode(this.day);
      case RTC_MONTH:
        return this.encode(this.month);
      case RTC_YEAR:
        return this.encode(this.year % 100);
      case CMOS_CENTURY:
        return this.encode(Math.floor(this.year / 100));
      case RTC_REG_A:
        return (this.ram[RTC_REG_A] & 0x7f) | (this.updateInProgress() ? REG_A_UIP : 0);
      case RTC_REG_C: {
        const v = this.flags | (this.irqFlag() ? REG_C_IRQF : 0);
        if (sideEffects) {
          // "Register C": all flag bits are cleared after the register is read.
          this.flags = 0;
          this.updateIrq();
          this.scheduleNext();
        }
        return v;
      }
      case RTC_REG_D:
        return REG_D_VRT;
      default:
        return this.ram[i];
    }
  }

  private writeData(v: number): void {
    const i = this.index;
    this.catchUp();
    switch (i) {
      case RTC_SECONDS:
        this.sec = this.decode(v);
        return;
      case RTC_MINUTES:
        this.min = this.decode(v);
        return;
      case RTC_HOURS:
        this.hour = this.decodeHour(v);
        return;
      case RTC_DAY_OF_WEEK:
        this.dow = this.decode(v);
        return;
      case RTC_DAY_OF_MONTH:
        this.day = this.decode(v);
        return;
      case RTC_MONTH:
        this.month = this.decode(v);
        return;
      case RTC_YEAR:
        this.year = Math.floor(this.year / 100) * 100 + this.decode(v);
        return;
      case CMOS_CENTURY:
        this.year = this.decode(v) * 100 + (this.year % 100);
        return;
      case RTC_REG_A: {
        const wasRunning = this.running;
        this.ram[RTC_REG_A] = v & 0x7f; // UIP is read-only
        if (!wasRunning && this.running) {
          // The first update cycle comes 500 ms after the divider chain is released.
          this.phase = this.clock.now() - NS_PER_SECOND / 2;
        }
        break;
      }
      case RTC_REG_B:
        // SET = 1 aborts updates and clears UIE ("Register B").
        this.ram[RTC_REG_B] = v & REG_B_SET ? v & ~REG_B_UIE : v;
        break;
      case RTC_REG_C:
      case RTC_REG_D:
        return; // read-only
      default:
        this.ram[i] = v;
        return;
    }
    this.updateIrq();
    this.scheduleNext();
  }

  private updateInProgress(): boolean {
    if (!this.running || this.ram[RTC_REG_B] & REG_B_SET) return false;
    const intoSecond = (((this.clock.now() - this.phase) % NS_PER_SECOND) + NS_PER_SECOND) % NS_PER_SECOND;
    return intoSecond >= NS_PER_SECOND - UIP_LEAD_NS;
  }

  private irqFlag(): boolean {
    // Register B's PIE/AIE/UIE are bits 6/5/4, like register C's PF/AF/UF.
    return (this.flags & this.ram[RTC_REG_B] & (REG_C_PF | REG_C_AF | REG_C_UF)) !== 0;
  }

  private updateIrq(): void {
    const level = this.irqFlag();
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setIrq(this.irqNumber, level);
    }
  }

  /**
   * Apply the update cycles and periodic ticks between the last accounted time and now:
   * set PF, UF and AF, and advance the clock fields.
   */
  private catchUp(): void {
    const now = this.clock.now();
    const from = this.accounted;
    if (now <= from) return;
    this.accounted = now;
    if (!this.running) return;
    const rs = this.ram[RTC_REG_A] & REG_A_RS_MASK;
    if (rs) {
      const p = periodicIntervalNs(rs);
      if (Math.floor((now - this.phase) / p) > Math.floor((from - this.phase) / p)) this.flags |= REG_C_PF;
    }
    if (this.ram[RTC_REG_B] & REG_B_SET) return;
    const updates = Math.floor((now - this.phase) / NS_PER_SECOND) - Math.floor((from - this.phase) / NS_PER_SECOND);
    if (updates <= 0) return;
    this.flags |= REG_C_UF;
    if (!(this.flags & REG_C_AF) && this.alarmWithin(updates)) this.flags |= REG_C_AF;
    this.advance(updates);
  }

  /** Whether the alarm bytes match the time after any of the next `updates` update cycles (11xxxxxx = don't care). */
  private alarmWithin(updates: number): boolean {
    const as = this.ram[RTC_SECONDS_ALARM];
    const am = this.ram[RTC_MINUTES_ALARM];
    const ah = this.ram[RTC_HOURS_ALARM];
    const any = (a: number) => (a & 0xc0) === 0xc0;
    const sod0 = this.hour * 3600 + this.min * 60 + this.sec;
    // The alarm compares hours, minutes and seconds only: a day of updates covers every case.
    const n = Math.min(updates, SECONDS_PER_DAY);
    for (let k = 1; k <= n; k++) {
      const sod = (((sod0 + k) % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
      if (!any(as) && this.encode(sod % 60) !== as) continue;
      if (!any(am) && this.encode(Math.floor(sod / 60) % 60) !== am) continue;
      if (!any(ah) && this.encodeHour(Math.floor(sod / 3600)) !== ah) continue;
      return true;
    }
    return false;
  }

  /** Days since 1970-01-01 of the date fields (normalising an out-of-range month or day). */
  private daysNow(): number {
    const m0 = this.month - 1;
    const y = this.year + Math.floor(m0 / 12);
    const m = (((m0 % 12) + 12) % 12) + 1;
    return daysFromCivil(y, m, 1) + this.day - 1;
  }

  /** Advance the clock by `seconds` update cycles. */
  private advance(seconds: number): void {
    const sod = this.hour * 3600 + this.min * 60 + this.sec + seconds;
    const dayCarry = Math.floor(sod / SECONDS_PER_DAY);
    const days = this.daysNow() + dayCarry;
    const s = sod - dayCarry * SECONDS_PER_DAY;
    this.dow = ((((this.dow - 1 + dayCarry) % 7) + 7) % 7) + 1;
    this.setDateTime(days, s);
  }

  private setFromUnix(t: number): void {
    const days = Math.floor(t / SECONDS_PER_DAY);
    this.setDateTime(days, t - days * SECONDS_PER_DAY);
    this.dow = ((((days + 4) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday (5)
  }

  private setDateTime(days: number, secondOfDay: number): void {
    const [y, m, d] = civilFromDays(days);
    this.year = y;
    this.month = m;
    this.day = d;
    this.hour = Math.floor(secondOfDay / 3600);
    this.min = Math.floor(secondOfDay / 60) % 60;
    this.sec = secondOfDay % 60;
  }

  /** Schedule a callback for the next time an enabled interrupt flag can be set. */
  private scheduleNext(): void {
    if (this.event >= 0) {
      this.clock.cancel(this.event);
      this.event = -1;
    }
    if (!this.running || this.irqFlag()) return; // IRQ 8 stays high until register C is read
    const b = this.ram[RTC_REG_B];
    const now = this.accounted;
    let at = Infinity;
    const rs = this.ram[RTC_REG_A] & REG_A_RS_MASK;
    if (b & REG_B_PIE && rs) {
      const p = periodicIntervalNs(rs);
      at = this.phase + (Math.floor((now - this.phase) / p) + 1) * p;
    }
    if (b & (REG_B_UIE | REG_B_AIE) && !(b & REG_B_SET)) {
      at = Math.min(at, this.phase + (Math.floor((now - this.phase) / NS_PER_SECOND) + 1) * NS_PER_SECOND);
    }
    if (at === Infinity) return;
    this.event = this.clock.schedule(Math.ceil(at), () => {
      this.event = -1;
      this.catchUp();
      this.updateIrq();
      this.scheduleNext();
    });
  }

  /** The PC configuration bytes (IBM PC AT CMOS layout; sizes as QEMU's pc_cmos_init). */
  private fillConfiguration(o: CmosRtcOptions): void {
    const ram = this.ram;
    const a = o.floppyA ?? FloppyType.None;
    const b = o.floppyB ?? FloppyType.None;
    ram[CMOS_FLOPPY_TYPES] = (a << 4) | b;
    const drives = (a !== FloppyType.None ? 1 : 0) + (b !== FloppyType.None ? 1 : 0);
    // Equipment byte: bit 0 = floppy drives present, bits 7:6 = drives - 1, bit 1 = math
    // coprocessor, bits 5:4 = 00 primary display has its own BIOS (EGA/VGA).
    ram[CMOS_EQUIPMENT] = (drives > 0 ? 0x01 | ((drives - 1) << 6) : 0) | (o.fpu ? 0x02 : 0);
    const kib = Math.floor(o.memoryBytes / 1024);
    const base = Math.min(kib, 640);
    ram[CMOS_BASE_MEMORY_LO] = base & 0xff;
    ram[CMOS_BASE_MEMORY_HI] = base >>> 8;
    const ext = Math.min(Math.max(kib - 1024, 0), 0xffff);
    ram[CMOS_EXTENDED_MEMORY_LO] = ram[CMOS_EXTENDED_MEMORY2_LO] = ext & 0xff;
    ram[CMOS_EXTENDED_MEMORY_HI] = ram[CMOS_EXTENDED_MEMORY2_HI] = ext >>> 8;
    const above16 = Math.min(Math.max(Math.floor((o.memoryBytes - 16 * 1024 * 1024) / 65536), 0), 0xffff);
    ram[CMOS_MEMORY_ABOVE_16M_LO] = above16 & 0xff;
    ram[CMOS_MEMORY_ABOVE_16M_HI] = above16 >>> 8;
    let sum = 0;
    for (let k = 0x10; k <= 0x2d; k++) sum += ram[k];
    ram[CMOS_CHECKSUM_HI] = (sum >>> 8) & 0xff;
    ram[CMOS_CHECKSUM_LO] = sum & 0xff;
  }
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The proleptic Gregorian date [year, month 1..12, day] of a count of days since 1970-01-01. */
export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}
